"""Resumable labelling: ``classify label INPUT... --out OUT --resume`` continues an interrupted run.

Without ``--resume`` the output goes to a temporary file renamed into place at the end
(:class:`classify.output.AtomicWriter`): an interrupted run leaves no output, and a rerun starts over.
With ``--resume`` the run keeps a durable record of how far it got, beside ``OUT``:

- ``OUT.partial``: the labelled records so far as JSONL, appended batch by batch, each batch
  flushed and fsynced *before* the progress record that counts it is written;
- ``OUT.progress.json``: the inputs (path, size, sha256 of their first and last MiB), the model
  (sha256 of its manifest, which holds the checksum of every payload file), the field mapping,
  how many input records have their output lines in ``OUT.partial``, the byte length of those
  lines, and the error counts so far. It is replaced atomically (temp file + rename).

A rerun with ``--resume`` cuts ``OUT.partial`` back to the recorded length (dropping any line
written after the last checkpoint, complete or torn), skips that many input records and appends
the rest. At the end the progress file is removed and ``OUT.partial`` renamed to ``OUT``, so
``OUT`` appears complete or not at all. A killed run between those two steps leaves a partial
file without progress record: the next run starts over, which costs time but never duplicates.

Inputs, model or field mapping that changed since the interrupted run are refused with a
message saying how to start over. The check of the inputs reads their size and both ends, not
every byte: an edit in the middle of a large file that keeps its size goes unnoticed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

from classify import leftovers
from classify.errors import DataError

PROGRESS_FORMAT = "classify-label-progress"
PROGRESS_VERSION = 1
_EDGE = 1 << 20  # bytes hashed at each end of an input file: cheap even for multi-GB archives


def side_files(out) -> tuple[Path, Path]:
    """``(OUT.partial, OUT.progress.json)`` for the output path ``out``."""
    out = Path(out)
    return out.with_name(out.name + ".partial"), out.with_name(out.name + ".progress.json")


def label_resumable(
    model, model_dir, inputs: list[str], rows: Iterable, out: str | None, fmt: str, fields, batch_size: int,
    summary, say: Callable[[str], None] | None = None,
) -> int:
    """Label ``rows`` (``(location, row)`` pairs read from ``inputs``) into ``out`` resumably.

    Parameters
    ----------
    model : Model
        The loaded model.
    model_dir : path or None
        Its directory (None = the shipped model); its manifest identifies the model.
    inputs : list of str
        The input paths, fingerprinted to refuse resuming over changed inputs.
    rows : iterable of (str, dict or DataError)
        The records of ``inputs``, in order, as :func:`classify.io.read_rows` yields them.
    out, fmt : str
        The output file, and its format (only ``"jsonl"`` can be appended to).
    fields, batch_size, summary
        As for :func:`classify.labelling.label_rows`; ``summary`` also counts the records and
        errors of the interrupted run(s), so the exit code covers the whole output.

    Returns
    -------
    int
        Number of records in ``out``.

    Examples
    --------
    >>> rows = read_rows("in.jsonl")  # doctest: +SKIP
    >>> label_resumable(model, None, ["in.jsonl"], rows, "out.jsonl", "jsonl", Fields(), 2000, Summary())  # doctest: +SKIP
    """
    from classify.formats import gzipped
    from classify.labelling import label_rows
    from classify.output import check_output, jsonl_line

    say = say or (lambda message: None)
    if out in (None, "-"):
        raise DataError(
            "--resume needs --out FILE: output written to stdout cannot be continued. Add --out, e.g. --out labelled.jsonl."
        )
    if fmt != "jsonl":
        raise DataError(
            f"--resume writes JSONL only, not {fmt!r}: CSV and Parquet files cannot be appended to. Write to a .jsonl file, e.g. --out labelled.jsonl."
        )
    if gzipped(str(out)):
        raise DataError(f"--resume appends to plain JSONL; --out {out} would be gzip. Label into {str(out)[:-3]} and gzip it when done.")
    if "-" in inputs:
        raise DataError(
            "--resume needs input files: standard input ('-') cannot be read again after an interruption. "
            "Save it to a file first."
        )
    out = check_output(out)
    partial, progress = side_files(out)
    state = {"format": PROGRESS_FORMAT, "version": PROGRESS_VERSION, "output": str(out), **_identity(model_dir, inputs, fields)}
    done = size = 0
    saved = _read_progress(progress, partial)
    if saved is not None:
        _check_same(saved, state, out, progress, partial)
        done, size = saved["records"], saved["bytes"]
        if not partial.is_file() or partial.stat().st_size < size:
            raise DataError(
                f"cannot resume {out}: {partial} is missing or shorter than the {size} bytes {progress.name} records. "
                f"Delete {progress} to start over."
            )
        summary.records, summary.errors, summary.first_errors = done, saved["errors"], list(saved["first_errors"]) or None
        summary.trained = saved["trained"]
        say(f"resuming {out}: {done} records already labelled, continuing after them")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "r+b" if saved is not None else "wb") as handle:
            handle.truncate(size)  # drop lines written after the last checkpoint, whole or torn
            handle.seek(size)
            stream = iter(rows)
            skipped = sum(1 for _ in itertools.islice(stream, done))
            if skipped < done:
                raise DataError(
                    f"cannot resume {out}: the inputs now hold {skipped} records, fewer than the {done} already labelled. "
                    f"Delete {progress} and {partial} to start over."
                )
            while chunk := list(itertools.islice(stream, batch_size)):
                labelled = label_rows(model, chunk, fields, batch_size, summary)
                data = "".join(jsonl_line(row) + "\n" for row in labelled).encode("utf-8")
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())  # the lines are on disk before the record that counts them
                done, size = done + len(chunk), size + len(data)
                errors = {"errors": summary.errors, "first_errors": summary.first_errors or [], "trained": summary.trained}
                _write_progress(progress, {**state, "records": done, "bytes": size, **errors})
    except BaseException:
        if not progress.exists():  # no checkpoint: nothing to resume from (a rerun starts over), so no file is left
            partial.unlink(missing_ok=True)
        raise
    if progress.exists():
        progress.unlink()
    os.replace(partial, out)
    _fsync_directory(out.parent)
    leftovers.sweep(out)  # a killed run without --resume left its .part file
    return done


def _identity(model_dir, inputs: list[str], fields) -> dict:
    """What must be unchanged for a resumed run to continue the interrupted one."""
    if model_dir is None:
        from classify import default_model_path

        model_dir = default_model_path()
    manifest = Path(model_dir) / "manifest.json"
    model = "sha256:" + hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
    return {"inputs": [_fingerprint(Path(p)) for p in inputs], "model": model, "fields": asdict(fields)}


def _fingerprint(path: Path) -> dict:
    """Path, size and sha256 of both ends of a file (of every file, for a dataset directory)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest, total = hashlib.sha256(), 0
    for file in files:
        size = file.stat().st_size
        total += size
        digest.update(f"{file.relative_to(path) if path.is_dir() else ''}\0{size}\0".encode("utf-8", "surrogateescape"))
        with open(file, "rb") as handle:
            digest.update(handle.read(_EDGE))
            if size > 2 * _EDGE:
                handle.seek(size - _EDGE)
            digest.update(handle.read(_EDGE))
    return {"path": str(path.resolve()), "size": total, "sha256_ends": digest.hexdigest()}


