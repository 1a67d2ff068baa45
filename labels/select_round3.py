"""Round 3 of the gold corpus: the questions a model wrongly or rightly flags, read and labelled.

Rounds 1-2 found candidates with keyword patterns. Labelling the Tweede Kamer subject lines
outside the gold corpus with the shipped model of round 2 (commit dbcf4e5) flagged 429 of
38,264 with a topic, most of them plainly about something else ("Illegale maïs" as
shadow_fleet, "De dyslexie-industrie" as defence_industry): the rare topics' few examples
taught it words, not subjects. This script picks the records such a model flags, for reading:

- every record outside the gold corpus is put in half A or B by its id (sha256 parity), so the
  choice never depends on the model;
- half A, for training: the subject lines and Court of Audit questions the model flags with a
  topic, or scores at least half a topic's threshold (the margin a retrained model moves);
- half B, held out to measure precision: the records the model flags with a topic.
  ``labels/heldout.jsonl`` holds their labels; they never enter training.

Selection is not labelling: every selected record is read and labelled against GUIDELINES.md
by annotators who see neither the model nor its scores. The batches carry the texts and are
written outside the project.

    classify train labels/seed.jsonl labels/annotations.jsonl --corpora ../shared/data --schema labels/schema.toml --out /tmp/round2
    python labels/select_round3.py ../shared/data /tmp/round3 --model /tmp/round2

(the first line retrains the round-2 model, identical to models/default at commit dbcf4e5).
"""

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import classify

HERE = Path(__file__).resolve().parent
SOURCES = {"tk_written_question_titles_2007_2022.jsonl": "titles", "tk_rekenkamer_qa.jsonl": "audit"}
BAND = 0.5  # half A also takes records scored >= BAND x a topic's threshold
SEED = 20261202
BATCH = 130  # records per annotator batch
AGREEMENT = 80  # half-A records labelled a second time, independently


def half(record_id: str) -> str:
    return "A" if int(hashlib.sha256(record_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "B"


def annotated_ids() -> set[str]:
    """The ids of rounds 1-2 (and the seed document): the records round 3 chose from are all the others."""
    ids = set()
    for name in ("seed.jsonl", "annotations.jsonl"):
        ids.update(json.loads(line)["id"] for line in (HERE / name).open(encoding="utf-8"))
    return ids


def select(data_dir: Path, model) -> dict[str, list[dict]]:
    """{"A": records for training, "B": records for the held-out set}, each a list of {id, question, answer}."""
    taken = annotated_ids()
    thresholds = dict(zip(model.topics.classes_, model.topics.thresholds_))
    chosen: dict[str, list[dict]] = {"A": [], "B": []}
    for name in SOURCES:
        records = [json.loads(line) for line in (data_dir / name).open(encoding="utf-8")]
        records = [r for r in records if r["id"] not in taken and (r.get("question") or "").strip()]
        predictions = model.predict([r["question"] for r in records], [r.get("answer") for r in records])
        for record, predicted in zip(records, predictions):
            scores = predicted["topic_scores"]
            flagged = bool(predicted["topics"])
            near = any(scores[t] >= BAND * threshold for t, threshold in thresholds.items())
            side = half(record["id"])
            if flagged or (side == "A" and near):
                chosen[side].append({k: record.get(k) for k in ("id", "question", "answer")})
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--model", default=None, help="model directory (the round-2 model, see above); default: the shipped model")
    args = parser.parse_args()
    chosen = select(args.data_dir, classify.load(args.model))
    args.out_dir.mkdir(parents=True, exist_ok=True)

    def write(name, records):
        with (args.out_dir / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for r in records:
                handle.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(records)} records", file=sys.stderr)

    for side in ("A", "B"):
        records = chosen[side]
        random.Random(SEED).shuffle(records)  # batches mix sources and scores: no batch is "the flagged ones"
        k = max(1, round(len(records) / BATCH))
        for i in range(k):
            write(f"round3_{side.lower()}_{i + 1}", records[i::k])
    write("round3_agreement", random.Random(SEED + 1).sample(chosen["A"], min(AGREEMENT, len(chosen["A"]))))


if __name__ == "__main__":
    main()
