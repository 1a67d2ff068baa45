"""Topic precision where users meet it: on parliamentary questions outside the gold corpus.

Cross-validation on the gold corpus measures a corpus chosen for its positives (keyword
searches found them); most questions a user labels are about none of the four topics. Half B of
the records outside the gold corpus (Tweede Kamer subject lines and Court of Audit questions;
halves by id, ``labels/select_round3.py``) is never training data; every topic a model gives one
of them is looked up in ``labels/heldout.jsonl`` (labelled by reading, like the gold corpus).

For each model: per topic, the records flagged, how many of them the held-out labels confirm,
how many they reject, and how many are not yet labelled (precision is then a range: label them,
``--unlabelled FILE`` writes them, and add them to heldout.jsonl as ``labels/assemble.py`` does).

Models compared (each trained here from the README's annotation files, with classify's
defaults, ~20 s each, unless ``--model`` names directories):
  round2   labels/seed.jsonl + labels/annotations.jsonl (the shipped model before round 3)
  shipped  + labels/round3.jsonl (the records a round-2 model flagged in half A, labelled)

And what round 3 costs where the gold corpus is dense in positives (``--cv-seeds``): 5-fold
cross-validation on the rounds 1-2 records only (folds grouped by source document, as
``classify train`` reports), each training fold with and without round 3's records (those of a
test fold's documents left out), per split seed.

    python benchmarks/precision.py [--model DIR ...] [--unlabelled FILE] [--cv-seeds 0,1,2] [--no-write]

Writes benchmarks/PRECISION.md and benchmarks/precision.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CLASSIFY_DATA_DIR", ROOT.parent / "shared" / "data"))
LABELS = ROOT / "labels"
SOURCES = ("tk_written_question_titles_2007_2022.jsonl", "tk_rekenkamer_qa.jsonl")
TRAINING = {
    "round2": ("seed.jsonl", "annotations.jsonl"),
    "shipped": ("seed.jsonl", "annotations.jsonl", "round3.jsonl"),
}

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(LABELS))


def _jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def half_b() -> tuple[list[dict], int]:
    """Records of half B outside the training files, and how many were left out as twins: a subject
    line asked twice under two ids ("De dyslexie-industrie") may sit in both halves, and a model
    that saw one copy would be scored on the other."""
    from select_round3 import annotated_ids, half

    import classify
    from classify.annotations import text_key

    training = annotated_ids()  # rounds 1-2; round 3's training records are all in half A
    seen, _ = classify.hydrate([LABELS / f for f in TRAINING["shipped"]], DATA)
    texts = {text_key(r["question"]) for r in seen}  # the question as the model reads it, as the manifest keeps it
    records = [r for name in SOURCES for r in _jsonl(DATA / name)
               if r["id"] not in training and half(r["id"]) == "B" and (r.get("question") or "").strip()]
    kept = [r for r in records if text_key(r["question"]) not in texts]
    return kept, len(records) - len(kept)


def measure(model, records, heldout) -> tuple[dict, list[dict]]:
    """Per topic {flagged, correct, wrong, unlabelled}, and the flagged records not yet labelled."""
    predicted = model.predict([r["question"] for r in records], [r.get("answer") for r in records])
    table = {t: {"flagged": 0, "correct": 0, "wrong": 0, "unlabelled": 0} for t in model.schema.topics}
    unlabelled = {}
    for record, p in zip(records, predicted):
        for topic in p["topics"]:
            row = table[topic]
            row["flagged"] += 1
            if record["id"] not in heldout:
                row["unlabelled"] += 1
                unlabelled[record["id"]] = {k: record.get(k) for k in ("id", "question", "answer")}
            elif topic in heldout[record["id"]]["topics"]:
                row["correct"] += 1
            else:
                row["wrong"] += 1
    total = {k: sum(row[k] for row in table.values()) for k in ("flagged", "correct", "wrong", "unlabelled")}
    return {"per_topic": table, "all": total}, list(unlabelled.values())


def gold_cv(seeds) -> list[dict]:
    """Per split seed and arm (without / with round 3): topic and stance F1 on the rounds 1-2 records."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    import classify
    from classify import metrics
    from classify.model import indicator

    schema = classify.LabelSchema.from_toml(LABELS / "schema.toml")
    base, _ = classify.hydrate([LABELS / f for f in TRAINING["round2"]], DATA)
    extra, _ = classify.hydrate([LABELS / "round3.jsonl"], DATA)
    group = lambda r: r["id"].split("#", 1)[0]  # noqa: E731  (source document, as Annotations.groups)
    rows = []
    for seed in seeds:
        for arm in ("without", "with"):
            topics = np.zeros((len(base), len(schema.topics)), dtype=np.int8)
            stances = [None] * len(base)
            for train, test in GroupKFold(n_splits=5, shuffle=True, random_state=seed).split(base, groups=[group(r) for r in base]):
                held = {group(base[i]) for i in test}
                records = [base[i] for i in train] + ([r for r in extra if group(r) not in held] if arm == "with" else [])
                model = classify.train(records, schema, seed=seed, cv=0)
                predicted = model.predict([base[i]["question"] for i in test], [base[i].get("answer") for i in test])
                for i, p in zip(test, predicted):
                    topics[i] = [t in p["topics"] for t in schema.topics]
                    stances[i] = p["stance"]
            report = metrics.topic_report(indicator([r["topics"] for r in base], schema.topics), topics, schema.topics)
            keep = [i for i, r in enumerate(base) if r.get("stance")]
            stance = metrics.stance_report([base[i]["stance"] for i in keep], [stances[i] or "" for i in keep], schema.stances)
            rows.append({"seed": seed, "arm": arm, "topics": report, "stance_macro_f1": stance["macro_f1"]})
            print(f"cv seed {seed} {arm} round 3: topics micro {report['micro_f1']:.3f} macro {report['macro_f1']:.3f}", file=sys.stderr)
    return rows


