"""Stance cues: how a Dutch government answer opens, and the stock phrases of deferral, refusal,
agreement and reference that the annotation spec names.

Bag-of-n-gram features see "nee" anywhere in a long answer; these features say *where* (the
opening words) and fold the many surface forms of one move ("wacht ... af", "kan niet
vooruitlopen op", "zal uw Kamer nader informeren") into one feature, which rare stances need.
They are stateless (nothing to fit or store) and land in the same hashed space as the text
features, in their own namespace.
"""

from __future__ import annotations

import functools
import re
import zlib

import numpy as np

from classify._fastre import Scan
from classify._ngrams import unaccented

_SALT = 3
_OPENING = re.compile(r"\w+")
_FIRST = 240  # characters that count as the answer's opening
_SHORT, _LONG = 200, 1500  # characters: shorter answers get "length:short", longer ones "length:long"

# patterns are ASCII (the cue scan's fast path needs them so): "ge?.nformeerd" is "geïnformeerd", and
# "geinformeerd" as the Belgian answers spell it
CUES = {
    "defer": [
        r"wacht\w*\b.{0,60}\baf\b", r"vooruit(te)?lopen", r"nog niet (bekend|duidelijk|mogelijk|besloten|vastgesteld)",
        r"nader (te )?informeren", r"(zal|zullen|wordt|worden) .{0,40}ge?.nformeerd", r"informeren\b.{0,40}\bzodra",
        r"in afwachting", r"(wordt|worden) (nog )?(onderzocht|bekeken|bestudeerd|geanalyseerd)", r"\bbezien\b",
        r"te vroeg", r"kom(en)? .{0,20}(hier|daar)op terug", r"niet mogelijk om .{0,30}(in te schatten|te zeggen|aan te geven)",
        r"niet (te )?voorspellen", r"op (dit|het huidige) moment .{0,40}(niet|geen)", r"zal .{0,30}(laten )?onderzoeken",
    ],
    "elsewhere": [
        r"\bverwij[sz]", r"bevoegdheid", r"bevoegd\b", r"behoort (niet )?tot", r"(niet|geen) onderzo(ek|cht)",
        r"\baan de minister\b", r"op de weg van", r"zie (ook )?(het )?antwoord", r"antwoord op (de )?vraag",
    ],
    "refuse": [
        r"^\W*(nee|neen)\b", r"\bdeel\w* [^.;]{0,40}\bniet\b", r"niet (van plan|de bedoeling|nodig|wenselijk|opportuun|aangewezen)",
        r"geen (aanleiding|reden|noodzaak|plannen|sprake|enkele aanwijzing|meerwaarde)", r"(kan|kunnen) .{0,20}niet bevestigen",
        r"niet openbaar", r"\bonjuist\b", r"niet juist", r"niet (aan de orde|aangetast)", r"\bweerleg", r"\bnee,",
    ],
    "agree": [
        r"^\W*(ja|inderdaad|zeker)\b", r"\bdeel\w* (uw|de|deze|die|het) (zorg|mening|opvatting|analyse|standpunt|wens)(?![^.;]{0,40}\bniet\b)",
        r"\beens\b(?<!niet eens)(?<!niet mee eens)(?<!niet daarmee eens)", r"(zal|zullen|gaat|gaan) .{0,50}\b(inzetten|zorgen|nemen|aanpassen|verhogen|uitbreiden|versterken)",
        r"(heb|hebben|heeft) .{0,40}\bingezet", r"\bwordt ingezet", r"\bsteun\w* (dit|deze|het) ", r"\bverwelkom",
        r"onderschrijf", r"\bis besloten", r"heb ik besloten", r"ben ik bereid",
    ],
    "inform": [r"\d", r"%|procent", r"\bmiljoen|\bmiljard|\beuro\b|€", r"bijlage", r"tabel"],
}
_PATTERNS = [re.compile(p, re.IGNORECASE | re.DOTALL) for patterns in CUES.values() for p in patterns]
_bounds = np.cumsum([0] + [len(patterns) for patterns in CUES.values()])
_GROUPS = {group: slice(int(a), int(b)) for group, a, b in zip(CUES, _bounds[:-1], _bounds[1:], strict=True)}  # of _PATTERNS


def cue_names(answer: str) -> list[str]:
    """Names of the cues present in one answer (opening words, phrase groups anywhere / at the start).

    Examples
    --------
    >>> sorted(cue_names("Nee. Het kabinet deelt deze zorg niet."))
    ['length:short', 'open1:nee', 'open2:nee het', 'refuse:any', 'refuse:opening', 'refuse:several']
    """
    return batch_cue_names([answer])[0]


