"""The numpy-only fitted parts: what a loaded model predicts with, identical to the estimators."""

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import classify
from classify.errors import DataError
from classify.fitted import FittedFeatures, FittedStance, FittedTopics, as_pairs, as_texts, canonical, weighted_margin
from classify.stance import StanceClassifier
from classify.topics import TopicClassifier

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["Komt er meer steun voor Oekraïne?", "Hoe staat het met de schaduwvloot in de Oostzee?", ""]
ANSWERS = ["Ja, het kabinet zal dat doen.", "Het kabinet wacht het onderzoek af.", "Nee."]


def test_as_texts():
    assert as_texts(["a", None]) == ["a", ""]
    with pytest.raises(DataError, match=r"X must be a sequence of texts, got a single string; wrap it in a list: \['abc'\]"):
        as_texts("abc")
    with pytest.raises(DataError, match=r"X\[1\] is int 5; expected a text \(str\) or None"):
        as_texts(["a", 5])
    # None and 5 raised TypeError ("not iterable"); a dict gave its keys, a set an undefined order
    for value, says in [(None, r"NoneType None"), (5, r"int 5"), ({"question": "a"}, r"dict \{'question': 'a'\}"),
                        ({"a"}, r"set \{'a'\}")]:
        with pytest.raises(DataError, match=rf"^X is {says}; pass a list \(or other sequence\) of texts"):
            as_texts(value)
    assert as_texts(t for t in ["a", "b"]) == ["a", "b"]  # a generator is a sequence of texts


def test_texts_that_look_the_same_are_read_the_same():
    """'Oekraïne' typed as 'i' + combining diaeresis (NFD) took ukraine_support from 0.85 to 0.03, and a
    soft hyphen or zero-width space inside 'schaduwvloot' shadow_fleet from 0.82 to 0.04."""
    nfd = unicodedata.normalize("NFD", "Steun aan Oekraïne?")
    assert nfd != "Steun aan Oekraïne?" and as_texts([nfd]) == ["Steun aan Oekraïne?"]
    for invisible in ("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u202a"):
        assert canonical(f"schaduw{invisible}vloot – ë") == "schaduwvloot – ë"
    assert canonical("plain ASCII\u0000") == "plain ASCII\u0000"  # ASCII passes untouched


def test_a_pandas_missing_value_counts_as_no_text():
    """A table read with pandas has NaN (or pandas.NA) where an answer is missing: as None."""
    pd = pytest.importorskip("pandas")
    answers = pd.Series(["Ja.", None, float("nan")], dtype=object)
    assert as_texts(answers) == ["Ja.", "", ""]
    assert as_texts(answers.astype("string")) == ["Ja.", "", ""]  # pandas.NA
    with pytest.raises(DataError, match=r"X\[0\] is float 1.5"):
        as_texts([1.5])


def test_as_texts_names_the_fix_for_records():
    with pytest.raises(DataError, match=r"questions\[0\] is a dict \(keys \['answer', 'question'\]\); pass the texts"):
        as_texts([{"question": "q", "answer": "a"}], what="questions")


def test_as_pairs_accepts_arrays():
    q, a = as_pairs(np.array([["vraag", "antwoord"]], dtype=object))
    assert q == ["vraag"] and a == ["antwoord"]


