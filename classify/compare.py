"""What retraining did: two models scored on the same annotations, label by label and record by record.

The per-label table gives both models' precision, recall and F1 and their difference; the record
list gives every annotated record whose predicted labels differ between the two models, with the
gold labels and a verdict: ``fixed`` (the new model makes fewer errors on it than the old one),
``broken`` (more errors), ``changed`` (as many, e.g. one wrong label for another).

Figures on records a model was trained on are optimistic; both models' manifests list their
training ids, and the report counts how many of the compared records each model has seen, so
the user knows whether the comparison is on held-out data.
"""

from __future__ import annotations

import warnings
from collections import Counter

from classify.annotations import Annotations
from classify.errors import DataError, LabelWarning, check_choice
from classify.metrics import trained_note


def _restricted(data: Annotations, topics, stances) -> Annotations:
    """The annotations with labels outside ``topics`` / ``stances`` dropped."""
    return Annotations(
        list(data.ids),
        list(data.questions),
        list(data.answers),
        [[t for t in ts if t in topics] for ts in data.topics],
        [s if s in stances else None for s in data.stances],
        list(data.locations),
        list(data.topics_known),
    )


def check_unknown_labels(value: str) -> None:
    """Refuse an ``unknown_labels`` value of :func:`compare` other than "drop" and "miss"."""
    check_choice("unknown labels", value, {"drop": "score each model on its own labels",
                                           "miss": "score a label one model lacks as never predicted by it"})


def _unknown_to_both(data: Annotations, topics, stances) -> dict:
    """Gold labels neither model knows, with their record counts: most often typos, never scored."""
    counts = {"topics": Counter(t for ts in data.topics for t in ts if t not in topics),
              "stance": Counter(s for s in data.stances if s is not None and s not in stances)}
    return {head: dict(sorted(c.items())) for head, c in counts.items() if c}


def _scored(model, data: Annotations, topics, stances, unknown_labels: str) -> dict:
    if unknown_labels == "drop":  # each model on its own labels
        return model.evaluate(_restricted(data, model.schema.topics, model.schema.stances))
    with warnings.catch_warnings():  # the report says which labels a model lacks (per_label: old or new recall 0)
        warnings.simplefilter("ignore", LabelWarning)
        return model.evaluate(_restricted(data, topics, stances), unknown_labels="miss")


def _delta(old: dict | None, new: dict | None, labels) -> dict:
    rows = {}
    for label in labels:
        a = (old or {}).get("per_label", {}).get(label)
        b = (new or {}).get("per_label", {}).get(label)
        row = {"support": (b or a or {}).get("support", 0)}
        for metric in ("precision", "recall", "f1"):
            x, y = (a or {}).get(metric), (b or {}).get(metric)
            row[metric] = {"old": x, "new": y, "delta": None if x is None or y is None else y - x}
        rows[label] = row
    return rows


def _summary(old: dict | None, new: dict | None, keys) -> dict:
    out = {}
    for key in keys:
        x, y = (old or {}).get(key), (new or {}).get(key)
        out[key] = {"old": x, "new": y, "delta": None if x is None or y is None else y - x}
    return out


def _verdict(gold, old, new, errors) -> str:
    if gold is None:
        return "changed"
    e_old, e_new = errors(gold, old), errors(gold, new)
    return "fixed" if e_new < e_old else "broken" if e_new > e_old else "changed"


def _fits(old, new, labels) -> dict:
    """Per topic label: its threshold and the loss it was fitted with, in each model (None: unknown
    to that model). Retraining can move a label to another loss (``"auto"``: at 20 examples)."""
    values = {"threshold": (old.thresholds, new.thresholds), "loss": (old.topic_losses, new.topic_losses)}
    return {label: {key: {"old": a.get(label), "new": b.get(label)} for key, (a, b) in values.items()} for label in labels}


