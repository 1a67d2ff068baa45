"""Tests of classify.stance: the single-label stance head as a scikit-learn estimator."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import _records
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from classify.errors import DataError
from classify.features import TextFeatures
from classify.stance import StanceClassifier

LABELS = ("agree", "disagree", "neutral")


@pytest.fixture(scope="module")
def data():
    rows = [r for r in _records() if r["stance"] is not None]
    return [(r["question"], r["answer"]) for r in rows], [r["stance"] for r in rows]


def make(**params) -> StanceClassifier:
    return StanceClassifier(labels=LABELS, features=TextFeatures(n_features=2**12), **params)


@pytest.fixture(scope="module")
def fitted(data):
    return make().fit(*data)


def test_fit_predict_shapes(fitted, data):
    X, y = data
    assert list(fitted.classes_) == list(LABELS)
    P = fitted.predict_proba(X)
    assert P.shape == (len(X), 3)
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    pred = fitted.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(LABELS)
    assert (pred == np.asarray(y)).mean() > 0.9


def test_empty_input(fitted):
    assert fitted.predict_proba([]).shape == (0, 3)
    assert fitted.predict([]).shape == (0,)


def test_answer_features_use_distinct_salts(fitted):
    assert fitted.answer_features_.salt == 1 and fitted.question_features_.salt == 2
    assert fitted.features.salt == 0  # the template is not touched


def test_label_never_seen_gets_zero_probability(data):
    X, y = data
    clf = make().set_params(labels=LABELS + ("non_committal",)).fit(X, y)
    assert clf.predict_proba(X)[:, -1].max() < 1e-6


def test_two_labels_spread_symmetrically(data):
    X, y = data
    keep = [i for i, s in enumerate(y) if s != "neutral"]
    clf = make().set_params(labels=["agree", "disagree"]).fit([X[i] for i in keep], [y[i] for i in keep])
    np.testing.assert_allclose(clf.weights_[:, 0], -clf.weights_[:, 1])
    P = clf.predict_proba([X[i] for i in keep])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_a_single_stance_seen(data):
    X, _ = data
    clf = make().fit(X, ["agree"] * len(X))
    assert set(clf.predict(X)) == {"agree"}


def test_default_labels_are_sorted(data):
    X, y = data
    clf = StanceClassifier(features=TextFeatures(n_features=2**10)).fit(X, y)
    assert list(clf.classes_) == sorted(set(y))


def test_labels_keep_their_type(data):
    """Integer stance codes predict integers, as scikit-learn's classifiers do: strings made
    .score() raise and cross_val_score give nan."""
    from sklearn.model_selection import cross_val_score

    X, y = data
    codes = {label: k for k, label in enumerate(sorted(set(y)))}
    y_int = np.array([codes[v] for v in y])
    clf = StanceClassifier(features=TextFeatures(n_features=2**10)).fit(X, y_int)
    assert clf.classes_.tolist() == sorted(codes.values()) and clf.predict(X[:3]).dtype == y_int.dtype
    assert 0 <= clf.score(X, y_int) <= 1
    assert not np.isnan(cross_val_score(StanceClassifier(features=TextFeatures(n_features=2**10)), X, y_int, cv=2)).any()


def test_question_weight_zero_ignores_the_question(data):
    X, y = data
    clf = make(question_weight=0).fit(X, y)
    a = clf.predict_proba([("Komt er steun?", "Ja.")])
    b = clf.predict_proba([("Iets heel anders", "Ja.")])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "X, y, message",
    [
        ([("q", "a")], ["agree", "agree"], r"X has 1 pairs but y has 2 labels; give one stance per pair"),
        ([("q", "a"), ("q", "b")], ["agree", None], r"y\[1\] has no stance \(None, NaN or empty\); drop records without a stance before fitting"),
        # pandas' missing values were learned as a class "nan" (object/category columns) or raised TypeError (string dtype)
        ([("q", "a"), ("q", "b")], ["agree", float("nan")], r"y\[1\] has no stance"),
        ([("q", "a"), ("q", "b")], pd.Series(["agree", None], dtype="category"), r"y\[1\] has no stance"),
        ([("q", "a"), ("q", "b")], pd.Series(["agree", pd.NA], dtype="string"), r"y\[1\] has no stance"),
        ("qa", ["agree"], r"X must be a sequence of \(question, answer\) pairs, got a single string"),
        ([("q", "a", "c")], ["agree"], r"X\[0\] is .*; expected a \(question, answer\) pair"),
        ([("q", 5)], ["agree"], r"answer\[0\] is int 5; expected a text"),
    ],
)
def test_bad_input(X, y, message):
    with pytest.raises(DataError, match=message):
        make().fit(X, y)


def test_clone_and_params():
    clf = make(C=2.0, question_weight=0.25)
    params = clf.get_params()
    assert params["C"] == 2.0 and params["question_weight"] == 0.25 and params["features__n_features"] == 2**12
    twin = clone(clf)
    assert twin.get_params()["C"] == 2.0 and twin.features is not clf.features
    assert clf.set_params(C=5.0).C == 5.0


def test_nested_featuriser_params_on_a_default_head():
    """``features__*`` / ``question_features__*`` while those are None (the defaults): the question's
    default is the template with salt 2, as fitting builds it."""
    head = StanceClassifier().set_params(features__n_features=2**12, question_features__char_range=(3, 4))
    assert head.features.get_params() == TextFeatures(n_features=2**12).get_params()
    assert head.question_features.get_params() == TextFeatures(char_range=(3, 4), salt=2).get_params()
    following = StanceClassifier(features=TextFeatures(n_features=2**10)).set_params(question_features__char_weight=0.5)
    assert following.question_features.get_params() == TextFeatures(n_features=2**10, char_weight=0.5, salt=2).get_params()


def test_fits_in_threads_are_the_sequential_fit(data):
    """liblinear's random generator is one per process: four fits in two threads gave four models."""
    from concurrent.futures import ThreadPoolExecutor

    def probabilities(_):
        return make().fit(*data).predict_proba(data[0])

    alone = probabilities(0)
    with ThreadPoolExecutor(2) as pool:
        for together in pool.map(probabilities, range(4)):
            np.testing.assert_array_equal(together, alone)


