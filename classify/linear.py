"""Linear scoring shared by the topic and stance heads: weights as plain arrays.

The heads train with scikit-learn's liblinear models (``LogisticRegression``, ``LinearSVC``) and
keep only their coefficients as a dense ``(n_features, n_outputs)`` float32 matrix: prediction is one sparse-dense product,
and persistence stores only the non-zero rows (features seen in training), so a model
directory holds arrays that load with ``numpy.load(allow_pickle=False)``.
"""

from __future__ import annotations

import threading

import numpy as np

from classify.errors import DataError

# liblinear seeds and draws from one C-level random generator per process: fits in two threads at
# once interleave their draws, and each model then depends on thread scheduling (measured: four
# concurrent fits, four different models). One fit at a time keeps fits reproducible.
_LIBLINEAR = threading.Lock()


def compact(X):
    """Drop never-used columns: solvers then work on ~10x fewer weights (lbfgs cost scales with them)."""
    active = np.unique(X.indices)
    return X[:, active], active


def weights_from_coef(coef, n_features: int, active=None) -> np.ndarray:
    """Place (n_outputs, n_active) coefficients into a (n_features, n_outputs) float32 matrix."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float32))
    if active is not None:
        full = np.zeros((coef.shape[0], n_features), dtype=np.float32)
        full[:, active] = coef
        coef = full
    return np.ascontiguousarray(coef.T.reshape(n_features, -1))


LOSSES = {"log": "logistic regression", "squared_hinge": "linear SVM (squared hinge)"}  # liblinear: name: what it is
TOPIC_LOSSES = {  # the topic head also has these (classify.topics)
    "auto": "ridge for labels with enough examples, the linear SVM for rarer ones",
    "ridge": "ridge regression",
    **LOSSES,
}


def binary_estimator(loss: str, C: float, class_weight, random_state):
    """The liblinear dual solver for one binary problem: logistic (``"log"``) or squared-hinge SVM loss.

    Both are fast when features outnumber documents; their scores are turned into probabilities
    afterwards (Platt scaling on out-of-fold scores), so the loss only decides where the boundary lies.
    The parameters are the heads' own, checked by their ``_check_params`` (:func:`check_liblinear`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if loss == "log":
        return LogisticRegression(C=C, class_weight=class_weight, solver="liblinear", dual=True, tol=1e-3,
                                  random_state=random_state)
    if loss == "squared_hinge":
        # tol 1e-2: half the iterations of 1e-3 with the same benchmark figures (benchmarks/THROUGHPUT.md)
        return LinearSVC(C=C, class_weight=class_weight, dual=True, tol=1e-2, max_iter=2000, random_state=random_state)
    raise DataError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}.")


def check_liblinear(C, class_weight, default_C: float) -> None:
    """The checks of the liblinear parameters both heads have, at fit and at load."""
    from classify.errors import check_number

    check_number("C", C, strict=True, meaning=f"inverse regularisation strength of the liblinear models; default {default_C}")
    if class_weight not in ("balanced", None):
        raise DataError(f"class_weight must be 'balanced' or None; got {class_weight!r}.")


def fit(model, X, y, sample_weight=None):
    """``model.fit(X, y)`` for a :func:`binary_estimator`, one at a time per process (see ``_LIBLINEAR``)."""
    with _LIBLINEAR:
        return model.fit(X, y) if sample_weight is None else model.fit(X, y, sample_weight=sample_weight)


def scores(X, weights: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Decision scores ``X @ W + b`` as a dense (n_samples, n_outputs) float64 array."""
    return np.asarray(X @ weights, dtype=np.float64) + intercept


def export_weights(weights: np.ndarray) -> dict[str, np.ndarray]:
    """Keep the rows of features that carry any weight (the rest are exactly zero)."""
    rows = np.flatnonzero(np.any(weights != 0, axis=1)).astype(np.int32)
    return {"weight_rows": rows, "weight_values": weights[rows]}


def rows_within(rows: np.ndarray, n: int, what: str) -> np.ndarray:
    """Stored row numbers, checked to be integers in [0, n) (numpy would wrap -1, or fail on a float)."""
    rows = np.asarray(rows)
    if rows.dtype.kind not in "iu" or rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= n)):
        seen = f", from {rows.min()} to {rows.max()}" if rows.dtype.kind in "iuf" and rows.size else ""
        raise DataError(f"{what} must hold row numbers from 0 to {n - 1}; got {rows.dtype} values of shape {rows.shape}{seen}")
    return rows


def import_weights(arrays: dict, n_features: int, n_outputs: int) -> np.ndarray:
    weights = np.zeros((n_features, n_outputs), dtype=np.float32)
    values = np.asarray(arrays["weight_values"], dtype=np.float32).reshape(-1, n_outputs)
    weights[rows_within(arrays["weight_rows"], n_features, "weight_rows")] = values
    return weights


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
