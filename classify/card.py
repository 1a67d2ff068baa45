"""The model card (README.md of a model directory), rendered from its manifest."""

from __future__ import annotations

from classify.fitted import stored_rule
from classify.linear import LOSSES, TOPIC_LOSSES
from classify.metrics import cv_heading, format_report, wilson


def render(manifest: dict) -> str:
    schema = manifest["schema"]
    training = manifest.get("training", {})
    metrics = manifest.get("metrics", {})
    heads = ", ".join(manifest["heads"]) or "none"
    lines = [
        f"# classify model: {schema.get('name', 'custom')}",
        "",
        "Labels "
        + " and ".join(part for head, part in (("topics", "parliamentary questions by topic (multi-label)"),
                                               ("stance", "government answers by stance (single label)")) if head in manifest["heads"]) + ".",
        f"Heads: {heads}. Format version {manifest['format_version']}; "
        + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
        + ".",
        "",
        "## Intended use",
        "Triage and search of Dutch (NL/BE) parliamentary questions and government answers: "
        + " and ".join(part for head, part in (("topics", "which questions concern which topic"),
                                               ("stance", "which stance an answer takes")) if head in manifest["heads"]) + ".",
        "Scores are probabilities; check borderline records by hand. Not for judging individuals.",
        "",
        "## Labels",
    ]
    for kind in ("topics", "stances"):
        for entry in schema.get(kind, []):
            threshold = manifest.get("thresholds", {}).get(entry["name"])
            extra = f" (threshold {threshold:.3f})" if threshold is not None else ""
            description = entry.get("description", "")
            lines.append(f"- `{entry['name']}` ({kind[:-1]}){extra}" + (f": {description}" if description else ""))
    lines += _method(manifest)
    lines += ["", "## Training data"]
    if training:
        lines.append(f"- {training.get('n_records', '?')} annotated records, {training.get('n_with_answer', '?')} with an answer; fingerprint `{training.get('fingerprint', '?')}`")
        if training.get("sources"):
            lines.append("- sources: " + ", ".join(f"`{s}`" for s in training["sources"]))
        if training.get("topic_counts"):
            counts = ", ".join(f"{k} {v}" for k, v in training["topic_counts"].items())
            lines.append(f"- topic counts: {counts}; no topic: {training.get('topic_none', '?')}")
        if training.get("stance_counts"):
            lines.append("- stance counts: " + ", ".join(f"{k} {v}" for k, v in training["stance_counts"].items()))
        lines.append(f"- seed {training.get('seed')}, cv {training.get('cv')}, params {training.get('params')}")
    lines += ["", "## Cross-validated metrics"]
    if metrics:
        lines += [cv_heading(metrics), "", "```", format_report(metrics).rstrip(), "```"]
    else:
        lines.append("Not cross-validated (trained with cv=0 / --cv 0, or too few records).")
    lines += ["", "## Limits"]
    counts = training.get("topic_counts") or {}
    rare = [f"`{k}` ({v})" for k, v in counts.items() if v < RARE]
    if rare:
        bars = "the cross-validated figures above have wide error bars" if metrics else "any figure measured on them has wide error bars"
        lines.append("- Few positive examples for " + ", ".join(rare) + f": their recall and precision are uncertain; {bars}.")
        lines += _intervals((metrics.get("topics") or {}).get("per_label", {}))
    lines += _counting_bias(metrics)
    status = manifest["heads"].get("topics", {}).get("label_status", [])
    weak = [t["name"] for t, s in zip(schema.get("topics", []), status) if s != "calibrated"]
    if weak:
        lines.append("- Not calibrated (too few examples for cross-validated calibration): " + ", ".join(f"`{w}`" for w in weak) + ".")
    lines.append("- Bag-of-n-grams model: it sees words, not argument structure"
                 + ("; long answers that mix\n  information with a short refusal or deferral are the hardest stance cases." if "stance" in manifest["heads"] else "."))
    lines += [
        "- Words that co-occur with a label in a few training examples carry weight, names of members",
        "  and parties included; `classify explain` shows the evidence behind a prediction.",
        "- Words the training annotations do not contain (new policy terms, new names) carry no weight",
        "  until the model is retrained on annotations that do.",
        "",
    ]
    return "\n".join(lines)


RARE = 30  # annotated examples below which a topic's figures get their uncertainty spelt out
BIASED = 0.25  # |predicted - annotated| / annotated above which counting predicted labels is called biased


