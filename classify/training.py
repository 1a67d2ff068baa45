"""Training: from annotations to a fitted :class:`~classify.model.Model` with cross-validated metrics."""

from __future__ import annotations

import numbers
from collections import Counter

import numpy as np

from classify.annotations import Annotations, Fields, as_fields, text_key
from classify.errors import DataError, LabelWarning, SchemaError, warn
from classify.model import Model, indicator
from classify.schema import LabelSchema

# what a parameter meant before it was recorded: models trained before ``topic_loss``, ``char_range``,
# ``strip_accents`` and ``label_idf`` existed used logistic regression, char 3-5-grams, accented words and
# the plain IDF (train --base keeps that)
LEGACY = {"topic_loss": "log", "stance_loss": "log", "char_range": [3, 5], "strip_accents": False, "label_idf": 0.0}
DEFAULTS = {"topic_C": 0.5, "topic_alpha": 0.3, "topic_loss": "auto", "topic_class_weight": "balanced", "stance_C": 3.0, "stance_loss": "log", "question_weight": 0.5, "cue_weight": 1.0, "prior_weight": 1.0, "n_features": 2**20, "char_range": [2, 5], "char_weight": 1.0, "strip_accents": True, "label_idf": 10.0}


def parse_params(pairs) -> dict:
    """Training parameters from ``KEY=VALUE`` strings (the CLI's ``--param``), checked against ``DEFAULTS``.

    Values are read as JSON where they parse (``0.3``, ``null``, ``[3, 5]``), else as text
    (``None`` too is null).

    Examples
    --------
    >>> parse_params(["topic_loss=ridge", "topic_alpha=0.5", "char_range=[3, 5]", "strip_accents=false"])
    {'topic_loss': 'ridge', 'topic_alpha': 0.5, 'char_range': [3, 5], 'strip_accents': False}
    """
    import json

    params = {}
    for pair in pairs or []:
        key, sep, text = str(pair).partition("=")
        key = key.strip()
        if not sep or not key:
            raise DataError(f"training parameter {pair!r} is not KEY=VALUE; e.g. topic_loss=ridge.")
        _check_known([key])
        try:
            value = json.loads(text)
        except ValueError:
            value = None if text.strip() in ("None", "none") else text.strip()  # Python's spelling of JSON's null
        default = DEFAULTS[key]
        if isinstance(default, bool):
            value = {"True": True, "False": False}.get(text.strip(), value)  # Python's spelling of JSON's true/false
            if not isinstance(value, bool):
                raise DataError(f"training parameter {key} must be true or false (default {str(default).lower()}); got {text!r}.")
        elif isinstance(default, (int, float)) and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            raise DataError(f"training parameter {key} must be a number (default {default}); got {text!r}.")
        if isinstance(default, int) and isinstance(value, float):  # n_features=1e6 is 1000000; 2.5 is no count
            if not value.is_integer():
                raise DataError(f"training parameter {key} must be a whole number (default {default}); got {text!r}.")
            value = int(value)
        if isinstance(default, list) and not (isinstance(value, list) and len(value) == len(default)
                                              and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise DataError(f"training parameter {key} must be a list of {len(default)} integers like {default}; got {text!r}.")
        if isinstance(default, str) and not (value is None or isinstance(value, str)):
            value = text.strip()  # e.g. a loss name that happens to parse as JSON
        params[key] = value
    return params


def _check_known(keys) -> None:
    """Refuse the first key that is not a training parameter, naming the closest one."""
    import difflib

    for key in keys:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(f"unknown training parameter {key!r}.{hint} Known: {', '.join(DEFAULTS)}.")


def _as_annotations(records, schema, fields) -> Annotations:
    from classify import annotations as ann

    if isinstance(records, Annotations):
        return records
    fields = ann.as_fields(fields)
    if _are_paths(records):
        return ann.load(records, schema, fields)
    if hasattr(records, "columns") and hasattr(records, "to_dict"):  # a pandas DataFrame: its rows
        records = records.to_dict(orient="records")
    # dicts, or a datasets.Dataset (iterates as dicts)
    return ann.from_rows(((f"record {i + 1}", dict(r)) for i, r in enumerate(records)), schema, fields)


def _are_paths(records) -> bool:
    """Whether ``records`` names files (one path, or a list of them) rather than holding records."""
    if isinstance(records, str) or hasattr(records, "__fspath__"):
        return True
    return isinstance(records, (list, tuple)) and bool(records) and all(isinstance(r, str) or hasattr(r, "__fspath__") for r in records)


def _heads(data: Annotations, schema: LabelSchema | None, required: bool = True) -> tuple[bool, bool]:
    """(whether the topic head, whether the stance head has labels to learn from; ``schema`` None:
    any label counts); ``required``: one must."""
    has_topics = (schema is None or bool(schema.topics)) and any(data.topics)
    has_stance = (schema is None or bool(schema.stances)) and any(s is not None for s in data.stances)
    if required and not has_topics and not has_stance:
        raise DataError("the annotations carry neither topics nor stances; label at least one of them.")
    return has_topics, has_stance


def _plain(value):
    """A numpy scalar or array as its Python number or list; lists and tuples of them likewise."""
    if isinstance(value, (np.generic, np.ndarray)):  # np.array([3, 5]) as a list
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def featuriser(params: dict | None = None):
    """The (unfitted) :class:`~classify.features.TextFeatures` both heads read with, from training parameters over ``DEFAULTS``."""
    from classify.features import TextFeatures

    _check_known(sorted(params or {}))
    params = {**DEFAULTS, **(params or {})}
    return TextFeatures(n_features=params["n_features"], char_range=tuple(params["char_range"]), char_weight=params["char_weight"],
                        strip_accents=params["strip_accents"], label_idf=params["label_idf"])


def _unfitted_heads(schema: LabelSchema, params: dict, seed: int, cv: int, features):
    """The topic and stance heads ``classify train`` fits, from the training ``params`` (all of them, defaults merged in)."""
    from classify.stance import StanceClassifier
    from classify.topics import TopicClassifier

    descriptions = [schema.descriptions.get(t, "") for t in schema.topics]
    topics = TopicClassifier(labels=schema.topics, features=features, C=params["topic_C"], alpha=params["topic_alpha"], loss=params["topic_loss"], cv=cv, random_state=seed,
                             class_weight=params["topic_class_weight"],
                             label_texts=descriptions if any(descriptions) else None, prior_weight=params["prior_weight"])
    stance = StanceClassifier(labels=schema.stances, features=features, C=params["stance_C"], loss=params["stance_loss"],
                              question_weight=params["question_weight"], cue_weight=params["cue_weight"], random_state=seed)
    return topics, stance


def check_params(params: dict | None) -> None:
    """Refuse training parameters no head can take (an unknown name, a negative penalty, a bad char
    range) before any reading or fitting: otherwise the first fold's fit would be the first to say so."""
    features = featuriser(params)  # an unknown name fails here
    try:
        features._check_params()
        for head in _unfitted_heads(LabelSchema(topics=("a",), stances=("b",)), {**DEFAULTS, **(params or {})}, 0, 5, features):
            head._check_params()
    except DataError as exc:  # the estimators name their own parameter (alpha): say which training parameters were given
        given = ", ".join(f"{key}={value!r}" for key, value in (params or {}).items())
        raise DataError(f"{exc} Training parameters given: {given} (names and defaults in classify.training.DEFAULTS).") from None


def fit_heads(data: Annotations, schema: LabelSchema, seed: int = 0, cv: int = 5, params: dict | None = None):
    """Fit the topic and/or stance head on validated annotations; returns (topics, stance)."""
    _check_known(sorted(params or {}))
    params = {**DEFAULTS, **(params or {})}
    has_topics, has_stance = _heads(data, schema)
    topics, stance = _unfitted_heads(schema, params, seed, cv, featuriser(params))
    if has_topics:
        rows, gold = data.annotated_topics()  # records whose topics were not annotated (null) are no examples of "none"
        topics.fit([data.questions[i] for i in rows], indicator(gold, schema.topics))
    else:
        topics = None
    if has_stance:
        keep = [i for i, s in enumerate(data.stances) if s is not None]
        # the question is read with the topic head's featuriser: labelling featurises it once for both heads
        stance.set_params(question_features=topics.features_ if topics is not None else None)
        stance.fit([(data.questions[i], data.answers[i]) for i in keep], [data.stances[i] for i in keep])
    else:
        stance = None
    return topics, stance


def cross_validate(data: Annotations, schema: LabelSchema, *, seed: int = 0, cv: int = 5, params=None, progress=None) -> dict:
    """Out-of-fold metrics: ``cv`` folds grouped by source document (siblings never straddle)."""
    from sklearn.model_selection import GroupKFold

    from classify import metrics

    groups = data.groups()
    n_groups = len(set(groups))
    folds = min(cv, n_groups)
    if folds < 2:
        return {}
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    has_topics, has_stance = _heads(data, schema)
    topic_pred = np.zeros((len(data), len(schema.topics)), dtype=np.int8)
    stance_pred: list = [None] * len(data)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(data)), groups=groups)):
        if progress:
            progress(f"cross-validation fold {k + 1}/{folds}")
        part = _subset(data, train)
        if not any(_heads(part, schema, required=False)):
            continue  # a fold without any label of either head: its predictions stay empty
        topics, stance = fit_heads(part, schema, seed, cv, params)  # other errors (e.g. a bad parameter) end the run here
        model = Model(schema, topics, stance)
        tp, sp = model.predict_proba([data.questions[i] for i in test], [data.answers[i] for i in test])
        if topics is not None:
            topic_pred[test] = topics.decide(tp)
        if stance is not None:
            for row, i in enumerate(test):
                if not np.isnan(sp[row, 0]):
                    stance_pred[i] = schema.stances[int(np.argmax(sp[row]))]
    report = {"folds": folds, "grouped_by": "source document"}
    if has_topics:
        rows, gold = data.annotated_topics()
        report["topics"] = metrics.topic_report(indicator(gold, schema.topics), topic_pred[rows], schema.topics)
    if has_stance:
        keep = [i for i, s in enumerate(data.stances) if s is not None]
        predicted = [stance_pred[i] if stance_pred[i] is not None else "" for i in keep]
        report["stance"] = metrics.stance_report([data.stances[i] for i in keep], predicted, schema.stances)
    return report


