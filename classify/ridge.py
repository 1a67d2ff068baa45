"""Ridge regression for every label at once, with held-out scores for calibration.

The topic head's ``loss="ridge"``. Per label, with targets ``y`` in {-1, +1} and sample weights
``s``, it minimises ``sum_i s_i * (y_i - x_i.w - b)^2 + alpha * (|w|^2 + b^2)`` (scikit-learn's
``Ridge`` convention; the intercept ``b`` is a constant feature of value 1, penalised like the
weights, as in liblinear).

All labels share one system, so one factorisation serves them all. Up to ``DUAL_LIMIT`` rows it is
solved in the dual: ``M = K + alpha * diag(1/s)`` with the Gram matrix ``K = X X^T + 1`` is
factored once (Cholesky); the dual coefficients are ``A = M^-1 Y`` and ``w = X^T A``. The
leave-one-out score of every row comes in closed form, ``y_i - A_i / (M^-1)_ii`` (the hat-matrix
identity of linear smoothers), so calibration needs no refits. Above the limit the ``n x n``
matrix would cost too much memory (8 n^2 bytes); the same dual system is solved by conjugate
gradients, all labels in one block (:func:`_block_cg`), without forming it, their columns shared
among threads (one per core, at most ``MAX_THREADS``), and the held-out scores come from
``cv``-fold refits started from the full fit and solved to a looser tolerance (``FOLD_TOL``).

A label may weigh its positive rows more (``positive_weight``, e.g. class balance): its matrix
differs from the shared one only on those rows' diagonal, so the dual corrects the shared inverse
by the Woodbury identity over its ``p`` positives (``n p^2`` operations, no factorisation of its
own), and the conjugate gradients scale each label's column by its weights (still one block).
"""

from __future__ import annotations

import numpy as np

DUAL_LIMIT = 5000  # rows; the dual's n x n float64 matrix takes 200 MB at this size
DENSE_SHARE = 0.08  # Gram: columns in more than this share of rows go through BLAS, the rest sparse (8%: fastest of 2-15% on one core, 2,700 Belgian questions)
CHUNK = 2048  # Gram: dense columns per BLAS block (n x CHUNK float64 at a time)
ROW_CHUNK = 512  # Gram: rows per sparse product (its result is ROW_CHUNK x n, then dense)
PRIMAL_TOL = 1e-5  # conjugate-gradient tolerance above DUAL_LIMIT rows (relative residual, scikit-learn's)
# the calibration folds' refits only score their held-out rows: 1e-3 took 0.76x the fit time on 31,560 subject lines with 12
# class-balanced labels, thresholds within 0.006, 99.78 % of 7,890 test rows labelled the same, macro F1 0.3554 vs 0.3561
# (python benchmarks/fold_tolerance.py; with each label solved alone, before they shared a block: 0.63x, 0.003, 99.66 %)
FOLD_TOL = 1e-3
MAX_THREADS = 8  # above DUAL_LIMIT rows: threads sharing the labels of each product with the data (at most one per core)


def fit(X, Y, alpha: float, sample_weight=None, scored: int | None = None, cv: int = 5, seed: int = 0,
        dual_limit: int | None = None, positive_weight=None):
    """Fit one ridge model per column of ``Y``; return ``(coef, intercept, held_out)``.

    Parameters
    ----------
    X : sparse matrix of shape (n_rows, n_features)
    Y : array of shape (n_rows, n_labels)
        0/1 (or -1/+1) targets; fitted as -1/+1.
    alpha : float
        Regularisation strength (see the module docstring).
    sample_weight : array of shape (n_rows,), optional
        One weight per row.
    scored : int, optional
        Held-out scores are returned for the first ``scored`` rows (default: all); later rows (e.g.
        label descriptions) are training-only and never held out.
    cv, seed : int
        Folds and their shuffling for the held-out scores above ``dual_limit`` rows.
    dual_limit : int, optional
        Most rows solved in the dual (default ``DUAL_LIMIT``).
    positive_weight : float or array of shape (n_labels,), optional
        Per label, a factor on the weight of its positive rows (e.g. ``(n - p) / p`` for ``p``
        positives: they weigh as much in total as the negatives). Default 1.

    Returns
    -------
    coef : ndarray of shape (n_labels, n_features)
    intercept : ndarray of shape (n_labels,)
    held_out : ndarray of shape (scored, n_labels)
        Each row's score from a model that did not see it: leave-one-out (dual) or out-of-fold.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix(np.eye(4))
    >>> coef, b, held = fit(X, np.array([[1], [1], [0], [0]]), alpha=1.0)
    >>> coef.shape, held.shape
    ((1, 4), (4, 1))
    """
    import scipy.sparse as sp

    X = sp.csr_matrix(X, dtype=np.float64)
    T = np.where(np.asarray(Y) > 0, 1.0, -1.0).reshape(X.shape[0], -1)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    pw = np.broadcast_to(np.asarray(1.0 if positive_weight is None else positive_weight, dtype=np.float64), (T.shape[1],))
    if not (np.isfinite(pw).all() and (pw > 0).all()):
        raise ValueError(f"positive_weight must be finite and > 0; got {positive_weight!r}")
    scored = X.shape[0] if scored is None else int(scored)
    solve = _dual if X.shape[0] <= (DUAL_LIMIT if dual_limit is None else dual_limit) else _primal
    return solve(X, T, s, alpha, scored, cv, seed, pw)


