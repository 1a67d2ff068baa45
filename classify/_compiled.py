"""Compiled loops for the hot spots of labelling and training, used when numba is installed.

- ``score`` (:meth:`classify.fitted.FittedFeatures.dot`): the numpy path counts a chunk's
  n-grams with a few passes per n-gram (:mod:`classify._ngrams`). This kernel does the same
  arithmetic in one loop per text: the slots (dense column ids, :class:`classify._ngrams.TokenHashes`)
  of its words, bigrams (``pair_slots``, run first) and of the char n-grams of each distinct
  token are counted in a scratch table, then every touched slot adds ``(1 + log count)`` times
  its row ``[idf, idf * weights]`` to the text's scores, block by block, each block divided by
  its L2 norm. Same hashing and features; scores equal up to float32 rounding.
- ``count_rows`` (:meth:`classify.features.TextFeatures.transform` and ``fit``): the same
  counts as canonical CSR rows; the matrices are bit for bit the numpy path's.
- ``literals`` (:class:`classify._fastre.Scan`): one pass per text finds where the strings the
  stance cue patterns require (and start with) first occur, so only patterns whose strings are
  all there run the regex engine, from there on. Results are exactly ``pattern.search``'s.
- ``token_keys`` and ``probe`` (:mod:`classify._tokens`): the token hashes and vocabulary ids
  of the numpy scan, in one loop.

``tests/test_compiled.py``, ``test_ngrams.py``, ``test_tokens.py`` and ``test_fastre.py`` run
both paths. numba is optional (``pip install ".[fast]"`` in the checkout); without it, or with
``CLASSIFY_NO_JIT=1`` in the environment, :func:`kernel` returns None and the numpy paths run.
The kernels live in :mod:`classify._kernels`, compiled on first use and cached on disk by numba
(``cache=True``), so only the first process after an install pays the compilation (a few
seconds); later processes load them in ~0.3 s.
"""

from __future__ import annotations

import os
import threading

NAMES = ("score", "pair_slots", "count_rows", "literals", "token_keys", "probe")
_kernels: dict | None = None
_LOADING = threading.Lock()  # threads making their first call wait for the kernels, not take the numpy paths meanwhile


def kernel(name: str):
    """The compiled function ``name`` (one of :data:`NAMES`), or None when numba is missing or disabled."""
    if _kernels is None:
        with _LOADING:
            if _kernels is None:
                _load()
    return _kernels.get(name)


def _load() -> None:
    global _kernels
    found: dict = {}
    if os.environ.get("CLASSIFY_NO_JIT", "") in ("", "0"):
        try:
            from classify import _kernels as compiled
        except ImportError:  # numba is not installed: the numpy paths
            pass
        except Exception as exc:  # installed but unusable (e.g. no writable cache directory): say so once
            import warnings

            warnings.warn(f"classify: numba's kernels are unavailable ({type(exc).__name__}: {exc}); labelling uses the "
                          "numpy code paths (about 3.5x slower). Set NUMBA_CACHE_DIR to a writable folder, or CLASSIFY_NO_JIT=1 "
                          "to silence this.", RuntimeWarning, stacklevel=4)
        else:
            found = {name: getattr(compiled, name) for name in NAMES}
    _kernels = found  # set once complete: no thread sees a half-filled table



_held_across_fork = None  # numba's compiler lock while a fork is under way


def before_fork() -> None:
    """Hold numba's compiler lock across a fork (see :mod:`classify._tokens`, which calls this with
    its own lock held, in that order, as labelling takes them). numba compiles, or loads a kernel
    from its cache, under one process-wide lock: a process forked while another thread held it
    waited forever at its first call (3 of 20 forks beside a labelling thread)."""
    global _held_across_fork
    if _kernels:
        from numba.core.compiler_lock import global_compiler_lock

        global_compiler_lock.acquire()
        _held_across_fork = global_compiler_lock


def after_fork() -> None:
    """Release what :func:`before_fork` held, in the parent and in the child (the forking thread owns it in both)."""
    global _held_across_fork
    if _held_across_fork is not None:
        held, _held_across_fork = _held_across_fork, None
        held.release()