def _subset(data: Annotations, index) -> Annotations:
    pick = lambda xs: [xs[i] for i in index]  # noqa: E731
    return Annotations(pick(data.ids), pick(data.questions), pick(data.answers), pick(data.topics), pick(data.stances), pick(data.locations),
                       pick(data.topics_known) if data.topics_known else [])


def train(records, schema: LabelSchema | str | None = None, *, seed: int = 0, cv: int = 5, fields: Fields | dict = Fields(),
          params: dict | None = None, progress=None, sources=None, corpora=None, provenance: dict | None = None) -> Model:
    """Train a model on annotations and cross-validate it.

    Parameters
    ----------
    records : path, list of paths, list of dicts, pandas.DataFrame, Annotations or datasets.Dataset
        Annotation records with ``id``, ``question``, ``answer``, ``topics``, ``stance``.
    schema : LabelSchema or path to a TOML schema, optional
        Label order and allowed labels; inferred from the annotations when omitted.
    seed : int
        Seed of every random choice (folds, solvers): same data and seed, same model.
    cv : int
        Folds of the reported cross-validation (0 skips it) and of the threshold calibration.
    params : dict, optional
        Training parameters over ``classify.training.DEFAULTS`` (e.g. ``{"topic_loss": "ridge"}``;
        the CLI's ``--param KEY=VALUE``); all of them are recorded in the manifest.
    progress : callable, optional
        Receives progress messages (the CLI prints them to stderr).
    sources, corpora : paths, optional
        The annotation files and corpora folder the records came from: recorded in the manifest
        with their sha256, so ``classify train --base`` can reload and verify them. Where
        ``records`` are files, ``sources`` defaults to them, and ``corpora`` also gives the texts
        of records annotated by id only (as :func:`classify.hydrate` joins them).
    provenance : dict, optional
        Ready-made source entries (see :func:`classify.retrain.provenance`) instead of ``sources``.

    Examples
    --------
    >>> import classify
    >>> model = classify.train([
    ...     {"id": "1", "question": "Steun aan Oekraïne?", "answer": "Ja.", "topics": ["ukraine"], "stance": "agree"},
    ...     {"id": "2", "question": "Wachtlijsten in de zorg?", "answer": "Nee.", "topics": [], "stance": "disagree"},
    ... ], cv=0)
    >>> model.heads
    ['topics', 'stance']
    """
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv == 1 or cv < 0:
        raise DataError(f"cv must be 0 (no cross-validation) or a number of folds of at least 2, got {cv!r}.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise DataError(f"seed must be a whole number from 0 to {2**32 - 1} (what numpy's generators take), got {seed!r}.")
    # numpy numbers (a seed from np.arange, a value from a grid) as the Python ones the manifest stores
    seed, cv = int(seed), int(cv)
    if params is not None:
        params = {key: _plain(value) for key, value in params.items()}
        check_params(params)
    if isinstance(schema, str) or hasattr(schema, "__fspath__"):
        schema = LabelSchema.from_toml(schema)
    fields = as_fields(fields)
    if _are_paths(records):
        records = [records] if isinstance(records, str) or hasattr(records, "__fspath__") else list(records)
        sources = records if sources is None else sources
        if corpora is not None:  # texts joined in by id, each record still named by its file and line
            from classify.annotations import from_rows, hydrate_complete

            records = from_rows(hydrate_complete(records, corpora, fields), schema, fields)
    data = _as_annotations(records, schema, fields)
    topic_counts = Counter(t for ts in data.topics for t in ts)
    stance_counts = Counter(s for s in data.stances if s is not None)
    if schema is None:
        _heads(data, None)  # no labels at all: said of the annotations, not of a schema the user never wrote
        schema = LabelSchema.infer(data.topics, data.stances)
        _warn_lookalikes("topic", topic_counts)
        _warn_lookalikes("stance", stance_counts)
    else:
        _check_schema(data, schema)
    _warn_unseen(schema, topic_counts, stance_counts, len(data))
    say = progress or (lambda message: None)
    metrics = {}
    if cv:
        metrics = cross_validate(data, schema, seed=seed, cv=cv, params=params, progress=say)
        if not metrics:  # folds are grouped by source document: one document cannot be split
            warn(f"not cross-validated: all {len(data)} records come from one source document ({data.groups()[0]!r}), and folds keep a "
                 "document's questions together; the model has no cross-validated figures (add annotations from other documents).",
                 LabelWarning)
    say("fitting the final model on all annotations")
    topics, stance = fit_heads(data, schema, seed, cv or 5, params)  # cv is 0 or >= 2 (checked above)
    info = {
        "training": {
            "fingerprint": data.fingerprint(),
            "sources": [str(s) for s in (sources or [])],
            "n_records": len(data),
            "n_with_answer": sum(a is not None for a in data.answers),
            "topic_counts": {t: topic_counts.get(t, 0) for t in schema.topics},
            "topic_none": sum(1 for ts in data.annotated_topics()[1] if not ts),
            "stance_counts": {s: stance_counts.get(s, 0) for s in schema.stances},
            "seed": seed,
            "cv": cv,
            "params": {**DEFAULTS, **(params or {})},
            "ids": list(data.ids),  # so `suggest` can skip what is annotated, and `compare` can flag overlap
            # the same records under other ids (another export of the same questions): recognised by their text
            "question_keys": sorted({k for k in map(text_key, data.questions) if k is not None}),
            "record_keys": sorted({k for k in map(text_key, data.questions, data.answers) if k is not None}),
            **(provenance if provenance is not None else _provenance(sources, fields, corpora)),
        },
        "metrics": metrics,
    }
    return Model(schema, topics, stance, info)


def _provenance(sources, fields, corpora) -> dict:
    from classify.retrain import provenance

    return provenance(sources, fields, corpora)


def _warn_unseen(schema: LabelSchema, topic_counts: Counter, stance_counts: Counter, n: int) -> None:
    """A :class:`LabelWarning` per label of a trained head that no annotation carries."""
    if topic_counts:
        for label in schema.topics:
            if not topic_counts[label]:
                warn(f"topic {label!r} has no example among the {n} annotations, so the model will never predict it. "
                     "Annotate some (`classify suggest` ranks candidates for it by its schema description) or remove it from the schema.",
                     LabelWarning)
    if stance_counts:
        for label in schema.stances:
            if not stance_counts[label]:
                warn(f"stance {label!r} has no example among the {sum(stance_counts.values())} annotations with a stance, so the model "
                     "will never predict it. Annotate some or remove it from the schema.", LabelWarning)


def _warn_lookalikes(kind: str, counts: Counter) -> None:
    """Without a schema every spelling is a label of its own: a :class:`LabelWarning` for labels
    that differ only in case, and for a rare label spelled almost like a frequent one."""
    import difflib

    for rare, n in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        for common, m in counts.items():
            if common == rare or (m, common) < (n, rare):
                continue
            if rare.lower() == common.lower():
                why = "differ only in case"
            elif n <= 2 and m >= 5 * n and (difflib.SequenceMatcher(None, rare.lower(), common.lower()).ratio() >= 0.85
                                            or (min(len(rare), len(common)) >= 3 and _one_edit(rare.lower(), common.lower()))):
                why = "look like one label misspelled"  # one letter apart counts for short codes (FEIT, FEJT) too
            else:
                continue
            warn(f"{kind}s {rare!r} ({n} record{'s' * (n != 1)}) and {common!r} ({m}) {why}, and are trained as two labels. Write one spelling, "
                 "or train with a schema (schema= in Python, --schema on the command line) to have any other spelling refused.", LabelWarning)
            break


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, added or left out."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _check_schema(data: Annotations, schema: LabelSchema) -> None:
    for where, topics, stance in zip(data.locations, data.topics, data.stances):
        for t in topics:
            if t not in schema.topics:
                raise SchemaError(f"{where}: topic {t!r} is not in the schema ({', '.join(schema.topics) or 'no topics'}); fix the label or add it to the schema.")
        if stance is not None and stance not in schema.stances:
            raise SchemaError(f"{where}: stance {stance!r} is not in the schema ({', '.join(schema.stances) or 'no stances'}); fix the label or add it to the schema.")