def _dual(X, T, s, alpha, scored, cv, seed, pw):  # cv, seed: the primal's (leave-one-out needs no folds)
    import scipy.linalg as la

    M = gram(X)
    M[np.diag_indices_from(M)] += alpha / s
    # in place: M is symmetric and Fortran-ordered, so LAPACK needs no copy (one n x n matrix in all)
    factor = la.cholesky(M, lower=True, overwrite_a=True, check_finite=False)
    dual_coef = la.cho_solve((factor, True), T, check_finite=False)
    potri = la.get_lapack_funcs("potri", (factor,))
    inverse, info = potri(factor, lower=1, overwrite_c=1)  # M^-1 in the lower triangle, in place
    if info != 0:  # M is positive definite by construction (alpha / s > 0); this would be a bug
        raise np.linalg.LinAlgError(f"ridge: inverting the factored Gram matrix failed (LAPACK info {info})")
    diag = np.repeat(np.diag(inverse)[:scored, None], T.shape[1], axis=1)
    for j in np.flatnonzero(pw != 1.0):
        rows = np.flatnonzero(T[:, j] > 0)
        if len(rows):
            dual_coef[:, j], diag[:, j] = _reweighted(inverse, dual_coef[:, j], diag[:, j], rows, alpha / s[rows] * (1.0 / pw[j] - 1.0))
    del M, factor, inverse
    held = T[:scored] - dual_coef[:scored] / diag
    coef = np.asarray(X.T @ dual_coef).T
    return coef, dual_coef.sum(axis=0), held


def _reweighted(inverse, a, diag, rows, d):
    """The dual coefficients and the leading diagonal of ``(M + diag(d) on rows)^-1`` from ``M^-1``
    (``inverse``: its lower triangle), ``a = M^-1 t`` and ``diag``, by the Woodbury identity
    ``(M + U D U^T)^-1 = M^-1 - G (I + D G_rows)^-1 D G^T`` with ``G = M^-1 U``: ``n p^2`` operations."""
    import scipy.linalg as la

    n = inverse.shape[0]
    lower = np.arange(n)[:, None] >= rows[None, :]
    G = np.where(lower, inverse[:, rows], inverse[rows, :].T)  # columns of the symmetric inverse from its lower triangle
    H = np.eye(len(rows)) + d[:, None] * G[rows]
    W = la.solve(H, np.diag(d), check_finite=False)  # (I + D G_rows)^-1 D
    GW = G @ W
    return a - GW @ a[rows], diag - np.einsum("ij,ij->i", GW[: len(diag)], G[: len(diag)])


