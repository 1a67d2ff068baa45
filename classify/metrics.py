"""Evaluation reports for both heads, and their plain-text tables."""

from __future__ import annotations

import numpy as np


def topic_report(Y_true, Y_pred, labels) -> dict:
    """Per-label precision/recall/F1/support plus micro and macro F1 of a multi-label prediction.

    A label that the records neither carry nor get predicted has nothing to score: its
    precision, recall and F1 are None and it is left out of the macro F1 (counting it as 0 would
    make a perfect prediction look worse for every label the evaluation set happens to lack).

    Examples
    --------
    >>> r = topic_report([[1, 0], [0, 1]], [[1, 0], [0, 0]], ["a", "b"])
    >>> r["per_label"]["a"]["f1"], r["micro_f1"]
    (1.0, 0.6666666666666666)
    >>> topic_report([[1, 0]], [[1, 0]], ["a", "b"])["macro_f1"]  # "b": not annotated, not predicted
    1.0
    >>> topic_report([[1], [0], [0]], [[1], [1], [0]], ["defence"])["per_label"]["defence"]  # one topic
    {'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666, 'support': 1, 'predicted': 2}
    """
    # counted here, not by sklearn: it takes an (n, 1) matrix (a label set of one topic) for a
    # binary target and scores its class 0, the records *without* the topic
    T = np.asarray(Y_true, dtype=bool).reshape(-1, len(labels))
    P = np.asarray(Y_pred, dtype=bool).reshape(-1, len(labels))
    tp, fp, fn = (T & P).sum(axis=0), (~T & P).sum(axis=0), (T & ~P).sum(axis=0)
    per_label, macro = _by_label(labels, _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn),
                                 T.sum(axis=0), P.sum(axis=0))
    return {
        "n": int(len(T)),
        "per_label": per_label,
        # None when nothing was annotated or predicted: nothing to score (not 0.0, as if all were wrong)
        "micro_f1": float(_ratio(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())) if tp.sum() + fp.sum() + fn.sum() else None,
        "macro_f1": macro,
    }


def _ratio(part, whole):
    """part / whole, 0 where whole is 0 (sklearn's zero_division=0)."""
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)


def _by_label(labels, p, r, f, support, predicted) -> tuple[dict, float]:
    """Per-label figures and the macro F1 over the labels annotated or predicted (None when there is
    none). Undefined ratios are None, not 0.0 (which would read as "all wrong"): the precision of a
    label never predicted, the recall of a label never annotated, all three of a label neither
    annotated nor predicted. The F1 of a label predicted but never annotated is 0.0: each of its
    predictions is wrong, and counts so in the macro F1, as in scikit-learn."""
    support, predicted = np.asarray(support), np.asarray(predicted)
    scored = (support > 0) | (predicted > 0)
    rows = {
        label: {"precision": float(p[j]) if predicted[j] else None, "recall": float(r[j]) if support[j] else None,
                "f1": float(f[j]) if scored[j] else None, "support": int(support[j]), "predicted": int(predicted[j])}
        for j, label in enumerate(labels)
    }
    return rows, float(np.mean(np.asarray(f)[scored])) if scored.any() else None


def stance_report(y_true, y_pred, labels) -> dict:
    """Per-label figures, macro F1, accuracy and confusion matrix (rows true, columns predicted);
    labels neither annotated nor predicted are left out of the macro F1, as in :func:`topic_report`."""
    labels = list(labels)
    if len(y_true) == 0:  # nothing to score: every label unscored, not sklearn's error
        unscored = {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}
        return {"n": 0, "per_label": {label: dict(unscored) for label in labels}, "macro_f1": None, "accuracy": None,
                "confusion_matrix": {"labels": labels, "matrix": [[0] * len(labels) for _ in labels]}}
    # counted here, as in topic_report: sklearn warns on a label set of one stance and guesses types
    column = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    support = np.zeros(len(labels), dtype=np.int64)  # also records predicted "" (none), which the matrix leaves out
    for true, pred in zip(y_true, y_pred, strict=True):
        if true in column:
            support[column[true]] += 1
            if pred in column:
                matrix[column[true], column[pred]] += 1
    tp, predicted = np.diag(matrix), matrix.sum(axis=0)
    per_label, macro = _by_label(labels, _ratio(tp, predicted), _ratio(tp, support), _ratio(2 * tp, support + predicted), support, predicted)
    return {
        "n": int(len(y_true)),
        "per_label": per_label,
        "macro_f1": macro,
        "accuracy": float(np.mean([t == q for t, q in zip(y_true, y_pred, strict=True)])),
        "confusion_matrix": {"labels": labels, "matrix": matrix.tolist()},
    }


