"""Decoding single-label topic sets: the log-odds margin against the threshold weight classify chooses.

Trained on records with exactly one label each (themes, question types), the topic head returns
one label per record. Until this benchmark it was always the label furthest above its threshold in
calibrated log-odds. Each threshold maximises its own label's binary F1, which for a rare label is
low: with every Belgian theme (rare ones included), the cross-validated report of
``classify train ../shared/data/be_kamer_2017_qa.jsonl --topics-field meta.theme_main`` predicted
OUDERDOMSVERZEKERING (1 annotated question) 12 times and TELECOMMUNICATIE (16) 68 times.

Now the head also considers ``score - 0.5 * threshold`` in raw score units and keeps whichever of
the two gives the higher macro F1 on its own held-out scores, cross-fitted
(``classify.topics.THRESHOLD_WEIGHTS``, ``TopicClassifier.threshold_weight_``). This script
measures both decodings of the same fitted heads, and the one the head chose, on five label sets:
  be_themes   accuracy.py's task: Belgian main themes with >= 30 questions, its 5 stratified 80/20 splits
  be_all      every Belgian main theme (37, several with 1-5 questions), 5-fold KFold
  be_ministry the minister a Belgian question is addressed to (19), 5-fold KFold
  audit_qtype Court of Audit question types (machine labels, tk_rekenkamer_qa), 5-fold KFold
  audit_atype Court of Audit answer types read from the answer (machine labels), 5-fold KFold

Run (outside CI; ~5 minutes on 2 cores):

    python benchmarks/decoding.py

Writes benchmarks/decoding.json and benchmarks/DECODING.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import accuracy as acc  # noqa: E402  (the benchmark whose data folder, be_themes task, splits and seed this shares)

RARE = 5  # a label with fewer training examples than this counts as rare in the report


def _kfold(texts):
    from sklearn.model_selection import KFold

    return list(KFold(acc.HOLDOUT_REPEATS, shuffle=True, random_state=acc.SEED).split(texts))


def label_sets():
    """name -> (texts, one label each, [(train, test)])."""
    q, _, y, _, splits, _ = acc.task_data("be_themes")
    sets = {"be_themes": (q, [t[0] for t in y], splits)}
    belgian = acc._jsonl("be_kamer_2017_qa.jsonl")
    audit = acc._jsonl("tk_rekenkamer_qa.jsonl")
    for name, records, text, label in [
        ("be_all", belgian, "question", lambda m: m.get("theme_main")),
        ("be_ministry", belgian, "question", lambda m: (m.get("department") or "").replace(",", " -") or None),  # labels hold no commas
        ("audit_qtype", audit, "question", lambda m: m.get("question_type_llm")),
        ("audit_atype", audit, "answer", lambda m: m.get("answer_type_llm")),
    ]:
        kept = [r for r in records if label(r["meta"]) and r.get(text)]
        texts = [r[text] for r in kept]
        sets[name] = (texts, [label(r["meta"]) for r in kept], _kfold(texts))
    return sets


def measure(texts, y, splits):
    from sklearn.metrics import f1_score

    from classify.annotations import Annotations
    from classify.fitted import weighted_margin
    from classify.schema import LabelSchema
    from classify.training import fit_heads

    labels = sorted(set(y))
    runs = {"log_odds": [], "weight_0.5": [], "classify": []}
    wrong_rare = dict.fromkeys(runs, 0)
    chosen = []
    for train, test in splits:
        n = len(train)  # the topic head as `classify train` fits it
        data = Annotations([str(i) for i in train], [texts[i] for i in train], [None] * n, [[y[i]] for i in train], [None] * n)
        head = fit_heads(data, LabelSchema(topics=tuple(labels)), seed=acc.SEED)[0]
        chosen.append(head.threshold_weight_)
        proba = head.predict_proba([texts[i] for i in test])
        gold = [y[i] for i in test]
        rare = {label for label in labels if sum(y[i] == label for i in train) < RARE}
        for name, weight in (("log_odds", None), ("weight_0.5", 0.5), ("classify", head.threshold_weight_)):
            pred = [labels[j] for j in np.argmax(weighted_margin(proba, head.platt_, head.thresholds_, weight), axis=1)]
            runs[name].append((f1_score(gold, pred, average="macro", labels=sorted(set(gold))), f1_score(gold, pred, average="micro")))
            wrong_rare[name] += sum(p in rare and p != g for p, g in zip(pred, gold))
    out = {"n": len(texts), "labels": len(labels), "chosen": chosen, "wrong_rare": wrong_rare}
    for name, scores in runs.items():
        m = np.array(scores)
        out[name] = {"macro_f1": round(float(m[:, 0].mean()), 4), "micro_f1": round(float(m[:, 1].mean()), 4)}
    return out


def markdown(report) -> str:
    lines = ["# Decoding single-label topic sets", "",
             "Reproduce: `python benchmarks/decoding.py` (its docstring says what is compared and why). One fitted topic head per "
             "split, decoded three ways: `log_odds` (the label furthest above its threshold in calibrated log-odds: classify "
             "before this), `weight_0.5` (the highest score - 0.5 x threshold, raw score units) and `classify` (the one of the "
             "two the head chose on its held-out training scores). Mean over 5 splits.", "",
             "| label set | records | labels | macro F1 log_odds / weight_0.5 / classify | micro F1 log_odds / weight_0.5 / classify | "
             f"wrong predictions of labels with < {RARE} training examples | classify's choice per split |",
             "|---|---|---|---|---|---|---|"]
    for name, r in report.items():
        macro = " / ".join(f"{r[k]['macro_f1']:.3f}" for k in ("log_odds", "weight_0.5", "classify"))
        micro = " / ".join(f"{r[k]['micro_f1']:.3f}" for k in ("log_odds", "weight_0.5", "classify"))
        wrong = " / ".join(str(r["wrong_rare"][k]) for k in ("log_odds", "weight_0.5", "classify"))
        chosen = ", ".join("log-odds" if w is None else f"{w:g}" for w in r["chosen"])
        lines.append(f"| {name} | {r['n']} | {r['labels']} | {macro} | {micro} | {wrong} | {chosen} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    if not acc.DATA.is_dir():
        raise SystemExit(f"corpora not found at {acc.DATA}; set CLASSIFY_DATA_DIR")
    report = {}
    for name, (texts, y, splits) in label_sets().items():
        start = time.perf_counter()
        report[name] = measure(texts, y, splits)
        print(f"{name}: {report[name]} ({time.perf_counter() - start:.0f} s)", flush=True)
    (acc.OUT / "decoding.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (acc.OUT / "DECODING.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
