"""Evaluation reports for both heads, and their plain-text tables."""

from __future__ import annotations

import numpy as np


def topic_report(Y_true, Y_pred, labels) -> dict:
    """Per-label precision/recall/F1/support plus micro and macro F1 of a multi-label prediction.

    Examples
    --------
    >>> r = topic_report([[1, 0], [0, 1]], [[1, 0], [0, 0]], ["a", "b"])
    >>> r["per_label"]["a"]["f1"], r["micro_f1"]
    (1.0, 0.6666666666666666)
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    Y_true, Y_pred = np.asarray(Y_true).reshape(-1, len(labels)), np.asarray(Y_pred).reshape(-1, len(labels))
    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0, labels=range(len(labels)))
    return {
        "n": int(len(Y_true)),
        "per_label": {
            label: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j])}
            for j, label in enumerate(labels)
        },
        "micro_f1": float(f1_score(Y_true, Y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(Y_true, Y_pred, average="macro", zero_division=0)),
    }


def stance_report(y_true, y_pred, labels) -> dict:
    """Per-label figures, macro F1, accuracy and confusion matrix (rows true, columns predicted)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(labels)
    if len(y_true) == 0:  # nothing to score: zeros of the right shape, not sklearn's error
        zeros = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
        return {"n": 0, "per_label": {label: dict(zeros) for label in labels}, "macro_f1": 0.0, "accuracy": 0.0,
                "confusion_matrix": {"labels": labels, "matrix": [[0] * len(labels) for _ in labels]}}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": int(len(y_true)),
        "per_label": {
            label: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j])}
            for j, label in enumerate(labels)
        },
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "confusion_matrix": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }


def format_report(report: dict) -> str:
    """Render ``{"topics": ..., "stance": ...}`` reports as aligned plain-text tables."""
    lines = []
    for head in ("topics", "stance"):
        r = report.get(head)
        if not r:
            continue
        width = max(len(label) for label in r["per_label"]) + 2
        lines.append(f"{head} (n={r['n']})")
        lines.append(f"  {'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for label, m in r["per_label"].items():
            lines.append(f"  {label:<{width}}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>9d}")
        if head == "topics":
            lines.append(f"  micro F1 {r['micro_f1']:.3f}   macro F1 {r['macro_f1']:.3f}")
        else:
            lines.append(f"  macro F1 {r['macro_f1']:.3f}   accuracy {r['accuracy']:.3f}")
            cm = r["confusion_matrix"]
            lines.append("  confusion matrix (rows: annotated, columns: predicted)")
            cw = max(width, max(len(x) for x in cm["labels"]) + 2)
            lines.append("  " + " " * cw + "".join(f"{x[:13]:>14}" for x in cm["labels"]))
            for label, row in zip(cm["labels"], cm["matrix"]):
                lines.append(f"  {label:<{cw}}" + "".join(f"{v:>14d}" for v in row))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