def _shown(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``k`` of ``n`` (95 % by default; None for n = 0):
    unlike k/n +- 1.96 sd it stays within [0, 1] and is honest for the handful of examples rare
    labels have.

    Examples
    --------
    >>> [round(x, 2) for x in wilson(1, 3)]
    [0.06, 0.79]
    """
    if n <= 0:
        return None
    p, z2 = k / n, z * z
    centre, half = p + z2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return float(max(0.0, (centre - half) / (1 + z2 / n))), float(min(1.0, (centre + half) / (1 + z2 / n)))


def trained_note(seen: int, n: int | None = None, whose: str = "the model's") -> str:
    """The sentence for figures on records a model was trained on (evaluate, compare, the report).

    >>> trained_note(3, 10)
    "3 of these 10 records were in the model's training data; its figures on them are optimistic"
    """
    return f"{seen} of these{f' {n}' if n is not None else ''} records were in {whose} training data; its figures on them are optimistic"


def cv_heading(metrics: dict) -> str:
    """What a model's stored metrics are: "5-fold cross-validation, folds grouped by source document:"."""
    return f"{metrics.get('folds')}-fold cross-validation, folds grouped by {metrics.get('grouped_by')}:"


def format_report(report: dict) -> str:
    """Render ``{"topics": ..., "stance": ...}`` reports as aligned plain-text tables."""
    lines = []
    for head in ("topics", "stance"):
        r = report.get(head)
        if not r:
            continue
        width = max(len(label) for label in r["per_label"]) + 2
        lines.append(f"{head} (n={r['n']})")
        if r.get("seen_in_training"):  # evaluate's reports on records the model was trained on
            lines.append(f"  note: {trained_note(r['seen_in_training'], r['n'])} (the model card's cross-validated figures are not).")
        lines.append(f"  {'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}{'predicted':>11}")
        for label, m in r["per_label"].items():
            cells = "".join(f"{_shown(m[k]):>10}" for k in ("precision", "recall", "f1"))
            predicted = m.get("predicted")  # reports stored by older versions have no count
            lines.append(f"  {label:<{width}}{cells}{m['support']:>9d}{'?' if predicted is None else predicted:>11}")
        unscored = [label for label, m in r["per_label"].items() if m["f1"] is None]
        if unscored:
            lines.append(f"  (-: {', '.join(unscored)} neither annotated nor predicted here; left out of the macro F1)")
        undefined = [label for label, m in r["per_label"].items() if m["f1"] is not None and None in (m["precision"], m["recall"])]
        if undefined:
            lines.append(f"  (-: undefined for {', '.join(undefined)}: no precision without predictions, no recall without annotated examples)")
        if r.get("not_in_model"):  # evaluate --unknown-labels miss
            lines.append(f"  (not labels of the model, scored as never predicted: {', '.join(r['not_in_model'])})")
        if head == "topics":
            lines.append(f"  micro F1 {_shown(r['micro_f1'])}   macro F1 {_shown(r['macro_f1'])}")
        else:
            lines.append(f"  macro F1 {_shown(r['macro_f1'])}   accuracy {_shown(r['accuracy'])}")
            cm = r["confusion_matrix"]
            lines.append("  confusion matrix (rows: annotated, columns: predicted)")
            cw = max(width, max(len(x) for x in cm["labels"]) + 2)
            lines.append("  " + " " * cw + "".join(f"{x[:13]:>14}" for x in cm["labels"]))
            for label, row in zip(cm["labels"], cm["matrix"]):
                lines.append(f"  {label:<{cw}}" + "".join(f"{v:>14d}" for v in row))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
