"""Tests of classify.topics: the multi-label topic head as a scikit-learn estimator."""

# ruff: noqa: E501, B905  (pinned one-line messages and inline data rows read better unwrapped; zips are of equal-length test data)

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA_DIR, _records
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from classify.errors import DataError
from classify.features import TextFeatures
from classify.model import indicator
from classify.topics import RIDGE_MIN_POSITIVES, THRESHOLD_WEIGHTS, TopicClassifier, _best_threshold

LABELS = ("fleet", "industry", "ukraine")


@pytest.fixture(scope="module")
def data():
    rows = _records()
    return [r["question"] for r in rows], indicator([r["topics"] for r in rows], LABELS)


def make(**params) -> TopicClassifier:
    return TopicClassifier(labels=LABELS, features=TextFeatures(n_features=2**12), cv=2, **params)


@pytest.fixture(scope="module")
def fitted(data):
    return make().fit(*data)


def test_fit_shapes_and_attributes(fitted, data):
    X, Y = data
    assert list(fitted.classes_) == list(LABELS)
    assert fitted.weights_.shape == (2**12, 3) and fitted.weights_.dtype == np.float32
    assert fitted.thresholds_.shape == (3,)
    assert np.all((fitted.thresholds_ >= 0.01) & (fitted.thresholds_ <= 0.99))
    assert fitted.label_status_ == ["calibrated"] * 3
    P = fitted.predict_proba(X)
    assert P.shape == (len(X), 3)
    assert np.all((P >= 0) & (P <= 1))
    pred = fitted.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (P >= fitted.thresholds_).astype(np.int8))
    assert fitted.decision_function(X).shape == (len(X), 3)


def test_learns_the_training_data(fitted, data):
    X, Y = data
    assert (fitted.predict(X) == Y).mean() > 0.9


def test_empty_input(fitted):
    assert fitted.predict_proba([]).shape == (0, 3)
    assert fitted.predict([]).shape == (0, 3)


def test_label_without_positives_is_constant(data):
    X, Y = data
    Y = np.c_[Y, np.zeros(len(Y), dtype=int)]
    clf = TopicClassifier(labels=LABELS + ("never",), features=TextFeatures(n_features=2**12), cv=2).fit(X, Y)
    assert clf.label_status_[-1] == "constant"
    P = clf.predict_proba(X)
    assert np.all(P[:, -1] < 1e-6)
    assert not clf.predict(X)[:, -1].any()


def test_label_on_every_record_is_constant_one(data):
    X, _ = data
    clf = make().set_params(labels=["all"]).fit(X, np.ones((len(X), 1), dtype=int))
    assert clf.label_status_ == ["constant"]
    assert clf.predict(["iets heel anders"]).tolist() == [[1]]


def test_too_few_positives_is_uncalibrated(data):
    X, Y = data
    Y = Y.copy()
    Y[:, 0] = 0
    Y[0, 0] = 1  # a single positive: no two folds to calibrate on
    clf = make().fit(X, Y)
    assert clf.label_status_[0] == "uncalibrated"
    assert clf.thresholds_[0] == 0.5


def test_an_uncalibrated_label_scores_unrelated_records_near_its_base_rate(data):
    """The raw sigmoid of a one-example label's SVM margin gave every record ~0.27: ranked by score,
    the rarest labels came first. Platt's smoothed targets on its training scores give ~1/n."""
    X, Y = data
    Y = Y.copy()
    Y[:, 0] = 0
    Y[0, 0] = 1
    clf = make().fit(X, Y)
    proba = clf.predict_proba(X)[:, 0]
    assert np.median(proba[1:]) < 3 / len(X)
    assert proba[0] > 0.5 and clf.predict(X[:1])[0, 0] == 1


def test_default_labels_are_column_numbers(data):
    X, Y = data
    clf = TopicClassifier(features=TextFeatures(n_features=2**10), cv=2).fit(X, Y)
    assert list(clf.classes_) == ["0", "1", "2"]
    frame = pytest.importorskip("pandas").DataFrame(Y, columns=["oekraine", "vloot", "zorg"])  # was: "0", "1", "2" too
    assert list(TopicClassifier(features=TextFeatures(n_features=2**10), cv=2).fit(X, frame).classes_) == ["oekraine", "vloot", "zorg"]


