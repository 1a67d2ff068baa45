"""Labelling at scale: several processes on one machine (joblib/loky) or a Dask cluster.

Both keep what :func:`classify.labelling.label_rows` guarantees: one output row per input row,
in input order, rows that cannot be labelled carry an ``error`` field. For JSONL files labelled
to JSONL (:func:`label_jsonl_parallel`, what ``classify label --jobs/--dask`` runs for them) the
calling process only reads raw lines and writes the output bytes the workers return: parsing,
checking, labelling and serialising all happen in the workers. For rows of any other source
(:func:`label_rows_parallel`) the calling process reads, checks and merges the rows, and the
workers featurise and predict, batch by batch. Each worker gets the model once: loky workers
load the model directory on their first batch and keep it, a Dask cluster receives the model
once per worker (``Client.scatter``), and either way the model's token caches stay warm in the
worker from batch to batch.

Examples
--------
>>> import classify, dask.bag as db  # doctest: +SKIP
>>> bag = db.read_text("archive-*.jsonl").map(json.loads)  # doctest: +SKIP
>>> labelled = classify.distributed.label_bag(bag, classify.load())  # doctest: +SKIP
>>> labelled.map(json.dumps).to_textfiles("labelled-*.jsonl")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import tempfile
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from classify.annotations import Fields
from classify.errors import ClassifyError, ClusterError
from classify.labelling import PREDICTION_FIELDS, Summary, _label_batch, _prepare, label_jsonl_lines, label_rows

_IN_FLIGHT_PER_WORKER = 2  # batches queued per worker: enough to hide latency, memory stays flat
_CONNECT_TIMEOUT = "20s"  # how long to wait for a Dask scheduler before giving up
_worker_models: dict = {}  # in a loky worker: (model directory, manifest stamp) -> model, kept between batches
_MMAP_THRESHOLD = 64 * 1024**2  # bytes: malloc serves smaller blocks from its heap (see _allocator_for_numpy)
_TRIM_THRESHOLD = 256 * 1024**2  # bytes of free heap kept before giving memory back to the system
_allocator_tuned = False
_watched_parent: int | None = None  # in a loky worker: the labelling process, whose end ends the worker
_PARENT_POLL_SECONDS = 1.0


class _Predicted:
    """Stands in for the model in :func:`classify.labelling._label_batch`: returns given predictions."""

    def __init__(self, predictions, model):
        self.predictions = predictions
        self.seen_in_training = model.seen_in_training

    def predict(self, questions, answers):
        return self.predictions


def _batches(rows: Iterable, fields: Fields, batch_size: int) -> Iterator[list]:
    """Input rows checked and grouped: lists of (question, answer, output row, location)."""
    rows = iter(rows)
    while batch := [_prepare(where, row, fields) + (where,) for where, row in itertools.islice(rows, batch_size)]:
        yield batch


def _texts(batch) -> tuple[list, list]:
    ok = [b for b in batch if b[0] is not None]
    return [b[0] for b in ok], [b[1] for b in ok]


def _worker_model(model_dir: str):
    """In a loky worker: the model of ``model_dir``, loaded on the first batch and kept.

    Loky reuses its workers across runs: a directory retrained since is recognised by its manifest.
    """
    _watch_parent()
    stat = (Path(model_dir) / "manifest.json").stat()
    key = (model_dir, stat.st_mtime_ns, stat.st_size)
    model = _worker_models.get(key)
    if model is None:
        import warnings

        import classify
        from classify.errors import VersionWarning

        _worker_models.clear()
        with warnings.catch_warnings():  # the labelling process loaded this model too and said so, once, in its own words
            warnings.simplefilter("ignore", VersionWarning)
            model = _worker_models[key] = classify.load(model_dir)
    return model


def _watch_parent() -> None:
    """In a loky worker: end this process once the labelling process is gone (kill -9, the OOM
    killer). Loky keeps its workers for reuse; orphaned, each held its ~400 MB model and the
    caller's stderr (a reader of that pipe waited for good)."""
    global _watched_parent
    if _watched_parent is not None:
        return
    _watched_parent = parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="classify-parent-watch", daemon=True).start()


def _predict_with(model_dir: str, questions, answers):
    """Runs in a loky worker: predictions for one batch."""
    return _worker_model(model_dir).predict(questions, answers) if questions else []


def _lines_with(model_dir: str, *chunk):
    """Runs in a loky worker: one chunk of raw JSONL lines, labelled (:func:`label_jsonl_lines`)."""
    return label_jsonl_lines(_worker_model(model_dir), *chunk)


