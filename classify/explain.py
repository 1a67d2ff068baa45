"""Why a model decided what it did: the words and phrases of one text that pushed each decision.

Both heads are linear: a decision score is ``intercept + sum_c x[c] * W[c, j]`` over the hashed
TF-IDF features ``x`` of the text. That sum is split exactly over what produced each feature:

- the word block of a field holds unigrams and bigrams; a hashed column shared by several of
  them (a collision) is split in proportion to their counts;
- the char block holds the character n-grams of each word; they are credited to the word they
  came from (a word's total = its unigram + its char n-grams), shared n-grams again by counts.

The feature values are the model's own (``transform`` of its fitted featuriser, so the same
tokenisation, salts and IDF); only the mapping from n-gram to hashed column is recomputed here.
That mapping must reproduce every non-zero column the featuriser produced, and the
contributions must add up to the model's decision score; both are checked on every call, so a
change of the hashing in :mod:`classify.features` fails loudly instead of explaining wrongly.

Topic contributions are in the units of the raw linear score (before Platt calibration, which is
monotone). The stance is explained as the margin of the predicted label over the runner-up:
what made it ``agree`` rather than ``non_committal``.
"""

from __future__ import annotations

import copy
import math
import numbers
import zlib
from collections import defaultdict

import numpy as np

from classify._ngrams import MAX_TOKEN_CHARS, unaccented
from classify.errors import ClassifyError, DataError
from classify.features import TextFeatures
from classify.fitted import _BIGRAM_MULT, _TOKEN, canonical

_TOLERANCE = 1e-3  # |sum of contributions + intercept - decision score|; float32 features


class ExplainError(ClassifyError, RuntimeError):
    """The explanation does not reproduce the model's score (features.py and explain.py disagree)."""


def _hash_items(f: TextFeatures, text: str):
    """Map n-grams of ``text`` to hashed columns: (word block, char block) as {col: {item: count}}.

    Items are ``("word", token)`` or ``("phrase", "a b")``. Mirrors ``TextFeatures._counts``.
    """
    tokens = _TOKEN.findall(text.lower())
    hashed = {t: unaccented(t) if f.strip_accents else t for t in tokens}  # items keep the text's spelling
    n = np.uint64(f.n_features)
    wsalt, csalt = f.salt & 0xFFFFFFFF, ~f.salt & 0xFFFFFFFF
    hashes = np.asarray([zlib.crc32(hashed[t].encode("utf-8", "surrogatepass"), wsalt) for t in tokens], dtype=np.uint64)
    words: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for t, col in zip(tokens, (hashes % n).astype(np.int64), strict=True):
        words[int(col)][("word", t)] += 1
    if f.word_ngrams >= 2 and len(tokens) > 1:
        cols = ((hashes[:-1] * _BIGRAM_MULT + hashes[1:] + np.uint64(1)) % n).astype(np.int64)
        for a, b, col in zip(tokens[:-1], tokens[1:], cols, strict=True):
            words[int(col)][("phrase", f"{a} {b}")] += 1
    chars: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    lo, hi = f.char_range
    if hi > 0:
        counts: dict[str, int] = defaultdict(int)
        for t in tokens:
            counts[t] += 1
        for t, c in counts.items():
            padded = f" {hashed[t]} "[: MAX_TOKEN_CHARS + 2]  # as the featuriser counts them
            for size in range(lo, hi + 1):
                for i in range(len(padded) - size + 1):
                    col = zlib.crc32(padded[i : i + size].encode("utf-8", "surrogatepass"), csalt) % f.n_features
                    chars[col][("word", t)] += c
    return words, chars


def _blocks(f: TextFeatures, text: str):
    """The model's own feature values of ``text``, split into (word block, char block) rows."""
    full = f.transform([text]).tocsr()
    words_only = copy.copy(f)  # shares the fitted IDF; char_weight 0 drops the char block
    words_only.char_weight = 0.0
    w = words_only.transform([text]).tocsr()
    c = (full - w).tocsr()
    c.data[np.abs(c.data) < 1e-9] = 0.0  # float noise where both blocks share a column
    c.eliminate_zeros()
    return w, c


