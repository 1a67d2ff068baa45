"""Tests of classify.training: from annotations to a model, cross-validation and reproducibility.

Training uses the library's default 2**20 hashed features (``train`` has no knob for it), so
each call costs ~0.5 s even on the 24 tiny records: the tests share the session model where
they can.
"""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from conftest import STANCES, TOPICS, _records

import classify
from classify.annotations import from_rows
from classify.errors import DataError, LabelWarning, SchemaError
from classify.schema import LabelSchema
from classify.training import cross_validate


def test_train_on_dicts_infers_the_schema(tiny_model):
    assert tiny_model.heads == ["topics", "stance"]
    assert tiny_model.schema == LabelSchema(TOPICS, STANCES, name="inferred")
    training = tiny_model.info["training"]
    assert training["n_records"] == 24 and training["n_with_answer"] == 22
    assert training["topic_counts"] == {"fleet": 6, "industry": 7, "ukraine": 7}
    assert training["topic_none"] == 5
    assert training["stance_counts"] == {"agree": 8, "disagree": 7, "neutral": 7}
    assert training["fingerprint"].startswith("sha256:")
    assert training["seed"] == 0 and training["cv"] == 2


def test_cross_validation_report(tiny_model):
    report = tiny_model.info["metrics"]
    assert set(report) == {"folds", "grouped_by", "topics", "stance"}
    assert report["folds"] == 2 and report["grouped_by"] == "source document"
    assert set(report["topics"]) == {"n", "per_label", "micro_f1", "macro_f1"}
    assert list(report["topics"]["per_label"]) == list(TOPICS)
    assert set(report["stance"]) == {"n", "per_label", "macro_f1", "accuracy", "confusion_matrix"}
    assert report["stance"]["n"] == 22


def test_cross_validate_needs_two_groups(records):
    for r in records:
        r["id"] = "same-document#" + r["id"].split("#")[1]
    data = from_rows(("x", r) for r in records)
    assert cross_validate(data, LabelSchema(TOPICS, STANCES), cv=5) == {}


def test_train_on_jsonl_path_matches_dicts(records_path, tiny_model):
    model = classify.train(records_path, cv=0)
    assert model.info["training"]["fingerprint"] == tiny_model.info["training"]["fingerprint"]
    assert model.info["training"]["sources"] == [str(records_path)]  # so that `train --base` can reload them
    assert model.info["metrics"] == {}
    assert model.heads == ["topics", "stance"]


def test_train_on_id_only_files_with_corpora_joins_the_texts(records, records_path, tmp_path):
    """``corpora`` gives id-only annotation files their texts, as ``classify train --corpora`` does."""
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    write = lambda path, rows: path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")  # noqa: E731
    write(corpora / "texts.jsonl", [{"id": r["id"], "question": r["question"], "answer": r["answer"]} for r in records])
    labels = tmp_path / "labels.jsonl"
    write(labels, [{"id": r["id"], "topics": r["topics"], "stance": r["stance"]} for r in records])
    model = classify.train(labels, corpora=corpora, cv=0)
    assert model.info["training"]["sources"] == [str(labels)]
    assert model.info["training"]["fingerprint"] == classify.train(records_path, cv=0).info["training"]["fingerprint"]
    write(labels, [{"id": "not-in-corpora", "topics": [], "stance": None}])
    with pytest.raises(DataError, match="1 annotated ids are not in"):
        classify.train([labels], corpora=corpora, cv=0)


def test_fields_as_a_dict(records):
    """fields={"question": "vraag"} gave AttributeError: 'dict' object has no attribute 'topics'."""
    renamed = [{("vraag" if k == "question" else k): v for k, v in r.items()} for r in records]
    model = classify.train(renamed, cv=0, fields={"question": "vraag"})
    assert model.heads == ["topics", "stance"]
    assert classify.evaluate(model, renamed, fields={"question": "vraag"}).keys() == {"topics", "stance"}
    with pytest.raises(DataError, match=r"^fields has unknown key 'qestion'; the keys are id, question, answer, topics, stance\.$"):
        classify.train(renamed, cv=0, fields={"qestion": "vraag"})


