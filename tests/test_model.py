"""Tests of classify.model: the Model users hold (schema + topic and/or stance head)."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import STANCES, TOPICS, _records

from classify.errors import DataError
from classify.features import TextFeatures
from classify.model import Model, _rounded, indicator
from classify.schema import LabelSchema
from classify.stance import StanceClassifier
from classify.topics import TopicClassifier

KEYS = {"topics", "topic_scores", "stance", "stance_scores"}


@pytest.fixture(scope="module")
def heads():
    rows = _records()
    topics = TopicClassifier(labels=TOPICS, features=TextFeatures(n_features=2**12), cv=2)
    topics.fit([r["question"] for r in rows], indicator([r["topics"] for r in rows], TOPICS))
    rows = [r for r in rows if r["stance"]]
    stance = StanceClassifier(labels=STANCES, features=TextFeatures(n_features=2**12))
    stance.fit([(r["question"], r["answer"]) for r in rows], [r["stance"] for r in rows])
    return topics, stance


@pytest.fixture(scope="module")
def model(heads):
    return Model(LabelSchema(TOPICS, STANCES), *heads)


def test_predict_returns_the_four_fields(model):
    out = model.predict(["Steunt u Oekraïne met munitie?", "Hoeveel tankers van de schaduwvloot?"], ["Ja, wij leveren munitie.", "Nee."])
    assert len(out) == 2
    for result in out:
        assert set(result) == KEYS
        assert set(result["topics"]) <= set(TOPICS)
        assert list(result["topic_scores"]) == list(TOPICS)  # schema order
        assert list(result["stance_scores"]) == list(STANCES)
        assert result["stance"] in STANCES
        assert math.isclose(sum(result["stance_scores"].values()), 1.0, abs_tol=1e-3)
        assert all(0 <= v <= 1 for v in result["topic_scores"].values())
    assert out[0]["topics"] == ["ukraine"]
    assert out[0]["stance"] == "agree"


def test_topics_are_those_at_or_above_threshold(model):
    questions = [r["question"] for r in _records()]
    P, _ = model.predict_proba(questions)
    for row, result in zip(P, model.predict(questions)):
        assert result["topics"] == [t for j, t in enumerate(TOPICS) if row[j] >= model.thresholds[t]]


@pytest.mark.parametrize("answer", [None, "", "   \n", float("nan"), np.float32("nan")])  # NaN: pandas' missing answer (float32: a numpy column)
def test_no_answer_no_stance(model, answer):
    [result] = model.predict(["Steunt u Oekraïne?"], [answer])
    assert result["stance"] is None and result["stance_scores"] is None
    assert result["topic_scores"] is not None


def test_answers_omitted(model):
    out = model.predict(["Steunt u Oekraïne?", "Schaduwvloot?"])
    assert [r["stance"] for r in out] == [None, None]
    topic_p, stance_p = model.predict_proba(["a", "b"])
    assert topic_p.shape == (2, 3) and stance_p.shape == (2, 3) and np.isnan(stance_p).all()


def test_mixed_answers_keep_order(model):
    out = model.predict(["a?", "b?", "c?"], ["Ja, zeker.", None, "Nee, dat doen wij niet."])
    assert out[0]["stance"] is not None and out[1]["stance"] is None and out[2]["stance"] is not None
    alone = model.predict(["c?"], ["Nee, dat doen wij niet."])[0]
    assert alone["stance_scores"] == out[2]["stance_scores"]


def test_empty_input(model):
    assert model.predict([]) == []
    topic_p, stance_p = model.predict_proba([])
    assert topic_p.shape == (0, 3) and stance_p.shape == (0, 3)


def test_length_mismatch(model):
    with pytest.raises(DataError, match=r"2 questions but 1 answers; pass one answer \(or None\) per question"):
        model.predict(["a", "b"], ["x"])


def test_single_string_is_refused(model):
    with pytest.raises(DataError, match=r"questions must be a sequence of texts, got a single string; wrap it in a list"):
        model.predict("Steunt u Oekraïne?")


def test_heads_thresholds_and_repr(model, heads):
    assert model.heads == ["topics", "stance"]
    assert list(model.thresholds) == list(TOPICS)
    assert model.thresholds["fleet"] == heads[0].thresholds_[0]
    assert repr(model) == "<classify.Model heads=['topics', 'stance'] topics=['fleet', 'industry', 'ukraine'] stances=['agree', 'disagree', 'neutral']>"


def test_topic_head_only(heads):
    model = Model(LabelSchema(TOPICS), topics=heads[0])
    assert model.heads == ["topics"]
    [result] = model.predict(["Schaduwvloot in de Noordzee?"], ["Ja."])
    assert result["stance"] is None and result["stance_scores"] is None
    assert result["topics"] is not None
    assert model.predict([]) == []


def test_stance_head_only(heads):
    model = Model(LabelSchema(stances=STANCES), stance=heads[1])
    assert model.heads == ["stance"] and model.thresholds == {}
    out = model.predict(["Steunt u dit?", "En dit?"], ["Ja, zeker.", None])
    assert out[0]["topics"] is None and out[0]["topic_scores"] is None
    assert out[0]["stance"] in STANCES and out[1]["stance"] is None
    assert model.predict([]) == []


def test_stance_head_only_with_topics_in_schema(heads):
    # a stance-only training set checked against a schema that also lists topics
    model = Model(LabelSchema(TOPICS, STANCES), stance=heads[1])
    assert model.predict(["q?"], ["Ja."])[0]["topics"] is None
    assert model.predict([]) == []


@pytest.mark.parametrize(("schema", "message"), [
    (LabelSchema(TOPICS[::-1], STANCES), r"^the topic head's labels \['fleet', 'industry', 'ukraine'\] are not the schema's topics \['ukraine', 'industry', 'fleet'\]; they name its columns, in order\. "),
    (LabelSchema(TOPICS[:2], STANCES), r"^the topic head's labels .* are not the schema's topics \['fleet', 'industry'\]"),
    (LabelSchema(TOPICS, STANCES[::-1]), r"^the stance head's labels \['agree', 'disagree', 'neutral'\] are not the schema's stances"),
])
def test_a_schema_that_does_not_name_the_heads_columns_is_refused(heads, schema, message):
    """Model(schema, heads) took the schema's labels as the columns' names: with other labels or
    another order a railway question came back with another topic, and save/load kept it."""
    with pytest.raises(DataError, match=message):
        Model(schema, *heads)


def test_evaluate(model):
    from classify.annotations import from_rows

    data = from_rows(((f"r{i}", r) for i, r in enumerate(_records())), model.schema)
    report = model.evaluate(data)
    assert set(report) == {"topics", "stance"}
    assert report["topics"]["n"] == 24
    assert report["stance"]["n"] == 22  # two records have no stance
    assert report["stance"]["accuracy"] > 0.9
    assert report["topics"]["seen_in_training"] is None  # a model built in code knows no training ids


def test_evaluate_counts_the_records_the_model_was_trained_on(tiny_model):
    """Figures on a model's own training records are optimistic (0.97 micro F1 where cross-validation
    gave 0.47): each head's report says how many of its records those are."""
    from classify.annotations import from_rows

    rows = _records()
    rows[0].update(id="new#1", question="Een vraag die nergens in de trainingsdata staat?")  # neither its id nor its text
    rows[1]["id"] = "export-2#7"  # another export's id for a training question: recognised by its text
    report = tiny_model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(rows)), tiny_model.schema))
    assert report["topics"]["seen_in_training"] == 23 and report["stance"]["seen_in_training"] == 21
    assert tiny_model.seen_in_training(["docA#1", "docA#1", "new#1", ["docA#1"]]) == 2  # records, not distinct ids