def attribute(f: TextFeatures, text: str, weights: np.ndarray, scale: float = 1.0, field: str = "text"):
    """Contributions ``{(field, kind, text): array(n_outputs)}`` of the n-grams of ``text``.

    ``weights`` is the ``(n_features, n_outputs)`` weight matrix (or a column subset of it);
    ``scale`` multiplies the features (the stance head down-weights the question). The values
    sum exactly to ``scale * f.transform([text]) @ weights``.

    Examples
    --------
    >>> f = TextFeatures(n_features=2**10).fit(["steun aan Oekraïne", "zorg"])
    >>> parts = attribute(f, "steun aan Oekraïne", np.ones((2**10, 1), np.float32))
    >>> sorted(k[2] for k in parts)[:3]
    ['aan', 'aan oekraïne', 'oekraïne']
    """
    weights = np.asarray(weights).reshape(f.n_features, -1)
    w_block, c_block = _blocks(f, text)
    w_items, c_items = _hash_items(f, text)
    out: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(weights.shape[1]))
    for block, items, name in ((w_block, w_items, "word"), (c_block, c_items, "char")):
        missing = [int(col) for col in block.indices if int(col) not in items]
        if missing:
            raise ExplainError(
                f"explain cannot map {len(missing)} {name} feature(s) of this text back to n-grams (first column "
                f"{missing[0]}); classify.features hashes differently from classify.explain. Update explain.py."
            )
        for col, value in zip(block.indices, block.data, strict=True):
            shares = items[int(col)]
            total = sum(shares.values())
            contribution = scale * float(value) * weights[col].astype(np.float64)
            for (kind, item), count in shares.items():
                out[(field, kind, item)] += contribution * (count / total)
    return dict(out)


def _ranked(parts: dict, column: int | np.ndarray, top: int) -> tuple[list[dict], list[dict], dict]:
    """Top ``top`` items pushing up and pushing down one output (or a difference of outputs), and the
    ``rest``: how many items are not listed and what they add up to (so the lists plus the rest
    are the score, and a reader adding up the lists is not misled)."""
    values = [(key, float(v[column]) if np.ndim(column) == 0 else float(v @ column)) for key, v in parts.items()]
    values = [(k, v) for k, v in values if abs(v) > 1e-6]

    def row(key, v):  # unrounded: thousands of rounded weights would not add up to the score
        item = {"text": key[2], "kind": key[1], "field": key[0], "weight": v}
        if key[1] == "cue":
            from classify.cues import describe

            item["meaning"] = describe(key[2])
        return item

    up = sorted((kv for kv in values if kv[1] > 0), key=lambda kv: (-kv[1], kv[0]))[:top]
    down = sorted((kv for kv in values if kv[1] < 0), key=lambda kv: (kv[1], kv[0]))[:top]
    listed = {key for key, _ in up + down}
    unlisted = [v for key, v in values if key not in listed]  # summed on their own: exactly 0.0 when none is left out
    rest = {"count": len(unlisted), "weight": math.fsum(unlisted)}
    return [row(*kv) for kv in up], [row(*kv) for kv in down], rest


def _check(total: float, expected: float, what: str) -> None:
    if not abs(total - expected) <= _TOLERANCE * max(1.0, abs(expected)):
        raise ExplainError(
            f"explanation of {what} adds up to {total:.5f} but the model scores {expected:.5f}; "
            "classify.features and classify.explain disagree. Update explain.py."
        )