def compare(old, new, data: Annotations, unknown_labels: str = "drop") -> dict:
    """Compare two models on annotated records.

    Parameters
    ----------
    old, new : Model
    data : Annotations
        Gold records (validated).
    unknown_labels : {"drop", "miss"}
        A gold label one model knows and the other does not (a label added or removed by retraining):
        ``"drop"`` leaves it out of that model's figures (each model is scored on its own labels, so
        micro/macro figures are over different label sets); ``"miss"`` scores it for that model as a
        label it never predicts (recall 0), so both models' figures are over the same labels: what a
        user of each model gets on these records. Labels neither model knows are never scored; the
        report lists them under ``unknown`` (most often typos).

    Returns
    -------
    dict
        ``n``, ``seen_in_training`` ({"old": k, "new": k}), per head ``topics`` / ``stance``:
        ``per_label`` {label: {metric: {old, new, delta}, support}}, ``summary`` (micro/macro F1,
        accuracy), for topics ``fits`` {label: {"threshold" | "loss": {old, new}}}, and ``changed``: the records whose predictions differ, with ``gold``, ``old``,
        ``new`` labels per head and a ``verdict`` (fixed / broken / changed), plus ``counts``;
        ``unknown`` {head: {label: records}} where gold labels neither model knows were left out.

    Examples
    --------
    >>> report = compare(classify.load("models/v1"), classify.load("models/v2"), data)  # doctest: +SKIP
    >>> report["counts"]                                                              # doctest: +SKIP
    {'records_changed': 14, 'fixed': 9, 'broken': 3, 'changed_otherwise': 2}
    """
    check_unknown_labels(unknown_labels)
    topic_labels = list(dict.fromkeys(list(old.schema.topics) + list(new.schema.topics)))
    stance_labels = list(dict.fromkeys(list(old.schema.stances) + list(new.schema.stances)))
    reports = {name: _scored(model, data, topic_labels, stance_labels, unknown_labels) for name, model in (("old", old), ("new", new))}
    result: dict = {"n": len(data), "seen_in_training": {}}
    for name, model in (("old", old), ("new", new)):
        result["seen_in_training"][name] = model.seen_in_training(data.ids, data.questions, data.answers)  # the CLI warns; the report says it too
    if old.topics is not None or new.topics is not None:
        a, b = reports["old"].get("topics"), reports["new"].get("topics")
        result["topics"] = {"per_label": _delta(a, b, topic_labels), "summary": _summary(a, b, ("micro_f1", "macro_f1")),
                            "fits": _fits(old, new, topic_labels)}
    if old.stance is not None or new.stance is not None:
        a, b = reports["old"].get("stance"), reports["new"].get("stance")
        result["stance"] = {"per_label": _delta(a, b, stance_labels), "summary": _summary(a, b, ("macro_f1", "accuracy"))}
    if set(old.schema.topics) != set(new.schema.topics) or set(old.schema.stances) != set(new.schema.stances):
        result["note"] = ("the models have different label sets: micro/macro figures are over different labels "
                          "(--unknown-labels miss; unknown_labels=\"miss\" in Python: both on all of them)." if unknown_labels == "drop" else
                          "the models have different label sets: a label one model lacks is scored as never predicted by it.")
    unknown = _unknown_to_both(data, topic_labels, stance_labels)
    if unknown:
        result["unknown"] = unknown

    p_old = old.predict(data.questions, data.answers)
    p_new = new.predict(data.questions, data.answers)
    changed = []
    counts = {"changed": 0, "fixed": 0, "broken": 0}
    for i, (x, y) in enumerate(zip(p_old, p_new, strict=True)):
        entry = {"id": data.ids[i], "question": data.questions[i]}
        verdicts = []
        old_topics, new_topics = sorted(x["topics"] or []), sorted(y["topics"] or [])
        known = not data.topics_known or data.topics_known[i]  # a record without annotated topics has no gold to judge by
        if x["topics"] is not None and y["topics"] is not None and old_topics != new_topics and known:
            gold = sorted(data.topics[i])
            verdicts.append(_verdict(gold, set(old_topics), set(new_topics), lambda g, p: len(set(g) ^ p)))
            entry["topics"] = {"gold": gold, "old": old_topics, "new": new_topics, "verdict": verdicts[-1]}
        if x["stance"] != y["stance"]:
            gold = data.stances[i]
            verdicts.append(_verdict(gold, x["stance"], y["stance"], lambda g, p: int(g != p)))
            entry["stance"] = {"gold": gold, "old": x["stance"], "new": y["stance"], "verdict": verdicts[-1]}
        if verdicts:
            entry["verdict"] = "fixed" if "fixed" in verdicts and "broken" not in verdicts else (
                "broken" if "broken" in verdicts and "fixed" not in verdicts else "changed")
            counts[entry["verdict"]] += 1
            changed.append(entry)
    result["changed"] = changed
    result["counts"] = {"records_changed": len(changed), **{k: v for k, v in counts.items() if k != "changed"},
                        "changed_otherwise": counts["changed"]}
    return result