@pytest.mark.parametrize(
    "y, message",
    [
        (lambda Y: Y[:, 0], r"y must be a 0/1 indicator matrix of shape \(n_samples=24, n_labels\); got shape \(24,\)"),
        (lambda Y: Y[:-1], r"got shape \(23, 3\)"),
        (lambda Y: Y * 2, r"y must be a 0/1 indicator matrix"),
    ],
)
def test_bad_y(data, y, message):
    X, Y = data
    with pytest.raises(DataError, match=message):
        make().fit(X, y(Y))


def test_label_count_mismatch(data):
    X, Y = data
    with pytest.raises(DataError, match=r"2 labels given for a y with 3 columns; pass one label per column"):
        make().set_params(labels=["a", "b"]).fit(X, Y)


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make().predict_proba(["x"])


def test_clone_and_params():
    clf = make(C=3.0)
    params = clf.get_params()
    assert params["C"] == 3.0 and params["cv"] == 2 and params["features__n_features"] == 2**12
    twin = clone(clf)
    assert twin.get_params()["features__n_features"] == 2**12 and twin.features is not clf.features
    clf.set_params(C=1.0, features__n_features=2**10)
    assert clf.C == 1.0 and clf.features.n_features == 2**10


def test_nested_featuriser_params_on_a_default_head(data):
    """``features__*`` on a head whose ``features`` is None (as GridSearchCV sets a grid): it failed with
    "'NoneType' object has no attribute 'set_params'"; now the default featuriser is made explicit."""
    head = TopicClassifier(labels=LABELS, cv=2).set_params(features__n_features=2**12)
    assert head.features.get_params() == TextFeatures(n_features=2**12).get_params()
    np.testing.assert_array_equal(clone(head).fit(*data).predict_proba(data[0]), make().fit(*data).predict_proba(data[0]))


def test_fit_does_not_mutate_features_param(data):
    features = TextFeatures(n_features=2**10)
    make().set_params(features=features).fit(*data)
    assert not hasattr(features, "idf_")


def test_deterministic(data):
    a, b = make().fit(*data), make().fit(*data)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    np.testing.assert_array_equal(a.platt_, b.platt_)


def test_grid_search(data):
    X, Y = data
    search = GridSearchCV(make(), {"C": [1.0, 10.0]}, cv=2, scoring="f1_micro").fit(X, Y)
    assert search.best_params_["C"] in (1.0, 10.0)
    assert search.predict(X[:2]).shape == (2, 3)


def test_in_pipeline(data):
    X, Y = data
    pipe = Pipeline([("clf", make())]).fit(X, Y)
    assert pipe.predict_proba(X[:3]).shape == (3, 3)


def test_state_round_trip(fitted, data):
    X, _ = data
    meta, arrays = fitted.get_state()
    back = TopicClassifier.from_state(meta, arrays)
    np.testing.assert_array_equal(back.predict_proba(X), fitted.predict_proba(X))
    assert back.label_status_ == fitted.label_status_


def test_best_threshold_separable():
    t = _best_threshold(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0]))
    assert 0.3 < t < 0.8  # halfway between the last positive and the first negative
    assert t == pytest.approx(0.55)


THEMES = ["zorg ziekenhuis wachtlijst", "zorg huisarts", "wonen huurprijs", "wonen bouw", "spoor trein", "spoor station"] * 3


def test_one_label_per_record_is_decoded_as_exactly_one():
    Y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]] * 3)
    clf = TopicClassifier(labels=["zorg", "wonen", "spoor"], features=TextFeatures(n_features=2**12), cv=2).fit(THEMES, Y)
    assert (clf.min_labels_, clf.max_labels_) == (1, 1)
    P = clf.predict(["onbekend onderwerp", "zorg en wonen en spoor", "trein"])
    assert (P.sum(axis=1) == 1).all()