def test_train_on_a_dataset(records):
    from datasets import Dataset

    model = classify.train(Dataset.from_list(records), schema=LabelSchema(TOPICS, STANCES), cv=0)
    assert model.heads == ["topics", "stance"]
    assert model.predict(["Schaduwvloot tankers?"], ["Ja, de kustwacht inspecteert tankers."])[0]["stance"] in STANCES


def test_train_and_evaluate_on_a_pandas_frame_with_missing_values(records, tiny_model):
    """A DataFrame's NaN (an unanswered question, an unlabelled stance) is a missing value."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(records)
    assert frame["answer"].isna().any() or frame["stance"].isna().any()
    model = classify.train(frame, cv=0)
    assert model.info["training"]["fingerprint"] == tiny_model.info["training"]["fingerprint"]
    assert classify.evaluate(model, frame) == model.evaluate(from_rows(enumerate(records), model.schema))
    frame.loc[0, "topics"], frame.loc[0, "id"] = float("nan"), pd.NA  # no topics; no id: one is generated
    data = from_rows(enumerate(frame.to_dict(orient="records")))
    assert data.topics[0] == [] and data.ids[0].startswith("sha1:")


def test_schema_from_toml_path_and_mismatch(records, tmp_path):
    path = tmp_path / "schema.toml"
    path.write_text('topics = ["fleet", "ukraine"]\nstances = ["agree", "disagree", "neutral"]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"record 7: unknown topic 'industry'\. Known topics: fleet, ukraine\. Fix the label, or add it to the schema file\."):
        classify.train(records, schema=str(path), cv=0)


def test_schema_mismatch_on_validated_annotations(records):
    data = from_rows(((f"tiny.jsonl:{i + 1}", r) for i, r in enumerate(records)))
    with pytest.raises(SchemaError, match=r"tiny\.jsonl:3: stance 'disagree' is not in the schema \(agree, neutral\); fix the label or add it to the schema"):
        classify.train(data, schema=LabelSchema(TOPICS, ("agree", "neutral")), cv=0)


def test_topics_only_dataset(records):
    for r in records:
        r["stance"] = None
    model = classify.train(records, cv=0)
    assert model.heads == ["topics"] and model.schema.stances == ()
    assert model.predict(["q"], ["Ja."])[0]["stance"] is None


def test_stance_only_dataset_with_full_schema(records):
    for r in records:
        r["topics"] = []
    model = classify.train(records, schema=LabelSchema(TOPICS, STANCES), cv=2)
    assert model.heads == ["stance"]
    assert set(model.info["metrics"]) == {"folds", "grouped_by", "stance"}
    assert model.predict(["q"])[0]["topics"] is None


@pytest.mark.parametrize("schema, heads, unread", [(LabelSchema(TOPICS), ["topics"], "stance"),
                                                    (LabelSchema((), STANCES), ["stance"], "topics")])
def test_a_schema_without_a_head_trains_without_it_from_records_that_carry_its_labels(records, schema, heads, unread):
    n = sum(bool(r["stance"]) for r in records) if unread == "stance" else sum(bool(r["topics"]) for r in records)
    with pytest.warns(LabelWarning, match=rf"^{n} records carried {unread} labels, not read: the schema has no {unread.rstrip('s')} labels"):
        model = classify.train(records, schema=schema, cv=0)
    assert model.heads == heads and model.schema == schema
    assert model.info["training"]["n_records"] == len(records)


def test_records_whose_topics_are_null_teach_the_stance_head_only(records, tmp_path):
    """Stance annotations ("topics": null) trained with topic annotations were examples of 'no topic'
    for every topic; the topic head now learns from the others alone, as if they were not there."""
    topic_only = [r for i, r in enumerate(records) if i % 3]
    stance_extra = [{**r, "id": f"s{i}", "topics": None} for i, r in enumerate(records) if not i % 3]
    mixed = classify.train(topic_only + stance_extra, schema=LabelSchema(TOPICS, STANCES), cv=2)
    alone = classify.train(topic_only, schema=LabelSchema(TOPICS, STANCES), cv=2)
    np.testing.assert_array_equal(mixed.topics.predict_proba([r["question"] for r in records]),
                                  alone.topics.predict_proba([r["question"] for r in records]))
    support = {label: m["support"] for label, m in mixed.info["metrics"]["topics"]["per_label"].items()}
    assert support == {label: m["support"] for label, m in alone.info["metrics"]["topics"]["per_label"].items()}
    assert mixed.info["training"]["topic_none"] == alone.info["training"]["topic_none"]


def test_a_pandas_nan_topic_cell_means_none_as_an_empty_csv_cell_does(records):
    """read_csv gives NaN for an empty topics cell: 'none of the topics', as classify's own CSV reader
    reads it; only None (JSON null) or no field means 'not annotated'."""
    import pandas as pd

    frame = pd.DataFrame([{**r, "topics": ";".join(r["topics"]) if r["topics"] else np.nan} for r in records])
    from_frame = classify.train(frame, cv=0)
    assert from_frame.info["training"]["topic_none"] == sum(1 for r in records if not r["topics"])


def test_no_labels_at_all(records):
    for r in records:
        r["topics"], r["stance"] = [], None
    with pytest.raises(DataError, match="the annotations carry neither topics nor stances; label at least one of them"):
        classify.train(records, cv=0)  # said 'the schema has neither topic nor stance labels', with no schema given
    with pytest.raises(DataError, match="the annotations carry neither topics nor stances; label at least one of them"):
        classify.train(records, schema=LabelSchema(TOPICS, STANCES), cv=0)


def test_a_schema_label_without_examples_warns_at_the_callers_line(records):
    schema = LabelSchema((*TOPICS, "cables"), (*STANCES, "non_committal"))
    with pytest.warns(LabelWarning) as caught:
        model = classify.train(records, schema=schema, cv=0)
    assert [str(w.message) for w in caught] == [
        "topic 'cables' has no example among the 24 annotations, so the model will never predict it. Annotate some (`classify suggest` ranks candidates for it by its schema description) or remove it from the schema.",
        "stance 'non_committal' has no example among the 22 annotations with a stance, so the model will never predict it. Annotate some or remove it from the schema.",
    ]
    assert {w.filename for w in caught} == {__file__}  # the user's line, not classify's internals
    assert not any(row["topics"] and "cables" in row["topics"] for row in model.predict([r["question"] for r in records]))


def test_no_label_warning_when_every_label_has_examples(records):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelWarning)
        classify.train(records, schema=LabelSchema(TOPICS, STANCES), cv=0)


def test_progress_messages(records):
    messages = []
    classify.train(records[:12], cv=0, progress=messages.append)
    assert messages == ["fitting the final model on all annotations"]


def test_same_seed_gives_byte_identical_payload(tiny_model, tmp_path):
    again = classify.train(_records(), cv=2)
    a, b = tiny_model.save(tmp_path / "a"), again.save(tmp_path / "b")

    def digests(path):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.glob("*.npy"))}

    assert digests(a) and digests(a) == digests(b)
    assert again.info == tiny_model.info


def test_parse_params_reads_json_values_and_checks_them():
    from classify.training import parse_params

    assert parse_params(["topic_loss=ridge", "topic_alpha=0.5", "char_range=[3, 5]", "topic_class_weight=null"]) == {
        "topic_loss": "ridge", "topic_alpha": 0.5, "char_range": [3, 5], "topic_class_weight": None}
    assert parse_params(None) == {}
    assert parse_params(["topic_class_weight=None", "n_features=1e6"]) == {"topic_class_weight": None, "n_features": 1000000}
    assert parse_params(["strip_accents=false"]) == parse_params(["strip_accents=False"]) == {"strip_accents": False}
    for pair, message in [
        ("n_features=2.5", "training parameter n_features must be a whole number (default 1048576); got '2.5'."),
        ("topic_los=ridge", "unknown training parameter 'topic_los'. Did you mean 'topic_loss'? Known: topic_C,"),
        ("topic_alpha=abc", "training parameter topic_alpha must be a number (default 0.3); got 'abc'."),
        ("char_range=[3]", "training parameter char_range must be a list of 2 integers like [2, 5]; got '[3]'."),
        ("strip_accents=1", "training parameter strip_accents must be true or false (default true); got '1'."),
        ("char_weight=heavy", "training parameter char_weight must be a number (default 1.0); got 'heavy'."),
        ("ridge", "training parameter 'ridge' is not KEY=VALUE; e.g. topic_loss=ridge."),
    ]:
        with pytest.raises(DataError) as err:
            parse_params([pair])
        assert message in str(err.value)


def test_params_reach_the_heads_and_the_manifest(records):
    model = classify.train(records, cv=0, params={"topic_loss": "ridge", "topic_alpha": 0.5, "topic_class_weight": None, "strip_accents": False,
                                                  "char_weight": 1.5})
    assert (model.topics.loss, model.topics.alpha, model.topics.class_weight) == ("ridge", 0.5, None)
    assert model.topics.features_.strip_accents is model.stance.answer_features_.strip_accents is False
    assert model.topics.features_.char_weight == model.stance.answer_features_.char_weight == 1.5
    assert model.info["training"]["params"]["topic_alpha"] == 0.5


@pytest.mark.parametrize("cv", [1, -2, 2.5, True])
def test_cv_is_zero_or_at_least_two_folds(records, cv):
    with pytest.raises(DataError, match=rf"cv must be 0 \(no cross-validation\) or a number of folds of at least 2, got {cv!r}\."):
        classify.train(records, cv=cv)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "7"])
def test_the_seed_is_checked_before_any_work(records, seed):
    """numpy's generators and scikit-learn take 0 .. 2**32 - 1: other seeds failed mid-training with their traceback."""
    with pytest.raises(DataError, match=rf"^seed must be a whole number from 0 to 4294967295 \(what numpy's generators take\), got {re.escape(repr(seed))}\.$"):
        classify.train(records, seed=seed)


