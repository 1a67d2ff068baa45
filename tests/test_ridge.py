"""classify.ridge: one system for many labels, exact leave-one-out scores, the same model in both solvers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import KFold

from classify import ridge


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    # a few columns in every row (the Gram matrix's dense, BLAS part) beside sparse ones
    X = sp.hstack([rng.random((120, 3)), sp.random(120, 400, density=0.05, random_state=1)], format="csr")
    Y = (rng.random((120, 3)) < 0.3).astype(int)
    w = np.r_[np.ones(115), np.full(5, 3.0)]  # the last rows weigh more (like label descriptions)
    return X, Y, w


def test_solution_is_the_ridge_minimum(problem):
    """The gradient of sum s (t - Xw - b)^2 + alpha (|w|^2 + b^2) vanishes at the returned (w, b)."""
    X, Y, w = problem
    coef, b, _ = ridge.fit(X, Y, alpha=0.7, sample_weight=w)
    T = np.where(Y > 0, 1.0, -1.0)
    residual = (T - (X @ coef.T + b)) * w[:, None]
    np.testing.assert_allclose(X.T @ residual, 0.7 * coef.T, atol=1e-8)
    np.testing.assert_allclose(residual.sum(axis=0), 0.7 * b, atol=1e-8)


def test_held_out_scores_are_exact_leave_one_out(problem):
    X, Y, w = problem
    _, _, held = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115)
    assert held.shape == (115, 3)
    for i in (0, 57, 114):
        keep = np.r_[0:i, i + 1:120]
        coef, b, _ = ridge.fit(X[keep], Y[keep], alpha=0.7, sample_weight=w[keep], scored=0)
        np.testing.assert_allclose(held[i], (X[i] @ coef.T + b).ravel(), atol=1e-10)


def test_primal_solver_fits_the_same_model(problem, monkeypatch):
    """Above dual_limit rows the conjugate-gradient primal solves the same problem (the calibration
    folds to the final fit's tolerance here; to FOLD_TOL by default, below)."""
    X, Y, w = problem
    dual = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115)
    default = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, cv=5, dual_limit=10)
    monkeypatch.setattr(ridge, "FOLD_TOL", ridge.PRIMAL_TOL)
    primal = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, cv=5, dual_limit=10)
    np.testing.assert_array_equal(default[0], primal[0])  # the model itself: the final fit's tolerance either way
    np.testing.assert_allclose(default[2], primal[2], atol=5e-3)  # held-out scores (targets +-1) only for calibration
    np.testing.assert_allclose(primal[0], dual[0], atol=1e-4)
    np.testing.assert_allclose(primal[1], dual[1], atol=1e-4)
    # out-of-fold scores: each row scored by a model fitted without its fold (rows past
    # ``scored`` in every fold)
    held = primal[2]
    unseen = np.flatnonzero(np.abs(held[:, 0] - (X[:115] @ primal[0][0] + primal[1][0])) > 1e-6)
    assert len(unseen) == 115
    fold = KFold(n_splits=5, shuffle=True, random_state=0)
    train, test = next(fold.split(np.zeros(115)))
    keep = np.r_[train, np.arange(115, 120)]
    coef, b, _ = ridge.fit(X[keep], Y[keep], alpha=0.7, sample_weight=w[keep], scored=0)
    np.testing.assert_allclose(held[test], X[test] @ coef.T + b, atol=1e-4)


def test_primal_threads_change_nothing(problem, monkeypatch):
    """The primal's products with the data share the labels among threads: each label's column is
    computed as one thread computes it, so the model and its held-out scores are the same to the bit."""
    X, Y, w = problem
    Y = np.c_[Y, Y[:, ::-1]]  # more labels than threads
    monkeypatch.setattr(ridge, "_cores", lambda: 3)
    threaded = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, dual_limit=10)
    monkeypatch.setattr(ridge, "_cores", lambda: 1)
    single = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, dual_limit=10)
    for a, b in zip(threaded, single, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dual_limit", [ridge.DUAL_LIMIT, 10])
def test_positive_weights_fit_each_label_as_alone(problem, dual_limit):
    """Per-label weights on the positive rows (the dual: a Woodbury correction of the shared
    inverse; the primal: each label's column scaled by its own weights) give each label the model
    and held-out scores it gets fitted alone with those weights."""
    X, Y, w = problem
    pw = np.array([1.0, 2.5, 0.4])
    coef, b, held = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, dual_limit=dual_limit, positive_weight=pw)
    exact = 1e-10 if dual_limit > len(w) else 1e-6
    for j in range(3):
        alone = ridge.fit(X, Y[:, [j]], alpha=0.7, sample_weight=w * np.where(Y[:, j] > 0, pw[j], 1.0), scored=115,
                          dual_limit=dual_limit)
        np.testing.assert_allclose(coef[j], alone[0][0], atol=exact)
        np.testing.assert_allclose(b[j], alone[1][0], atol=exact)
        np.testing.assert_allclose(held[:, j], alone[2][:, 0], atol=exact if dual_limit > len(w) else 5e-3)  # folds to FOLD_TOL


def test_positive_weights_keep_exact_leave_one_out(problem):
    X, Y, w = problem
    pw = np.array([3.0, 1.0, 0.5])
    _, _, held = ridge.fit(X, Y, alpha=0.7, sample_weight=w, scored=115, positive_weight=pw)
    for i in (0, 57, 114):
        keep = np.r_[0:i, i + 1:120]
        coef, b, _ = ridge.fit(X[keep], Y[keep], alpha=0.7, sample_weight=w[keep], scored=0, positive_weight=pw)
        np.testing.assert_allclose(held[i], (X[i] @ coef.T + b).ravel(), atol=1e-10)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, [1.0, np.inf, 1.0]])
def test_positive_weight_must_be_positive(problem, bad):
    X, Y, w = problem
    with pytest.raises(ValueError, match="positive_weight must be finite and > 0"):
        ridge.fit(X, Y, alpha=0.7, positive_weight=bad)


def test_gram_matches_the_sparse_product(problem):
    X, _, _ = problem
    np.testing.assert_allclose(ridge.gram(X), (X @ X.T).toarray() + 1.0, atol=1e-12)