def test_deterministic(data):
    a, b = make().fit(*data), make().fit(*data)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)


def test_grid_search(data):
    X, y = data
    search = GridSearchCV(make(), {"C": [1.0, 10.0]}, cv=2, scoring="accuracy").fit(X, y)
    assert search.best_params_["C"] in (1.0, 10.0)
    assert set(search.predict(X[:3])) <= set(LABELS)


def test_state_round_trip(fitted, data):
    X, _ = data
    meta, arrays = fitted.get_state()
    back = StanceClassifier.from_state(meta, arrays)
    np.testing.assert_array_equal(back.predict_proba(X), fitted.predict_proba(X))
    assert back.get_params()["question_weight"] == fitted.question_weight


def test_unfitted_predict_proba_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make().predict_proba([("q", "a")])


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make().predict([("q", "a")])


def test_unknown_stance_message():
    with pytest.raises(DataError, match=r"^stance 'maybe' is not among the labels \['agree', 'disagree', 'neutral'\]; add it to the labels\.$"):
        make().fit([("q", "a")], ["maybe"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"C": 0}, r"C must be a number > 0 \(inverse regularisation strength .*\); got 0\."),
        ({"C": float("nan")}, r"C must be a number > 0 .*; got nan\."),
        ({"class_weight": "balance"}, r"class_weight must be 'balanced' or None; got 'balance'\."),
        ({"question_weight": -0.5}, r"question_weight must be a number >= 0 \(weight of the question's features; 0 leaves them out\); got -0\.5\."),
        ({"cue_weight": "1"}, r"cue_weight must be a number >= 0 \(weight of the stance cues; 0 leaves them out\); got '1'\."),
    ],
)
def test_invalid_params_are_refused_before_fitting(data, params, message):
    with pytest.raises(DataError, match=message):
        make(**params).fit(*data)


def test_squared_hinge_loss(data):
    X, y = data
    clf = make(loss="squared_hinge").fit(X, y)
    assert (clf.predict(X) == np.asarray(y)).mean() > 0.9
    assert np.allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    with pytest.raises(DataError, match="got 'hinge'"):
        make(loss="hinge").fit(X, y)


def test_a_fitted_question_featuriser_is_used_as_it_is(data):
    X, y = data
    shared = TextFeatures(n_features=2**12).fit([q for q, _ in X] + ["Een andere vraag over munitie?"])
    idf = shared.idf_.copy()
    clf = make(question_features=shared).fit(X, y)
    assert clf.question_features_ is shared and np.array_equal(shared.idf_, idf)  # not refitted
    # an unfitted one (what sklearn's clone makes of it) is fitted on the questions
    cloned = clone(clf).fit(X, y)
    assert cloned.question_features_ is not shared and cloned.question_features_.n_documents_ == len(X)
    assert cloned.predict(X).shape == (len(X),)


def test_question_and_answer_featurisers_must_share_n_features(data):
    """A grid over features__n_features with an explicit question featuriser failed in scipy ('inconsistent shapes')."""
    with pytest.raises(DataError, match=r"^question_features has n_features 1048576, the answer's \(features\) 4096; give both the same n_features\.$"):
        make(question_features=TextFeatures(salt=2)).fit(*data)


def test_question_featuriser_must_not_share_the_answer_salt(data):
    with pytest.raises(DataError, match="salt 1, the answer's"):
        make(question_features=TextFeatures(n_features=2**12, salt=1)).fit(*data)


def test_integer_encoded_y_with_text_labels_says_what_to_do(data):
    """cross_val_predict(method="predict_proba") encodes y as 0, 1, ...: 'stance '0' is not among the
    labels' left a user of a cloned shipped head without the fix."""
    from sklearn.model_selection import cross_val_predict

    X, y = data
    with pytest.raises(DataError, match=r"y holds integers \(0, 1, 2\) where this estimator's labels are .*set_params\(labels=None\)"):
        cross_val_predict(make(), X, y, cv=2, method="predict_proba")
    assert cross_val_predict(make().set_params(labels=None), X, y, cv=2, method="predict_proba").shape == (len(y), 3)
