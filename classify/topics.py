"""The topic head: multi-label classification of questions with calibrated probabilities."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from classify import linear
from classify.errors import DataError
from classify.features import TextFeatures, explicit_featurisers
from classify.fitted import FittedTopics, as_texts, weighted_margin

# "auto": labels with fewer positives than this get the class-weighted linear SVM. Unweighted squared
# loss barely moves for a handful of positives: ridge alone scored F1 0 on the gold corpus's two
# rarest topics (8 and 3 examples), the SVM 0.154 and 0.105 (benchmarks/RESULTS.md, ablation)
RIDGE_MIN_POSITIVES = 20


def _positional(columns) -> bool:
    """Whether a DataFrame's columns are only numbered 0..k-1 (pandas' default), not named."""
    return list(columns) == list(range(len(columns)))


class TopicClassifier(ClassifierMixin, BaseEstimator, FittedTopics):
    """One-vs-rest linear models over hashed TF-IDF features, Platt-calibrated per label.

    For every label a linear model (ridge regression, logistic regression or linear SVM, see
    ``loss``) is fitted on all data; its held-out scores (leave-one-out for ridge, stratified
    ``cv``-fold refits otherwise) are used twice: to fit a sigmoid that turns scores into calibrated
    probabilities, and to choose the per-label threshold that maximises F1. Thresholds are thus
    never tuned on the data they are scored on in outer cross-validation.

    Parameters
    ----------
    labels : sequence of str, optional
        Names of the label columns of ``y``; default: the columns of a DataFrame ``y``, else ``"0", "1", ...``.
    features : TextFeatures, optional
        Featuriser (cloned before fitting); default ``TextFeatures()``.
    C : float
        Inverse regularisation strength of the liblinear models (SVM, logistic regression).
    loss : "auto", "ridge", "log" or "squared_hinge"
        Loss of the per-label models: ridge regression on -1/+1 targets, all labels solved as one
        system with exact leave-one-out scores (:mod:`classify.ridge`); logistic regression or a
        linear SVM (liblinear, dual; one fit plus ``cv`` refits per label); or ``"auto"``: ridge
        for the labels with at least ``RIDGE_MIN_POSITIVES`` positive examples, the SVM for rarer
        ones (ridge, even class-weighted, did worse on labels of a handful of examples:
        ``benchmarks/RESULTS.md``).
    alpha : float
        Regularisation strength of the ridge models (scikit-learn's ``Ridge`` convention).
    class_weight : "balanced" or None
        Reweight the rare positive class while fitting (calibration restores true frequencies):
        the two classes of a label weigh alike. The ridge labels share one factorisation either
        way (the negatives weigh 1/2, a label's positives ``(n - p) / (2 p)``: scikit-learn's
        ``n / (2 * count)`` up to the negatives' ``n / (2 * (n - p))``). ``"auto"`` once fitted its
        ridge labels unweighted (one factorisation per label was too slow); balanced, macro F1 went
        0.818 -> 0.821 on validation splits of the Belgian themes, 0.394 -> 0.397 on the gold
        topics, and 0.543 -> 0.532 on the Belgian ministries (``benchmarks/PROBES.md``).
    cv : int
        Folds for the out-of-fold calibration and threshold choice (ridge: only above
        ``classify.ridge.DUAL_LIMIT`` training rows; below it leave-one-out scores are exact).
        A label with fewer than 2 examples of either class (or ``cv < 2``) stays uncalibrated: its
        sigmoid is fitted to its training scores with Platt's smoothed targets, its threshold 0.5.
    random_state : int
        Seed of the fold shuffling and the solver.
    label_texts : sequence of str, optional
        One description per label (e.g. the schema's). Each is added to training as a positive
        example of its label with weight ``prior_weight``: prior evidence that matters for rare
        labels. Never part of the out-of-fold scores that calibrate and set thresholds.
    prior_weight : float
        Sample weight of each label description.

    With exactly one label per record (themes), the featuriser may weight its IDF by how
    concentrated each n-gram is in one label (:class:`~classify.features.TextFeatures`'
    ``label_idf``, default 10; its ``idf_labels_`` says how many labels did): where that scores
    a higher macro F1 than the plain IDF on held-out thirds of (at most ``LABEL_IDF_ROWS`` of)
    the training rows, cross-fitted (see :func:`_label_idf_pays`). It won on the Belgian themes (macro F1 0.798 -> 0.808,
    ``benchmarks/RESULTS.md``) and lost on the Court of Audit's question and answer types
    (``benchmarks/DECODING.md``). Other data keep the plain IDF: on the gold corpus's topics
    (multi-label, most records without a topic, two labels with under ten examples) label_idf 1,
    3 and 10 cost 5-7 points of macro F1 (``benchmarks/PROBES.md``).

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_labels,)
        Decision threshold per label on the calibrated probability.
    label_loss_ : list of str
        Per label: the loss it was fitted with (``"ridge"``, ``"squared_hinge"`` or ``"log"``;
        under ``loss="auto"`` it depends on the label's examples).
    label_status_ : list of str
        Per label: ``"calibrated"``, ``"uncalibrated"`` (too few examples for cross-validated
        calibration) or ``"constant"`` (only one class seen).
    threshold_weight_ : float or None
        How a head trained on exactly one label per record picks that one label. None: the label
        furthest above its threshold in calibrated log-odds (every other head, and models saved
        before this existed); a number ``w``: the highest ``score - w * threshold``, both in the
        label's raw score units, which lets a rare label's low F1-optimal threshold count for less
        (with rare themes, the log-odds margin predicted a theme of 1 training question 12 times:
        ``benchmarks/DECODING.md``). Chosen from ``THRESHOLD_WEIGHTS`` by macro F1 on the held-out
        scores, cross-fitted (see :func:`_threshold_weight`); no extra model fits.

    Examples
    --------
    >>> X = ["steun Oekraïne", "wapens Oekraïne", "zorg", "wonen", "onderwijs", "steun aan Oekraïne"]
    >>> y = np.array([[1], [1], [0], [0], [0], [1]])
    >>> clf = TopicClassifier(labels=["ukraine"], cv=2).fit(X, y)
    >>> clf.predict_proba(["Oekraïne steun"]).shape
    (1, 1)
    """

    _features = TextFeatures  # what a stored featuriser is rebuilt as

    def set_params(self, **params):
        """scikit-learn's ``set_params``; ``features__*`` keys also work while ``features`` is None (the default)."""
        return super().set_params(**explicit_featurisers(params, {"features": (self.features, TextFeatures)}))

    def fit(self, X, y):
        texts = as_texts(X)
        self._check_params()
        liblinear = "squared_hinge" if self.loss in ("auto", "ridge") else self.loss  # for the labels ridge does not fit
        base = linear.binary_estimator(liblinear, self.C, self.class_weight, self.random_state)
        Y = np.asarray(y)
        if Y.ndim != 2 or len(Y) != len(texts) or not np.isin(Y, (0, 1)).all():
            raise DataError(
                f"y must be a 0/1 indicator matrix of shape (n_samples={len(texts)}, n_labels); "
                f"got shape {Y.shape}. Use one column per topic label."
            )
        Y = Y.astype(np.int8)
        k = Y.shape[1]
        named = [str(c) for c in y.columns] if hasattr(y, "columns") and not _positional(y.columns) else None
        if self.labels is not None and named is not None and named != [str(label) for label in self.labels]:
            # a DataFrame names its columns: they are matched to the labels by name, not taken in order
            if sorted(named) != sorted(str(label) for label in self.labels) or len(set(named)) != len(named):
                raise DataError(f"y's columns {named} are not the labels {list(self.labels)}; name one column per label, "
                                "or pass y as an array whose columns follow the labels' order.")
            Y = Y[:, [named.index(str(label)) for label in self.labels]]
        # label-count bounds seen in training: data with exactly one label per record (themes)
        # is decoded as exactly one label, data that never has two labels as at most one
        counts = Y.sum(axis=1)
        self.min_labels_ = int(min(counts.min(), 1)) if len(counts) else 0
        self.max_labels_ = 1 if len(counts) and counts.max() <= 1 else k
        if self.labels is not None:
            labels = tuple(self.labels)
        else:  # an indicator DataFrame names its columns (MultiLabelBinarizer's classes_ do not travel with its array)
            labels = tuple(named) if named is not None else tuple(str(j) for j in range(k))
        if len(labels) != k:
            raise DataError(f"{len(labels)} labels given for a y with {k} columns; pass one label per column.")
        self.classes_ = np.asarray(labels)
        priors = [] if self.label_texts is None else [str(t or "") for t in self.label_texts]
        if priors and len(priors) != k:
            raise DataError(f"{len(priors)} label_texts for {k} labels; give one description per label (or None).")
        priors = [(j, t) for j, t in enumerate(priors) if t.strip() and self.prior_weight > 0]
        self.features_ = clone(self.features if self.features is not None else TextFeatures())
        n = len(texts)
        themes = self.min_labels_ == self.max_labels_ == 1 and k > 1  # one label per record: which one is the whole decision
        weighted = themes and self.features_.label_idf > 0 and _label_idf_pays(self.features_, texts, Y, self.alpha, self.random_state or 0)
        X = self.features_.fit_transform(texts, Y if weighted else None)  # the texts' n-grams are counted once
        if priors:
            X = sp.vstack([X, self.features_.transform([t for _, t in priors])], format="csr")
        Xall, active = linear.compact(X)
        Xf, Xp = Xall[:n], Xall[n:]
        n_features = self.features_.n_features

        Yp = np.array([[int(jj == j) for j in range(k)] for jj, _ in priors], dtype=np.int8).reshape(-1, k)
        fits = [None] * k
        shared = _ridge_labels(self.loss, Y)
        if shared.any():
            cols = np.flatnonzero(shared)
            ridge_fits = _fit_ridge(Xf, Y[:, cols], Xp, Yp[:, cols], self.prior_weight, self.alpha, self.class_weight,
                                    self.cv, self.random_state)
            for j, fit in zip(cols, ridge_fits):
                fits[j] = fit
        if not shared.all():
            # sequential on purpose: liblinear's random generator is process-global, so threads would make
            # the fit depend on scheduling, and processes cost more than they save at this size (measured)
            for j in np.flatnonzero(~shared):
                fits[j] = _fit_label(base, Xf, Y[:, j], Xp, Yp[:, j], self.prior_weight, self.cv, self.random_state)
        coef = np.zeros((k, len(active)), dtype=np.float32)
        for j, fit in enumerate(fits):
            coef[j] = fit[0]
        self.intercept_ = np.array([f[1] for f in fits], dtype=np.float64)
        self.platt_ = np.array([f[2] for f in fits], dtype=np.float64).reshape(k, 2)
        self.thresholds_ = np.array([f[3] for f in fits], dtype=np.float64)
        self.label_status_ = [f[4] for f in fits]
        self.threshold_weight_ = None
        if themes:
            self.threshold_weight_ = _threshold_weight([f[5] for f in fits], Y, self.random_state or 0)
        self.label_loss_ = ["ridge" if shared[j] else liblinear for j in range(k)]
        self.weights_ = linear.weights_from_coef(coef, n_features, active)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.multi_output = True
        return tags


def _fit_label(base, Xf, y, Xp, y_prior, prior_weight, cv, seed):
    """One label with a liblinear loss: (coef, intercept, (platt a, b), threshold, status, held-out scores or None)."""
    n_pos = int(y.sum())
    if n_pos in (0, len(y)):
        return _constant(Xf.shape[1], n_pos)
    model = _fit_with_priors(clone(base), Xf, y, Xp, y_prior, prior_weight)
    folds = min(cv, n_pos, len(y) - n_pos)
    if folds < 2:
        return _uncalibrated(model.coef_[0], float(model.intercept_[0]), model.decision_function(Xf), y)
    oof = _out_of_fold_scores(base, Xf, y, folds, Xp, y_prior, prior_weight, seed)
    return (model.coef_[0], float(model.intercept_[0])) + _calibrate(oof, y) + (oof,)


def _ridge_labels(loss, Y):
    """Which labels the shared ridge system fits: all (``"ridge"``), none (liblinear losses), or
    under ``"auto"`` those with at least ``RIDGE_MIN_POSITIVES`` positive examples."""
    if loss == "ridge":
        return np.ones(Y.shape[1], dtype=bool)
    if loss == "auto":
        return Y.sum(axis=0) >= RIDGE_MIN_POSITIVES
    return np.zeros(Y.shape[1], dtype=bool)


def _fit_ridge(Xf, Y, Xp, Yp, prior_weight, alpha, class_weight, cv, seed):
    """Labels fitted by ridge regression as one system (:mod:`classify.ridge`): per label as :func:`_fit_label`."""
    from classify import ridge

    n, k = Y.shape
    targets = np.r_[Y, Yp]
    weights = np.r_[np.ones(n), np.full(len(Yp), float(prior_weight))]
    positive_weight = None
    if class_weight == "balanced":
        # scikit-learn's n / (2 * count) per class, but with every label's negatives at 1/2 (theirs is n / (2 * (n - p)),
        # ~1/2 for a label of p << n positives): the labels then share one factorisation, the positives get
        # (n - p) / (2 p), so the two classes weigh alike
        pos = Y.sum(axis=0)
        weights = weights / 2.0
        positive_weight = np.where((pos > 0) & (pos < n), (n - pos) / np.maximum(pos, 1), 1.0)
    X = sp.vstack([Xf, Xp]).tocsr() if len(Yp) else Xf
    coef, intercept, held = ridge.fit(X, targets, alpha, weights, scored=n, cv=cv, seed=seed, positive_weight=positive_weight)
    fits = []
    for j in range(k):
        y, n_pos = Y[:, j], int(Y[:, j].sum())
        if n_pos in (0, n):
            fits.append(_constant(Xf.shape[1], n_pos))
        elif min(cv, n_pos, n - n_pos) < 2:  # the rule of the other losses, though held-out scores exist
            fits.append(_uncalibrated(coef[j], float(intercept[j]), Xf @ coef[j] + intercept[j], y))
        else:
            fits.append((coef[j], float(intercept[j])) + _calibrate(held[:, j], y) + (held[:, j],))
    return fits


def _constant(n_features, n_pos):
    """One class only: a constant probability equal to what was seen."""
    return np.zeros(n_features), (30.0 if n_pos else -30.0), (1.0, 0.0), 0.5, "constant", None


def _uncalibrated(coef, intercept, trained_scores, y):
    """Too few examples for held-out scores: the sigmoid fitted to the training scores (smoothed), threshold 0.5."""
    return coef, intercept, _fit_sigmoid(trained_scores, y, smoothed=True), 0.5, "uncalibrated", None


def _calibrate(held_out, y):
    """((platt a, b), threshold, "calibrated") from scores of models that did not see each row."""
    platt = _fit_sigmoid(held_out, y)
    return platt, _best_threshold(linear.sigmoid(platt[0] * held_out + platt[1]), y), "calibrated"


# candidate threshold weights for one-label-per-record data: None (the log-odds margin) first, kept on ties. A finer grid
# (0, 0.25, ..., 1) chose noisily between near-equal weights and cost the Belgian themes 0.8 points of macro F1
THRESHOLD_WEIGHTS = (None, 0.5)
LABEL_IDF_FOLDS = 3
# rows the label_idf choice reads at most (a stratified sample): its ridge fits grow with rows squared,
# and training must stay cheaper than fastText's (benchmarks/THROUGHPUT.md); all 2,703 Belgian themes cost 14 CPU s
LABEL_IDF_ROWS = 600


def _label_idf_pays(features, texts, Y, alpha, seed, folds=LABEL_IDF_FOLDS, max_rows=LABEL_IDF_ROWS) -> bool:
    """Whether ``features`` with the label-weighted IDF give a higher macro F1 than with the plain
    IDF, one label per row of ``Y`` (the highest ridge score), on held-out folds of the rows.

    Cross-fitted: each fold is scored by ridge models and IDF weights fitted on the other folds.
    Leave-one-out scores would not do: a row's own label sharpens the weights of its n-grams, and
    they preferred the weighted IDF on every label set tried, including the Court of Audit's
    question types where it lost on test rows (``benchmarks/DECODING.md``). Counts the n-grams once;
    costs two ridge fits per fold.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    from classify import ridge

    if len(texts) < 2 * folds:
        return False  # too few rows to tell: the plain IDF
    gold = np.argmax(Y, axis=1)
    if len(texts) > max_rows:
        rows = np.arange(len(texts))
        try:
            kept, _ = train_test_split(rows, train_size=max_rows, random_state=seed, stratify=gold)
        except ValueError:  # a label of one row, or more labels than either part has rows: a plain random sample
            kept, _ = train_test_split(rows, train_size=max_rows, random_state=seed)
        texts, Y, gold = [texts[i] for i in kept], Y[kept], gold[kept]
    sizes = np.bincount(gold)
    split = StratifiedKFold if sizes[sizes > 0].min() >= folds else KFold  # every label in every fold where it can be
    splits = list(split(folds, shuffle=True, random_state=seed).split(np.zeros(len(gold)), gold))
    scores = {0.0: np.zeros(Y.shape, dtype=np.float64), features.label_idf: np.zeros(Y.shape, dtype=np.float64)}
    for value, held in scores.items():
        matrices = clone(features).set_params(label_idf=value).cross_fitted(texts, Y, splits)
        for (fit_rows, rows), (X, X_held) in zip(splits, matrices, strict=True):
            X, active = linear.compact(X)
            coef, intercept, _ = ridge.fit(X, Y[fit_rows], alpha, scored=0)
            held[rows] = X_held[:, active] @ coef.T + intercept
    f1 = {value: f1_score(gold, held.argmax(axis=1), average="macro") for value, held in scores.items()}
    return f1[features.label_idf] > f1[0.0]


def _threshold_weight(held, Y, seed, folds=3):
    """The threshold weight (see ``TopicClassifier.threshold_weight_``) with the highest macro F1 over
    the labels of ``Y`` on the held-out scores ``held`` (one array per label; None for a label
    without them, which then never wins here). Cross-fitted: each third of the rows is decided with
    sigmoids and thresholds fitted on the other two, as a model's are on rows it did not see
    (deciding rows with thresholds tuned on those very rows favours the thresholds)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold

    n, k = Y.shape
    scores = np.column_stack([h if h is not None else np.zeros(n) for h in held])
    missing = [j for j, h in enumerate(held) if h is None]
    chosen = {weight: np.empty(n, dtype=np.intp) for weight in THRESHOLD_WEIGHTS}  # each row's label under each weight
    for fit_rows, rows in KFold(folds, shuffle=True, random_state=seed).split(scores):
        platt, thresholds = np.tile([1.0, 0.0], (k, 1)), np.full(k, 0.5)  # a label seen in one class only: uncalibrated
        for j in range(k):
            y = Y[fit_rows, j]
            if j not in missing and 0 < y.sum() < len(y):
                platt[j], thresholds[j], _ = _calibrate(scores[fit_rows, j], y)
        proba = linear.sigmoid(platt[:, 0] * scores[rows] + platt[:, 1])
        for weight, picked in chosen.items():
            margin = weighted_margin(proba, platt, thresholds, weight)
            margin[:, missing] = -np.inf
            picked[rows] = np.argmax(margin, axis=1)
    gold, present = np.argmax(Y, axis=1), np.flatnonzero(Y.sum(axis=0))
    best, best_f1 = None, -1.0
    for weight, picked in chosen.items():  # THRESHOLD_WEIGHTS' order: ties keep the earlier one
        f1 = f1_score(gold, picked, labels=present, average="macro", zero_division=0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = weight, f1
    return best


def _out_of_fold_scores(base, Xf, y, folds, Xp, y_prior, prior_weight, seed):
    from sklearn.model_selection import StratifiedKFold

    # The featuriser's IDF was fitted on all texts (label-free); only the classifier is refit.
    scores = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        fold = _fit_with_priors(clone(base), Xf[train], y[train], Xp, y_prior, prior_weight)
        scores[test] = fold.decision_function(Xf[test])
    return scores


def _fit_with_priors(model, X, y, Xp, y_prior, weight):
    """Fit on the real examples plus the label descriptions (weighted), if any."""
    if Xp is None or Xp.shape[0] == 0:
        return linear.fit(model, X, y)
    w = np.r_[np.ones(X.shape[0]), np.full(Xp.shape[0], float(weight))]
    return linear.fit(model, sp.vstack([X, Xp]).tocsr(), np.r_[y, y_prior], sample_weight=w)


def _fit_sigmoid(scores, y, smoothed=False):
    """Platt scaling: (a, b) with P(y=1 | s) = sigmoid(a*s + b).

    ``smoothed``: fit to Platt's (1999) targets (n_pos + 1) / (n_pos + 2) and 1 / (n_neg + 2)
    instead of 1 and 0, for scores the model was trained on (a label too rare for held-out
    scores): they separate the classes perfectly, and a plain fit would map them to 0 and 1. The
    smoothed fit keeps a record that scores like the negatives near the label's base rate (the raw
    sigmoid gave an SVM's typical negative margin of -1 a "probability" of 0.27)."""
    from sklearn.linear_model import LogisticRegression

    s = scores.reshape(-1, 1)
    if not smoothed:
        lr = LogisticRegression(C=1e4).fit(s, y)
    else:
        n_pos = int(y.sum())
        target = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (len(y) - n_pos + 2))
        lr = LogisticRegression(C=1e4).fit(np.r_[s, s], np.r_[np.ones(len(y)), np.zeros(len(y))], sample_weight=np.r_[target, 1 - target])
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _best_threshold(proba, y) -> float:
    """Threshold on ``proba`` maximising F1 of ``proba >= t`` (ties: the one nearest 0.5)."""
    order = np.argsort(-proba, kind="stable")
    p, t = proba[order], y[order]
    tp = np.cumsum(t)
    k = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (k + t.sum())
    last = np.r_[p[1:] != p[:-1], True]  # only cut between distinct probabilities
    f1 = np.where(last, f1, -1)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    i = best[np.argmin(np.abs(p[best] - 0.5))]
    # cut halfway to the next lower probability, so near-equal unseen scores fall the same way
    lower = p[i + 1] if i + 1 < len(p) else 0.0
    return float(np.clip((p[i] + lower) / 2, 0.01, 0.99))