def test_one_label_per_record_chooses_a_threshold_weight_and_saves_it(fitted):
    Y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]] * 3)
    clf = TopicClassifier(labels=["zorg", "wonen", "spoor"], features=TextFeatures(n_features=2**12), cv=2, random_state=0).fit(THEMES, Y)
    assert clf.threshold_weight_ in THRESHOLD_WEIGHTS
    meta, arrays = clf.get_state()
    back = TopicClassifier.from_state(meta, arrays)
    assert back.threshold_weight_ == clf.threshold_weight_
    np.testing.assert_array_equal(back.predict(THEMES), clf.predict(THEMES))
    meta, arrays = fitted.get_state()  # records with 0 and 2 labels: the thresholds decide alone, nothing is stored
    assert fitted.threshold_weight_ is None and "threshold_weight" not in meta
    with pytest.raises(DataError, match=r"threshold_weight is for a head trained on exactly one label per record"):
        TopicClassifier.from_state({**meta, "threshold_weight": 0.5}, arrays)
    meta, arrays = clf.get_state()
    with pytest.raises(DataError, match=r"threshold_weight must be a number from 0 to 1 or absent, got 2"):
        TopicClassifier.from_state({**meta, "threshold_weight": 2}, arrays)


def test_rare_themes_no_longer_take_the_questions_of_frequent_ones():
    """All 37 Belgian themes, some with a handful of questions: the log-odds margin over their low F1-optimal
    thresholds gave the rare themes many questions of other themes (benchmarks/DECODING.md measures it on every split)."""
    import json

    from sklearn.metrics import f1_score

    from classify.fitted import weighted_margin

    path = DATA_DIR / "be_kamer_2017_qa.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent; set CLASSIFY_DATA_DIR to run this test on the Belgian questions")
    records = [r for r in map(json.loads, path.open(encoding="utf-8")) if r["meta"].get("theme_main")]
    texts, themes = [r["question"] for r in records], [r["meta"]["theme_main"] for r in records]
    labels = sorted(set(themes))
    test = set(range(0, len(texts), 5))
    train = [i for i in range(len(texts)) if i not in test]
    # the plain IDF, under which DECODING.md measured it (the label-weighted one leaves rare themes few questions to take either way)
    clf = TopicClassifier(labels=labels, features=TextFeatures(label_idf=0), random_state=0).fit(
        [texts[i] for i in train], indicator([[themes[i]] for i in train], labels))
    assert clf.threshold_weight_ == 0.5
    proba = clf.predict_proba([texts[i] for i in sorted(test)])
    gold = [themes[i] for i in sorted(test)]
    rare = {label for label in labels if sum(themes[i] == label for i in train) < 5}
    decided = {weight: [labels[j] for j in np.argmax(weighted_margin(proba, clf.platt_, clf.thresholds_, weight), axis=1)]
               for weight in (None, 0.5)}
    wrong = {weight: sum(p in rare and p != g for p, g in zip(pred, gold)) for weight, pred in decided.items()}
    assert wrong[0.5] < wrong[None] / 2, wrong
    assert f1_score(gold, decided[0.5], average="micro") > f1_score(gold, decided[None], average="micro")
    np.testing.assert_array_equal(np.argmax(clf.decide(proba), axis=1), [labels.index(p) for p in decided[0.5]])


@pytest.mark.parametrize("pays", [True, False])
def test_one_label_per_record_weights_the_idf_by_the_labels_where_that_pays(data, monkeypatch, pays):
    """Themes (exactly one label each) get the label-weighted IDF where it wins on held-out folds;
    multi-label topics, mostly without a label, always the plain one."""
    from classify import topics

    asked = []
    monkeypatch.setattr(topics, "_label_idf_pays", lambda *args, **kw: asked.append(args) or pays)
    X, Y = data
    assert make().fit(X, Y).features_.idf_labels_ == 0 and not asked
    one = np.flatnonzero(Y.sum(axis=1) == 1)
    themes = make().fit([X[i] for i in one], Y[one])
    assert len(asked) == 1 and themes.features_.idf_labels_ == (len(LABELS) if pays else 0) and themes.features.label_idf == 10.0
    plain = TopicClassifier(labels=LABELS, features=TextFeatures(n_features=2**12, label_idf=0), cv=2).fit([X[i] for i in one], Y[one])
    assert len(asked) == 1 and plain.features_.idf_labels_ == 0  # label_idf 0: nothing to choose
    assert np.array_equal(plain.features_.idf_, themes.features_.idf_) is not pays