def test_a_table_is_no_sequence_of_texts_but_a_two_column_one_is_pairs():
    """Iterating a DataFrame gives its column names: model.predict(df) labelled them and dropped
    every row (73 records in, 2 results out)."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [1, 2], "vraag": ["Steun?", "Munitie?"], "antwoord": ["Ja.", None]})
    with pytest.raises(DataError, match=r"^questions is a table \(columns id, vraag, antwoord\); pass its columns of texts, "
                                        r"e\.g\. model\.predict\(df\['vraag'\], df\['antwoord'\]\)\.$"):
        as_texts(df, what="questions")
    with pytest.raises(DataError, match=r"^X is a 2-dimensional array; pass a sequence of texts \(one dimension\)\.$"):
        as_texts(np.array([["a", "b"]]))
    assert as_pairs(df[["vraag", "antwoord"]]) == (["Steun?", "Munitie?"], ["Ja.", ""])


def test_a_loaded_model_predicts_with_the_fitted_parts(tiny_model, tiny_model_dir):
    loaded = classify.load(tiny_model_dir)
    assert type(loaded._topics) is FittedTopics and type(loaded._stance) is FittedStance
    assert type(loaded._topics.features_) is FittedFeatures
    assert loaded.predict(QUESTIONS, ANSWERS) == tiny_model.predict(QUESTIONS, ANSWERS)
    assert loaded.thresholds == tiny_model.thresholds
    for mine, theirs in zip(loaded.predict_proba(QUESTIONS, ANSWERS), tiny_model.predict_proba(QUESTIONS, ANSWERS), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_heads_become_estimators_on_first_use(tiny_model_dir):
    loaded = classify.load(tiny_model_dir)
    before = loaded.predict_proba(QUESTIONS, ANSWERS)
    assert isinstance(loaded.topics, TopicClassifier) and isinstance(loaded.stance, StanceClassifier)
    assert loaded.topics is loaded.topics  # rebuilt once
    assert loaded.topics.get_params()["features"].get_params()["char_range"] == loaded.topics.features_.char_range
    after = loaded.predict_proba(QUESTIONS, ANSWERS)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.heads == ["topics", "stance"]


def test_fitted_state_round_trips(tiny_model):
    for head, cls in ((tiny_model.topics, FittedTopics), (tiny_model.stance, FittedStance)):
        meta, arrays = head.get_state()
        fitted = cls.from_state(meta, arrays)
        again_meta, again_arrays = fitted.get_state()
        assert again_meta == meta
        for key, value in arrays.items():
            np.testing.assert_array_equal(again_arrays[key], value)


def test_unfitted_parts_raise_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="FittedFeatures instance is not fitted yet"):
        FittedFeatures().dot(["x"], np.zeros((2**20, 1), np.float32))
    with pytest.raises(NotFittedError, match="FittedTopics"):
        FittedTopics().predict_proba(["x"])
    with pytest.raises(NotFittedError, match="FittedStance"):
        FittedStance().predict_proba([("x", "y")])


def test_loading_and_labelling_never_import_scikit_learn_or_scipy():
    # ~2 s of a fresh process's start: loading and labelling must stay numpy-only. (numba, when
    # installed, imports scipy.linalg's BLAS bindings itself: ~0.1 s, measured in THROUGHPUT.md.)
    code = (
        "import sys, classify; m = classify.load(); "
        "m.predict(['Komt er meer steun voor Oekraïne?'], ['Ja, het kabinet zal dat doen.']); "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'sklearn', 'scipy', 'pandas'}))"
    )
    env = {**os.environ, "CLASSIFY_NO_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_weighted_margin_ranks_by_log_odds_or_by_score_minus_weighted_threshold():
    from classify.linear import sigmoid

    platt, thresholds = np.array([[2.0, -1.0], [0.5, 0.3]]), np.array([0.3, 0.6])
    scores = np.array([[0.2, 1.0], [-1.0, 4.0]])
    proba = sigmoid(platt[:, 0] * scores + platt[:, 1])
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    np.testing.assert_allclose(weighted_margin(proba, platt, thresholds), logit(proba) - logit(thresholds))
    raw_threshold = (logit(thresholds) - platt[:, 1]) / platt[:, 0]
    np.testing.assert_allclose(weighted_margin(proba, platt, thresholds, 0.5), scores - 0.5 * raw_threshold)
    flat = np.array([[0.0, 2.0], [0.5, 0.3]])  # the first label's calibration found no slope: last, whatever its probability
    assert (weighted_margin(np.array([[0.99, 0.01]]), flat, thresholds, 0.5)[:, 0] == -np.inf).all()