def test_training_records_are_recognised_by_their_text(tiny_model):
    """Whitespace, case, NFD and invisible characters do not hide a training record; the same question
    answered otherwise is another record (its stance was never annotated) but the same question for
    topics (question_only); ids alone are matched where no text is given, and by models saved before
    texts were recorded."""
    first = _records()[0]
    question, answer = first["question"], first["answer"]
    disguised = "  " + question.upper().replace(" ", "\u202f", 1) + "\u00ad\n"
    assert tiny_model.seen_in_training(["x#1", "x#2", "x#3"], [disguised, question, None], [answer, "Nee, nooit.", None]) == 1
    assert tiny_model.seen_in_training(["x#1", "x#2"], [disguised, question], [answer, "Nee, nooit."], question_only=True) == 2
    assert tiny_model.seen_in_training(["x#1"]) == 0
    with pytest.raises(DataError, match="2 ids, 1 questions and 2 answers"):
        tiny_model.seen_in_training(["x#1", "x#2"], [question])
    import copy

    older = copy.copy(tiny_model)
    older.info = {**tiny_model.info, "training": {k: v for k, v in tiny_model.info["training"].items() if not k.endswith("_keys")}}
    older.__dict__.pop("_trained", None)
    assert older.seen_in_training(["x#1", "docA#1"], [question, "?"], [answer, None]) == 1  # by id only


def test_indicator():
    np.testing.assert_array_equal(indicator([["b"], [], ["a", "b"]], ["a", "b"]), [[0, 1], [0, 0], [1, 1]])


def test_evaluate_scores_labels_the_model_does_not_know_as_missed(model):
    """A held-out split whose test side has a label the training side lacked: unknown_labels="miss"
    scores it (recall 0, in the macro F1) and says so; the default stops, naming the labels."""
    from classify.annotations import from_rows
    from classify.errors import LabelWarning

    rows = _records()
    rows[0]["topics"] = [*rows[0]["topics"], "airports"]
    rows[1]["topics"] = ["airports"]
    rows[2]["stance"] = "refuse" if rows[2]["answer"] else rows[2]["stance"]
    data = from_rows(((f"r{i}", r) for i, r in enumerate(rows)), None)
    with pytest.raises(DataError, match=r"^r0: unknown topic 'airports'\. Known topics: .* The model was trained with another label schema: .*--unknown-labels miss"):
        model.evaluate(data)
    with pytest.warns(LabelWarning, match=r"scored as missed, not labels of the model: topic 'airports' \(2 records\), stance 'refuse'"):
        report = model.evaluate(data, unknown_labels="miss")
    topics, stance = report["topics"], report["stance"]
    assert topics["per_label"]["airports"] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 2, "predicted": 0}
    assert topics["not_in_model"] == ["airports"] and stance["not_in_model"] == ["refuse"]
    known = model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(_records())), model.schema))
    assert topics["macro_f1"] < known["topics"]["macro_f1"]  # counted, as a label the model never predicts
    matrix = stance["confusion_matrix"]["matrix"]
    assert stance["confusion_matrix"]["labels"][-1] == "refuse" and sum(matrix[-1]) == 1 and sum(row[-1] for row in matrix) == 0  # never predicted
    assert stance["per_label"]["refuse"]["recall"] == 0.0 and stance["accuracy"] < known["stance"]["accuracy"]
    with pytest.raises(DataError, match=r"^unknown labels 'skip': use 'error' .* or 'miss'"):
        model.evaluate(data, unknown_labels="skip")