def test_the_label_idf_choice_is_reproducible_and_plain_on_too_few_rows():
    from classify.topics import _label_idf_pays

    marks = {"defensie": "munitie tanks fregatten", "zorg": "ziekenhuis artsen wachtlijst", "wonen": "huur woningen bouw"}
    texts, labels = [], []
    for k, words in enumerate(marks.values()):
        for i in range(12):
            texts.append(f"{words.split()[i % 3]} vraag over het beleid van minister nummer {i} en {list(marks)[(k + i) % 3]}")
            labels.append(k)
    Y = np.eye(3, dtype=np.int8)[labels]
    features = TextFeatures(n_features=2**12)
    first = _label_idf_pays(features, texts, Y, alpha=0.3, seed=0)
    assert isinstance(first, bool) and all(_label_idf_pays(features, texts, Y, alpha=0.3, seed=0) is first for _ in range(2))
    assert _label_idf_pays(features, texts[:5], Y[:5], alpha=0.3, seed=0) is False  # fewer rows than two per fold
    # a sample of the rows: stratified where it can be, plain where a label has one row or the rest is too small
    assert isinstance(_label_idf_pays(features, texts, Y, alpha=0.3, seed=0, max_rows=30), bool)
    assert isinstance(_label_idf_pays(features, texts[:25], Y[:25], alpha=0.3, seed=0, max_rows=24), bool)


def test_decide_bounds_from_training_data(data):
    X, Y = data
    clf = make().fit(X, Y)
    assert clf.min_labels_ == 0 and clf.max_labels_ == len(LABELS)  # inline data has records with 0 and 2 topics
    proba = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(clf.decide(proba), [[0, 0, 0], [1, 1, 1]])
    clf.max_labels_ = 1  # at most one: keep the label furthest above its threshold
    assert clf.decide(proba).sum() == 1
    clf.min_labels_ = 1  # exactly one: even when none passes its threshold
    np.testing.assert_array_equal(clf.decide(proba).sum(axis=1), [1, 1])


@pytest.mark.parametrize("loss", ["log", "squared_hinge", "ridge", "auto"])
def test_every_loss_is_calibrated(data, loss):
    X, Y = data
    clf = make(loss=loss).fit(X, Y)
    assert clf.label_status_ == ["calibrated"] * 3
    assert (clf.predict(X) == Y).mean() > 0.9
    back = TopicClassifier.from_state(*clf.get_state())
    assert back.loss == loss
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_unknown_loss_names_the_choices(data):
    with pytest.raises(DataError, match="loss must be one of auto, ridge, log, squared_hinge; got 'hinge'"):
        make(loss="hinge").fit(*data)


def test_auto_fits_labels_with_enough_examples_by_ridge():
    """"auto": the shared ridge system for common labels, the SVM for rare ones (both class-weighted);
    each part is exactly what its loss alone would fit."""
    rng = np.random.default_rng(0)
    words = ["defensie", "oekraïne", "schip", "trein", "fabriek", "begroting", "europa", "minister"]
    X = [" ".join(rng.choice(words, 6)) for _ in range(120)]
    common = np.array([int("oekraïne" in t) for t in X])
    rare = np.zeros(len(X), dtype=int)
    rare[np.flatnonzero(["schip" in t for t in X])[:6]] = 1
    assert common.sum() >= RIDGE_MIN_POSITIVES > rare.sum() >= 2
    Y = np.c_[common, rare]
    def fit(Y, **params):
        return TopicClassifier(features=TextFeatures(n_features=2**12), cv=3, **params).fit(X, Y)

    auto = fit(Y, loss="auto")
    for j, loss in ((0, "ridge"), (1, "squared_hinge")):
        alone = fit(Y[:, [j]], loss=loss)  # class-balanced either way (the default)
        np.testing.assert_allclose(auto.decision_function(X)[:, j], alone.decision_function(X)[:, 0], atol=1e-6)
        assert auto.thresholds_[j] == pytest.approx(alone.thresholds_[0])