def _read_progress(progress: Path, partial: Path) -> dict | None:
    if not progress.exists():
        return None
    fix = f"delete it and {partial} to start over."
    try:
        saved = json.loads(progress.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{progress}: not a readable progress record ({exc}); {fix}") from None
    if not isinstance(saved, dict) or saved.get("format") != PROGRESS_FORMAT or saved.get("version") != PROGRESS_VERSION:
        version = f"{PROGRESS_FORMAT} v{PROGRESS_VERSION}"
        raise DataError(f"{progress}: not a progress record of this classify version ({version}); {fix}")
    saved.setdefault("trained", 0)  # progress files of earlier versions do not count them
    kinds = {"records": int, "bytes": int, "errors": int, "first_errors": list, "inputs": list, "fields": dict, "trained": int}
    for key, kind in kinds.items():
        value = saved.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 0):
            expected = f"{'non-negative ' if kind is int else ''}{kind.__name__}"
            raise DataError(f"{progress}: field {key!r} is {value!r:.40}, expected a {expected}; {fix}")
    return saved


def _check_same(saved: dict, now: dict, out: Path, progress: Path, partial: Path) -> None:
    """Refuse to continue a run over other inputs, another model or another field mapping."""
    reason = None
    before, after = saved["inputs"], now["inputs"]
    if [i.get("path") for i in before] != [i["path"] for i in after]:
        was, now_ = ", ".join(str(i.get("path")) for i in before), ", ".join(i["path"] for i in after)
        reason = f"the inputs were {was} and are now {now_}"
    else:
        for a, b in zip(before, after, strict=True):
            if a != b:
                same_size = a.get("size") == b["size"]
                detail = "content changed" if same_size else f"size {a.get('size')} -> {b['size']} bytes"
                reason = f"input {b['path']} changed since the interrupted run ({detail})"
                break
    if reason is None and saved.get("model") != now["model"]:
        reason = "the model is not the one the interrupted run used"
    if reason is None and saved["fields"] != now["fields"]:
        reason = f"the field options changed (were {saved['fields']}, now {now['fields']})"
    if reason is not None:
        raise DataError(
            f"cannot resume {out}: {reason}. Rerun with the original inputs, model and options, "
            f"or delete {progress} and {partial} to start over."
        )


def _write_progress(progress: Path, state: dict) -> None:
    tmp = progress.with_name(progress.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1)  # ASCII escapes: any path or message encodes
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, progress)


def _fsync_directory(path: Path) -> None:
    """Make a rename durable; directories cannot be opened for fsync on every platform."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