def _intervals(per_label: dict) -> list[str]:
    """The rare topics' cross-validated recall and precision as counts with 95 % Wilson intervals."""
    parts = []
    for label, m in per_label.items():
        n, predicted = m.get("support", 0), m.get("predicted")
        if not 0 < n < RARE or m.get("recall") is None:
            continue
        hits = round(m["recall"] * n)
        said = [f"recall {hits} of {n} ({_interval(hits, n)})"]
        if predicted:  # stored by versions that count predictions
            said.append(f"precision {hits} of {predicted} ({_interval(hits, predicted)})")
        parts.append(f"`{label}` " + ", ".join(said))
    if not parts:
        return []
    return ["- Their cross-validated figures with 95 % Wilson intervals: " + "; ".join(parts) + "."]


def _interval(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{lo:.2f}-{hi:.2f}"


def _counting_bias(metrics: dict) -> list[str]:
    """Labels whose predicted count strayed from the annotated count in cross-validation: shares of
    records per label counted from predictions would be off by as much."""
    off = []
    for head in ("topics", "stance"):
        for label, m in ((metrics.get(head) or {}).get("per_label") or {}).items():
            n, predicted = m.get("support", 0), m.get("predicted")
            if predicted is not None and n and abs(predicted - n) >= max(3, BIASED * n):
                off.append(f"`{label}` {predicted:,} times for {n:,} annotated")
    if not off:
        return []
    return ["- Counting records per label from predictions is biased: in cross-validation the model predicted "
            + ", ".join(off) + ". Correct such counts with the precision and recall above, or annotate a sample."]


def _grams(features: dict) -> str:
    p = features["params"]
    lo, hi = p["char_range"]
    weight = p.get("char_weight", 1.0)
    chars = f" and char {lo}-{hi}-grams" + (f" weighted {weight:g}" if weight != 1 else "") if hi > 0 and weight else ""
    accents = ", accents stripped" if p.get("strip_accents") else ""  # older models: words kept their accents
    labels = features.get("idf_labels", 0)  # older models: the plain IDF
    weighted = f", IDF weighted by concentration in one of {labels} labels (label_idf {p['label_idf']:g})" if labels else ""
    return f"hashed TF-IDF of word 1-{p['word_ngrams']}-grams{chars}{accents}{weighted}"


def _method(manifest: dict) -> list[str]:
    """How each head reads a record, from the heads' own parameters (keys a model predates: their old values)."""
    heads = manifest["heads"]
    lines = ["", "## Method"]
    if "topics" in heads:
        p = heads["topics"]["params"]
        described = any(t.get("description") for t in manifest["schema"].get("topics", []))
        priors = ", label descriptions as extra examples" if described and p.get("prior_weight", 0) > 0 else ""
        labels = heads["topics"]["labels"]
        per_label = heads["topics"].get("label_loss") or [p.get("loss", "log")] * len(labels)  # older: one loss
        fitted = []
        for loss in dict.fromkeys(per_label):
            which = [t for t, lo in zip(labels, per_label) if lo == loss]
            strength = f"alpha={p['alpha']}" if loss == "ridge" else f"C={p['C']}"
            for_whom = "" if len(which) == len(labels) else f" ({', '.join(which)})"
            fitted.append(f"one {TOPIC_LOSSES.get(loss, loss)} per label, {strength}{for_whom}")
        held = "leave-one-out" if set(per_label) == {"ridge"} else "held-out" if "ridge" in per_label else "out-of-fold"
        rule = stored_rule(heads["topics"])
        rule = f"; then {rule}, as in the training data" if rule else ""
        lines.append(f"- topics: {'; '.join(fitted)}; on the question's "
                     f"{_grams(heads['topics']['features'])}{priors}; Platt-calibrated, each label's threshold "
                     f"chosen on {held} scores{rule}")
    if "stance" in heads:
        p = heads["stance"]["params"]
        cues = f" and Dutch cue phrases (weight {p['cue_weight']})" if p.get("cue_weight", 0) > 0 else ""
        lines.append(f"- stance: {LOSSES.get(p.get('loss', 'log'))} (C={p['C']}) on the answer's "
                     f"{_grams(heads['stance']['answer_features'])}, plus the question's (weight {p['question_weight']}){cues}")
    return lines if len(lines) > 2 else []
