"""Tests of classify.suggest: objectives, diversity, exclusion of annotated ids, and the CLI."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import _records, write_jsonl
from typer.testing import CliRunner

from classify.cli import app
from classify.errors import DataError
from classify.suggest import annotated, objectives, pick_diverse, rebalanced, suggest, usefulness

UNLABELLED = [
    {"id": "u1", "question": "Worden olietankers van de schaduwvloot in de Oostzee gevolgd?", "answer": "Dat wordt nog onderzocht."},
    {"id": "u2", "question": "Krijgt Oekraïne extra munitie uit Nederlandse voorraden?", "answer": "Het kabinet wacht de besluitvorming af."},
    {"id": "u3", "question": "Hoeveel kost het nieuwe zwembad in Zwolle?", "answer": "Dat is een gemeentelijke bevoegdheid."},
    {"id": "u4", "question": "Plaatst Defensie orders bij Europese munitiefabrikanten?", "answer": None},
    {"id": "u5", "question": "Worden olietankers van de schaduwvloot in de Oostzee gevolgd?", "answer": "Dat wordt nog onderzocht."},  # duplicate text
    {"id": "u6", "question": "Wat vindt u van de wachtlijsten in de zorg?", "answer": "Ja."},
]


def test_objectives_share_the_batch_between_heads(tiny_model):
    goals = dict(objectives(tiny_model))
    assert goals["stance"] == 0.5
    topic_shares = [v for k, v in goals.items() if k != "stance"]
    assert len(topic_shares) == 3 and sum(topic_shares) == pytest.approx(0.5)
    assert all(k.startswith("topic:") for k in goals if k != "stance")


def test_usefulness_is_bounded_and_zero_for_stance_without_answer(tiny_model):
    U = usefulness(tiny_model, [r["question"] for r in UNLABELLED], [r["answer"] for r in UNLABELLED])
    assert U.shape == (6, 4)
    assert (U >= 0).all() and (U <= 1).all()
    assert U[3, -1] == 0.0  # u4 has no answer: nothing to learn about the stance
    # topic columns are the calibrated probabilities of the labels
    topic_p, _ = tiny_model.predict_proba([UNLABELLED[0]["question"]])
    assert U[0, :3] == pytest.approx(topic_p[0])


def test_a_label_without_positives_is_found_through_its_description(records):
    import classify
    from classify.schema import LabelSchema

    schema = LabelSchema(("fleet", "industry", "ukraine", "zwemmen"), ("agree", "disagree", "neutral"),
                         {"zwemmen": "zwembad zwemmen zwembaden baden"})
    with pytest.warns(classify.LabelWarning, match="topic 'zwemmen' has no example"):
        model = classify.train(records, schema, cv=0)
    assert ("new:zwemmen", 0.125) in objectives(model)
    questions_only = [{**r, "answer": None} for r in UNLABELLED]  # no stance objective competes for u3
    picked = suggest(model, questions_only, n=4, explore=0.0)
    reasons = {p["id"]: p["suggest_reason"] for p in picked}
    assert "u3" in reasons and "description of zwemmen" in reasons["u3"]


def test_explore_share_is_random_but_reproducible_and_order_free(tiny_model):
    goals = dict(objectives(tiny_model, explore=0.2))
    assert goals["explore"] == 0.2 and goals["stance"] == pytest.approx(0.4)
    picked = suggest(tiny_model, UNLABELLED, n=3, explore=1.0, diversity=0.0)
    assert all(p["suggest_reason"].startswith("random pick") for p in picked)
    again = suggest(tiny_model, UNLABELLED[::-1], n=3, explore=1.0, diversity=0.0)
    assert [p["id"] for p in again] == [p["id"] for p in picked]  # drawn from the ids, not the order
    other = [suggest(tiny_model, UNLABELLED, n=3, explore=1.0, diversity=0.0, seed=s) for s in range(1, 6)]
    assert any([p["id"] for p in o] != [p["id"] for p in picked] for o in other)
    with pytest.raises(DataError, match="explore must be a share between 0 and 1, got 1.5"):
        objectives(tiny_model, explore=1.5)


def test_pick_diverse_skips_near_duplicates_only_when_asked():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    U = np.array([[1.0], [0.99], [0.6]])
    assert pick_diverse(U, [1.0], X, 2, diversity=1.0) == [(0, 0), (2, 0)]
    assert pick_diverse(U, [1.0], X, 2, diversity=0.0) == [(0, 0), (1, 0)]


def test_pick_diverse_follows_the_shares_and_drops_empty_objectives():
    X = sp.identity(6, format="csr")
    U = np.array([[0.9, 0.0], [0.8, 0.0], [0.7, 0.0], [0.6, 0.0], [0.0, 0.5], [0.0, 0.0]])
    picks = pick_diverse(U, [0.5, 0.5], X, 5, diversity=0.5)
    assert [k for _, k in picks[:2]] == [0, 1]  # alternate while both have candidates
    assert [i for i, _ in picks] == [0, 4, 1, 2, 3]  # objective 1 runs out, 0 takes the rest; row 5 scores 0 everywhere


def test_rebalanced_moves_unusable_topic_share_to_the_stance():
    goals = [("topic:a", 0.2), ("topic:b", 0.2), ("stance", 0.4), ("explore", 0.2)]
    U = np.zeros((100, 4))
    U[:, 0] = 1.0  # label a: as many sure positives as its quota, keeps its share
    U[:3, 1] = [0.9, 0.5, 0.1]  # label b: 1.5 expected positives for a quota of 10
    shares = rebalanced(goals, U, 50)
    assert shares[0] == pytest.approx(0.2)
    assert shares[1] == pytest.approx(0.2 * 1.5 / 10)
    assert shares[3] == pytest.approx(0.2)
    assert sum(shares) == pytest.approx(1.0)


def test_rebalanced_without_stance_gives_to_the_other_objectives():
    goals = [("topic:a", 0.4), ("new:b", 0.4), ("explore", 0.2)]
    U = np.zeros((30, 3))  # no likely positive of a left
    shares = rebalanced(goals, U, 10)
    assert shares[0] == 0.0
    assert shares[1] == pytest.approx(0.4 + 0.4 * 2 / 3) and shares[2] == pytest.approx(0.2 + 0.4 / 3)


def test_suggest_output_is_annotation_ready_and_deterministic(tiny_model):
    picked = suggest(tiny_model, UNLABELLED, n=3)
    assert [p["suggest_rank"] for p in picked] == [1, 2, 3]
    for p in picked:
        assert {"id", "question", "answer", "topics", "stance", "topic_scores", "stance_scores", "suggest_score", "suggest_reason"} <= set(p)
        assert isinstance(p["topics"], list)
        assert p["stance"] is None or p["stance"] in ("agree", "disagree", "neutral")
    assert suggest(tiny_model, UNLABELLED, n=3) == picked


def test_a_stance_reason_names_the_prefilled_stance_first_with_unrounded_figures(tiny_model):
    """Reasons were formatted from the rounded scores: 0.46497 read 0.47, and of two stances equal to
    4 decimals the runner-up came first."""
    import re

    picked = [p for p in suggest(tiny_model, UNLABELLED, n=len(UNLABELLED), explore=0) if p["suggest_reason"].startswith("stance")]
    assert picked
    for p in picked:
        first, a, second, b = re.fullmatch(r"stance unsure: (\w+) ([\d.]+) vs (\w+) ([\d.]+)", p["suggest_reason"]).groups()
        _, proba = tiny_model.predict_proba([p["question"]], [p["answer"]])
        order = list(tiny_model.schema.stances)
        assert first == p["stance"] and (a, b) == (f"{proba[0][order.index(first)]:.2f}", f"{proba[0][order.index(second)]:.2f}")


def test_suggest_excludes_ids_dedupes_and_skips_bad_rows(tiny_model):
    rows = [*UNLABELLED, {"id": "u1", "question": "Herhaald id?"}, {"id": "bad", "question": ""}]
    stats = {}
    picked = suggest(tiny_model, rows, n=10, exclude_ids={"u2"}, stats=stats)
    ids = [p["id"] for p in picked]
    assert "u2" not in ids and len(ids) == len(set(ids))
    assert stats == {"scanned": 8, "excluded": 2, "skipped": 1}


def test_suggest_skips_training_records_and_repeated_records_under_other_ids(tiny_model):
    """Subject lines are often found twice under two ids: neither a training record nor a second copy is worth annotating."""
    trained = _records()[0]
    rows = [*UNLABELLED, {"id": "other-export#1", "question": "  " + trained["question"].upper(), "answer": trained["answer"]},
            {"id": "u9", "question": UNLABELLED[0]["question"] + " ", "answer": UNLABELLED[0]["answer"]},
            {"id": "other-minister#1", "question": trained["question"], "answer": "Daar ga ik niet over."}]  # another record
    stats = {}
    ids = [p["id"] for p in suggest(tiny_model, rows, n=10, diversity=0, stats=stats)]
    assert "other-export#1" not in ids and stats["excluded"] == 1
    assert len({"u1", "u5", "u9"} & set(ids)) == 1 and "u9" not in ids  # one per record text: the smallest id
    assert "other-minister#1" in ids  # its stance was never annotated


def test_suggest_near_duplicate_texts_not_both_picked(tiny_model):
    ids = [p["id"] for p in suggest(tiny_model, UNLABELLED, n=5, diversity=2.0)]
    assert not {"u1", "u5"} <= set(ids)


def test_suggest_without_id_derives_the_labelling_id(tiny_model):
    picked = suggest(tiny_model, [{"question": "Steun voor Oekraïne?", "answer": "Misschien."}], n=1)
    assert picked[0]["id"].startswith("sha1:")


def test_suggest_rejects_bad_n(tiny_model):
    with pytest.raises(DataError, match="n must be a positive number of records, got 0"):
        suggest(tiny_model, UNLABELLED, n=0)


def test_annotated_from_manifest_sources_and_exclude(tmp_path):
    import classify

    path = write_jsonl(tmp_path / "train.jsonl", _records())
    model = classify.train(str(path), cv=0, sources=[str(path)])
    more = write_jsonl(tmp_path / "round1.jsonl", [{"id": "u6", "question": "x", "topics": [], "stance": None}])
    ids, texts, notes = annotated(model, [str(more)])
    assert {"docA#1", "u6"} <= ids and len(ids) == 25
    assert notes[0] == "24 ids the model was trained on"
    # an annotation added to the training file after training counts as annotated too
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "u3", "question": "x", "topics": []}) + "\n")
    assert "u3" in annotated(model)[0]


def test_annotated_texts_name_records_annotated_under_other_ids(tiny_model, tmp_path):
    """Round N's annotations hold the texts: the same record exported under another id is not suggested again."""
    from classify.annotations import text_key

    done = UNLABELLED[0]
    round1 = write_jsonl(tmp_path / "round1.jsonl", [
        {**done, "topics": [], "stance": "neutral"},
        {"id": "q-only", "question": "Alleen een vraag?", "topics": []},
        {"id": "ids-only", "topics": ["shadow_fleet"]},  # an id-only annotation file's row: matched by id only
    ])
    ids, texts, _ = annotated(tiny_model, [str(round1)])
    assert {done["id"], "q-only", "ids-only"} <= ids
    assert {text_key(done["question"], done["answer"]), text_key("Alleen een vraag?")} <= texts and len(texts) == 2
    rows = [{"id": "elsewhere#7", "question": done["question"].upper(), "answer": done["answer"] + "  "},
            {"id": "elsewhere#8", "question": done["question"], "answer": "Een ander antwoord."},  # another record: its stance is open
            {"id": "elsewhere#9", "question": "Alleen een vraag?"}, *UNLABELLED[1:]]
    stats = {}
    picked = [p["id"] for p in suggest(tiny_model, rows, n=10, exclude_ids=ids, exclude_texts=texts, diversity=0, stats=stats)]
    assert not {"elsewhere#7", "elsewhere#9", "u5"} & set(picked) and "elsewhere#8" in picked  # u5: u1's text
    assert stats["excluded"] == 3