def test_numpy_numbers_train_and_save(records, tmp_path):
    """A seed from np.arange trained, then Model.save failed: 'Object of type int64 is not JSON serializable'."""
    model = classify.train(records, seed=np.int64(3), cv=np.int64(0), params={"n_features": np.int64(2**16), "char_range": np.array([2, 4])})
    model.save(tmp_path / "m")
    training = classify.load(tmp_path / "m").info["training"]
    assert (training["seed"], training["cv"], training["params"]["n_features"], training["params"]["char_range"]) == (3, 0, 2**16, [2, 4])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_features": 2**40}, r"n_features must be a whole number from 1 to 16777216 \(2\*\*24; default 2\*\*20\), got 1099511627776"),
        ({"topic_C": -1}, r"C must be a number > 0 \(inverse regularisation strength"),
        ({"stance_C": 0}, r"C must be a number > 0 \(inverse regularisation strength"),
        ({"topic_class_weight": "bal"}, r"class_weight must be 'balanced' or None; got 'bal'"),
        ({"prior_weight": -1}, r"prior_weight must be a number >= 0"),
        ({"question_weight": -1}, r"question_weight must be a number >= 0"),
        ({"topic_loss": "foo"}, r"loss must be one of auto, ridge, log, squared_hinge; got 'foo'"),
        ({"char_weight": -0.5}, r"char_weight must be a number >= 0 \(0 switches the char block off\); got -0\.5"),
        ({"char_range": [5, 2]}, r"char_range must be \(lo, hi\) with 1 <= lo <= hi, or \(0, 0\); got \(5, 2\)"),
    ],
)
def test_a_bad_param_fails_before_any_work(records, params, message):
    """It failed only when the first fold started fitting (after reading, after "fold 1/2"), naming
    the estimator's parameter (alpha) rather than the one the user gave (topic_alpha)."""
    messages = []
    given = ", ".join(f"{key}={value!r}" for key, value in params.items())
    with pytest.raises(DataError, match=message + r".* Training parameters given: " + re.escape(given)):
        classify.train(records, cv=2, params=params, progress=messages.append)
    assert messages == []


