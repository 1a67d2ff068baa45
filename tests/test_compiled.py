"""Tests of classify._compiled: the numba kernels give the numpy path's scores, and are optional."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import DATA_DIR, needs_numba

import classify
from classify import _compiled
from classify.features import TextFeatures

TEXTS = [
    "Bent u bereid meer munitie aan Oekraïne te leveren?", "Ja, het kabinet levert extra munitie.", "", "   ",
    "Schaduwvloot 🚢 in de Noordzee!", "İstanbul ĲSSEL éën naïve ß", "munitie munitie munitie " * 120,
    "x" * 300, "Is the minister aware of the shadow fleet? ✓ ½ ٣", "de de de de de", "F-16's € 5,3 mld.",
]



def numpy_only(fn, *args):
    """``fn(*args)`` with the compiled kernels switched off (the path of an install without numba)."""
    saved = _compiled._kernels
    _compiled._kernels = {}
    try:
        return fn(*args)
    finally:
        _compiled._kernels = saved


@needs_numba
def test_threads_making_their_first_call_together_all_get_the_kernels(monkeypatch):
    """The table was set empty before numba's import: a thread asking meanwhile took the numpy path
    (scores 1e-8 apart from the others')."""
    import threading

    import classify

    monkeypatch.setattr(_compiled, "_kernels", None)
    monkeypatch.delitem(sys.modules, "classify._kernels")  # imported afresh: the first call takes its ~0.3 s
    monkeypatch.delattr(classify, "_kernels")
    start, seen = threading.Barrier(4), {}

    def first_call(i):
        start.wait()
        seen[i] = _compiled.kernel("score")

    threads = [threading.Thread(target=first_call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(found is not None for found in seen.values()) and len(seen) == 4


@needs_numba
@pytest.mark.parametrize("params", [
    {},
    {"word_ngrams": 1},
    {"char_range": (0, 0)},
    {"char_range": (3, 5), "char_weight": 1.7},
    {"char_weight": 0.0},
    {"n_features": 1000, "salt": 2},  # not a power of two
])
def test_score_kernel_equals_the_numpy_path(params):
    rng = random.Random(3)
    words = " ".join(TEXTS).split()
    corpus = TEXTS + [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 60))) for _ in range(200)]
    f = TextFeatures(**{"n_features": 2**14, **params}).fit(corpus)
    weights = np.random.default_rng(0).normal(size=(f.n_features, 3)).astype(np.float32)
    fast = f.dot(corpus, weights)
    slow = numpy_only(f.dot, corpus, weights)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fast, f.transform(corpus) @ weights, rtol=1e-4, atol=1e-4)


@needs_numba
def test_score_kernel_is_batch_independent():
    # a record's scores do not depend on what else is in its batch
    f = TextFeatures(n_features=2**12).fit(TEXTS)
    weights = np.random.default_rng(1).normal(size=(f.n_features, 2)).astype(np.float32)
    together = f.dot(TEXTS, weights)
    alone = np.vstack([f.dot([t], weights) for t in TEXTS])
    np.testing.assert_array_equal(together, alone)



@needs_numba
def test_score_kernel_follows_the_slot_tables_as_they_grow():
    # every batch brings unseen words and bigrams: the slot tables (one per weight matrix) grow
    # by doubling between calls, and a table built for one matrix catches up on the slots
    # another matrix's calls added meanwhile
    rng = random.Random(5)
    f = TextFeatures(n_features=2**16).fit(TEXTS)
    a, b = (np.random.default_rng(i).normal(size=(f.n_features, 2)).astype(np.float32) for i in (2, 3))
    for round_ in range(6):
        batch = [" ".join(f"w{rng.randrange(10**6)}" for _ in range(rng.randrange(1, 80))) for _ in range(40)]
        for weights in ((a, b) if round_ % 2 else (a,)):
            np.testing.assert_allclose(f.dot(batch, weights), numpy_only(f.dot, batch, weights), rtol=1e-5, atol=1e-5)
    cache = f._cache
    assert len(cache.columns) > 1024  # past the first capacity
    assert len(set(cache.columns.tolist())) == len(cache.columns)  # one slot per column

@needs_numba
def test_shipped_model_labels_real_records_alike_on_both_paths():
    path = DATA_DIR / "be_kamer_2017_qa.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent; set CLASSIFY_DATA_DIR to compare both paths on real records")
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for _, line in zip(range(600), handle, strict=False)]
    questions, answers = [r["question"] for r in records], [r.get("answer") for r in records]
    model = classify.load()
    fast = model.predict_proba(questions, answers)
    slow = numpy_only(model.predict_proba, questions, answers)
    np.testing.assert_allclose(fast[0], slow[0], atol=1e-5)
    np.testing.assert_allclose(fast[1], slow[1], atol=1e-5)
    labels = [(r["topics"], r["stance"]) for r in model.predict(questions, answers)]
    assert labels == [(r["topics"], r["stance"]) for r in numpy_only(model.predict, questions, answers)]


def test_no_jit_environment_variable_selects_the_numpy_path():
    code = "from classify import _compiled; print(_compiled.kernel('score') is None)"
    env = {**os.environ, "CLASSIFY_NO_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_labelling_works_without_numba(tmp_path):
    # an install without the [fast] extra: numba cannot be imported at all
    blocker = tmp_path / "numba.py"
    blocker.write_text("raise ImportError('numba is not installed here')\n")
    code = ("import classify, json; from classify import _compiled; m = classify.load(); "
            "r = m.predict(['Komt er meer munitie voor Oekraïne?'], ['Ja, het kabinet levert extra munitie.']); "
            "print(json.dumps([_compiled.kernel('score') is None, r[0]['stance']]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    no_kernel, stance = json.loads(out)
    assert no_kernel is True
    assert stance in classify.load().schema.stances


def test_an_unusable_numba_falls_back_with_a_warning(tmp_path):
    # numba present but failing at import (as with no writable cache directory): numpy paths, one warning
    blocker = tmp_path / "numba.py"
    blocker.write_text("raise RuntimeError('cannot cache function: no locator available')\n")
    code = ("import warnings, classify; from classify import _compiled\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    first, again = _compiled.kernel('score'), _compiled.kernel('literals')\n"
            "    r = classify.load().predict(['Komt er meer munitie voor Oekraïne?'])\n"
            "print(first is None and again is None, len(caught), 'NUMBA_CACHE_DIR' in str(caught[0].message), bool(r[0]['topic_scores']))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    env.pop("CLASSIFY_NO_JIT", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "1", "True", "True"]