def explain(model, question: str, answer: str | None = None, *, top: int = 10, topics=None) -> dict:
    """Explain the model's decisions on one record by the n-grams that drove them.

    Parameters
    ----------
    model : Model
    question, answer : str
        The record; without an answer the stance is not explained.
    top : int
        How many items to list in each direction (for / against).
    topics : list of str, optional
        Topic labels to explain. Default: the predicted ones, or, when none is predicted, the
        one closest to its threshold (marked ``predicted: false``), so the user sees why not.

    Returns
    -------
    dict
        ``{"heads": [...], "predicted_topics": [...], "topics": [...], "stance": {...} or None}``
        (``heads`` as in :attr:`Model.heads`; ``predicted_topics`` as ``predict`` gives them, None
        without a topic head; the stance is None without an answer or a stance head); each
        explained decision has its ``score``, ``intercept``, the exact ``for`` / ``against``
        lists of ``{"text", "kind" ("word" or "phrase"), "field", "weight"}``, and
        ``score == intercept + sum(all weights)`` (the lists are truncated to ``top``).

    Examples
    --------
    >>> import classify
    >>> e = explain(classify.load(), "Komt er meer steun voor Oekraïne?", "Ja.")
    >>> e["topics"][0]["label"], e["topics"][0]["for"][0]
    ('ukraine_support', {'text': 'oekraïne', 'kind': 'word', 'field': 'question', 'weight': ...})
    """
    if not isinstance(question, str) or not question.strip():
        raise DataError("explain needs a non-empty question text.")
    if isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1:
        raise DataError(f"top must be a whole number >= 1 (words and phrases listed per direction), got {top!r}.")
    top = int(top)
    topics = [topics] if isinstance(topics, str) else topics  # one label: "ukraine_support" was read letter by letter
    answer = canonical(answer) if isinstance(answer, str) and answer.strip() else None
    question = canonical(question)  # as the model reads it (NFC, no soft hyphens): the n-grams must be the features'
    result: dict = {"heads": model.heads, "predicted_topics": None, "topics": [], "stance": None}
    if model.topics is not None:
        result["predicted_topics"], result["topics"] = _explain_topics(model, question, top, topics)
    if model.stance is not None and answer is not None:
        result["stance"] = _explain_stance(model, question, answer, top)
    return result


def _explain_topics(model, question: str, top: int, wanted) -> tuple[list[str], list[dict]]:
    """(the predicted topics, the explanations of the ``wanted`` ones, else of the predicted ones)"""
    head = model.topics
    labels = list(model.schema.topics)
    proba = head.predict_proba([question])[0]
    score = head.decision_function([question])[0]
    # the head's own decoding (thresholds, and label-count bounds where it has them), as predict uses it
    decided = head.decide(proba[None])[0].astype(bool) if hasattr(head, "decide") else proba >= head.thresholds_
    if wanted:
        for label in wanted:
            model.schema.topic_index(label)  # raises with the known labels
        chosen = [labels.index(t) for t in wanted]
    else:
        chosen = [j for j in range(len(labels)) if decided[j]]
        if not chosen and labels:
            logit = lambda p: np.log(np.clip(p, 1e-9, 1 - 1e-9) / np.clip(1 - p, 1e-9, 1))  # noqa: E731
            chosen = [int(np.argmin(np.abs(logit(proba) - logit(head.thresholds_))))]
    parts = attribute(head.features_, question, head.weights_[:, chosen], field="question")
    out = []
    for i, j in enumerate(chosen):
        total = sum(float(v[i]) for v in parts.values())
        _check(total + head.intercept_[j], score[j], f"topic {labels[j]!r}")
        up, down, rest = _ranked(parts, i, top)
        out.append({
            "label": labels[j],
            "predicted": bool(decided[j]),
            "probability": round(float(proba[j]), 4),
            "threshold": round(float(head.thresholds_[j]), 4),
            "score": float(score[j]),
            "intercept": float(head.intercept_[j]),
            "calibration": [float(x) for x in head.platt_[j]],  # probability = sigmoid(a * score + b)
            "for": up,
            "against": down,
            "rest": rest,
        })
    return [labels[j] for j in range(len(labels)) if decided[j]], out


def _extra_parts(head, answer: str, weights: np.ndarray) -> dict:
    """Contributions of the stance cues (:mod:`classify.cues`), named by cue, if the head uses them."""
    weight = getattr(head, "cue_weight", 0)
    if not weight or not answer:
        return {}
    from classify.cues import column, cue_names

    names = cue_names(answer)
    if not names:
        return {}
    value = weight / np.sqrt(len(names))
    fold = head.answer_features_.strip_accents
    return {("answer", "cue", name): value * weights[column(name, weights.shape[0], fold)].astype(np.float64) for name in names}


