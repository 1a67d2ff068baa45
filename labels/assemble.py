"""Assemble the gold annotation file from the annotators' batch outputs and the adjudications.

    python labels/assemble.py OUT_DIR   # OUT_DIR holds the batch outputs (id + labels + reason)

Writes labels/annotations.jsonl: one line per record, ``{"id", "source", "topics", "stance",
"reason"}``; texts are looked up in ../shared/data by ``classify hydrate``. Adjudicated labels
(labels/agreement/adjudication.jsonl) replace the first pass where the two passes disagreed.
Round 3 (``select_round3.py``: records a model flagged, chosen by it, labelled by reading) goes
to files of its own: half A to labels/round3.jsonl (training data), half B to labels/heldout.jsonl
(never training data: it measures precision, ``benchmarks/precision.py``).
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = {
    "tkzaak:": "tk_written_question_titles_2007_2022.jsonl",
    "bekamer2017:": "be_kamer_2017_qa.jsonl",
    "rekenkamer:": "tk_rekenkamer_qa.jsonl",
    "tkanswer:": "tk_answer_samples_2024.jsonl",
}
BATCHES = ("titles_1", "titles_2", "belgian_1", "belgian_2", "belgian_3", "belgian_4", "belgian_5a", "belgian_5b", "other_1")
ROUNDS = {"round3.jsonl": ("round3_a_1", "round3_a_2", "round3_a_3"), "heldout.jsonl": ("round3_b_1", "round3_b_2", "round3_b_new")}


def source_of(record_id: str) -> str:
    return next(name for prefix, name in SOURCES.items() if record_id.startswith(prefix))


def main(out_dir: str) -> None:
    records = {}
    for batch in BATCHES:
        for line in open(Path(out_dir) / f"{batch}.jsonl", encoding="utf-8"):
            r = json.loads(line)
            if r["id"] in records:
                raise SystemExit(f"{batch}: id {r['id']} annotated twice")
            records[r["id"]] = r
    for line in open(HERE / "agreement" / "adjudication.jsonl", encoding="utf-8"):
        r = json.loads(line)
        records[r["id"]].update(topics=r["topics"], stance=r["stance"], reason=r["reason"])
    files = {"annotations.jsonl": records}
    for name, batches in ROUNDS.items():
        files[name] = {}
        for batch in batches:
            for line in open(Path(out_dir) / f"{batch}.jsonl", encoding="utf-8"):
                r = json.loads(line)
                if any(r["id"] in chosen for chosen in files.values()):
                    raise SystemExit(f"{batch}: id {r['id']} annotated twice")
                files[name][r["id"]] = r
    for name, chosen in files.items():
        with open(HERE / name, "w", encoding="utf-8") as out:
            for rid in sorted(chosen):
                r = chosen[rid]
                row = {"id": rid, "source": source_of(rid), "topics": sorted(r["topics"]), "stance": r["stance"], "reason": r["reason"]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(chosen)} records", file=sys.stderr)

if __name__ == "__main__":
    main(sys.argv[1])