def _f(value, signed=False) -> str:
    if value is None:
        return "     -"
    return f"{value:+6.3f}" if signed else f"{value:6.3f}"


def format_comparison(report: dict, old_name: str = "old", new_name: str = "new", show: int = 20) -> str:
    """Plain-text rendering of :func:`compare`'s report, listing ``show`` changed records."""
    if isinstance(show, bool) or not isinstance(show, int) or show < 0:
        raise DataError(f"show must be a whole number >= 0 (changed records listed), got {show!r}.")
    lines = [f"compared on {report['n']} annotated records: OLD = {old_name}, NEW = {new_name}"]
    if report.get("note"):
        lines.append(f"note: {report['note']}")
    for name, seen in (report.get("seen_in_training") or {}).items():
        if seen:  # said on stderr too; here it stays with the figures when stdout is kept alone
            whose = f"{name.upper()}'s"
            lines.append(f"note: {trained_note(seen, whose=whose)}.")
    for head in ("topics", "stance"):
        part = report.get(head)
        if not part:
            continue
        width = max(len(label) for label in part["per_label"]) + 2
        metrics = ("precision", "recall", "f1")
        lines += ["", f"{head}", f"  {'label':<{width}}" + "".join(f"{m:>24}" for m in metrics) + f"{'support':>9}",
                  f"  {'':<{width}}" + "".join(f"{'old':>8}{'new':>8}{'diff':>8}" for _ in range(3))]
        for label, row in part["per_label"].items():
            cells = "".join(f"{_f(row[m]['old']):>8}{_f(row[m]['new']):>8}{_f(row[m]['delta'], True):>8}" for m in metrics)
            lines.append(f"  {label:<{width}}{cells}{row['support']:>9d}")
        for key, v in part["summary"].items():
            lines.append(f"  {key.replace('_', ' '):<{width}}{_f(v['old']):>8}{_f(v['new']):>8}{_f(v['delta'], True):>8}")
        if part.get("fits"):
            lines.append(f"  {'threshold':<{width}}{'old':>8}{'new':>8}")
        for label, fit in part.get("fits", {}).items():
            t, loss = fit["threshold"], fit["loss"]
            moved = f"   fitted by {loss['old']} -> {loss['new']}" if None not in loss.values() and loss["old"] != loss["new"] else ""
            lines.append(f"  {label:<{width}}{_f(t['old']):>8}{_f(t['new']):>8}{moved}")
    for head, counts in (report.get("unknown") or {}).items():
        named = ", ".join(f"{label} ({n})" for label, n in counts.items())
        lines.append(f"  (gold {head} neither model knows, not scored: {named})")
    c = report["counts"]
    lines += ["", f"records whose predicted labels changed: {c['records_changed']} "
              f"({c['fixed']} fixed, {c['broken']} broken, {c['changed_otherwise']} changed otherwise)"]
    for entry in report["changed"][:show]:
        parts = []
        if "topics" in entry:
            t = entry["topics"]
            shown = {k: ", ".join(t[k]) or "(none)" for k in ("old", "new", "gold")}
            parts.append(f"topics {shown['old']} -> {shown['new']} (gold {shown['gold']})")
        if "stance" in entry:
            s = entry["stance"]
            parts.append(f"stance {s['old']} -> {s['new']} (gold {s['gold'] or '-'})")
        lines.append(f"  {entry['verdict']:<8}{str(entry['id']):<31} {'; '.join(parts)}")  # the whole id: a cut one names no record
    if len(report["changed"]) > show:
        lines.append(f"  ... {len(report['changed']) - show} more (--show N, or --json for all)")
    return "\n".join(lines)
