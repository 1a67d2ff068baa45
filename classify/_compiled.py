"""Compiled loops for the two hot spots of labelling, used when numba is installed.

- :meth:`classify.fitted.FittedFeatures.dot`: the numpy path counts a chunk's n-grams with a few
  passes per n-gram (:mod:`classify._ngrams`), most of labelling's time. The ``score`` kernel
  does the same arithmetic in one loop per document: word and bigram columns and the char
  n-gram slots of each distinct token are counted in dense scratch tables, then every touched
  entry adds ``(1 + log count) * idf`` times its weight row to the document's scores, block by
  block, each block divided by its L2 norm. Same hashing, features and scores up to float32
  rounding.
- :func:`classify._fastre.search_many`: the ``literals`` kernel finds, in one pass per text,
  which of the strings the stance cue patterns require occur, so only patterns whose strings
  are all there run the regex engine. Results are exactly ``pattern.search``'s.

``tests/test_compiled.py`` compares both paths. numba is optional (``pip install
"classify[fast]"``); without it, or with ``CLASSIFY_NO_JIT=1`` in the environment, :func:`kernel`
returns None and the numpy paths run. The kernels live in :mod:`classify._kernels`, compiled on
first use and cached on disk by numba (``cache=True``), so only the first process after an
install pays the compilation (a few seconds).
"""

from __future__ import annotations

import os

_kernels: dict | None = None


def kernel(name: str):
    """The compiled function ``name`` (``"score"``, ``"literals"``, ``"token_keys"``, ``"probe"``), or None when numba is missing or disabled."""
    global _kernels
    if _kernels is None:
        _kernels = {}
        if os.environ.get("CLASSIFY_NO_JIT", "") in ("", "0"):
            try:
                from classify import _kernels as compiled
            except ImportError:
                pass
            else:
                _kernels = {name: getattr(compiled, name) for name in ("score", "count_rows", "literals", "token_keys", "probe")}
    return _kernels.get(name)