def _allocator_for_numpy() -> None:
    """Undo, in this worker process, the malloc setting Dask's nanny starts workers with.

    The nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes glibc's mmap threshold
    at 128 KiB: every temporary array of the featuriser is then mapped and unmapped, and pays
    its page faults again, which makes labelling 2-3x slower on a worker (measured). Larger
    thresholds let the heap keep and reuse those blocks.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") is None:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, _MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, _TRIM_THRESHOLD)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to undo
        pass


def _predict(model, questions, answers):
    """Runs on a Dask worker, with the model scattered there once."""
    _allocator_for_numpy()
    return model.predict(questions, answers) if questions else []


def _lines(model, *chunk):
    """Runs on a Dask worker: one chunk of raw JSONL lines, labelled (:func:`label_jsonl_lines`)."""
    _allocator_for_numpy()
    return label_jsonl_lines(model, *chunk)


def label_rows_parallel(model, rows: Iterable, fields: Fields = Fields(), batch_size: int = 2000,
                        summary: Summary | None = None, *, jobs: int = 2, model_dir=None,
                        scheduler=None) -> Iterator[dict]:
    """:func:`classify.labelling.label_rows` with the predictions made by ``jobs`` processes or a Dask cluster.

    Parameters
    ----------
    model : Model
        The loaded model.
    rows, fields, batch_size, summary
        As for :func:`classify.labelling.label_rows`.
    jobs : int
        Worker processes on this machine (joblib, loky backend). Ignored with ``scheduler``.
    model_dir : path, optional
        The directory ``model`` was loaded from, which each local worker loads once (default:
        a temporary copy of ``model``).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: label on that cluster.

    Examples
    --------
    >>> out = list(label_rows_parallel(model, read_rows("big.jsonl"), jobs=2))  # doctest: +SKIP
    """
    summary = summary if summary is not None else Summary()
    sent: deque = deque()

    def calls(on_dask):  # advanced as workers free up: reading stays ahead by a few batches only
        for batch in _batches(rows, fields, batch_size):
            sent.append(batch)
            yield (_predict if on_dask else _predict_with), _texts(batch)

    for predictions in _ordered(model, calls, jobs, model_dir, scheduler):
        yield from _label_batch(_Predicted(predictions, model), sent.popleft(), summary, fields.id)


def label_jsonl_parallel(model, paths, fields: Fields = Fields(), batch_size: int = 2000, summary: Summary | None = None,
                         *, jobs: int = 2, model_dir=None, scheduler=None) -> Iterator[bytes]:
    """The output JSONL (UTF-8) of labelling JSONL files, in chunks in input order, made by ``jobs``
    processes or a Dask cluster.

    The chunks are exactly what the single-process run writes (``classify label FILE --out OUT``).
    This process only reads raw lines and writes bytes: the workers parse, check, label and
    serialise (:func:`classify.labelling.label_jsonl_lines`), so nearly all the work is spread
    over them. Parameters as for :func:`label_rows_parallel`.
    """
    from classify.io import jsonl_chunks

    summary = summary if summary is not None else Summary()

    def calls(on_dask):
        for path in paths:
            for chunk in jsonl_chunks(path, batch_size):
                yield (_lines if on_dask else _lines_with), (*chunk, fields, batch_size)

    for data, part in _ordered(model, calls, jobs, model_dir, scheduler):
        summary.add(part)
        yield data


def _ordered(model, calls, jobs, model_dir, scheduler) -> Iterator:
    """Results of ``calls(on_dask)``'s ``(function, args)`` pairs, in order, computed by ``jobs`` loky
    processes (the function's first argument is the model directory) or on Dask (the model)."""
    if scheduler is not None:
        yield from _on_dask(model, calls(True), scheduler)
    else:
        yield from _on_loky(model, calls(False), jobs, model_dir)


def _on_loky(model, calls, jobs, model_dir):
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    # workers load a directory: a model made in memory is saved once (only then: a kill -9 would leave the folder behind)
    with tempfile.TemporaryDirectory(prefix="classify-model-") if model_dir is None else contextlib.nullcontext() as tmp:
        if model_dir is None:
            model_dir = model.save(Path(tmp) / "model")
        source = str(model_dir)
        tasks = (delayed(fn)(source, *args) for fn, args in calls)
        with Parallel(n_jobs=jobs, backend="loky", return_as="generator", pre_dispatch=f"{_IN_FLIGHT_PER_WORKER}*n_jobs") as run:
            results = run(tasks)
            try:
                for result in results:  # noqa: UP028  (`yield from` would close `results` itself, before the filter below)
                    yield result
            except TerminatedWorkerError as exc:  # the OOM killer, a kill -9: one line, not loky's 50-line traceback
                code = re.search(r"\{([A-Z]+)\((-?\d+)\)\}", str(exc))
                raise ClassifyError(f"a worker process was killed{f' ({code[1]})' if code else ''}, e.g. by the out-of-memory "
                                    "killer; nothing was written. Run again with fewer --jobs or a smaller --batch-size.") from None
            finally:  # stopped early (an error, `| head`): the tasks in flight are cancelled on purpose, not warned about
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*tasks which were still being processed by the workers have been cancelled")
                    results.close()


def connect(scheduler):
    """A ``distributed.Client`` for a scheduler address (or the client given), with clear errors."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("labelling on a Dask cluster needs Dask: pip install 'dask[distributed]' (or pip install '.[dask]' in classify's checkout)") from None
    if not isinstance(scheduler, str):
        return scheduler
    try:
        return Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc}); "
            "check the address (e.g. tcp://127.0.0.1:8786) and that 'dask scheduler' is running there."
        ) from None


def _on_dask(model, calls, scheduler):
    import dask

    client = connect(scheduler)
    own = client is not scheduler
    try:
        window = _IN_FLIGHT_PER_WORKER * max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
        shipped = client.scatter(model, broadcast=True)  # the model goes to every worker once
        pending: deque = deque()
        for fn, args in calls:
            with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1GB"}):
                # a batch is MBs of text: sent with its task, which measured faster than scattering it first
                # (a round trip per batch: 1.1x instead of 1.5x on 2 workers); Dask would warn at 10 MB
                pending.append(client.submit(fn, shipped, *args, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if own:
            client.close()


# -- Dask collections ----------------------------------------------------------------------------
def _shipped(model):
    """The model as a dependency of every partition, sent to each worker once, not per partition.

    With a distributed client it is scattered to all workers; without one (local schedulers)
    it becomes one node of the graph.
    """
    import dask

    if hasattr(model, "key") or hasattr(model, "dask"):  # a Future or Delayed already
        return model
    try:
        from distributed import default_client

        return default_client().scatter(model, broadcast=True, hash=False)
    except (ImportError, ValueError):  # no distributed, or no client
        return dask.delayed(model, pure=True, traverse=False)


def _label_partition(records, model, fields, batch_size):
    _allocator_for_numpy()
    rows = ((f"record {i + 1} of its partition", row) for i, row in enumerate(records))
    return list(label_rows(model, rows, fields, batch_size))


def label_bag(bag, model, fields: Fields = Fields(), batch_size: int = 2000):
    """Label a ``dask.bag.Bag`` of record dicts, partition by partition; returns a bag of output rows.

    Output rows are the input rows plus ``topics``, ``topic_scores``, ``stance`` and
    ``stance_scores`` (or an ``error``), in the bag's order. ``model`` is a Model, or a
    Future/Delayed of one (e.g. from ``client.scatter(model, broadcast=True)``).

    Examples
    --------
    >>> import dask.bag as db  # doctest: +SKIP
    >>> rows = label_bag(db.from_sequence(records, npartitions=8), classify.load()).compute()  # doctest: +SKIP
    """
    return bag.map_partitions(_label_partition, _shipped(model), fields, batch_size)


def _label_frame(frame, model, fields, batch_size, columns):
    import pandas as pd

    out = pd.DataFrame(_label_partition(frame.to_dict("records"), model, fields, batch_size), index=frame.index, columns=columns)
    for column in columns[len(frame.columns) :]:  # absent values are None, as in the rows, not NaN
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def label_dataframe(df, model, fields: Fields = Fields(), batch_size: int = 2000):
    """Label a ``dask.dataframe.DataFrame`` partition by partition; returns it with prediction columns.

    The columns added are ``topics``, ``topic_scores``, ``stance``, ``stance_scores`` and
    ``error`` (None where the row was labelled), plus ``fields.id`` when the frame has none;
    values are as in :func:`label_bag`'s rows, absent ones None.

    Examples
    --------
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> labelled = label_dataframe(dd.read_parquet("archive/"), classify.load())  # doctest: +SKIP
    """
    columns = list(df.columns) + [c for c in (fields.id, *PREDICTION_FIELDS, "error") if c not in df.columns]
    meta = df._meta.reindex(columns=columns).astype({c: object for c in columns if c not in df.columns})
    return df.map_partitions(_label_frame, _shipped(model), fields, batch_size, columns, meta=meta)
