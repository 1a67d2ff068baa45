"""Golden and integration tests of the shipped model (models/default) and the label files.

The golden file pins what the shipped model says about the 15 seed records. When the model is
retrained on purpose, regenerate it and review the diff before committing:

    CLASSIFY_UPDATE_GOLDEN=1 python -m pytest tests/test_shipped_model.py

The integration tests read the corpora in ../shared/data (override with CLASSIFY_DATA_DIR)
and are skipped when that folder is absent.
"""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import DATA_DIR, LABELS

import classify
from classify import annotations
from classify.io import read_rows
from classify.persist import read_manifest
from classify.schema import LabelSchema

GOLDEN = Path(__file__).parent / "golden" / "seed_predictions.json"
UPDATE = os.environ.get("CLASSIFY_UPDATE_GOLDEN") == "1"
ANNOTATION_FILES = [LABELS / "seed.jsonl", LABELS / "annotations.jsonl", LABELS / "round3.jsonl"]  # the shipped model's training data
HELDOUT = LABELS / "heldout.jsonl"  # never training data (benchmarks/precision.py)
REGENERATE = "If the model was retrained on purpose, regenerate with: CLASSIFY_UPDATE_GOLDEN=1 python -m pytest tests/test_shipped_model.py"

needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"corpora folder {DATA_DIR} is absent; set CLASSIFY_DATA_DIR to run the integration tests")


@pytest.fixture(scope="module")
def shipped():
    return classify.load()


@pytest.fixture(scope="module")
def schema():
    return LabelSchema.from_toml(LABELS / "schema.toml")


@pytest.fixture(scope="module")
def seed_rows():
    rows = [row for _, row in read_rows(str(LABELS / "seed.jsonl"))]
    assert len(rows) == 15
    return rows


def predictions(model, rows) -> list[dict]:
    out = model.predict([r["question"] for r in rows], [r.get("answer") for r in rows])
    return [
        {
            "id": r["id"],
            "topics": p["topics"],
            "topic_scores": {k: round(v, 3) for k, v in p["topic_scores"].items()},
            "stance": p["stance"],
            "stance_scores": {k: round(v, 3) for k, v in p["stance_scores"].items()} if p["stance_scores"] else None,
        }
        for r, p in zip(rows, out)
    ]


def test_golden_seed_predictions(shipped, seed_rows):
    got = predictions(shipped, seed_rows)
    if UPDATE:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert GOLDEN.is_file(), f"{GOLDEN} is missing. {REGENERATE}"
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert [g["id"] for g in got] == [e["id"] for e in expected], REGENERATE
    for g, e in zip(got, expected):
        assert (g["topics"], g["stance"]) == (e["topics"], e["stance"]), f"{g['id']}: labels changed. {REGENERATE}"
        assert g["topic_scores"] == pytest.approx(e["topic_scores"], abs=2e-3), f"{g['id']}: topic scores changed. {REGENERATE}"
        if e["stance_scores"] is None:
            assert g["stance_scores"] is None
        else:
            assert g["stance_scores"] == pytest.approx(e["stance_scores"], abs=2e-3), f"{g['id']}: stance scores changed. {REGENERATE}"


def test_shipped_model_matches_the_schema_file(shipped, schema):
    assert shipped.heads == ["topics", "stance"]
    assert shipped.schema == schema
    assert list(shipped.thresholds) == list(schema.topics)


def test_shipped_manifest_sources(shipped):
    assert shipped.info["training"]["sources"] == ["labels/seed.jsonl", "labels/annotations.jsonl", "labels/round3.jsonl"]
    assert read_manifest(classify.default_model_path())["training"]["fingerprint"] == shipped.info["training"]["fingerprint"]


def test_the_shipped_model_recognises_its_training_questions_under_other_ids(shipped):
    seed = [row for _, row in read_rows(str(LABELS / "seed.jsonl"))]
    assert shipped.seen_in_training([f"another-export#{i}" for i in range(len(seed))], [r["question"] for r in seed], [r["answer"] for r in seed]) == len(seed)


def test_annotation_ids_are_unique_across_files():
    """No id twice, and no held-out record among the training files."""
    seen = {}
    for path in [*ANNOTATION_FILES, HELDOUT]:
        for where, row in read_rows(str(path)):
            assert isinstance(row, dict), where
            assert row["id"] not in seen, f"{where}: id {row['id']!r} already at {seen.get(row['id'])}"
            seen[row["id"]] = where
    assert len(seen) == 15 + sum(sum(1 for _ in open(LABELS / name, encoding="utf-8")) for name in ("annotations.jsonl", "round3.jsonl", "heldout.jsonl"))


def test_round3_halves_keep_training_and_held_out_records_apart():
    """select_round3.py's halves: round-3 training records from half A, held-out ones from half B."""
    import runpy

    half = runpy.run_path(str(LABELS / "select_round3.py"))["half"]

    assert {half(row["id"]) for _, row in read_rows(str(LABELS / "round3.jsonl"))} == {"A"}
    assert {half(row["id"]) for _, row in read_rows(str(HELDOUT))} == {"B"}


def test_seed_file_validates_against_the_schema(schema):
    data = annotations.load(LABELS / "seed.jsonl", schema)
    assert len(data) == 15


@pytest.mark.parametrize("name", ["annotations.jsonl", "round3.jsonl", "heldout.jsonl"])
def test_annotation_labels_are_in_the_schema(schema, name):
    # the texts come from the corpora; check the labels without them
    rows = [(where, {**row, "question": "-", "answer": "-" if row.get("stance") else None})
            for where, row in read_rows(str(LABELS / name))]
    assert len(annotations.from_rows(rows, schema)) == len(rows)


@pytest.fixture(scope="module")
def hydrated():
    return annotations.hydrate(ANNOTATION_FILES, DATA_DIR)


@needs_data
def test_hydrated_annotations_validate(hydrated, schema):
    records, _ = hydrated
    data = annotations.from_rows(((f"record {i + 1}", r) for i, r in enumerate(records)), schema)
    assert len(data) == len(records)
    assert all(a is not None for a, s in zip(data.answers, data.stances) if s is not None)


@needs_data
def test_every_annotation_id_hydrates(hydrated):
    records, missing = hydrated
    assert missing == [], f"{len(missing)} annotated ids are not in {DATA_DIR}, e.g. {missing[:5]}"
    assert len(records) == 15 + 2289 + 370


@needs_data
def test_hydrated_annotations_match_the_manifest_fingerprint(hydrated, schema, shipped):
    records, _ = hydrated
    data = annotations.from_rows(((f"record {i + 1}", r) for i, r in enumerate(records)), schema)
    assert data.fingerprint() == shipped.info["training"]["fingerprint"], (
        "labels/ changed since the shipped model was trained: retrain it "
        "(classify train labels/seed.jsonl labels/annotations.jsonl labels/round3.jsonl --corpora ../shared/data --schema labels/schema.toml --out models/default)"
    )


def test_the_readme_library_example_says_what_the_model_says(shipped):
    """README's "Library" section prints this example's result; a retrained model must still give it (or the README changes)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    question = "Is de minister bereid schepen van de schaduwvloot in beslag te nemen?"
    answer = "Het kabinet kijkt naar manieren om op te treden en zal uw Kamer nader informeren."
    assert question in readme and answer in readme and "# (['shadow_fleet'], 'non_committal')" in readme
    [result] = shipped.predict([question], [answer])
    assert (result["topics"], result["stance"]) == (["shadow_fleet"], "non_committal")