def test_a_record_excluded_by_id_is_known_by_its_text_in_the_corpus(tiny_model):
    """An id-only annotation file gives ids only: the corpus itself holds the text of such a record,
    so its twin under another id (before or after it) is not suggested either."""
    done = UNLABELLED[0]
    twin = {**done, "id": "export2#" + done["id"]}
    for rows in ([twin, *UNLABELLED], [*UNLABELLED, twin]):
        stats = {}
        picked = [p["id"] for p in suggest(tiny_model, rows, n=len(rows), exclude_ids={done["id"]}, diversity=0, explore=0, stats=stats)]
        assert twin["id"] not in picked and done["id"] not in picked
        assert stats["excluded"] == 3  # the record, its twin, and u5 (u1's text: a repeat)


def test_annotated_warns_when_nothing_is_known(tiny_model):
    import copy

    bare = copy.copy(tiny_model)
    bare.info = {}
    ids, texts, notes = annotated(bare)
    assert ids == texts == set() and "pass --exclude" in notes[-1]


# -- CLI --------------------------------------------------------------------------------------
def test_cli_suggest_writes_annotation_ready_file(tiny_model_dir, tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [*UNLABELLED, {"id": "docA#1", "question": "Bent u bereid meer munitie aan Oekraïne te leveren?"}])
    target = tmp_path / "next.jsonl"
    result = CliRunner().invoke(app, ["suggest", str(corpus), "--model", str(tiny_model_dir), "--n", "3", "--out", str(target)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and "docA#1" not in {r["id"] for r in rows}  # trained on: never suggested
    assert "24 ids the model was trained on" in result.stderr
    assert "suggested 3 of 7 records (1 already annotated or repeated, 0 unreadable or without a question)" in result.stderr


def test_cli_suggest_skips_an_exclude_file_s_records_under_other_ids(tiny_model_dir, tmp_path):
    done = UNLABELLED[0]
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{**done, "id": "export2#1"}, *UNLABELLED[1:]])
    round1 = write_jsonl(tmp_path / "round1.jsonl", [{**done, "topics": [], "stance": "neutral"}])
    target = tmp_path / "next.jsonl"
    result = CliRunner().invoke(app, ["suggest", str(corpus), "--model", str(tiny_model_dir), "--exclude", str(round1), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert not {"export2#1", "u5"} & {json.loads(x)["id"] for x in target.read_text(encoding="utf-8").splitlines()}  # u5: u1's text
    assert "suggested 4 of 6 records (2 already annotated or repeated" in result.stderr


def test_cli_suggest_missing_corpus_is_a_clean_error(tiny_model_dir, tmp_path):
    result = CliRunner().invoke(app, ["suggest", str(tmp_path / "nope.jsonl"), "--model", str(tiny_model_dir)])
    assert result.exit_code == 2
    assert result.stderr.startswith("classify: error: input") and "does not exist" in result.stderr


def test_cli_suggest_never_writes_over_its_inputs_or_annotations(tiny_model_dir, tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", UNLABELLED)
    annotations = write_jsonl(tmp_path / "round1.jsonl", [{"id": "u1", "question": "Vraag?", "topics": []}])
    before = corpus.read_bytes(), annotations.read_bytes()
    for out, message in ((corpus, "names an input"), (annotations, "names an annotation file of the model or of --exclude")):
        result = CliRunner().invoke(app, ["suggest", str(corpus), "--model", str(tiny_model_dir), "--exclude", str(annotations), "--out", str(out)])
        assert result.exit_code == 2 and message in result.stderr and "writing would replace it" in result.stderr
    assert (corpus.read_bytes(), annotations.read_bytes()) == before


@pytest.mark.parametrize("diversity", [-1, float("inf"), float("nan")])
def test_diversity_must_be_a_finite_number(tiny_model, diversity):
    with pytest.raises(DataError, match=r"^diversity must be a number >= 0 \(penalty on similarity"):
        suggest(tiny_model, UNLABELLED, n=3, diversity=diversity)  # inf suggested nothing, with numpy's warning
