"""Inter-annotator agreement of the gold corpus (Cohen's kappa per task and per label).

    python labels/agreement.py

Two independent second passes exist: a random sample of 170 records (topics and stance;
labels/agreement/second_pass.jsonl against the first pass in first_pass.jsonl) and a
topic-enriched sample of 150 records (every first-pass topic positive outside the random sample
plus random negatives; topic_second_pass.jsonl against topic_first_pass.jsonl, the first-pass labels as they were
before adjudication). Round 3 (select_round3.py): 80 of its training records, sampled at random,
labelled a second time (round3_second_pass.jsonl against round3_first_pass.jsonl).
"""

import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
TOPICS = ("ukraine_support", "military_mobility", "defence_industry", "shadow_fleet")
STANCES = ("agree", "disagree", "neutral", "non_committal")


def _read(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def _kappa(a, b):
    return cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else float("nan")


def topic_rows(first, second):
    rows = []
    for t in TOPICS:
        x, y = [t in r["topics"] for r in first], [t in r["topics"] for r in second]
        rows.append((t, sum(x), sum(y), _kappa(x, y)))
    x = [t in r["topics"] for r in first for t in TOPICS]
    y = [t in r["topics"] for r in second for t in TOPICS]
    rows.append(("all topics (pooled label decisions)", sum(x), sum(y), _kappa(x, y)))
    return rows


def main():
    first = _read(HERE / "agreement" / "first_pass.jsonl")
    second = _read(HERE / "agreement" / "second_pass.jsonl")
    enriched = _read(HERE / "agreement" / "topic_second_pass.jsonl")
    out = [f"## Random sample (n={len(first)}): topics", "", "| label | first pass + | second pass + | kappa |", "|---|---|---|---|"]
    out += [f"| {t} | {a} | {b} | {k:.3f} |" for t, a, b, k in topic_rows(first, second)]
    pairs = [(p["stance"], q["stance"]) for p, q in zip(first, second) if p["stance"] and q["stance"]]
    x, y = [p for p, _ in pairs], [q for _, q in pairs]
    out += ["", f"## Random sample: stance (n={len(pairs)} answers)", "", "| label | kappa (one vs rest) |", "|---|---|"]
    out += [f"| {s} | {_kappa([v == s for v in x], [v == s for v in y]):.3f} |" for s in STANCES]
    out += [f"| all stances (Cohen's kappa) | {_kappa(x, y):.3f} |", f"| raw agreement | {sum(a == b for a, b in pairs) / len(pairs):.3f} |"]
    firsts = _read(HERE / "agreement" / "topic_first_pass.jsonl")
    out += ["", f"## Topic-enriched sample (n={len(enriched)}): topics", "", "| label | first pass + | second pass + | kappa |", "|---|---|---|---|"]
    out += [f"| {t} | {a} | {b} | {k:.3f} |" for t, a, b, k in topic_rows(firsts, enriched)]
    first3 = _read(HERE / "agreement" / "round3_first_pass.jsonl")
    second3 = _read(HERE / "agreement" / "round3_second_pass.jsonl")
    out += ["", f"## Round 3 sample (n={len(first3)}): topics", "", "| label | first pass + | second pass + | kappa |", "|---|---|---|---|"]
    out += [f"| {t} | {a} | {b} | {k:.3f} |" for t, a, b, k in topic_rows(first3, second3)]
    same = sum(p["topics"] == q["topics"] and p["stance"] == q["stance"] for p, q in zip(first3, second3))
    out += ["", f"Round 3: the two passes gave the same topics and stance to {same} of {len(first3)} records."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