def _explain_stance(model, question: str, answer: str, top: int) -> dict:
    head = model.stance
    labels = list(model.schema.stances)
    proba = head.predict_proba([(question, answer)])[0]
    score = head.decision_function([(question, answer)])[0]
    order = np.argsort(-proba, kind="stable")
    k, r = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
    parts = attribute(head.answer_features_, answer, head.weights_, field="answer")
    if head.question_weight:
        parts.update(attribute(head.question_features_, question, head.weights_, head.question_weight, "question"))
    parts.update(_extra_parts(head, answer, head.weights_))
    # whatever the head adds beyond text and cues (a feature this module does not know yet) is shown as
    # one honest remainder instead of being dropped, so the lists always add up to the score
    remainder = score - head.intercept_ - sum(parts.values(), np.zeros(len(labels)))
    if np.abs(remainder).max() > 1e-4:
        parts[("answer", "other", "(other features)")] = remainder
    diff = np.zeros(len(labels))
    diff[k] += 1.0
    diff[r] -= 1.0
    total = sum(float(v @ diff) for v in parts.values())
    margin = float(score[k] - score[r])
    _check(total + head.intercept_[k] - head.intercept_[r], margin, f"stance {labels[k]!r} over {labels[r]!r}")
    up, down, rest = _ranked(parts, diff, top)
    return {
        "label": labels[k],
        "versus": labels[r],
        "probability": round(float(proba[k]), 4),
        "versus_probability": round(float(proba[r]), 4),
        "scores": {label: float(v) for label, v in zip(labels, score)},
        "link": head.link_,  # how scores become probabilities: see format_explanation
        "margin": margin,
        "intercept": float(head.intercept_[k] - head.intercept_[r]),
        "for": up,
        "against": down,
        "rest": rest,
    }


def format_explanation(explanation: dict, record_id: str | None = None) -> str:
    """Render :func:`explain`'s result as plain text for a terminal."""
    lines = [f"record {record_id}"] if record_id else []

    def items(part):
        for row in part["for"] + part["against"]:
            where = row["field"] + (" cue" if row["kind"] == "cue" else "")
            meaning = f"  {row['meaning']}" if row.get("meaning") else ""
            lines.append(f"      {'+' if row['weight'] > 0 else '-'} {where + ': ' + row['text']:<50} {row['weight']:+.3f}{meaning}")
        rest = part.get("rest") or {}
        if rest.get("count"):
            others = f"{rest['count']} more words and phrases, together"
            lines.append(f"        {others:<50} {rest['weight']:+.3f}")

    heads = explanation.get("heads", ["topics", "stance"])
    topics = explanation.get("topics") or []
    predicted = explanation.get("predicted_topics")
    predicted = [t["label"] for t in topics if t["predicted"]] if predicted is None else predicted
    if "topics" in heads:
        lines.append("  topics: " + (", ".join(predicted) if predicted else "(none)"))
    else:
        lines.append("  topics: - (the model has no topic head)")
    for t in topics:
        note = "" if t["predicted"] else "  (not predicted)"
        lines.append(
            f"    {t['label']}  p={t['probability']:.3f} (threshold {t['threshold']:.3f})  "
            f"score {t['score']:+.3f} = intercept {t['intercept']:+.3f} + contributions{note}"
        )
        if t.get("calibration"):
            a, b = t["calibration"]
            lines.append(f"      (p = sigmoid({a:.3f} x score {'+' if b >= 0 else '-'} {abs(b):.3f}), the label's calibration)")
        items(t)
    s = explanation.get("stance")
    if s is None:
        lines.append("  stance: - " + ("(no answer)" if "stance" in heads else "(the model has no stance head)"))
    else:
        lines.append(
            f"  stance: {s['label']} (p={s['probability']:.3f}) over {s['versus']} (p={s['versus_probability']:.3f})  "
            f"margin {s['margin']:+.3f} = intercept {s['intercept']:+.3f} + contributions"
        )
        if s.get("scores"):
            how = "the softmax of the scores" if s.get("link") == "softmax" else "each stance's sigmoid(score), divided by their sum"
            lines.append(f"      (margin: score of {s['label']} {s['scores'][s['label']]:+.3f} minus score of {s['versus']} "
                         f"{s['scores'][s['versus']]:+.3f}; p: {how})")
        items(s)
    return "\n".join(lines)
