"""Tests of classify._tokens: the vectorised tokeniser finds exactly ``re.findall(r"\\w+", text.lower())``."""

from __future__ import annotations

import os
import random
import re

import numpy as np
import pytest
from conftest import needs_numba

from classify import _tokens
from classify._tokens import Vocabulary

ODD = [
    "", "   ", "Bent u bereid meer munitie aan Oekraïne te leveren?", "Schaduwvloot 🚢 in de Noordzee!",
    "İstanbul ĲSSEL éën naïve ß", "a\ud800b c", "x" * 5000, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ok_1 ²³ ½ ٣", "Ǆemal ǅ", "de de de de",
    "tab\there\nnew-line", "F-16's € 5,3 mld.", "ſtraße Kelvin K", "日本語のテキスト", "\x00nul\x00",
]


def tokens_of(vocabulary, texts):
    ids, counts = vocabulary.tokenize(texts)
    words = [vocabulary.strings[i] for i in ids]
    out, at = [], 0
    for c in counts:
        out.append(words[at : at + c])
        at += c
    return out


def test_tokens_equal_the_regex_on_odd_texts(kernels):
    assert tokens_of(Vocabulary(), ODD) == [re.findall(r"\w+", t.lower()) for t in ODD]


def test_tokens_equal_the_regex_on_random_unicode(kernels):
    rng = random.Random(3)
    pool = "abcXYZ019_ -.,!?\n\téëïÉ" + "".join(map(chr, (0x130, 0x131, 0x17F, 0x2160, 0x1D400, 0x1F6A2, 0x0663, 0x4E00)))
    texts = ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 60))) for _ in range(300)]
    assert tokens_of(Vocabulary(), texts) == [re.findall(r"\w+", t.lower()) for t in texts]


@needs_numba
def test_both_paths_give_the_same_ids(monkeypatch):
    from classify import _compiled

    bmp = [t for t in ODD if all(ord(c) <= 0xFFFF for c in t)]  # chunks with astral characters take the numpy scan
    batches = [ODD + ["Nee, het kabinet deelt die mening niet."] * 3, bmp, [t for t in bmp if t.isascii()]]
    compiled = [Vocabulary().tokenize(texts) for texts in batches]
    assert tokens_of(Vocabulary(), batches[1]) == [re.findall(r"\w+", t.lower()) for t in batches[1]]
    monkeypatch.setattr(_compiled, "_kernels", {})
    plain = [Vocabulary().tokenize(texts) for texts in batches]
    assert all(np.array_equal(a, b) for c, p in zip(compiled, plain) for a, b in zip(c, p))


def test_ids_are_stable_within_a_generation_and_texts_span_chunks(monkeypatch, kernels):
    monkeypatch.setattr(_tokens, "_CHUNK_CHARS", 64)  # many small chunks, and texts longer than one
    vocabulary = Vocabulary()
    texts = ODD * 3
    first, counts = vocabulary.tokenize(texts)
    again, _ = vocabulary.tokenize(texts)
    assert np.array_equal(first, again)
    assert [len(x) for x in tokens_of(vocabulary, texts)] == counts.tolist()


def test_a_full_vocabulary_starts_a_new_generation():
    vocabulary = Vocabulary(limit=20)
    texts = [f"woord{i} en nog{i} meer" for i in range(30)]
    assert tokens_of(vocabulary, texts[:10]) == [t.split() for t in texts[:10]]
    assert vocabulary.generation == 0 and len(vocabulary.strings) > 20
    assert tokens_of(vocabulary, texts[10:]) == [t.split() for t in texts[10:]]
    assert vocabulary.generation == 1  # cleared before the batch, so a batch never mixes generations


def test_the_latest_batch_is_reused_for_a_subset_of_its_texts():
    texts = ["eerste vraag", "tweede vraag hier", "derde"]
    with _tokens.LOCK:
        whole = _tokens.tokenize(texts)
        part = _tokens.tokenize([texts[2], texts[0]])
    assert part.counts.tolist() == [1, 2]
    assert part.ids.tolist() == whole.ids[[5, 0, 1]].tolist()


def test_equal_but_distinct_text_objects_are_tokenised_afresh():
    a = "".join(["een ", "vraag"])
    b = "".join(["een ", "vraag"])  # equal, another object: the memo keys on identity
    with _tokens.LOCK:
        _tokens.tokenize([a])
        assert _tokens.tokenize([b]).ids.tolist() == _tokens.tokenize([a]).ids.tolist()


@pytest.mark.parametrize("limit", [1, 5])
def test_tiny_limits_still_tokenise_correctly(limit):
    vocabulary = Vocabulary(limit=limit)
    for text in ODD:
        assert tokens_of(vocabulary, [text]) == [re.findall(r"\w+", text.lower())]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_process_forked_while_another_thread_tokenises_does_not_hang():
    """A child forked while a labelling thread held the token lock waited for it forever (3 of 20
    forks in a web-service setting): forking now waits for the lock, and the child gets its own."""
    import multiprocessing
    import threading

    held, done = threading.Event(), threading.Event()

    def tokenising():
        with _tokens.LOCK:
            held.set()
            done.wait(0.5)

    thread = threading.Thread(target=tokenising)
    thread.start()
    held.wait()
    child = multiprocessing.get_context("fork").Process(target=_tokenise_once)
    child.start()
    child.join(30)
    done.set()
    thread.join()
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0


def _tokenise_once():
    with _tokens.LOCK:
        tokens_of(Vocabulary(), ["Steun aan Oekraïne?"])