def test_a_bad_param_ends_cross_validation_at_its_first_fold(records):
    """Not swallowed as an 'empty fold' where cross_validate is called without train's check."""
    from classify.training import _as_annotations, cross_validate

    messages = []
    data = _as_annotations(records, None, classify.annotations.Fields())
    with pytest.raises(DataError, match="loss must be one of"):
        cross_validate(data, classify.schema.LabelSchema.infer(data.topics, data.stances), cv=2, params={"topic_loss": "foo"},
                       progress=messages.append)
    assert messages == ["cross-validation fold 1/2"]


def test_a_fold_without_labels_of_either_head_is_skipped(records):
    """Labels only in docA's records: the fold that trains without docA has nothing to learn from."""
    for r in records:
        if not r["id"].startswith("docA#"):
            r["topics"], r["stance"] = [], None
    report = cross_validate(from_rows(("x", r) for r in records), LabelSchema(TOPICS, STANCES), cv=2)
    assert report["folds"] == 2 and report["topics"]["n"] == len(records)


def test_unknown_param_in_the_api_names_the_closest(records):
    with pytest.raises(DataError, match="unknown training parameter 'topic_alfa'. Did you mean 'topic_alpha'?"):
        classify.train(records, cv=0, params={"topic_alfa": 0.5})