def precision(row) -> str:
    """Precision of the flags, a range while some are unlabelled."""
    if not row["flagged"]:
        return "-"
    low = row["correct"] / row["flagged"]
    high = (row["correct"] + row["unlabelled"]) / row["flagged"]
    return f"{low:.3f}" if row["unlabelled"] == 0 else f"{low:.3f}-{high:.3f}"


def render_cv(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    topics = list(rows[0]["topics"]["per_label"])
    lines = [
        "",
        "## What round 3 costs on the gold corpus's own records",
        "",
        "5-fold cross-validation on the rounds 1-2 records (2,304; folds grouped by source document), training",
        "folds without and with round 3's 370 records. Topic F1 per label (predicted / annotated), stance macro F1:",
        "",
        "| seed | round 3 | micro F1 | macro F1 | " + " | ".join(topics) + " | stance macro F1 |",
        "|---|---|---|---|" + "---|" * len(topics) + "---|",
    ]
    for row in rows:
        per = row["topics"]["per_label"]
        cells = [f"{per[t]['f1']:.3f} ({per[t]['predicted']}/{per[t]['support']})" for t in topics]
        lines.append(f"| {row['seed']} | {row['arm']} | {row['topics']['micro_f1']:.3f} | {row['topics']['macro_f1']:.3f} | "
                     + " | ".join(cells) + f" | {row['stance_macro_f1']:.3f} |")
    return lines


def render(results: dict, n_records: int, twins: int, n_heldout: int, cv_rows: list[dict]) -> str:
    lines = [
        "# Topic precision on questions outside the gold corpus",
        "",
        f"Half B of the records outside the gold corpus: {n_records:,} Tweede Kamer subject lines and Court",
        f"of Audit questions, never training data ({twins} more are left out: their text is a training record's);",
        f"`labels/heldout.jsonl` holds {n_heldout} labelled records of half B, every record a model below flags",
        "with a topic among them. Precision is per flag (a record may get two topics). Reproduce:",
        "`python benchmarks/precision.py` (about five minutes; see its docstring).",
        "",
        "| model | topic | flagged | correct | wrong | unlabelled | precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for topic, row in [*result["per_topic"].items(), ("all topics", result["all"])]:
            lines.append(f"| {name} | {topic} | {row['flagged']} | {row['correct']} | {row['wrong']} | {row['unlabelled']} | {precision(row)} |")
    lines += [
        "",
        "Recall cannot be read here: the held-out labels cover the records some model flagged, not the",
        "positives no model flags (see the gold corpus's cross-validated recall in the model card).",
        *render_cv(cv_rows),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    import classify

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", type=Path, help="a model directory to measure (repeatable); default: train round2 and shipped")
    parser.add_argument("--unlabelled", type=Path, help="write the flagged records not yet labelled here (JSONL, with their texts)")
    parser.add_argument("--cv-seeds", default="0,1,2", help="split seeds of the gold-corpus comparison ('' skips it; ~1 minute each)")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA}: the shared corpora are not there; set CLASSIFY_DATA_DIR.")
    records, twins = half_b()
    heldout = {r["id"]: r for r in _jsonl(LABELS / "heldout.jsonl")}
    results, unlabelled = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        models = {str(path): path for path in args.model or []}
        for name, files in ([] if args.model else TRAINING.items()):
            start = time.perf_counter()
            models[name] = Path(tmp) / name
            classify.train([LABELS / f for f in files], str(LABELS / "schema.toml"), corpora=DATA).save(models[name])
            print(f"trained {name} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        for name, path in models.items():
            results[name], missing = measure(classify.load(path), records, heldout)
            unlabelled.update((r["id"], r) for r in missing)
    cv_rows = gold_cv([int(x) for x in args.cv_seeds.split(",") if x.strip()])
    report = render(results, len(records), twins, len(heldout), cv_rows)
    print(report)
    if args.unlabelled:
        with open(args.unlabelled, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in unlabelled.values())
        print(f"{len(unlabelled)} flagged records not yet labelled: {args.unlabelled}", file=sys.stderr)
    if not args.no_write:
        (ROOT / "benchmarks" / "PRECISION.md").write_text(report, encoding="utf-8")
        (ROOT / "benchmarks" / "precision.json").write_text(json.dumps({"records": len(records), "twins_left_out": twins, "heldout": len(heldout), "models": results, "gold_cv": cv_rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
