"""The stance head: single-label classification of an answer read together with its question."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from classify import linear
from classify.errors import DataError
from classify.features import TextFeatures, explicit_featurisers
from classify.fitted import FittedStance, as_pairs
from classify.record import is_missing

_ABSENT = -1e4  # intercept of a schema label never seen in training: probability ~0


class StanceClassifier(ClassifierMixin, BaseEstimator, FittedStance):
    """One-vs-rest linear models on answer features plus (down-weighted) question features and cues.

    Parameters
    ----------
    labels : sequence of str, optional
        Stance labels in column order; default: the sorted labels of ``y``.
    features : TextFeatures, optional
        Featuriser template (cloned for the answer and for the question, with distinct salts).
    question_features : TextFeatures, optional
        The question's featuriser. A fitted one is used as it is: :func:`classify.train` passes the
        topic head's, so that labelling featurises each question once for both heads. An unfitted
        one is fitted on the questions. Default: the template with salt 2. Its salt must differ
        from the answer's (1).
    question_weight : float
        Weight of the question's features relative to the answer's.
    cue_weight : float
        Weight of the stance cues of :mod:`classify.cues` (opening words, deferral/refusal/agreement
        phrases); 0 disables them.
    C : float
        Inverse regularisation strength.
    loss : "log" or "squared_hinge"
        Loss of the one-vs-rest linear models (liblinear, dual); scores become probabilities
        through normalised sigmoids either way.
    class_weight : "balanced" or None
    random_state : int

    Examples
    --------
    >>> X = [("Bent u bereid ...?", "Ja."), ("Bent u bereid ...?", "Nee."),
    ...      ("Deelt u ...?", "Ja, dat deel ik."), ("Deelt u ...?", "Nee, dat deel ik niet.")]
    >>> StanceClassifier().fit(X, ["agree", "disagree", "agree", "disagree"]).predict([("?", "Ja.")])
    array(['agree'], dtype='<U8')
    """

    _features = TextFeatures  # what a stored featuriser is rebuilt as

    def set_params(self, **params):
        """scikit-learn's ``set_params``; ``features__*`` and ``question_features__*`` keys also work
        while those are None (the defaults: ``TextFeatures()``, and the template with salt 2)."""
        template = params.get("features", self.features)

        def question_default():
            return clone(template if template is not None else TextFeatures()).set_params(salt=2)

        return super().set_params(**explicit_featurisers(
            params, {"features": (self.features, TextFeatures), "question_features": (self.question_features, question_default)}))

    def _transform(self, questions, answers, fitting: bool = False, question_fitted: bool = False):
        """The answer, question and cue blocks, weighted and summed (``fitting``: fit the featurisers too,
        except a ``question_fitted`` question featuriser)."""
        from classify.cues import cue_matrix

        def block(features, texts, fit):
            return features.fit_transform(texts) if fit else features.transform(texts)

        X = block(self.answer_features_, answers, fitting)
        if self.question_weight or (fitting and not question_fitted):
            Xq = block(self.question_features_, questions, fitting and not question_fitted)
            if self.question_weight:
                X = X + Xq * np.float32(self.question_weight)
        if self.cue_weight:
            X = X + cue_matrix(answers, self.answer_features_.n_features, self.cue_weight, self.answer_features_.strip_accents)
        return X.tocsr()

    def fit(self, X, y):
        self._check_params()
        base = linear.binary_estimator(self.loss, self.C, self.class_weight, self.random_state)
        questions, answers = as_pairs(X)
        given = list(y)
        y = np.asarray(["" if is_missing(v) else str(v) for v in given], dtype=object)  # matched as text below
        if len(y) != len(answers):
            raise DataError(f"X has {len(answers)} pairs but y has {len(y)} labels; give one stance per pair.")
        if (y == "").any():
            raise DataError(f"y[{int(np.flatnonzero(y == '')[0])}] has no stance (None, NaN or empty); drop records without a stance before fitting.")
        # classes_ keep the type of the labels given (ints predict ints), as scikit-learn's classifiers do
        classes = np.asarray(self.labels) if self.labels is not None else np.unique(np.asarray(given))
        labels = tuple(str(c) for c in classes)
        unknown = sorted(str(v) for v in set(y) - set(labels))
        if unknown:
            if self.labels is not None and all(isinstance(v, numbers.Integral) for v in given) and not any(
                    isinstance(c, numbers.Integral) for c in self.labels):
                # cross_val_predict(method="predict_proba") hands its estimators y encoded as 0, 1, ...
                raise DataError(f"y holds integers ({', '.join(map(str, sorted(set(given))[:4]))}) where this estimator's labels are "
                                f"{list(labels)}: scikit-learn encodes y so for cross_val_predict(method='predict_proba'). Unset the "
                                "labels there (estimator.set_params(labels=None): classes then come from y), or pass y as the labels.")
            raise DataError(f"stance {unknown[0]!r} is not among the labels {list(labels)}; add it to the labels.")
        self.classes_ = classes
        template = self.features if self.features is not None else TextFeatures()
        self.answer_features_ = clone(template).set_params(salt=1)
        shared = self.question_features is not None and hasattr(self.question_features, "idf_")
        if shared:  # fitted elsewhere (the topic head's): used as it is, so one pass serves both heads
            self.question_features_ = self.question_features
        else:
            self.question_features_ = clone(self.question_features) if self.question_features is not None else clone(template).set_params(salt=2)
        if self.question_features_.n_features != self.answer_features_.n_features:  # the blocks are summed column by column
            raise DataError(f"question_features has n_features {self.question_features_.n_features}, the answer's (features) "
                            f"{self.answer_features_.n_features}; give both the same n_features.")
        if self.question_features_.salt == self.answer_features_.salt:
            raise DataError(f"question_features has salt {self.answer_features_.salt}, the answer's; give it another salt (e.g. 0 or 2) "
                            "so that question and answer n-grams stay apart.")
        Xf, active = linear.compact(self._transform(questions, answers, fitting=True, question_fitted=shared))
        n_features = self.answer_features_.n_features
        k = len(labels)
        coef = np.zeros((k, len(active)), dtype=np.float32)
        self.intercept_ = np.full(k, _ABSENT)
        seen = sorted(set(y))
        self.link_ = "ovr"
        if len(seen) == 1:
            self.intercept_[labels.index(seen[0])] = 30.0
        else:
            # one-vs-rest with liblinear's dual solver: as accurate as the multinomial fit here
            # (grouped 5-fold CV on the gold corpus: macro F1 0.549 vs 0.550) and ~10x faster
            # with two labels the two one-vs-rest problems mirror each other: fit one, negate it
            for label in seen[1:] if len(seen) == 2 else seen:
                model = linear.fit(clone(base), Xf, (y == label).astype(np.int8))
                row = labels.index(label)
                coef[row] = model.coef_[0]
                self.intercept_[row] = model.intercept_[0]
            if len(seen) == 2:
                first, second = labels.index(seen[0]), labels.index(seen[1])
                coef[first], self.intercept_[first] = -coef[second], -self.intercept_[second]
        self.weights_ = linear.weights_from_coef(coef, n_features, active)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

