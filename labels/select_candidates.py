"""Select the records to annotate for the gold corpus and split them into batches.

Selection is for coverage, not labelling: keyword searches find *candidates* for every topic
(and for rare stances), random samples add realistic negatives; every selected record is then
labelled by a person reading it against GUIDELINES.md. The batches carry the texts and are
written outside the project (texts stay in ../shared/data).

    python labels/select_candidates.py ../shared/data /tmp/annot/batches
"""

import json
import random
import re
import sys
from pathlib import Path

SEED = 20261130
N_TITLE_HITS = 650  # subject lines matching a defence/Russia/Ukraine pattern
N_TITLE_RANDOM = 300  # realistic negatives: random subject lines
N_BE_RANDOM = 110  # Belgian answered questions from any theme
N_BE_REFUSAL = 110  # Belgian answers that look like refusals (for the rare `disagree` class)
N_REKENKAMER_OTHER = 60  # Court of Audit answers on non-defence reports
AGREEMENT_SAMPLE = 170  # records annotated twice, independently

# Round 2: the random sample of pattern hits held few positives, so every remaining subject line
# that names a plausible positive more specifically was added as its own batch.
STRONG = re.compile(
    r"Oekra|wapenlever|wapenexport|munitie|defensie-?industrie|defensiebedrij|defensieorder|"
    r"wapenindustrie|wapenfabrik|tanker|olietanker|militair(e)? (transport|mobiliteit|konvooi)|"
    r"konvooi|doorvoer|F-16|onderzeese|kabels|zeekabel|scheepvaart.*Rus|Russische (schepen|schip|olie|tanker)|"
    r"sanctieomzeiling|Damen|Thales|Fokker|aanbesteding.*(defensie|marine|leger)|"
    r"(defensie|marine|leger).*aanbesteding|materieel|pantservoertuig|fregat|onderzeeboot|onderzeeër|"
    r"drone|Patriot|NASAMS|Stinger|Leopard|pantserhouwitser|wederopbouw",
    re.IGNORECASE,
)

CANDIDATE = re.compile(
    r"Oekra|Rusland|Russisch|Poetin|Krim|Donbas|munitie|wapen|defensie|militair|krijgsmacht|"
    r"NAVO|F-16|F-35|JSF|schaduwvloot|tanker|sanctie|onderzeese|kabel|pijpleiding|Nord Stream|"
    r"konvooi|doorvoer|materieel|fregat|onderzee|drone|Patriot|leger\b|marine|haven",
    re.IGNORECASE,
)
REFUSAL = re.compile(
    r"^\s*(Nee|Neen)\b|niet de bedoeling|niet van plan|geen plannen|deel (ik|ik die|ik deze) .{0,30}niet|"
    r"niet nodig|geen sprake|niet aangewezen|niet opportuun|niet wenselijk|geen reden",
    re.IGNORECASE,
)


