"""Large trainings: the calibration folds' conjugate-gradient tolerance, 1e-5 against 1e-3.

Above ``classify.ridge.DUAL_LIMIT`` (5,000) rows the ridge labels are solved by conjugate
gradients: the final fit, then one refit per calibration fold whose only use is to score the rows
it left out (Platt sigmoids and thresholds are fitted on those scores). The final fit is solved to
``PRIMAL_TOL`` (1e-5); the folds to ``FOLD_TOL``. This script fits the same topic head twice, the
folds at 1e-5 (as before ``FOLD_TOL`` existed) and at ``FOLD_TOL``, and prints the fit time
ratio, macro and micro F1 on held-out rows, how many held-out rows get the same labels, and how far
the thresholds move.

Task: the Tweede Kamer written questions' subject lines 2007-2022
(``tk_written_question_titles_2007_2022.jsonl``), labels the LABELS ministers they were most
often addressed to (``meta.addressed_to``), records without an addressee left out, one seeded
80/20 split. ``classify train --topics-field meta.addressed_to`` reads the same labels.

Run (outside CI; ~5 minutes on 2 cores):

    python benchmarks/fold_tolerance.py

Prints a Markdown table; writes nothing.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import accuracy as acc  # noqa: E402  (the benchmark whose data folder and seed this shares)

LABELS = 12


def task():
    """(subject lines, 0/1 matrix of the LABELS most frequent addressees, their names)."""
    rows = [r for r in acc._jsonl("tk_written_question_titles_2007_2022.jsonl") if r["meta"].get("addressed_to")]
    names = [[x.strip() for x in r["meta"]["addressed_to"].replace(",", ";").split(";") if x.strip()] for r in rows]
    top = [name for name, _ in Counter(n for ns in names for n in ns).most_common(LABELS)]
    return [r["question"] for r in rows], np.array([[int(t in ns) for t in top] for ns in names], dtype=np.int8), top


def main() -> int:
    from sklearn.metrics import f1_score

    from classify import ridge
    from classify.topics import TopicClassifier
    from classify.training import DEFAULTS, featuriser

    if not acc.DATA.is_dir():
        raise SystemExit(f"corpora not found at {acc.DATA}; set CLASSIFY_DATA_DIR")
    texts, Y, labels = task()
    order = np.random.default_rng(acc.SEED).permutation(len(texts))
    train, test = order[: int(0.8 * len(order))], order[int(0.8 * len(order)) :]
    default_tol, results = ridge.FOLD_TOL, {}
    for name, tol in (("folds at 1e-5", ridge.PRIMAL_TOL), (f"folds at {default_tol:g} (FOLD_TOL)", default_tol)):
        ridge.FOLD_TOL = tol
        head = TopicClassifier(labels=labels, features=featuriser(), loss="ridge", alpha=DEFAULTS["topic_alpha"], random_state=acc.SEED)
        start = time.perf_counter()
        head.fit([texts[i] for i in train], Y[train])
        seconds = time.perf_counter() - start
        results[name] = (seconds, head.predict([texts[i] for i in test]), head.thresholds_)
    ridge.FOLD_TOL = default_tol
    base_s, base_p, base_t = results["folds at 1e-5"]
    print(f"{len(train):,} training and {len(test):,} held-out subject lines, {LABELS} addressees as labels\n")
    print("| folds solved to | fit s | vs 1e-5 | macro F1 | micro F1 | held-out rows labelled as at 1e-5 | largest threshold move |")
    print("|---|---|---|---|---|---|---|")
    for name, (seconds, pred, thresholds) in results.items():
        print(f"| {name} | {seconds:.0f} | {seconds / base_s:.2f} | {f1_score(Y[test], pred, average='macro', zero_division=0):.4f} | "
              f"{f1_score(Y[test], pred, average='micro', zero_division=0):.4f} | {(pred == base_p).all(axis=1).mean():.2%} | "
              f"{np.abs(thresholds - base_t).max():.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