def test_a_model_is_scored_on_the_heads_it_has(heads):
    """A topic-only model on a file that also carries stances: the stances are neither scored nor refused
    (they were, as labels unknown to its schema)."""
    from classify.annotations import from_rows

    topic_only = Model(LabelSchema(TOPICS, ()), heads[0])
    report = topic_only.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(_records())), None))
    assert set(report) == {"topics"} and report["topics"]["n"] == 24


def test_evaluate_annotations_without_stances(model):
    from classify.annotations import from_rows

    rows = [{**r, "stance": None} for r in _records()]
    report = model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(rows)), model.schema))
    assert report["topics"]["n"] == 24
    assert "stance" not in report  # was: n=0, macro F1 0.000, accuracy 0.000


@pytest.mark.parametrize("topics", ["left out", None, ""])  # "": a CSV's empty column
def test_evaluate_stance_only_annotations_scores_no_topics(model, topics):
    """Records without a topics field were scored as 'no topic': every topic F1 0.0, micro and macro 0.0."""
    from classify.annotations import from_rows

    rows = [{k: v for k, v in r.items() if k != "topics"} if topics == "left out" else {**r, "topics": topics} for r in _records()]
    report = model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(rows)), model.schema))
    assert set(report) == {"stance"} and report["stance"]["n"] == 22


def test_records_whose_topics_are_null_are_scored_on_their_stance_only(model):
    """A topic file and a stance file evaluated together: the stance records ("topics": null) counted
    as topic negatives (each prediction on them a false positive). [] still means 'none of them'."""
    from classify.annotations import from_rows

    records = _records()
    rows = [{**r, "topics": None} if i % 2 else r for i, r in enumerate(records)]
    report = model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(rows)), model.schema))
    alone = model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(records) if not i % 2), model.schema))
    assert report["topics"] == alone["topics"] and report["stance"]["n"] == 22
    emptied = [{**r, "topics": []} if i % 2 else r for i, r in enumerate(records)]
    assert model.evaluate(from_rows(((f"r{i}", r) for i, r in enumerate(emptied)), model.schema))["topics"] != alone["topics"]


def test_both_heads_read_the_question_with_one_featuriser(tiny_model, records):
    from classify.fitted import same_features

    assert same_features(tiny_model.topics.features_, tiny_model.stance.question_features_)
    questions, answers = [r["question"] for r in records], [r["answer"] for r in records]
    fused = tiny_model.predict_proba(questions, answers)
    assert tiny_model._shared_question() is not None
    # the same model scored head by head, without the joined pass
    topics = tiny_model.topics.predict_proba(questions)
    has = [i for i, a in enumerate(answers) if a and a.strip()]
    stance = tiny_model.stance.predict_proba([(questions[i], answers[i]) for i in has])
    np.testing.assert_allclose(fused[0], topics, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fused[1][has], stance, rtol=0, atol=1e-12)


def test_a_stance_head_with_its_own_question_featuriser_is_scored_alone(tiny_model, records):
    import pickle

    from classify.model import Model
    from classify.stance import StanceClassifier

    stance = StanceClassifier(labels=tiny_model.schema.stances).fit(
        [(r["question"], r["answer"]) for r in records if r["stance"]], [r["stance"] for r in records if r["stance"]])
    model = Model(tiny_model.schema, tiny_model.topics, stance)
    assert model._shared_question() is None  # salt 2: models trained before the heads shared it
    out = model.predict([r["question"] for r in records], [r["answer"] for r in records])
    assert [p["stance"] for p in out if p["stance"]]
    assert "_shared" not in pickle.loads(pickle.dumps(tiny_model)).__dict__  # the joined weights stay behind


def test_rounded_scores_are_pythons_round_even_at_halves():
    rng = np.random.default_rng(0)
    x = np.r_[rng.random(200_000), (np.arange(20001) + 0.5) / 1e4, np.arange(10001) / 1e4, [0.12345, 0.00005, 0.99995, 0.5]]
    x = np.r_[x, np.nextafter(x, 2), np.nextafter(x, -1)].clip(0, 1).reshape(-1, 2)
    assert _rounded(x) == [[round(float(v), 4) for v in row] for row in x]
