"""Benchmark of the document parser (classify.documents.parse) on real documents.

What is measured, and against what:

(a) The seed document ``defensieraad_2026_nr300.txt`` (Kamerstuk 21 501-28 nr. 300): 15 records
    with the known groups (1: PVV, 2-9: Groep Markuszower, 10-15: BBB), every question ending
    in a question mark (complete text), answer 11 holding the sentence the page break had cut in
    two as one paragraph, metadata (date, answered_by, subject, document id).
(b) The 187 Court of Audit answer documents of ``tk_rekenkamer_documents.jsonl`` against the
    1,778 question/answer pairs of ``tk_rekenkamer_qa.jsonl`` that a third party extracted by
    machine (a reference, not gold). A reference pair counts as *recovered* when the parser
    returns, for the same document and question number, a question whose text similarity
    (difflib ratio over lower-cased word tokens) is at least SIMILARITY_THRESHOLD. For recovered
    pairs the answer similarity is reported as well. Also timed: parsing all 187 documents.

Data are read from ``../shared/data`` next to the repository, or from $CLASSIFY_DATA_DIR.
Results go to benchmarks/parsing.json and benchmarks/PARSING.md (the figures table between
the ``<!-- results -->`` markers is rewritten; the analysis around it is kept). The exit code is
non-zero when a figure falls below its floor (FLOOR_*).

Run: ``python benchmarks/parsing.py [--show-misses N]``
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classify.documents import parse  # noqa: E402

DATA_DIR = Path(os.environ.get("CLASSIFY_DATA_DIR", REPO.parent / "shared" / "data"))
SEED_FILE = "defensieraad_2026_nr300.txt"
DOCUMENTS_FILE = "tk_rekenkamer_documents.jsonl"
PAIRS_FILE = "tk_rekenkamer_qa.jsonl"
OUT_JSON = REPO / "benchmarks" / "parsing.json"
OUT_MD = REPO / "benchmarks" / "PARSING.md"

# Question text similarity (0..1, difflib ratio over word tokens) at which a pair is recovered.
SIMILARITY_THRESHOLD = 0.8
# Floors: the run fails below these.
FLOOR_SEED_CHECKS = 1.0  # share of seed checks passed
FLOOR_RECOVERY = 0.95  # share of the 1,778 reference pairs recovered
FLOOR_ANSWER_SIMILARITY = 0.85  # mean answer similarity over recovered pairs
CEILING_SECONDS = 30.0  # wall-clock seconds to parse all 187 documents

SEED_GROUPS = {1: "PVV", **{n: "Groep Markuszower" for n in range(2, 10)}, **{n: "BBB" for n in range(10, 16)}}


def words(text: str | None) -> list[str]:
    """Lower-cased word tokens: what the similarity compares (punctuation and quotes ignored)."""
    return re.findall(r"\w+", (text or "").lower())


def similarity(a: str | None, b: str | None) -> float:
    """difflib ratio of the word sequences of `a` and `b` (1.0 = same words, same order)."""
    wa, wb = words(a), words(b)
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def seed_checks(data_dir: Path) -> dict:
    """Run the seed checks; return {check name: passed}."""
    records = parse((data_dir / SEED_FILE).read_text(encoding="utf-8"), source=SEED_FILE)
    by_number = {r.number: r for r in records}
    checks = {
        "15 records": len(records) == 15,
        "numbers 1-15": sorted(by_number, key=int) == [str(n) for n in range(1, 16)],
        "groups": all(by_number.get(str(n)) and by_number[str(n)].group == g for n, g in SEED_GROUPS.items()),
        "questions complete (end in '.' or '?', no marker inside)": all(
            r.question.endswith((".", "?")) and "Antwoord" not in r.question for r in records
        ),
        "every question has an answer": all(r.answer for r in records),
        "page break repaired (answer 11)": "Europa zouden immers" in (by_number.get("11") or records[0]).answer,
        "paragraph breaks kept (answer 11 has 3)": (by_number.get("11") or records[0]).answer.count("\n\n") == 2,
        "emphasis removed": not any("*" in (r.answer or "") + r.question for r in records),
        "ids": [r.id for r in records] == [f"kst-21501-28-300#{n}" for n in range(1, 16)],
        "date": all(r.date == "2026-03-09" for r in records),
        "answered_by": all(r.answered_by == "Minister van Defensie" for r in records),
        "subject": all(r.subject == "Defensieraad" for r in records),
    }
    return checks


def recovery(data_dir: Path, show_misses: int = 0) -> dict:
    """Parse the 187 documents and match the parsed records to the reference pairs."""
    documents = [json.loads(line) for line in (data_dir / DOCUMENTS_FILE).open(encoding="utf-8")]
    pairs = [json.loads(line) for line in (data_dir / PAIRS_FILE).open(encoding="utf-8")]
    parsed: dict[str, list] = {}
    failed: list[str] = []
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for doc in documents:
            try:
                parsed[doc["id"]] = parse(doc["text"], doc["id"], source=doc["id"])
            except ValueError:
                parsed[doc["id"]] = []
                failed.append(doc["id"])
    seconds = time.perf_counter() - started
    by_key = defaultdict(list)
    for doc_id, records in parsed.items():
        for r in records:
            by_key[(doc_id, r.number)].append(r)
    recovered, answer_sims, misses = 0, [], []
    for pair in pairs:
        # "rekenkamer:kamerstuk:<date>:<slug>#<n>" belongs to document "rekenkamer:<date>:<slug>"
        ref_doc, number = pair["id"].split("#")
        doc_id = ref_doc.replace("rekenkamer:kamerstuk:", "rekenkamer:", 1)
        candidates = by_key.get((doc_id, number), [])
        scored = [(similarity(pair["question"], r.question), r) for r in candidates]
        best, record = max(scored, key=lambda s: s[0], default=(0.0, None))
        if best >= SIMILARITY_THRESHOLD:
            recovered += 1
            answer_sims.append(similarity(pair["answer"], record.answer))
        else:
            misses.append({"id": pair["id"], "similarity": round(best, 3),
                           "parsed": record.question[:160] if record else None,
                           "reference": pair["question"][:160]})
    for miss in misses[:show_misses]:
        print(json.dumps(miss, ensure_ascii=False), file=sys.stderr)
    referenced = {p["id"].split("#")[0].replace("rekenkamer:kamerstuk:", "rekenkamer:", 1) for p in pairs}
    return {
        "documents": len(documents),
        "documents_failed": len(failed),
        "documents_without_reference_pairs": len(set(parsed) - referenced),
        "records_parsed": sum(len(r) for r in parsed.values()),
        "records_in_referenced_documents": sum(len(parsed[d]) for d in referenced if d in parsed),
        "reference_pairs": len(pairs),
        "recovered": recovered,
        "recovery": recovered / len(pairs),
        "mean_answer_similarity": sum(answer_sims) / max(len(answer_sims), 1),
        "answers_similarity_ge_threshold": sum(s >= SIMILARITY_THRESHOLD for s in answer_sims),
        "seconds": round(seconds, 2),
        "misses": misses,
    }


def write_markdown(results: dict) -> None:
    seed, rk = results["seed"], results["rekenkamer"]
    rows = [
        "| figure | value | floor |",
        "|---|---|---|",
        f"| seed checks passed | {sum(seed.values())}/{len(seed)} | all |",
        f"| reference pairs recovered (question similarity >= {SIMILARITY_THRESHOLD}) | "
        f"{rk['recovered']}/{rk['reference_pairs']} = {rk['recovery']:.1%} | {FLOOR_RECOVERY:.0%} |",
        f"| mean answer similarity (recovered pairs) | {rk['mean_answer_similarity']:.3f} | {FLOOR_ANSWER_SIMILARITY} |",
        f"| recovered pairs whose answer similarity >= {SIMILARITY_THRESHOLD} | "
        f"{rk['answers_similarity_ge_threshold']}/{rk['recovered']} | - |",
        f"| records parsed (all 187 documents / the 166 with reference pairs) | "
        f"{rk['records_parsed']} / {rk['records_in_referenced_documents']} | - |",
        f"| documents raising DocumentError | {rk['documents_failed']} | - |",
        f"| seconds to parse the 187 documents | {rk['seconds']} | <= {CEILING_SECONDS} |",
    ]
    failed_checks = [name for name, ok in seed.items() if not ok]
    if failed_checks:
        rows.append(f"\nFailed seed checks: {', '.join(failed_checks)}")
    table = "\n".join(rows)
    start, end = "<!-- results -->", "<!-- /results -->"
    text = OUT_MD.read_text(encoding="utf-8") if OUT_MD.exists() else f"# Parsing benchmark\n\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    OUT_MD.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", type=int, default=0, help="print this many misses to stderr")
    args = parser.parse_args()
    if not (DATA_DIR / PAIRS_FILE).exists():
        print(f"data not found in {DATA_DIR}; set CLASSIFY_DATA_DIR to the shared data directory", file=sys.stderr)
        return 2
    results = {"seed": seed_checks(DATA_DIR), "rekenkamer": recovery(DATA_DIR, args.show_misses),
               "similarity_threshold": SIMILARITY_THRESHOLD}
    OUT_JSON.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_markdown(results)
    rk = results["rekenkamer"]
    seed_share = sum(results["seed"].values()) / len(results["seed"])
    print(f"seed checks {seed_share:.0%}; recovered {rk['recovered']}/{rk['reference_pairs']} "
          f"({rk['recovery']:.1%}); answer similarity {rk['mean_answer_similarity']:.3f}; {rk['seconds']} s")
    failures = [
        name for name, ok in [
            ("seed checks", seed_share >= FLOOR_SEED_CHECKS),
            ("recovery", rk["recovery"] >= FLOOR_RECOVERY),
            ("answer similarity", rk["mean_answer_similarity"] >= FLOOR_ANSWER_SIMILARITY),
            ("time", rk["seconds"] <= CEILING_SECONDS),
        ] if not ok
    ]
    if failures:
        print(f"REGRESSION below floor: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