def batch_cue_names(answers: list[str]) -> list[list[str]]:
    """:func:`cue_names` of every answer; the phrase patterns run over the whole batch at once."""
    # Scan: lowercased and scanned for the patterns' literals once; exactly p.search(...) is not None, much faster
    scan = Scan(_PATTERNS, answers)
    anywhere = scan.search()
    starts = [sl.start for sl in _GROUPS.values()]
    hits = np.add.reduceat(anywhere, starts, axis=1) if len(answers) else np.zeros((0, len(starts)), np.int64)
    group_of = np.repeat(np.arange(len(starts)), [sl.stop - sl.start for sl in _GROUPS.values()])
    opening = scan.search(only=(hits > 0)[:, group_of], limit=_FIRST)
    opening = np.logical_or.reduceat(opening, starts, axis=1) if len(answers) else hits > 0
    out = []
    for answer, row_hits, row_opening in zip(answers, hits.tolist(), opening.tolist(), strict=True):
        names = []
        words = _OPENING.findall(answer[:80].lower())[:2]
        if words:
            names.append(f"open1:{words[0]}")
            names.append(f"open2:{' '.join(words)}")
        for group, n_hits, at_opening in zip(_GROUPS, row_hits, row_opening, strict=True):
            if n_hits:
                names.append(f"{group}:any")
                if n_hits > 1:
                    names.append(f"{group}:several")
                if at_opening:
                    names.append(f"{group}:opening")
        if len(answer) < _SHORT:
            names.append("length:short")
        elif len(answer) > _LONG:
            names.append("length:long")
        out.append(names)
    return out


_MEANING = {  # what each phrase group stands for, with examples of its patterns, for readers of explanations
    "defer": "a deferral ('in afwachting', 'nader informeren', 'wordt onderzocht', ...)",
    "elsewhere": "a reference elsewhere ('verwijs', 'bevoegdheid', 'zie antwoord', ...)",
    "refuse": "a refusal or denial ('nee', 'geen aanleiding', 'niet van plan', ...)",
    "agree": "agreement or a commitment ('ja', 'deel uw zorg', 'ben ik bereid', ...)",
    "inform": "figures or sources (a digit, '%', 'miljoen', 'bijlage', 'tabel')",
}


def describe(name: str) -> str:
    """A cue name (:func:`cue_names`) in words, for explanations.

    Examples
    --------
    >>> describe("refuse:opening")
    "a refusal or denial ('nee', 'geen aanleiding', 'niet van plan', ...) in the answer's first 240 characters"
    >>> describe("open2:nee het")
    "the answer opens with 'nee het'"
    """
    kind, _, value = name.partition(":")
    if kind in ("open1", "open2"):
        return f"the answer opens with '{value}'"
    if kind == "length":
        return f"a short answer (under {_SHORT:,} characters)" if value == "short" else f"a long answer (over {_LONG:,} characters)"
    meaning = _MEANING.get(kind)
    if meaning is None:
        return name
    return {"several": f"{meaning}, more than once", "opening": f"{meaning} in the answer's first {_FIRST} characters"}.get(value, meaning)


def cue_entries(answers, n_features: int, weight: float = 1.0, strip_accents: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, values) of the cue indicators, each scaled to ``weight`` / sqrt(#cues).

    A row lists each cue once; two cue names may share a hashed column (their values then add).
    ``strip_accents``: the opening words count without their accents, as the answer featuriser reads words.
    """
    per_answer = batch_cue_names([answer or "" for answer in answers])
    lengths = np.fromiter(map(len, per_answer), np.int64, len(per_answer))
    cols = np.fromiter((column(name, n_features, strip_accents) for names in per_answer for name in names), np.int64, int(lengths.sum()))
    with np.errstate(divide="ignore"):
        value = weight / np.sqrt(lengths.astype(np.float64))  # answers without cues repeat nothing
    return np.repeat(np.arange(len(per_answer)), lengths), cols, np.repeat(value, lengths).astype(np.float32)


@functools.lru_cache(maxsize=65536)
def column(name: str, n_features: int, strip_accents: bool = False) -> int:
    """The hashed column of the cue ``name`` (``strip_accents``: of its words without their accents)."""
    return zlib.crc32((unaccented(name) if strip_accents else name).encode("utf-8"), _SALT) % n_features


def cue_matrix(answers, n_features: int, weight: float = 1.0, strip_accents: bool = False):
    """Sparse (n, n_features) matrix of the cue indicators (training builds features with it)."""
    import scipy.sparse as sp

    rows, cols, vals = cue_entries(answers, n_features, weight, strip_accents)
    m = sp.csr_matrix((vals, (rows, cols)), shape=(len(answers), n_features), dtype=np.float32)
    m.sum_duplicates()
    return m


def cue_scores(answers, n_features: int, weight: float, weights: np.ndarray, strip_accents: bool = False) -> np.ndarray:
    """``cue_matrix(answers, n_features, weight, strip_accents) @ weights`` without SciPy (prediction needs numpy only)."""
    rows, cols, vals = cue_entries(answers, n_features, weight, strip_accents)
    out = np.zeros((len(answers), weights.shape[1]), np.float32)
    np.add.at(out, rows, weights[cols] * vals[:, None])
    return out