def _primal(X, T, s, alpha, scored, cv, seed, pw):
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.model_selection import KFold

    root = np.sqrt(s[:, None] * np.where(T > 0, pw, 1.0))  # per row and label
    threads = min(_cores(), T.shape[1], MAX_THREADS)

    def solve(rows, start=None, tol=PRIMAL_TOL):
        # the dual system of the weighted rows, (R X X^T R + r r^T + alpha) a = r * t with R = diag(r), r the
        # square roots of a label's weights, solved for every label at once (each column scaled by its own r);
        # w = X^T (r * a) and b = sum(r * a), as in _dual
        Xr = X[rows].tocsr()
        XrT = Xr.T.tocsr()
        r = root[rows]

        def product(cols, V):
            return r[:, cols] * (Xr @ (XrT @ (r[:, cols] * V)))

        def gram_times(V, active):  # R X X^T R V, the labels' columns split among threads (each column's sums as one thread makes them)
            parts = np.array_split(np.arange(V.shape[1]), min(threads, V.shape[1]))
            if len(parts) < 2:
                return product(active, V)
            return np.hstack(list(pool.map(lambda part: product(active[part], V[:, part]), parts)))

        def apply(V, active):
            ra = r[:, active]
            return gram_times(V, active) + ra * (ra * V).sum(axis=0) + alpha * V

        A = _block_cg(apply, T[rows] * r, tol, start)
        return XrT @ (r * A), (r * A).sum(axis=0), A

    with ThreadPoolExecutor(max(threads, 1)) as pool:  # scipy's sparse products release the GIL
        coef, intercept, A = solve(np.arange(X.shape[0]))
        held = np.zeros((scored, T.shape[1]))
        always = np.arange(scored, X.shape[0])  # training-only rows stay in every fold
        for train, test in KFold(n_splits=max(cv, 2), shuffle=True, random_state=seed).split(np.zeros(scored)):
            rows = np.r_[train, always]
            w, b, _ = solve(rows, start=A[rows], tol=FOLD_TOL)  # the full fit's coefficients: a near start for each fold's
            held[test] = X[test] @ w + b
    return np.asarray(coef).T, intercept, held


def _cores() -> int:
    """The CPU cores this process may run on (a container's or ``taskset``'s share, not the machine's)."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _block_cg(apply, B, tol: float, start=None, max_iter: int = 2000) -> np.ndarray:
    """Solve ``apply(A, columns) = B`` (symmetric positive definite per column; ``columns`` says which of
    ``B``'s the block holds) by conjugate gradients for all columns of ``B`` at once, each to a
    residual of ``tol`` times its ``B`` column's norm. One product with the data per iteration serves
    every label (scikit-learn's solver loops over them, ~6x slower here)."""
    A = np.zeros_like(B) if start is None else np.array(start, dtype=np.float64)
    R = B - apply(A, np.arange(B.shape[1])) if start is not None else B.copy()
    P = R.copy()
    rs = np.einsum("ij,ij->j", R, R)
    goal = (tol * np.linalg.norm(B, axis=0)) ** 2
    for _ in range(max_iter):
        active = np.flatnonzero(rs > goal)
        if not len(active):
            break
        Pa = P[:, active]
        AP = apply(Pa, active)
        step = rs[active] / np.einsum("ij,ij->j", Pa, AP)
        A[:, active] += step * Pa
        R[:, active] -= step * AP
        new = np.einsum("ij,ij->j", R[:, active], R[:, active])
        P[:, active] = R[:, active] + (new / rs[active]) * Pa
        rs[active] = new
    return A


def gram(X) -> np.ndarray:
    """``X X^T + 1`` as a dense, Fortran-ordered float64 array, built in place (no n x n temporaries).

    Frequent columns (char 2-grams are in nearly every text) make a sparse product slow; they go
    through BLAS (``syrk``, in column blocks), the rest through a sparse product in row blocks
    (~10x faster than all sparse on 2,700 questions, measured), in float64 like BLAS: the
    entries are exact to ~1e-14 (float32 sums left errors of ~1e-5).
    """
    from scipy.linalg.blas import dsyrk

    n = X.shape[0]
    Xc = X.tocsc()
    frequent = np.diff(Xc.indptr) > DENSE_SHARE * n
    rare = Xc[:, np.flatnonzero(~frequent)].tocsr().astype(np.float64)  # products summed in float64, as BLAS does
    Xc = Xc[:, np.flatnonzero(frequent)]  # only the dense part is needed from here on
    K = np.empty((n, n), order="F")
    for start in range(0, n, ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        K[rows] = (rare[rows] @ rare.T).toarray()
    K += 1.0
    del rare
    for start in range(0, Xc.shape[1], CHUNK):
        block = np.asfortranarray(Xc[:, start:start + CHUNK].toarray())
        K = dsyrk(1.0, block, beta=1.0, c=K, lower=1, overwrite_c=1)  # lower triangle only
    for start in range(0, n, CHUNK):  # mirror the lower triangle into the upper one, block by block
        end = min(start + CHUNK, n)
        square = K[start:end, start:end]
        square[...] = np.tril(square) + np.tril(square, -1).T
        K[start:end, end:] = K[end:, start:end].T
    return K
