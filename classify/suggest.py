"""What to annotate next: the unlabelled records whose labels would teach the model most, spread out.

Each decision the model makes is an *objective* with its own usefulness score per record:

- ``stance``: the stance is uncertain when the two most probable stances are close,
  ``1 - (p1 - p2)``; records without an answer score 0;
- ``topic:LABEL``: the calibrated probability that the record is a positive of the label. Topic
  labels are rare (a few per cent of records), and for a rare label the bottleneck is finding
  positives, not refining a boundary: with few positives the calibrated probabilities of the
  bulk of negatives crowd around the F1-optimal threshold, so "nearest the threshold" picks
  ordinary negatives. Ranking by probability finds positives and exposes the confident false
  positives that cost precision (this is "relevance" sampling, the standard for rare classes);
- ``new:LABEL``: a topic label the model has never seen a positive of has no signal at all, so
  records are ranked by the cosine similarity of their question to the label's name and
  description in the schema (in the model's own TF-IDF space): a cold start that lets the first
  positives be found. Descriptions in the language of the texts work best;
- ``explore``: a share of the batch (default 20 %) picked at random. Picks made by the model see
  only what the model already sees; random ones find positives that resemble nothing annotated
  yet and keep the annotated set, on which calibration and thresholds are fitted, representative.

The batch is shared between objectives rather than ranked on one summed score: after the random
share, the topic labels get half of the rest (split evenly) and the stance half, or all of it
when the model has only one head. A topic label keeps only the part of its share it can use:
the positives it can expect among its best candidates (:func:`rebalanced`); the stance takes the
rest (on one test split of the gold corpus this turned a 6 % saving of annotations into 11 %, and
11 % into 33 % for the stance; over five splits suggestion saves 28 %: benchmarks/ACTIVE_LEARNING.md).
Summing would let the stance, uncertain on most answered records, crowd out the rare topic
labels, whose candidates are often questions without an answer. In its turn an objective takes
the record maximising its score minus ``diversity`` times the record's highest cosine similarity
to the records already picked (features are L2-normalised TF-IDF rows, so a dot product is a
cosine): a batch of 50 is then not 50 variations of one recurring question.

Records already annotated are never suggested: the ids the model was trained on (recorded in
its manifest), the ids now in the annotation files it was trained from (annotations added since
training count too), and the ids of any ``exclude`` files; nor a record the model was trained on
under another id (the same question and answer: its manifest's text keys), nor one of those
annotation files' records under another id (where the files hold the texts), nor a record again
under another id.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from classify.annotations import Fields, as_fields, id_key, text_key
from classify.errors import DataError, check_number

_EPS = 1e-6


def objectives(model, explore: float = 0.0) -> list[tuple[str, float]]:
    """The model's decisions worth annotating for, with their share of a batch.

    ``explore`` is the share of records picked at random (the ``explore`` objective).

    Examples
    --------
    >>> objectives(model)  # doctest: +SKIP
    [('topic:ukraine_support', 0.25), ('new:shadow_fleet', 0.25), ('stance', 0.5)]
    """
    topics = []
    if model.topics is not None:
        status = list(getattr(model.topics, "label_status_", None) or ["calibrated"] * len(model.schema.topics))
        for j, (label, st) in enumerate(zip(model.schema.topics, status, strict=True)):
            if st != "constant":
                topics.append(f"topic:{label}")
            elif model.topics.intercept_[j] < 0:  # never seen a positive (a label always positive: nothing to learn)
                topics.append(f"new:{label}")
    stance = ["stance"] if model.stance is not None and len(model.schema.stances) > 1 else []
    if not 0.0 <= explore <= 1.0:
        raise DataError(f"explore must be a share between 0 and 1, got {explore!r}.")
    rest = 1.0 - explore if (topics or stance) else 0.0
    head_share = rest / (bool(topics) + bool(stance)) if (topics or stance) else 0.0
    goals = [(name, head_share / len(topics)) for name in topics] + [(name, head_share) for name in stance]
    return goals + ([("explore", explore if rest else 1.0)] if explore or not goals else [])


def rebalanced(goals, U: np.ndarray, n: int) -> list[float]:
    """Shares of a batch of ``n`` after topic objectives give up what they cannot use.

    A ``topic:LABEL`` objective picks likely positives; the calibrated probabilities of its best
    candidates add up to the positives it can expect to find. When they fall short of its quota
    (the label's positives are used up, or it has never been seen among these records) it keeps
    a share for those expected positives only, and the stance objective, or without one the
    other objectives in proportion, takes the rest.

    Examples
    --------
    >>> goals = [("topic:a", 0.4), ("stance", 0.4), ("explore", 0.2)]
    >>> U = np.array([[0.9, 0.5, 0.1], [0.1, 0.5, 0.2]] + [[0.0, 0.5, 0.3]] * 8)
    >>> [round(s, 2) for s in rebalanced(goals, U, 10)]
    [0.1, 0.7, 0.2]
    """
    shares = np.array([share for _, share in goals], dtype=float)
    freed = 0.0
    for k, (name, share) in enumerate(goals):
        if name.startswith("topic:") and share > 0:
            quota = max(1, int(np.ceil(share * n)))
            expected = float(np.sort(U[:, k])[::-1][:quota].sum())
            shares[k] = share * min(1.0, expected / quota)
            freed += share - shares[k]
    takers = [k for k, (name, _) in enumerate(goals) if name == "stance"]
    if not takers:
        takers = [k for k, (name, _) in enumerate(goals) if not name.startswith("topic:")] or list(range(len(goals)))
    total = shares[takers].sum()
    for k in takers:
        shares[k] += freed * (shares[k] / total if total > 0 else 1.0 / len(takers))
    return shares.tolist()


def usefulness(model, questions, answers, ids=None, explore: float = 0.0, seed: int = 0) -> np.ndarray:
    """Score of every record (rows) for every objective of :func:`objectives` (columns), in [0, 1].

    The ``explore`` column is a uniform random number drawn from the record's id and ``seed``, so a
    record gets the same number whatever the batch or order it comes in.

    Examples
    --------
    >>> usefulness(model, ["Steun aan Oekraïne?"], ["Misschien."]).shape  # doctest: +SKIP
    (1, 3)
    """
    names = [name for name, _ in objectives(model, explore)]
    topic_p, stance_p = model.predict_proba(questions, answers)
    U = np.zeros((len(questions), len(names)))
    new = [k for k, name in enumerate(names) if name.startswith("new:")]
    if new:
        from sklearn.preprocessing import normalize

        f = model.topics.features_
        Q = normalize(f.transform(questions))
        D = normalize(f.transform([_describe(model.schema, names[k][4:]) for k in new]))
        U[:, new] = np.asarray((Q @ D.T).todense())
    for k, name in enumerate(names):
        if name == "explore":
            keys = ids if ids is not None else [f"{q}\x00{a or ''}" for q, a in zip(questions, answers, strict=True)]
            U[:, k] = [zlib.crc32(f"{seed}\x00{key}".encode("utf-8", "surrogatepass")) / 2**32 for key in keys]
        elif name.startswith("topic:"):
            U[:, k] = topic_p[:, model.schema.topic_index(name[6:])]
        elif name == "stance" and stance_p is not None:
            has = ~np.isnan(stance_p[:, 0])
            top = -np.sort(-stance_p[has], axis=1)[:, :2]
            U[has, k] = 1.0 - (top[:, 0] - top[:, 1])
    return np.clip(U, 0.0, 1.0)


def _describe(schema, label: str) -> str:
    return f"{label.replace('_', ' ')} {schema.descriptions.get(label, '')}"


def _reason(model, name: str, guess: dict, topic_p=None, stance_p=None) -> str:
    """Why a record was picked, from its unrounded probabilities (``guess``: the prediction shown beside it)."""
    kind, _, label = name.partition(":")
    if kind == "topic":
        return f"likely {label}: p={topic_p[model.schema.topic_index(label)]:.2f} (threshold {model.thresholds[label]:.2f})"
    if kind == "new":
        return f"resembles the description of {label}, which has no annotated example yet"
    if kind == "explore":
        return "random pick: keeps the annotated set representative and finds what the model cannot see yet"
    stances = list(model.schema.stances)
    first = stances.index(guess["stance"])  # the stance the record is pre-filled with, then the runner-up
    second = max((j for j in range(len(stances)) if j != first), key=lambda j: stance_p[j])
    return f"stance unsure: {stances[first]} {stance_p[first]:.2f} vs {stances[second]} {stance_p[second]:.2f}"


def _representation(model, questions, answers):
    """L2-normalised rows of question features (topic head) beside answer features (stance head)."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    blocks = []
    if model.topics is not None:
        blocks.append(model.topics.features_.transform(questions))
    if model.stance is not None:
        blocks.append(model.stance.answer_features_.transform([a or "" for a in answers]))
        if model.topics is None:
            blocks.append(model.stance.question_features_.transform(questions))
    X = normalize(sp.hstack(blocks).tocsr())
    # only the columns these records use: a dense row of them is small, so cosines are one fast product
    return X[:, np.unique(X.indices)]


def pick_diverse(U: np.ndarray, shares, X, n: int, diversity: float) -> list[tuple[int, int]]:
    """Greedy batch over objectives: ``(row, objective)`` pairs in pick order.

    At every step the objective furthest behind its share of the batch picks the unpicked row
    maximising ``U[row, objective] - diversity * (max cosine of the row to the picked rows)``;
    an objective with no uncertain row left drops out.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix(np.array([[1.0, 0], [1.0, 0], [0, 1.0]]))
    >>> pick_diverse(np.array([[1.0], [0.9], [0.5]]), [1.0], X, 2, diversity=1.0)
    [(0, 0), (2, 0)]
    """
    n = min(n, len(U))
    shares = np.asarray(shares, dtype=float)
    nearest = np.zeros(len(U))
    taken = np.zeros(len(U), dtype=bool)
    active = shares > 0
    counts = np.zeros(len(shares))
    picked = []
    while len(picked) < n and active.any():
        due = np.where(active, shares * (len(picked) + 1) - counts, -np.inf)
        k = int(np.argmax(due))
        value = np.where(taken | (U[:, k] <= _EPS), -np.inf, U[:, k] - diversity * nearest)
        i = int(np.argmax(value))
        if not np.isfinite(value[i]):
            active[k] = False
            continue
        picked.append((i, k))
        counts[k] += 1
        taken[i] = True
        if diversity:
            nearest = np.maximum(nearest, X @ X[i].toarray().ravel())
    return picked


def annotation_files(model, exclude=(), fields: Fields = Fields()) -> list[tuple[Path, Fields]]:
    """``(path, fields)`` of the annotation files the model was trained from that can still be
    found, then of the ``exclude`` files."""
    training = (model.info or {}).get("training") or {}
    entries = training.get("source_files")
    if entries is None:
        entries = [{"path": s} for s in training.get("sources") or []]
    from classify.retrain import find_source

    files = []
    for entry in entries:
        found = find_source(entry)
        if found is not None and found.is_file():
            files.append((found, as_fields(entry.get("fields") or {})))
    return files + [(Path(p), fields) for p in exclude]


def annotated(model, exclude=(), fields: Fields = Fields(), *, files=None) -> tuple[set[str], set[str], list[str]]:
    """What counts as annotated: ``(ids, texts, notes)``, notes saying where they came from (for stderr).

    ``ids``: the model's training ids (manifest), the ids now in its recorded annotation files
    (when they can still be found), and the ids in the ``exclude`` files. ``texts``: the
    :func:`~classify.annotations.text_key` of question and answer of every record of those files
    that holds its text, so that a record annotated since training is known under another id too
    (id-only annotation files give ids only: :func:`suggest` finds their texts in the corpus). ``files``: those files as :func:`annotation_files`
    lists them, when the caller has already looked them up.
    """
    from classify.io import read_rows

    training = (model.info or {}).get("training") or {}
    ids = {str(i) for i in training.get("ids") or []}  # text already (persist checks it)
    texts: set[str] = set()
    notes = [f"{len(ids)} ids the model was trained on"] if ids else []
    files = annotation_files(model, exclude, fields) if files is None else files
    for path, named in files:
        before = len(ids)
        for _, row in read_rows(str(path)):
            if not isinstance(row, dict):
                continue
            row = named.lift(row)
            if row.get(named.id) not in (None, ""):
                ids.add(id_key(row[named.id]) or str(row[named.id]))  # as the corpus side keys its records
            key = text_key(row.get(named.question), row.get(named.answer))  # as suggest keys its candidates
            if key is not None:
                texts.add(key)
        notes.append(f"{len(ids) - before} more from {path}")
    if not training.get("ids") and not files:
        notes.append("the model records no training ids and no annotation files were found: pass --exclude ANNOTATIONS")
    return ids, texts, notes


def _one_per_record(items, id_field: str) -> list:
    """Candidates in input order, one per record text (question and answer; of one found twice under
    two ids, the smaller id among the candidates)."""
    chosen: dict = {}
    for item in items:
        key = text_key(item[0], item[1])
        if key not in chosen or str(item[2][id_field]) < str(chosen[key][2][id_field]):
            chosen[key] = item
    return sorted(chosen.values(), key=lambda item: item[3])


def suggest(model, rows: Iterable, n: int = 50, *, exclude_ids=frozenset(), exclude_texts=frozenset(), fields: Fields = Fields(),
            diversity: float = 0.5, explore: float = 0.2, seed: int = 0, candidates: int | None = None,
            batch_size: int = 2000, stats: dict | None = None) -> list[dict]:
    """Pick the ``n`` records most worth annotating next, annotation-ready.

    Parameters
    ----------
    model : Model
    rows : iterable of (location, row) pairs or of row dicts
        Unlabelled records (``id``, ``question``, ``answer``); streamed in batches, so the corpus
        may be larger than memory. Skipped: records whose id is in ``exclude_ids`` and the same
        question and answer under another id in ``rows`` (an id-only annotation file's record is
        known by its text here), those whose :func:`~classify.annotations.text_key` of question and answer is in
        ``exclude_texts`` (both as :func:`annotated` returns them), repeats of an id, a record the model was trained on (by its question and answer, whatever
        the id), and rows without a question text; of a record found twice under two ids (subject
        lines often are), one is suggested at most. The same question with another answer (asked
        of another minister) is another record: its stance is not annotated yet.
    n : int
        Batch size to suggest.
    explore : float
        Share of the batch picked at random (seeded by ``seed`` and the record ids). Suggestions
        chosen only by the model see only what the model already sees: the random share finds
        what it cannot see yet (a label whose few positives look like nothing annotated) and keeps
        the annotated set, on which calibration and thresholds are fitted, partly representative.
    diversity : float
        Weight of the similarity penalty (0 = no diversity: each objective takes its top records).
    candidates : int, optional
        How many of the most uncertain records per objective enter the diversity step
        (default ``max(10 n, 500)``).
    stats : dict, optional
        Filled with counts: ``scanned``, ``excluded``, ``skipped``.

    Returns
    -------
    list of dict
        Input fields kept, plus the model's guess as ``topics`` / ``stance`` (to be checked and
        corrected by the annotator), ``topic_scores``, ``stance_scores``, and ``suggest_rank``,
        ``suggest_score`` (the score of the objective that picked it: a topic's probability; for the
        stance 1 - (p1 - p2); for a random pick its random number), ``suggest_reason``. In pick order;
        fewer than ``n`` when fewer records score above 0 on any objective.

    Examples
    --------
    >>> batch = suggest(model, [{"id": "x1", "question": "Steun voor Oekraïne?", "answer": "Wellicht."}], n=1)  # doctest: +SKIP
    >>> batch[0]["suggest_rank"]  # doctest: +SKIP
    1
    """
    from classify.labelling import _prepare

    if not isinstance(n, int) or n < 1:
        raise DataError(f"n must be a positive number of records, got {n!r}.")
    check_number("diversity", diversity, meaning="penalty on similarity to the records already picked; 0 = none")
    goals = objectives(model, explore)
    keep = candidates or max(10 * n, 500)  # per objective
    stats = stats if stats is not None else {}
    stats.update(scanned=0, excluded=0, skipped=0)
    heaps: list[list] = [[] for _ in goals]  # per objective: the `keep` most uncertain so far, least on top
    seen: set[str] = set()
    # texts of the corpus's records excluded by id: an id-only annotation's text, to know it under another id too
    excluded_texts: set[str] = set()
    batch: list = []

    def flush():
        U = usefulness(model, [b[0] for b in batch], [b[1] for b in batch], [str(b[2][fields.id]) for b in batch], explore, seed)
        for row, item in zip(U, batch, strict=True):
            for k, heap in enumerate(heaps):
                entry = (float(row[k]), -item[3], (*item, row))
                if len(heap) < keep:
                    heapq.heappush(heap, entry)
                elif entry[:2] > heap[0][:2]:
                    heapq.heapreplace(heap, entry)
        batch.clear()

    for order, pair in enumerate(rows):
        where, row = pair if isinstance(pair, tuple) else (f"record {order + 1}", pair)
        stats["scanned"] += 1
        question, answer, out = _prepare(where, row, fields)
        if question is None:
            stats["skipped"] += 1
            continue
        rid = id_key(out[fields.id]) or str(out[fields.id])  # as annotations keep ids; another type by its text
        key = text_key(question, answer)
        if rid in exclude_ids:
            excluded_texts.add(key)
        if (rid in exclude_ids or rid in seen or key in excluded_texts or model.seen_in_training([None], [question], [answer])
                or (exclude_texts and key in exclude_texts)):
            stats["excluded"] += 1
            continue
        seen.add(rid)
        batch.append((question, answer, out, order))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    pool = _one_per_record({entry[2][3]: entry[2] for heap in heaps for entry in heap}.values(), fields.id)
    if excluded_texts:  # a record excluded by id may come after its twin under another id (later twins: skipped above)
        kept = [p for p in pool if text_key(p[0], p[1]) not in excluded_texts]
        stats["excluded"] += len(pool) - len(kept)
        pool = kept
    if not pool:
        return []
    questions = [p[0] for p in pool]
    answers = [p[1] for p in pool]
    U = np.vstack([p[4] for p in pool])
    X = _representation(model, questions, answers) if diversity else None
    chosen = pick_diverse(U, rebalanced(goals, U, n), X, n, diversity)
    picked = ([questions[i] for i, _ in chosen], [answers[i] for i, _ in chosen])
    guesses = model.predict(*picked)
    topic_p, stance_p = model.predict_proba(*picked)  # unrounded, for the reasons (rounded twice, 0.46497 read 0.47)
    result = []
    for rank, ((i, k), guess) in enumerate(zip(chosen, guesses, strict=True), 1):
        out = dict(pool[i][2])
        out.pop("error", None)
        out[fields.topics] = guess["topics"]
        out[fields.stance] = guess["stance"]
        out["topic_scores"] = guess["topic_scores"]
        out["stance_scores"] = guess["stance_scores"]
        out["suggest_rank"] = rank
        out["suggest_score"] = round(float(U[i, k]), 4)
        out["suggest_reason"] = _reason(model, goals[k][0], guess,
                                        None if topic_p is None else topic_p[rank - 1], None if stance_p is None else stance_p[rank - 1])
        result.append(out)
    return result
