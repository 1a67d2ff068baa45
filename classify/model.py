"""The model users hold: a label schema plus a topic head and/or a stance head."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from classify.errors import DataError, LabelWarning, check_choice, warn
from classify.fitted import as_texts
from classify.schema import LabelSchema


class Model:
    """A trained classifier of question topics and answer stances.

    Obtain one with :func:`classify.load` or :func:`classify.train`. Either head may be absent
    when the training data carried only topics or only stances.

    Parameters
    ----------
    schema : LabelSchema
        Fixes the label order of every output.
    topics : TopicClassifier or None
        (or its fitted part, :class:`~classify.fitted.FittedTopics`, as :func:`classify.load` gives)
    stance : StanceClassifier or None
        (or :class:`~classify.fitted.FittedStance`)
    info : dict
        Training provenance and cross-validated metrics (stored in the manifest).

    Examples
    --------
    >>> import classify
    >>> model = classify.load()
    >>> model.predict(["Gaat de minister meer munitie bestellen?"], ["Nee, het kabinet is daar geen voorstander van."])[0]["stance"]
    'disagree'
    """

    def __init__(self, schema: LabelSchema, topics=None, stance=None, info: dict | None = None):
        for name, head, labels in (("topic", topics, schema.topics), ("stance", stance, schema.stances)):
            found = [str(c) for c in getattr(head, "classes_", labels)]
            if head is not None and found != list(labels):  # the schema names the head's columns: a mismatch swaps labels
                raise DataError(f"the {name} head's labels {found} are not the schema's {name}s {list(labels)}; they name its "
                                f"columns, in order. Build the schema from the head (its classes_), or fit the head with these labels.")
        self.schema = schema
        self._topics = topics
        self._stance = stance
        self.info = info or {}

    # Predictions use the heads as they are; a loaded model's heads are the numpy-only fitted
    # parts, and become scikit-learn estimators only when someone asks for them.
    @property
    def topics(self):
        """The topic head as a :class:`~classify.topics.TopicClassifier` (or None)."""
        self._topics = _estimator(self._topics)
        return self._topics

    @property
    def stance(self):
        """The stance head as a :class:`~classify.stance.StanceClassifier` (or None)."""
        self._stance = _estimator(self._stance)
        return self._stance

    @property
    def heads(self) -> list[str]:
        """Names of the heads this model has: ``"topics"``, ``"stance"``."""
        return list(self._present())

    def head_states(self) -> dict[str, tuple[dict, dict]]:
        """Each head's ``(meta, arrays)`` as :mod:`classify.persist` stores it (no estimator is built)."""
        return {name: head.get_state() for name, head in self._present().items()}

    def _present(self) -> dict:
        return {name: head for name, head in (("topics", self._topics), ("stance", self._stance)) if head is not None}

    def __repr__(self):
        return f"<classify.Model heads={self.heads} topics={list(self.schema.topics)} stances={list(self.schema.stances)}>"

    # -- prediction ----------------------------------------------------------------------------
    def predict_proba(self, questions, answers=None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Topic probabilities ``(n, n_topics)`` and stance probabilities ``(n, n_stances)``.

        Stance rows of records without an answer are NaN. A missing head gives None.
        """
        questions = as_texts(questions, what="questions")
        if answers is None:
            answers = [None] * len(questions)
        answers = as_texts(answers, what="answers")
        if len(answers) != len(questions):
            raise DataError(f"{len(questions)} questions but {len(answers)} answers; pass one answer (or None) per question.")
        topic_dot = question_dot = None
        shared = self._shared_question()
        if shared is not None and len(questions):  # one pass over the questions scores both heads
            features, weights, k = shared
            both = features.dot(questions, weights)
            topic_dot, question_dot = both[:, :k], both[:, k:]
        topic_p = self._topics.predict_proba(questions, topic_dot) if self._topics is not None else None
        stance_p = None
        if self._stance is not None:
            stance_p = np.full((len(questions), len(self.schema.stances)), np.nan)
            has = [i for i, a in enumerate(answers) if a.strip()]
            if has:
                pairs = [(questions[i], answers[i]) for i in has]
                stance_p[has] = self._stance.predict_proba(pairs, question_dot[has] if question_dot is not None else None)
        if topic_p is None and not len(questions):
            topic_p = np.zeros((0, len(self.schema.topics))) if self.schema.topics else None
        return topic_p, stance_p

    def _shared_question(self):
        """(featuriser, [topic weights | stance weights], n topics) when the stance head reads the
        question with the topic head's featuriser (models trained by this version), else None.

        Checked once per pair of head objects (the check compares IDF arrays); the joined weight
        matrix is built then too.
        """
        t, s = self._topics, self._stance
        cached = self.__dict__.get("_shared")
        if cached is None or cached[0] is not t or cached[1] is not s:
            from classify.fitted import same_features

            shared = None
            if t is not None and s is not None and s.question_weight and same_features(t.features_, s.question_features_):
                shared = (t.features_, np.hstack([t.weights_, s.weights_]), t.weights_.shape[1])
            cached = self.__dict__["_shared"] = (t, s, shared)
        return cached[2]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_shared", None)  # rebuilt on first use: never ship the joined weights to worker processes
        state.pop("_trained", None)  # so is the set of training ids
        return state

    def predict(self, questions, answers=None) -> list[dict]:
        """Label questions (and answers): one dict per record.

        Each result has ``topics`` (labels at or above their threshold, schema order; a head trained
        on data with exactly one label per record returns exactly one, the largest margin over its
        threshold (``TopicClassifier.threshold_weight_``), and one trained on data with never two labels at most one: see
        :func:`classify.fitted.label_count_rule` and the model card),
        ``topic_scores`` ({label: probability}), ``stance`` (label or None when there is no
        answer) and ``stance_scores`` ({label: probability} or None). Fields of a head the
        model does not have are None.

        Examples
        --------
        >>> import classify
        >>> model = classify.load()
        >>> model.predict(["Komt er meer geld voor steun aan Oekraïne?"])
        [{'topics': ['ukraine_support'], 'topic_scores': {...}, 'stance': None, 'stance_scores': None}]
        """
        topic_p, stance_p = self.predict_proba(questions, answers)
        n = len(topic_p) if topic_p is not None else len(stance_p)
        topics = stances = [None] * n
        topic_scores = stance_scores = [None] * n
        if topic_p is not None and self._topics is not None:
            names = self.schema.topics
            chosen = self._topics.decide(topic_p)
            topics = [[name for name, c in zip(names, row) if c] for row in np.asarray(chosen, bool).tolist()]
            topic_scores = [dict(zip(names, row)) for row in _rounded(topic_p)]
        if stance_p is not None:
            names = self.schema.stances
            has = ~np.isnan(stance_p[:, 0])
            best = np.argmax(np.where(has[:, None], stance_p, 0.0), axis=1).tolist()
            stances = [names[j] if h else None for j, h in zip(best, has.tolist())]
            stance_scores = [dict(zip(names, row)) if h else None for row, h in zip(_rounded(stance_p), has.tolist())]
        return [{"topics": t, "topic_scores": ts, "stance": s, "stance_scores": ss}
                for t, ts, s, ss in zip(topics, topic_scores, stances, stance_scores)]

    @property
    def thresholds(self) -> dict[str, float]:
        """Decision threshold of every topic label."""
        if self._topics is None:
            return {}
        return {t: float(v) for t, v in zip(self.schema.topics, self._topics.thresholds_)}

    @property
    def topic_losses(self) -> dict[str, str]:
        """The loss every topic label was fitted with (``"ridge"``, ``"squared_hinge"``, ``"log"``)."""
        if self._topics is None:
            return {}
        return dict(zip(self.schema.topics, self._topics.label_loss_))

    # -- evaluation and persistence ------------------------------------------------------------
    def evaluate(self, annotations, *, fields=None, unknown_labels: str = "error") -> dict:
        """Score the model on annotations: validated :class:`~classify.annotations.Annotations`, or
        records as :func:`classify.train` takes them (paths, dicts, a DataFrame or Dataset; ``fields``
        names their columns).

        The report has a ``"topics"`` and a ``"stance"`` part (:func:`classify.metrics.topic_report`,
        :func:`~classify.metrics.stance_report`), for the heads the model has and the annotations
        label; each says in ``"seen_in_training"`` how many of its records the model was trained on
        (:meth:`seen_in_training`): its figures on those are optimistic.

        ``unknown_labels`` says what a gold label the model was not trained with does: ``"error"``
        (the default: most often it is a typo) stops with a :class:`DataError` naming it;
        ``"miss"`` scores it as a label the model never predicts (recall 0, counted in the macro
        F1), listed in the part's ``"not_in_model"`` and said in a warning: a held-out split in
        which a rare label appears only on the test side."""
        from classify import metrics
        from classify.annotations import MODEL_SCHEMA_FIX, Fields, _unknown_message
        from classify.training import _as_annotations

        check_unknown_labels(unknown_labels)
        # read without the schema: the labels are checked here, for the heads the model has (a topic-only model
        # is scored on a file that also carries stances) and as unknown_labels says
        annotations = _as_annotations(annotations, None, fields or Fields())
        heads = [(kind, self.schema.topics if kind == "topic" else self.schema.stances)
                 for kind, head in (("topic", self._topics), ("stance", self._stance)) if head is not None]
        counts = {kind: Counter() for kind in ("topic", "stance")}
        for i, (topics, stance) in enumerate(zip(annotations.topics, annotations.stances)):
            given = {"topic": topics, "stance": [] if stance is None else [stance]}
            for kind, known in heads:
                for label in given[kind]:
                    if label in known:
                        continue
                    if unknown_labels == "error":
                        where = annotations.locations[i] if i < len(annotations.locations) else f"record {i + 1}"
                        raise DataError(f"{where}: {_unknown_message(kind, label, known, MODEL_SCHEMA_FIX)}")
                    counts[kind][label] += 1
        extra = {kind: sorted(counts[kind]) for kind in counts}
        if any(extra.values()):
            named = ", ".join(f"{kind} {label!r} ({counts[kind][label]} record{'s' * (counts[kind][label] != 1)})"
                              for kind, labels in extra.items() for label in labels)
            warn(f"scored as missed, not labels of the model: {named}; the model never predicts them (recall 0, counted in "
                 "the macro F1).", LabelWarning)
        report = {}
        topic_p, stance_p = self.predict_proba(annotations.questions, annotations.answers)
        rows, gold = annotations.annotated_topics()  # stance-only records score no topics
        if self._topics is not None and rows:
            labels = list(self.schema.topics) + extra["topic"]
            decided = self._topics.decide(topic_p[rows])
            decided = np.hstack([decided, np.zeros((len(rows), len(extra["topic"])), dtype=decided.dtype)])  # never predicted
            report["topics"] = metrics.topic_report(indicator(gold, labels), decided, labels)
            report["topics"]["seen_in_training"] = self.seen_in_training([annotations.ids[i] for i in rows], [annotations.questions[i] for i in rows],
                                                                         question_only=True)
        if self._stance is not None and any(s is not None for s in annotations.stances):  # topic-only annotations score no stance
            keep = [i for i, s in enumerate(annotations.stances) if s is not None and not np.isnan(stance_p[i, 0])]
            predicted = [self.schema.stances[int(np.argmax(stance_p[i]))] for i in keep]
            report["stance"] = metrics.stance_report([annotations.stances[i] for i in keep], predicted,
                                                     list(self.schema.stances) + extra["stance"])
            report["stance"]["seen_in_training"] = self.seen_in_training([annotations.ids[i] for i in keep], [annotations.questions[i] for i in keep],
                                                                         [annotations.answers[i] for i in keep])
        for head, kind in (("topics", "topic"), ("stance", "stance")):
            missed = [label for label in extra[kind] if head in report and report[head]["per_label"][label]["support"]]
            if missed:
                report[head]["not_in_model"] = missed
        return report

    def seen_in_training(self, ids, questions=None, answers=None, *, question_only: bool = False) -> int | None:
        """How many records the model was trained on (repeats count): its figures on those are
        optimistic, and its labels of them mostly repeat their annotations. A record counts by its
        id or, where ``questions`` (and ``answers``) are given beside the ids, by its text: the same
        question and answer under another id (another export of the same records). With
        ``question_only``, by its question alone (what the topic head learns from: the same question
        to another minister, answered otherwise, counts for topics). None: its manifest lists no
        training ids (e.g. a model built in code). Models saved before texts were recorded match ids only."""
        from classify.annotations import id_key, text_key

        training = (self.info or {}).get("training", {})
        trained = self.__dict__.get("_trained")
        if trained is None:  # one set of each per model, however many batches ask
            trained = self.__dict__["_trained"] = tuple(frozenset(training.get(k) or ()) for k in ("ids", "question_keys", "record_keys"))
        ids_seen, questions_seen, records_seen = trained
        if not ids_seen and "ids" not in training:
            return None
        if questions is None or not questions_seen:
            return sum(1 for i in ids if id_key(i) in ids_seen)  # kept as text: label's integer ids count as annotations' did
        ids, questions = list(ids), list(questions)
        answers = [None] * len(ids) if answers is None else list(answers)
        if not len(ids) == len(questions) == len(answers):
            raise DataError(f"seen_in_training: {len(ids)} ids, {len(questions)} questions and {len(answers)} answers; give one of each per record.")
        count = 0
        for i, question, answer in zip(ids, questions, answers):
            if id_key(i) in ids_seen:
                count += 1
            elif text_key(question) in questions_seen:  # the record's key only for a question seen: most are not
                count += question_only or text_key(question, answer) in records_seen
        return count

    def save(self, path: str | Path) -> Path:
        """Write the model directory (manifest, arrays, model card); see :mod:`classify.persist`."""
        from classify.persist import save

        return save(self, path)


def _estimator(head):
    """``head`` as a scikit-learn estimator: fitted parts are rebuilt from their state (once)."""
    from classify.fitted import FittedStance, FittedTopics

    if type(head) is FittedTopics:
        from classify.topics import TopicClassifier

        return TopicClassifier.from_state(*head.get_state())
    if type(head) is FittedStance:
        from classify.stance import StanceClassifier

        return StanceClassifier.from_state(*head.get_state())
    return head


def check_unknown_labels(value: str) -> None:
    """Refuse an ``unknown_labels`` value of :meth:`Model.evaluate` other than "error" and "miss"."""
    check_choice("unknown labels", value, {"error": "stop at a gold label the model does not know",
                                           "miss": "score it as a label the model never predicts"})


def indicator(topic_lists, labels) -> np.ndarray:
    """Lists of topic labels -> 0/1 matrix with columns in ``labels`` order."""
    index = {t: j for j, t in enumerate(labels)}
    Y = np.zeros((len(topic_lists), len(labels)), dtype=np.int8)
    for i, topics in enumerate(topic_lists):
        for t in topics:
            Y[i, index[t]] = 1
    return Y


def _rounded(p: np.ndarray) -> list[list[float]]:
    """Probabilities to 4 decimals, as Python floats: ``round(float(x), 4)`` of every entry.

    ``rint(x * 1e4) / 1e4`` is that double unless ``x * 1e4`` lies within rounding error of a
    half (where ``round`` looks at the exact decimal value): those few take ``round`` itself.
    """
    scaled = np.asarray(p, np.float64) * 1e4
    out = np.rint(scaled) / 1e4
    for i, j in np.argwhere(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        out[i, j] = round(float(p[i, j]), 4)
    return out.tolist()