def test_balanced_ridge_weighs_each_labels_classes_alike():
    """class_weight="balanced" for the ridge labels: negatives 1/2, a label's p positives (n - p) / (2 p)
    (label descriptions times prior_weight), all labels from one shared factorisation; each label as
    ridge fits it alone with those weights."""
    import scipy.sparse as sp

    from classify import ridge
    from classify.topics import _fit_ridge

    rng = np.random.default_rng(1)
    n = 90
    Xf = sp.random(n, 60, density=0.2, random_state=2, format="csr")
    Xp = sp.random(2, 60, density=0.2, random_state=3, format="csr")
    Y = np.c_[rng.random(n) < 0.1, rng.random(n) < 0.4].astype(np.int8)
    Yp = np.eye(2, dtype=np.int8)
    fits = _fit_ridge(Xf, Y, Xp, Yp, 2.0, 0.3, "balanced", 5, 0)
    X = sp.vstack([Xf, Xp]).tocsr()
    for j, fit in enumerate(fits):
        p = Y[:, j].sum()
        targets = np.r_[Y[:, j], Yp[:, j]]
        weights = np.r_[np.ones(n), [2.0, 2.0]] * np.where(targets > 0, (n - p) / (2 * p), 0.5)
        coef, b, held = ridge.fit(X, targets[:, None], 0.3, weights, scored=n)
        np.testing.assert_allclose(fit[0], coef[0], atol=1e-10)
        assert fit[1] == pytest.approx(b[0], abs=1e-10)
        np.testing.assert_allclose(fit[5], held[:, 0], atol=1e-10)


@pytest.mark.parametrize("alpha", [0, -1.0, "0.3"])
def test_ridge_alpha_must_be_positive(data, alpha):
    with pytest.raises(DataError, match=f"alpha must be a number > 0 \\(the ridge penalty; default 0.3\\); got {alpha!r}"):
        make(loss="ridge", alpha=alpha).fit(*data)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"C": -1}, r"C must be a number > 0 \(inverse regularisation strength .*\); got -1\."),
        ({"C": 0, "loss": "ridge"}, r"C must be a number > 0"),  # checked even where no label would use it
        ({"class_weight": "bal"}, r"class_weight must be 'balanced' or None; got 'bal'\."),
        ({"prior_weight": -1.0}, r"prior_weight must be a number >= 0 \(sample weight of each label description; 0 ignores them\); got -1\.0\."),
        ({"cv": 2.5}, r"cv must be an int >= 0 \(folds for calibration; below 2 the labels stay uncalibrated\); got 2\.5\."),
        ({"cv": -1}, r"cv must be an int >= 0"),
    ],
)
def test_invalid_params_are_refused_before_fitting(data, params, message):
    with pytest.raises(DataError, match=message):
        make().set_params(**params).fit(*data)


def test_ridge_above_the_dual_limit_fits_the_same_model(data, monkeypatch):
    """More rows than classify.ridge.DUAL_LIMIT: the primal solver, out-of-fold calibration."""
    from classify import ridge

    X, Y = data
    dual = make(loss="ridge", class_weight=None).fit(X, Y)
    monkeypatch.setattr(ridge, "DUAL_LIMIT", 5)
    primal = make(loss="ridge", class_weight=None).fit(X, Y)
    np.testing.assert_allclose(primal.decision_function(X), dual.decision_function(X), atol=1e-3)
    assert primal.label_status_ == ["calibrated"] * 3


def test_a_dataframes_columns_are_matched_to_the_labels_by_name(fitted, data):
    """With labels in schema order and y's columns in another, a Ukraine question scored
    military_mobility 0.733 and ukraine_support 0.048 (the columns were taken in order)."""
    pd = pytest.importorskip("pandas")
    X, Y = data
    shuffled = pd.DataFrame(Y, columns=list(LABELS))[list(LABELS)[::-1]]
    again = make().fit(X, shuffled)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(make().fit(X, pd.DataFrame(Y)).predict_proba(X), fitted.predict_proba(X))  # unnamed: in order
    with pytest.raises(DataError, match=r"y's columns \['a', 'b', 'c'\] are not the labels .*; name one column per label"):
        make().fit(X, pd.DataFrame(Y, columns=["a", "b", "c"]))