# Round 2 for the rare `agree` stance (first-pass batches held ~10% agree): Belgian answers whose
# wording suggests a yes. Only a candidate pool; each record is read and labelled like any other.
AGREE_CUE = re.compile(
    r"^\s*(Ja|Inderdaad)\b|ik deel (uw|de|deze)|ben het (met u )?eens|ik zal |zal ik |wordt momenteel|"
    r"werd beslist|heb ik beslist|heb ik gevraagd|ik steun|zal worden aangepast|komt er|is voorzien",
    re.IGNORECASE,
)
N_BE_AGREE = 150


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def select(data_dir: Path) -> list[dict]:
    rng = random.Random(SEED)
    chosen: dict[str, dict] = {}

    def add(records):
        for record in records:
            chosen.setdefault(record["id"], record)

    titles = _read(data_dir / "tk_written_question_titles_2007_2022.jsonl")
    hits = [r for r in titles if CANDIDATE.search(r["question"])]
    add(rng.sample(hits, min(N_TITLE_HITS, len(hits))))
    add(rng.sample([r for r in titles if r["id"] not in chosen], N_TITLE_RANDOM))

    belgian = [r for r in _read(data_dir / "be_kamer_2017_qa.jsonl") if (r["answer"] or "").strip()]
    defence = [
        r
        for r in belgian
        if r["meta"].get("theme_main") == "DEFENSIEBELEID"
        or "Defensie" in (r["meta"].get("department") or "")
        or CANDIDATE.search(r["question"][:300])
    ]
    add(defence)
    rest = [r for r in belgian if r["id"] not in chosen]
    add(rng.sample([r for r in rest if REFUSAL.search(r["answer"])], N_BE_REFUSAL))
    add(rng.sample([r for r in belgian if r["id"] not in chosen], N_BE_RANDOM))

    audit = _read(data_dir / "tk_rekenkamer_qa.jsonl")
    on_defence = re.compile(r"Defensie|militair|krijgsmacht|F-35|Oekra", re.IGNORECASE)
    add(r for r in audit if on_defence.search(r["meta"].get("report") or "") and r["answer"])
    add(rng.sample([r for r in audit if r["id"] not in chosen and r["answer"]], N_REKENKAMER_OTHER))

    add(r for r in _read(data_dir / "tk_answer_samples_2024.jsonl") if r["answer"])
    return list(chosen.values())


def main(data_dir: str, out_dir: str) -> None:
    records = select(Path(data_dir))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups = {
        "titles": [r for r in records if r["id"].startswith("tkzaak:")],
        "belgian": [r for r in records if r["id"].startswith("bekamer2017:")],
        "other": [r for r in records if r["id"].startswith(("rekenkamer:", "tkanswer:"))],
    }
    sizes = {"titles": 1, "belgian": 4, "other": 1}
    for name, group in groups.items():
        random.Random(SEED).shuffle(group)
        k = sizes[name]
        for i in range(k):
            part = group[i::k]
            with open(out / f"{name}_{i + 1}.jsonl", "w", encoding="utf-8") as handle:
                for r in part:
                    handle.write(json.dumps({k2: r[k2] for k2 in ("id", "question", "answer")}, ensure_ascii=False) + "\n")
            print(f"{name}_{i + 1}: {len(part)} records", file=sys.stderr)
    sample = random.Random(SEED + 1).sample(records, AGREEMENT_SAMPLE)
    titles = _read(Path(data_dir) / "tk_written_question_titles_2007_2022.jsonl")
    round2 = [r for r in titles if r["id"] not in {x["id"] for x in records} and STRONG.search(r["question"])]
    with open(out / "titles_2.jsonl", "w", encoding="utf-8") as handle:
        for r in round2:
            handle.write(json.dumps({k2: r[k2] for k2 in ("id", "question", "answer")}, ensure_ascii=False) + "\n")
    print(f"titles_2 (round 2): {len(round2)} records", file=sys.stderr)
    taken = {x["id"] for x in records}
    belgian = [r for r in _read(Path(data_dir) / "be_kamer_2017_qa.jsonl") if (r["answer"] or "").strip()]
    cues = [r for r in belgian if r["id"] not in taken and AGREE_CUE.search(r["answer"])]
    agree = random.Random(SEED + 2).sample(cues, min(N_BE_AGREE, len(cues)))
    with open(out / "belgian_5.jsonl", "w", encoding="utf-8") as handle:
        for r in agree:
            handle.write(json.dumps({k2: r[k2] for k2 in ("id", "question", "answer")}, ensure_ascii=False) + "\n")
    print(f"belgian_5 (round 2, agree candidates of {len(cues)}): {len(agree)} records", file=sys.stderr)
    with open(out / "agreement_second_pass.jsonl", "w", encoding="utf-8") as handle:
        for r in sample:
            handle.write(json.dumps({k2: r[k2] for k2 in ("id", "question", "answer")}, ensure_ascii=False) + "\n")
    print(f"total {len(records)}, agreement sample {len(sample)}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