def test_a_one_letter_typo_of_a_short_code_is_warned_about():
    """FEIT x5 beside FEJT x1 trained a stance FEJT without a word (the similarity ratio of 4-letter codes is 0.75)."""
    rows = [{"id": str(i), "question": f"Vraag {i}?", "answer": "Antwoord.", "stance": s}
            for i, s in enumerate(["FEIT"] * 5 + ["FEJT"] + ["DEFL"] * 6)]
    with pytest.warns(LabelWarning, match=r"stances 'FEJT' \(1 record\) and 'FEIT' \(5\) look like one label misspelled"):
        classify.train(rows, cv=0)


def test_without_a_schema_lookalike_labels_are_warned_about(records):
    """Every spelling is a label of its own: VERVOERBELEID beside vervoerbeleid, or a one-off
    typo, became 1-example labels the model then predicted (macro F1 0.94 -> 0.61)."""
    rows = [dict(r) for r in records]
    common = max({t for r in rows for t in r["topics"]}, key=lambda t: sum(t in r["topics"] for r in rows))
    m = sum(common in r["topics"] for r in rows)
    rows[0]["topics"] = [common.upper()]
    rows[1]["topics"] = [common[:-2] + common[-1] + common[-2]]  # two letters swapped
    with pytest.warns(LabelWarning) as caught:
        classify.train(rows, cv=0)
    messages = sorted(str(w.message) for w in caught if "trained as two labels" in str(w.message))
    left = m - sum(common in r["topics"] for r in records[:2])  # records 0 and 1 no longer carry it
    assert messages == sorted([
        f"topics {common.upper()!r} (1 record) and {common!r} ({left}) differ only in case, and are trained as two labels. "
        "Write one spelling, or train with a schema (schema= in Python, --schema on the command line) to have any other spelling refused.",
        f"topics {rows[1]['topics'][0]!r} (1 record) and {common!r} ({left}) look like one label misspelled, and are trained as two "
        "labels. Write one spelling, or train with a schema (schema= in Python, --schema on the command line) to have any other spelling refused.",
    ])


def test_cross_validation_skipped_for_one_source_document_says_why(records):
    """Folds keep a document's questions together: records of one document cannot be split, and
    --cv 5 gave a model without figures and without a word."""
    one_document = [dict(r, id=f"docA#{i}") for i, r in enumerate(records, 1)]
    with pytest.warns(LabelWarning, match=r"not cross-validated: all 24 records come from one source document \('docA'\)"):
        model = classify.train(one_document, cv=5)
    assert model.info["metrics"] == {}
