"""An HTML evaluation report: stance confusion matrix, per-topic precision-recall curves with the
chosen threshold marked, and the metric tables, as PNG images beside ``index.html``.

Needs matplotlib (``pip install ".[report]"`` in the checkout); nothing else in classify imports it.
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import numpy as np

from classify.errors import ClassifyError, DataError
from classify.fitted import label_count_rule
from classify.metrics import format_report, trained_note


def check(out_dir: str | Path) -> None:
    """Raise unless a report can be written to ``out_dir`` (matplotlib installed, no file in the way)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ClassifyError("the HTML report needs matplotlib: pip install matplotlib (or pip install '.[report]' in classify's checkout)") from None
    from classify.output import file_in_the_way

    out = Path(out_dir)
    blocking = out if out.exists() and not out.is_dir() else file_in_the_way(out)
    if blocking is not None:
        raise DataError(f"--report {str(out_dir)!r}: {str(blocking)!r} is a file, not a folder; give a directory for the report.")


def write(model, data, out_dir: str | Path, report: dict | None = None, name: str | None = None) -> Path:
    """Evaluate ``model`` on annotations ``data`` (or take its ``report``, :meth:`Model.evaluate`'s)
    and write ``out_dir/index.html`` with its images; ``name`` (its folder) heads the page and plots.

    Examples
    --------
    >>> write(classify.load(), annotations, "report")  # doctest: +SKIP
    PosixPath('report/index.html')
    """
    check(out_dir)
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = model.evaluate(data) if report is None else report
    topic_p, _ = model.predict_proba(data.questions, data.answers)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)  # an emoji label: a box, no news
        sections = _figures(plt, model, data, report, topic_p, out, name or "the model")
    training = (model.info or {}).get("training", {})
    trained = f" (trained on {training['n_records']:,} records, fingerprint {training.get('fingerprint', '?')})" if "n_records" in training else ""
    page = [
        f"<!doctype html><meta charset='utf-8'><title>classify evaluation{html.escape(f' of {name}' if name else '')}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}img{max-width:100%}pre{background:#f6f6f6;padding:1em}</style>",
        f"<h1>classify evaluation</h1><p>Model: {html.escape(name or '(in memory)')}{html.escape(trained)}; heads: {', '.join(model.heads)}. "
        f"{len(data):,} annotated records.</p>",
        *(f"<p><strong>Note ({head}):</strong> {html.escape(trained_note(r['seen_in_training'], r['n']))} (the model card's "
          "cross-validated figures are not).</p>" for head, r in report.items() if r.get("seen_in_training")),
        f"<h2>Metrics</h2><pre>{html.escape(format_report(report))}</pre>",
        *sections,
    ]
    index = out / "index.html"
    index.write_text("\n".join(page) + "\n", encoding="utf-8")
    return index


def _figures(plt, model, data, report, topic_p, out: Path, name: str) -> list[str]:
    """The HTML sections of the figures: topic precision-recall curves, the stance confusion matrix."""
    sections = []
    if "topics" in report:
        from classify.model import indicator

        rows, gold = data.annotated_topics()  # as the metrics: the records whose topics were annotated
        known = set(model.schema.topics)  # a gold label the model does not know (scored as missed) has no scores to plot
        Y = indicator([[t for t in ts if t in known] for ts in gold], model.schema.topics)
        decided = model.topics.decide(topic_p[rows])  # what the model predicts: thresholds, then its label-count rule
        rule = label_count_rule(model.topics.min_labels_, model.topics.max_labels_, len(model.topics.thresholds_), model.topics.threshold_weight_)
        sections.append(_pr_curves(plt, Y, topic_p[rows], decided, model.schema.topics, model.topics.thresholds_, rule, out,
                                   f"{name} on {report['topics']['n']:,} records annotated with topics"))
    if model.stance is not None and report.get("stance", {}).get("n"):
        sections.append(_confusion(plt, report["stance"]["confusion_matrix"], out, f"{name} on {report['stance']['n']:,} annotated answers"))
    return sections


def _pr_curves(plt, Y, P, decided, labels, thresholds, rule: str, out: Path, title: str) -> str:
    from sklearn.metrics import precision_recall_curve

    cols = min(len(labels), 3)
    rows = int(np.ceil(len(labels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    notes = []
    for j, label in enumerate(labels):
        ax = axes[j // cols][j % cols]
        positives = int(Y[:, j].sum())
        if positives == 0:
            ax.text(0.5, 0.5, "no annotated examples", ha="center")
        else:
            precision, recall, cuts = precision_recall_curve(Y[:, j], P[:, j])
            ax.plot(recall, precision, lw=1.5, drawstyle="steps-post")  # as scikit-learn's PrecisionRecallDisplay: no made-up in-between points
            t = thresholds[j]
            points = [(P[:, j] >= t, f"threshold {t:.3f}", "o")]
            if rule:  # the label-count rule changes some records' labels: the model's own point too
                points.append((decided[:, j] == 1, f"the model's labels ({rule})", "x"))
            for pred, name, mark in points:
                tp = int((pred & (Y[:, j] == 1)).sum())
                r, p = tp / positives, (tp / pred.sum() if pred.sum() else None)  # as the metrics table counts it
                if p is not None:  # nothing predicted: no precision, so no point (the list below says so)
                    ax.plot([r], [p], mark, color="crimson", label=name)
                shown = "- (none predicted)" if p is None else f"{p:.3f}"
                notes.append(f"<li><code>{html.escape(label)}</code>, {name}: precision {shown}, recall {r:.3f}, "
                             f"{positives} annotated example{'s' * (positives != 1)}, {int(pred.sum())} predicted</li>")
            if ax.get_legend_handles_labels()[1]:  # a label never predicted has no point to name
                ax.legend(loc="lower left", fontsize=8)
        ax.set_title(f"{_short(label)} ({positives} annotated)", fontsize=10)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
    for j in range(len(labels), rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle(f"Topics: precision-recall curves, {title}", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "topics_pr.png", dpi=110)
    plt.close(fig)
    return "<h2>Topics: precision-recall curves</h2><img src='topics_pr.png' alt='precision-recall curves'><ul>" + "".join(notes) + "</ul>"


def _short(label: str, most: int = 32) -> str:
    """A label as a panel title or tick can show it: long ones shortened (the page lists them whole)."""
    return label if len(label) <= most else label[: most - 1] + "…"


def _confusion(plt, cm: dict, out: Path, title: str) -> str:
    labels, matrix = [_short(label) for label in cm["labels"]], np.asarray(cm["matrix"])
    fig, ax = plt.subplots(figsize=(1.3 * len(labels) + 2.5, 1.1 * len(labels) + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("annotated")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_title(f"Stance: confusion matrix\n{title}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "stance_confusion.png", dpi=110)
    plt.close(fig)
    return "<h2>Stance: confusion matrix</h2><img src='stance_confusion.png' alt='stance confusion matrix'>"
