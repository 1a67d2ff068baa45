"""The ``classify`` command line: a thin shell over the library with one error boundary.

Results go to stdout (or ``--out``); progress and diagnostics go to stderr. Exit codes:
0 success; 1 ``label`` finished but some records carry an ``error`` field; 2 a usage or input
error stopped the command (message on stderr, no traceback).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from classify.errors import ClassifyError, ClassifyWarning, DataError, InputNotFoundError


class _Boundary(TyperGroup):
    """Turns every ClassifyError into one line on stderr and exit code 2, and every warning into
    one ``classify: warning:`` line (another library's with its category named)."""

    def invoke(self, ctx):
        with warnings.catch_warnings():  # restores the caller's warning display on the way out
            show = warnings.showwarning

            def _show(message, category, filename, lineno, file=None, line=None):
                if file is not None and file not in (sys.stderr, sys.__stderr__):  # e.g. logging's capture
                    show(message, category, filename, lineno, file, line)
                elif issubclass(category, ClassifyWarning):
                    typer.echo(f"classify: warning: {message}", err=True)
                else:  # another library's (scikit-learn's ConvergenceWarning): one line too, its category named
                    typer.echo(f"classify: warning: {' '.join(str(message).split())} ({category.__name__})", err=True)

            warnings.showwarning = _show
            try:
                return super().invoke(ctx)
            except ClassifyError as exc:
                typer.echo(f"classify: error: {exc}", err=True)
                raise typer.Exit(2) from None
            except OSError as exc:  # stdout on a full disk (--out files say so themselves: output.AtomicWriter)
                from classify.output import WRITE_ERRORS

                if exc.errno == errno.EPIPE:  # `| head`: the reader has what it wanted; exit as a shell's tools do
                    warnings.simplefilter("ignore")  # workers' tasks cancelled on the way out are no news
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    raise typer.Exit(128 + signal.SIGPIPE) from None
                if exc.errno not in WRITE_ERRORS:
                    raise
                typer.echo(f"classify: error: cannot write the output ({exc.strerror}); free some space, or write it elsewhere.", err=True)
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere, quietly
                raise typer.Exit(2) from None
            except Exception as exc:  # click's UsageError (a bad option value, a missing argument): one line too
                if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
                    raise
                where = getattr(exc, "ctx", None)
                command = f"classify {where.info_name}" if where is not None and where.parent is not None else "classify"
                typer.echo(f"classify: error: {exc.format_message()} (see {command} --help)", err=True)
                raise typer.Exit(2) from None


# After Ctrl-C a command has this many seconds to clean up and exit; then the kernel ends it. Worker
# processes shut down on the way out, and in about 1 of 60 interrupts of `label --jobs 2` loky's
# executor deadlocked there (joblib's abort, or a lock taken during the interpreter's exit).
INTERRUPT_GRACE_SECONDS = 15
LONG_QUESTION = 1000  # characters: an explained text file longer than this is most often a document, not one question


_signalled: list[int] = []  # the stopping signal received (SIGTERM exits 143, not Ctrl-C's 130)


def _interrupted(signum, frame):
    """Ctrl-C, and SIGTERM (cron's and systemd's stop, `timeout`): KeyboardInterrupt, so that worker
    processes are shut down and temporary files removed as after Ctrl-C (SIGTERM's default left
    the workers running), with a deadline that no Python code can miss (SIGALRM's default action
    ends the process even when the interpreter is stuck in its exit)."""
    _signalled.append(signum)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(INTERRUPT_GRACE_SECONDS)
    raise KeyboardInterrupt


app = typer.Typer(
    cls=_Boundary,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: importing rich costs ~0.15 s of every `classify --help`
)


def _print_version(value: bool) -> None:
    if value:
        from classify import __version__

        typer.echo(f"classify {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Label parliamentary questions by TOPIC and the government's answers by STANCE."""


ModelOpt = Annotated[Path | None, typer.Option("--model", "-m", help="Model directory; default: the shipped model.")]
QuestionField = Annotated[str, typer.Option(help="Column holding the question text (a.b: field b nested in a).")]
AnswerField = Annotated[str, typer.Option(help="Column holding the answer text (a.b: field b nested in a).")]
IdField = Annotated[str, typer.Option(help="Column holding the record id (a.b: field b nested in a).")]
TopicsField = Annotated[str, typer.Option(help="Column holding the topic labels (a.b: field b nested in a).")]
StanceField = Annotated[str, typer.Option(help="Column holding the stance label (a.b: field b nested in a).")]
_FORMATS_HELP = ("jsonl, csv, tsv, excel (CSV for Excel in a Dutch or Belgian locale: semicolons, UTF-8 with a byte-order mark) or "
                 "parquet; default: named by --out's suffix (.csv, .tsv, .parquet; .gz compresses), else jsonl.")
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help=f"Output format: {_FORMATS_HELP}")]
LabelFormatOpt = Annotated[str | None, typer.Option("--format", "-f", help=f"Output format: table (readable, for a terminal), {_FORMATS_HELP}")]


def _progress(message: str) -> None:
    typer.echo(f"classify: {message}", err=True)


TICK_SECONDS = {True: 1.0, False: 60.0}  # progress of a running `label`: on a terminal, in a log file


@contextlib.contextmanager
def _ticking(summary, out: str | None):
    """Count the records of a long `label` run on stderr while it runs: on a terminal, one line
    rewritten every second (not when the output itself scrolls past there); in a log, a line a
    minute. A run shorter than one interval prints nothing more than before."""
    terminal = sys.stderr.isatty()
    if terminal and out in (None, "-") and sys.stdout.isatty():
        yield
        return
    stop, start = threading.Event(), time.monotonic()

    def tick():
        while not stop.wait(TICK_SECONDS[terminal]):
            done = summary.records
            line = f"classify: labelled {done:,} records so far ({done / (time.monotonic() - start):,.0f}/s)"
            sys.stderr.write(f"\r{line}\x1b[K" if terminal else line + "\n")
            sys.stderr.flush()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        if terminal:
            sys.stderr.write("\r\x1b[K")


def _some(lines: list[str], total: int, note: str = "") -> None:
    """The first few of ``total`` problems on stderr, and how many more there are."""
    for line in lines:
        _progress(f"  {line}")
    if total > len(lines):
        _progress(f"  ... and {total - len(lines)} more{note}")


def _listed(names: list[str], has_head: bool, head: str) -> str:
    if not names:
        return "(none)"
    return ", ".join(names) + ("" if has_head else f"  (in the schema; the model has no {head} head: never predicted)")


def _check_output(out: str | None, fmt: str | None, inputs, extra: tuple[str, ...] = ()) -> str:
    """Before any work: the output format (--format, else --out's suffix), no binary output to a
    terminal, no --out over an input."""
    from classify.output import output_format

    fmt = output_format(out, fmt, extra)
    if fmt == "parquet" and out in (None, "-") and sys.stdout.isatty():
        raise DataError("--format parquet is binary and stdout is a terminal: give --out FILE.parquet, or redirect stdout to a file.")
    if fmt == "table" and out not in (None, "-"):
        raise DataError(f"--format table is printed on the terminal, not written to {out!r}: drop --out, or drop --format to write "
                        "the file in the format its name gives.")
    _not_an_input(out, inputs)
    return fmt


def _not_an_input(out: str | None, inputs, what: str = "an input") -> None:
    """Refuse an --out that names one of the command's inputs: the output would replace it."""
    if out in (None, "-"):
        return
    target = Path(out).resolve()
    for path in inputs:
        if str(path) != "-" and Path(path).resolve() == target:
            named = "" if str(path) == str(out) else f" ({path})"
            raise DataError(f"--out {out!r} names {what}{named}; writing would replace it. Choose another output file.")


def _load(model: Path | None):
    import classify

    return classify.load(model)


@app.command()
def label(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help="JSONL/CSV/Parquet files, documents (.txt), or '-' for stdin (JSONL, CSV or a document).")],
    model: ModelOpt = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output file (written atomically); default stdout.")] = None,
    fmt: LabelFormatOpt = None,
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
    batch_size: Annotated[int, typer.Option(min=1, help="Records labelled per batch (memory stays flat).")] = 2000,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run into --out (JSONL): progress is kept in OUT.partial and OUT.progress.json until OUT is complete.")] = False,
    document_field: Annotated[str | None, typer.Option(help="Field of JSONL/CSV records that holds a whole document: it is split into questions first.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes on this machine; output order is kept.")] = 1,
    dask: Annotated[str | None, typer.Option("--dask", metavar="SCHEDULER", help="Label on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs Dask: pip install 'dask[distributed]').")] = None,
):
    """Label records or whole documents; one output record per input record.

    Example: classify label ../shared/data/defensieraad_2026_nr300.txt --out labelled.jsonl

    Large archives: classify label archive.jsonl --out labelled.jsonl --jobs 4 (or --dask tcp://scheduler:8786)
    """
    from classify.annotations import Fields
    from classify.formats import detect_format
    from classify.io import read_rows
    from classify.labelling import Summary, label_rows
    from classify.output import AtomicWriter, write_rows

    fields = Fields(id=id_field, question=question_field, answer=answer_field)
    fmt = _check_output(out, fmt, inputs, extra=("table",))  # before the model loads and any record is read
    loaded = _load(model)
    summary = Summary()

    def rows():
        from classify.errors import DocumentError
        from classify.io import document_names, expand_documents

        names = document_names(inputs)
        for path in inputs:
            try:
                yield from (expand_documents(read_rows(path), document_field, id_field, question_field) if document_field
                            else read_rows(path, doc_name=names.get(path)))
            except DocumentError as exc:  # a document without questions: an error record, as with --document-field; the rest is labelled
                yield path, DataError(str(exc))

    if resume and (jobs > 1 or dask):
        raise DataError("--resume works in a single process; drop --jobs/--dask, or drop --resume to label in parallel.")
    if not resume and out not in (None, "-"):
        from classify.resume import side_files

        if left := [str(p) for p in side_files(out) if p.exists()]:  # this run starts over and leaves them: say what they are
            warnings.warn(f"{' and '.join(left)}: left by an interrupted `--resume` run; this run without --resume starts over and "
                          "leaves them. Add --resume to continue that run instead, or delete them.", ClassifyWarning, stacklevel=2)
    with _ticking(summary, out):
        if resume:
            from classify.resume import label_resumable

            written = label_resumable(loaded, model, inputs, rows(), out, fmt, fields, batch_size, summary, say=_progress)
        else:
            parallel = None
            if jobs > 1 or dask:
                import classify

                parallel = {"jobs": jobs, "model_dir": model if model is not None else classify.default_model_path(), "scheduler": dask}
            if parallel and fmt == "jsonl" and not document_field and all(p != "-" and detect_format(p) == "jsonl" for p in inputs):
                # JSONL to JSONL: the workers parse and write the JSON too; this process moves raw lines and bytes
                from classify.distributed import label_jsonl_parallel

                sys.stdout.flush()  # output may go to sys.stdout.buffer
                with AtomicWriter(out, binary=True) as handle:
                    for data in label_jsonl_parallel(loaded, inputs, fields, batch_size, summary, **parallel):
                        handle.write(data)
                written = summary.records
            else:
                if parallel:
                    from classify.distributed import label_rows_parallel

                    labelled = _jsonable(label_rows_parallel(loaded, rows(), fields, batch_size, summary, **parallel))
                else:
                    labelled = _jsonable(label_rows(loaded, rows(), fields, batch_size, summary))
                written = _table(labelled, fields) if fmt == "table" else write_rows(labelled, out, fmt)
    _progress(f"labelled {written} records, {summary.errors} with errors, {_which_model(model, loaded)}")
    if summary.trained:
        warnings.warn(f"{summary.trained} of these records were in the model's training data (by id or text): their labels mostly repeat their "
                      "annotations, so counts or figures meant to measure the model should leave them out.", ClassifyWarning, stacklevel=2)
    _some(summary.first_errors or [], summary.errors, " (each output record with an error says why)")
    if summary.errors:
        raise typer.Exit(1)


def _which_model(path: Path | None, model) -> str:
    """Which model labelled: its directory (or "the shipped model"), the size and fingerprint of its training data."""
    training = (model.info or {}).get("training", {})
    name = "the shipped model" if path is None else f"model {path}"
    fingerprint = str(training.get("fingerprint", "")).removeprefix("sha256:")[:12]
    trained = f"trained on {training['n_records']:,} records" if isinstance(training.get("n_records"), int) else "training data not recorded"
    return f"by {name} ({trained}{', fingerprint ' + fingerprint if fingerprint else ''})"


def _table(rows, fields) -> int:
    """A readable table on stdout: id, topics, stance, start of the question."""
    from classify.output import without_surrogates

    count = 0
    for row in rows:
        if not count:  # the header with the first row: an input that fails to read prints only its error
            typer.echo(f"{'id':<24} {'topics':<36} {'stance':<14} question")
        count += 1
        row = fields.lift(without_surrogates(row))  # a terminal cannot print lone surrogates
        rid = "-" if row.get(fields.id) is None else str(row.get(fields.id))  # a record without id: '-', not 'None'
        rid = rid if len(rid) <= 24 else "…" + rid[-23:]
        if row.get("error"):
            typer.echo(f"{rid:<24} ERROR: {row['error']}")
            continue
        topics = ", ".join(row["topics"] or []) if row.get("topics") is not None else "-"
        question = " ".join(str(row.get(fields.question, "")).split())
        typer.echo(f"{rid:<24} {topics or '(none)':<36} {row.get('stance') or '-':<14} {question[:60]}")
    return count


_JSON_TYPES = (str, int, float, bool, list, dict, type(None))


def _jsonable(rows):
    """Rows with every top-level value JSON can hold (dates and the like from Parquet become str)."""
    for row in rows:
        if all(isinstance(v, _JSON_TYPES) for v in row.values()):
            yield row  # the usual case (rows from JSONL or CSV): no copy
        else:
            yield {k: (v if isinstance(v, _JSON_TYPES) else str(v)) for k, v in row.items()}


@app.command()
def train(
    annotations: Annotated[list[str], typer.Argument(metavar="ANNOTATIONS", help="Annotation files (JSONL, CSV, Parquet, dataset dir).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the model to.")],
    schema: Annotated[Path | None, typer.Option(help="Label schema TOML; default: inferred from the annotations.")] = None,
    corpora: Annotated[Path | None, typer.Option(help="Folder of corpus JSONL files: records given by id only get their texts from there.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same data + seed = same model).")] = 0,
    cv: Annotated[int, typer.Option(help="Cross-validation folds for the reported metrics (0 = skip).")] = 5,
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
    topics_field: TopicsField = "topics",
    stance_field: StanceField = "stance",
    param: Annotated[list[str] | None, typer.Option("--param", help="Training parameter KEY=VALUE over the defaults, e.g. topic_loss=ridge (repeatable; see classify.training.DEFAULTS).")] = None,
    base: Annotated[Path | None, typer.Option("--base", help="Retrain this model on its own annotations plus the ANNOTATIONS given (its schema, params, seed, cv).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="With --base: new annotations override base ones with the same id (default: error).")] = False,
    ctx: typer.Context = None,
):
    """Validate annotations, train, cross-validate, write the model and print its metrics.

    Example: classify train my_annotations.jsonl --out models/mine --schema my_schema.toml

    Retrain: classify train --base models/mine round2.jsonl --out models/mine-v2

    Parameters: classify train my_annotations.jsonl --out models/mine --param topic_loss=ridge
    """
    from classify.annotations import Fields
    from classify.persist import check_target, read_manifest
    from classify.schema import LabelSchema
    from classify.training import parse_params
    from classify.training import train as run

    fields = Fields(id_field, question_field, answer_field, topics_field, stance_field)
    params = parse_params(param)  # before any reading: a typo fails fast
    check_target(out)  # so does an --out that saving would have to refuse
    if replace and base is None:
        raise DataError("--replace works with --base (a correction replaces a base model's annotation); without it, an id "
                        "annotated twice is an error: keep one of the two, or train with --base.")
    if base is not None:
        if schema is not None:
            raise DataError("--schema cannot be combined with --base: the base model's schema is used. Drop --schema.")
        _keep_default(out, LabelSchema.from_dict(read_manifest(base)["schema"], where=str(base)))
        return _train_from_base(ctx, base, annotations, out, corpora, seed, cv, fields, replace, params)
    label_schema = LabelSchema.from_toml(schema) if schema else None
    _keep_default(out, label_schema)
    model = run(annotations, label_schema, seed=seed, cv=cv, fields=fields, params=params or None, progress=_progress,
                sources=annotations, corpora=corpora)
    model.save(out)
    _progress(f"model with heads {', '.join(model.heads)} written to {out}")
    _print_metrics(model.info.get("metrics"))


def _hydrated(paths, corpora, fields):
    """Annotation files as given, or, with --corpora, ``(file:line, record)`` pairs with texts joined in by id."""
    if corpora is None:
        return paths
    from classify.annotations import hydrate_complete

    return hydrate_complete(paths, corpora, fields)


def _rows(records):
    if isinstance(records, list) and records and isinstance(records[0], tuple):
        return iter(records)  # located pairs (_hydrated)
    from classify.io import read_rows

    return (pair for path in records for pair in read_rows(str(path)))


@app.command()
def evaluate(
    annotations: Annotated[list[str], typer.Argument(metavar="ANNOTATIONS", help="Annotation files with gold labels.")],
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    corpora: Annotated[Path | None, typer.Option(help="Folder of corpus JSONL files for id-only annotations.")] = None,
    report_dir: Annotated[Path | None, typer.Option("--report", help="Also write an HTML report with plots to this folder (needs matplotlib).")] = None,
    unknown_labels: Annotated[str, typer.Option(help="A gold label the model was not trained with: error (stop; most are typos) or miss "
                                                     "(score it as never predicted: recall 0, counted in the macro F1).")] = "error",
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
    topics_field: TopicsField = "topics",
    stance_field: StanceField = "stance",
):
    """Per-label precision, recall, F1 and support; micro/macro F1; stance confusion matrix.

    Example: classify evaluate held_out.jsonl --model models/mine --report eval_report/
    """
    from classify import annotations as ann
    from classify.metrics import format_report, trained_note
    from classify.model import check_unknown_labels

    if report_dir is not None:
        from classify.report import check

        check(report_dir)  # before the work: matplotlib missing or a file in the way
    check_unknown_labels(unknown_labels)
    loaded = _load(model)
    fields = ann.Fields(id_field, question_field, answer_field, topics_field, stance_field)
    data = ann.from_rows(_rows(_hydrated(annotations, corpora, fields)), None, fields)  # labels: checked by the model's evaluate
    report = loaded.evaluate(data, unknown_labels=unknown_labels)
    if seen := max((r.get("seen_in_training") or 0 for r in report.values()), default=0):
        warnings.warn(trained_note(seen) + ".", ClassifyWarning, stacklevel=2)
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
    if report_dir is not None:
        from classify.report import write

        _progress(f"report written to {write(loaded, data, report_dir, report, str(model or 'the shipped model'))}")


@app.command()
def info(model: ModelOpt = None, as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest.")] = False):
    """Show what a model's manifest says: heads, labels, thresholds, data, metrics, versions.

    Example: classify info --model models/default
    """
    import classify
    from classify.fitted import stored_rule
    from classify.metrics import cv_heading, format_report
    from classify.persist import read_manifest

    path = model or classify.default_model_path()
    manifest = read_manifest(path)
    classify.load(path)  # every check a load makes (checksums, arrays, parameters): info is a health check too
    if as_json:
        typer.echo(json.dumps(manifest, indent=2, ensure_ascii=False))
        return
    training = manifest.get("training", {})
    topic_head = manifest["heads"].get("topics", {})
    fitted_by = dict(zip(topic_head.get("labels", []), topic_head.get("label_loss", [])))  # older models: not recorded
    topics = [t["name"] for t in manifest["schema"].get("topics", [])]
    stances = [s["name"] for s in manifest["schema"].get("stances", [])]
    if "topics" in manifest["heads"]:
        topics = [f"{t} (threshold {manifest['thresholds'].get(t, float('nan')):.3f}" + (f", {fitted_by[t]}" if t in fitted_by else "") + ")" for t in topics]
    rule = stored_rule(topic_head) if topic_head else ""
    lines = [
        f"model      {path}",
        f"format     {manifest['format']} v{manifest['format_version']}",
        f"heads      {', '.join(manifest['heads']) or 'none'}",
        "topics     " + _listed(topics, "topics" in manifest["heads"], "topic"),
        "stances    " + _listed(stances, "stance" in manifest["heads"], "stance"),
        *([f"rule       {rule}, as in the training data"] if rule else []),
        f"trained on {training.get('n_records', '?')} records ({training.get('fingerprint', '?')})",
        "training   " + _training_settings(training),
        "versions   " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()),
    ]
    typer.echo("\n".join(lines))
    if manifest.get("metrics"):
        try:
            typer.echo("\n" + cv_heading(manifest["metrics"]) + "\n" + format_report(manifest["metrics"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # figures only people read: the model itself loaded
            raise DataError(f"{path}/manifest.json: its 'metrics' are damaged ({type(exc).__name__}: {exc}); the model loads and "
                            "predicts, but its cross-validated figures cannot be shown: retrain it for them.") from None


def _training_settings(training: dict) -> str:
    """Seed, folds and the training parameters that differ from today's defaults (what ``--param`` set)."""
    from classify.training import DEFAULTS, LEGACY

    params = training.get("params")
    if not isinstance(params, dict):  # models saved before parameters were recorded
        return f"seed {training.get('seed', '?')}, cv {training.get('cv', '?')}; parameters not recorded"
    params = {**LEGACY, **params}  # a parameter the model predates had its old meaning
    changed = [f"{key}={value}" for key, value in params.items() if key not in DEFAULTS or DEFAULTS[key] != value]
    return f"seed {training.get('seed', '?')}, cv {training.get('cv', '?')}; " + (
        f"parameters {', '.join(changed)} (the rest default)" if changed else "default parameters")


@app.command()
def hydrate(
    ids: Annotated[list[str], typer.Argument(metavar="IDS", help="Files of ids + labels (JSONL/CSV/Parquet).")],
    corpora: Annotated[Path, typer.Option(help="Folder of corpus JSONL files with id, question, answer.")],
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output file; default stdout.")] = None,
    fmt: FormatOpt = None,
    id_field: IdField = "id",
):
    """Add question and answer texts to id-only annotation files; missing ids are reported.

    Example: classify hydrate labels/annotations.jsonl --corpora ../shared/data --out gold.jsonl
    """
    from classify.annotations import Fields, corpus_files
    from classify.annotations import hydrate as run
    from classify.output import write_rows

    fmt = _check_output(out, fmt, [*ids, *corpus_files(corpora)])  # the corpus files are read too
    records, missing = run(ids, corpora, Fields(id=id_field))
    write_rows(records, out, fmt)
    _progress(f"hydrated {len(records)} records; {len(missing)} ids not found in {corpora}")
    _some([f"missing: {rid!r}" for rid in missing[:20]], len(missing), " (left out of the output)")  # quoted: a stray space shows
    if missing:
        raise typer.Exit(1)


@app.command()
def parse(
    documents: Annotated[list[str], typer.Argument(metavar="DOCUMENT", help="Parliamentary documents (plain text), or '-' for stdin.")],
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output file; default stdout.")] = None,
    fmt: FormatOpt = None,
):
    """Split documents into question/answer records (id, number, question, answer, group, ...).

    Example: classify parse ../shared/data/defensieraad_2026_nr300.txt --format csv
    """
    from classify.errors import DocumentError
    from classify.io import document_names, read_rows
    from classify.output import write_rows

    fmt = _check_output(out, fmt, documents)
    failed = []

    def rows():
        names = document_names(documents)
        for path in documents:
            try:
                for _, row in read_rows(path, "document", names.get(path)):
                    yield row
            except DocumentError as exc:  # one of several documents without questions: the others are parsed
                if len(documents) == 1:
                    raise
                failed.append(str(exc))

    count = write_rows(rows(), out, fmt)
    _progress(f"parsed {count} records" + (f"; {len(failed)} of {len(documents)} documents had none" if failed else ""))
    _some(failed[:5], len(failed))
    if failed:
        raise typer.Exit(1)


def _keep_default(out: Path, schema) -> None:
    """The shipped model, which every command without --model uses, is replaced only by a model of
    its own labels (retraining it: the README's command); a model of other labels goes elsewhere."""
    import classify
    from classify.persist import read_manifest
    from classify.schema import LabelSchema

    try:
        shipped = classify.default_model_path()
    except ClassifyError:  # an installation without it: nothing to keep
        return
    if not out.exists() or out.resolve() != shipped.resolve():
        return
    labels = LabelSchema.from_dict(read_manifest(shipped)["schema"], where=str(shipped))
    if schema is None or (schema.topics, schema.stances) != (labels.topics, labels.stances):
        raise DataError(f"{out} is the shipped default model, which every command without --model uses; it is replaced only by a "
                        "model of its own labels (--schema labels/schema.toml). Write yours elsewhere (--out models/mine) and "
                        "pass --model models/mine.")


def _print_metrics(metrics: dict | None) -> None:
    """A trained model's cross-validated figures on stdout, headed with what they are (stdout may be kept
    without the progress lines)."""
    if metrics:
        from classify.metrics import cv_heading, format_report

        typer.echo(cv_heading(metrics) + "\n" + format_report(metrics))


def _train_from_base(ctx, base, annotations, out, corpora, seed, cv, fields, replace, params):
    """``classify train --base``: see :mod:`classify.retrain`."""
    from classify.retrain import train_from_base
    # --seed / --cv given on the command line win; otherwise the base model's values are kept
    explicit = lambda name: getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"  # noqa: E731
    model = train_from_base(base, annotations, corpora=corpora, fields=fields, seed=seed if explicit("seed") else None,
                            cv=cv if explicit("cv") else None, params=params, replace=replace, progress=_progress)
    model.save(out)
    _progress(f"model with heads {', '.join(model.heads)} written to {out} "
              f"({model.info['training']['base']['n_records']} base + new annotations = {model.info['training']['n_records']})")
    _print_metrics(model.info.get("metrics"))


@app.command()
def suggest(
    corpus: Annotated[list[str], typer.Argument(metavar="CORPUS", help="Unlabelled records: JSONL/CSV/Parquet files, documents (.txt), or '-'.")],
    model: ModelOpt = None,
    n: Annotated[int, typer.Option("--n", "-n", help="How many records to suggest.")] = 50,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output file (written atomically); default stdout.")] = None,
    fmt: FormatOpt = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Annotation files whose ids count as annotated too (repeatable).")] = None,
    diversity: Annotated[float, typer.Option(help="Penalty on similarity to records already picked (0 = none).")] = 0.5,
    explore: Annotated[float, typer.Option(help="Share of the batch picked at random (finds what the model cannot see yet).")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the random share.")] = 0,
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
    topics_field: TopicsField = "topics",
    stance_field: StanceField = "stance",
):
    """Pick the records most worth annotating next, pre-filled with the model's guess to correct.

    Skips ids already annotated: the model's training ids, ids now in the annotation files it was
    trained from, and ids in --exclude files. Output records keep their fields and get topics /
    stance (the model's guess: check them), topic_scores, stance_scores, suggest_rank (pick
    order), suggest_reason and suggest_score: the score of the objective that picked it (a topic's
    probability; for the stance 1 - (p1 - p2), higher = less sure; for a random pick its random
    number), so scores of different objectives are not comparable and not in rank order.

    Example: classify suggest ../shared/data/be_kamer_2017_qa.jsonl --model models/mine --n 50 --out round2.jsonl
    """
    from classify.annotations import Fields
    from classify.io import document_names, read_rows, require
    from classify.output import write_rows
    from classify.suggest import annotated, annotation_files
    from classify.suggest import suggest as run

    for path in [*corpus, *(exclude or [])]:  # fail before the slow part, not after
        require(path)
    fields = Fields(id_field, question_field, answer_field, topics_field, stance_field)
    loaded = _load(model)
    fmt = _check_output(out, fmt, corpus)
    files = annotation_files(loaded, exclude or [], fields)
    _not_an_input(out, [path for path, _ in files], "an annotation file of the model or of --exclude")
    ids, texts, notes = annotated(loaded, exclude or [], fields, files=files)
    _progress("counting as annotated: " + "; ".join(notes))

    def rows():
        names = document_names(corpus)
        for path in corpus:
            yield from read_rows(path, doc_name=names.get(path))

    stats: dict = {}
    picked = run(loaded, rows(), n, exclude_ids=ids, exclude_texts=texts, fields=fields, diversity=diversity, explore=explore, seed=seed, stats=stats)
    write_rows(_jsonable(picked), out, fmt)
    _progress(f"suggested {len(picked)} of {stats['scanned']} records ({stats['excluded']} already annotated or repeated, "
              f"{stats['skipped']} unreadable or without a question)")


@app.command()
def explain(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="A question text, or a file of records (JSONL/CSV/Parquet/document), or '-'.")],
    model: ModelOpt = None,
    answer: Annotated[str | None, typer.Option("--answer", "-a", help="The answer text, to explain the stance too.")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Explain this topic label (repeatable); default: the predicted ones.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Words and phrases listed per direction.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per record instead of text.")] = False,
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
):
    """Show the words and phrases that pushed each predicted topic and the stance.

    Contributions are exact: feature value x weight of the model's linear heads, credited to the
    words and word pairs of the text (character n-grams to their word), and they add up to the
    decision score. The stance is explained against the runner-up stance.

    Example: classify explain "Is de minister bereid schepen van de schaduwvloot in beslag te nemen?" --answer "Nee."
    """
    from classify.explain import explain as run
    from classify.explain import format_explanation

    loaded = _load(model)
    for record_id, question, answer_text in _explain_inputs(text, answer, question_field, answer_field, id_field):
        result = run(loaded, question, answer_text, top=top, topics=topic or None)
        if as_json:
            typer.echo(json.dumps({"id": record_id, "question": question, "answer": answer_text, **result}, ensure_ascii=False))
        else:
            typer.echo(format_explanation(result, record_id) + "\n")


def _explain_inputs(text, answer, question_field, answer_field, id_field):
    """(id, question, answer) triples: one for a literal text, one per record for a file."""
    from classify.annotations import Fields
    from classify.formats import detect_format
    from classify.io import read_rows
    from classify.labelling import _prepare

    path = Path(text) if text != "-" and len(text) < 4096 and "\n" not in text else None
    if path is not None and not path.exists() and " " not in text and detect_format(text) != "unknown":
        raise InputNotFoundError(f"{text!r} looks like a file name, but there is no such file; check the path "
                                 "(a question to explain is text with spaces, e.g. 'Steunt u Oekraïne?').")
    if text != "-" and (path is None or not path.is_file()):
        yield None, text, answer
        return
    rows = None
    if text == "-" or detect_format(text) in ("document", "unknown"):
        from classify.errors import ParseWarning
        from classify.formats import plain_stem
        from classify.io import _read_text, plain_text, rows_of_text

        content = _read_text(text)
        if plain_text(content):  # a plain text file, or text piped in: the whole text is the question
            if len(content.strip()) > LONG_QUESTION:  # most often a document whose questions classify cannot find
                warnings.warn(f"{'<stdin>' if text == '-' else text}: no numbered questions found ('Vraag 1 ...', '1. ...?'), so its whole "
                              f"text ({len(content.strip()):,} characters) is explained as one question; `classify parse` shows what a "
                              "document's questions are read as.", ParseWarning, stacklevel=2)
            yield (None if text == "-" else plain_stem(text)), content.strip(), answer
            return
        rows = rows_of_text(content, "<stdin>" if text == "-" else text)
    fields = Fields(id=id_field, question=question_field, answer=answer_field)
    for where, row in rows if rows is not None else read_rows(text):
        question, answer_text, out = _prepare(where, row, fields)
        if question is None:
            _progress(f"skipped: {out['error']}")
            continue
        yield out.get(fields.id), question, answer_text


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The model in use (directory).")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The retrained model (directory).")],
    annotations: Annotated[list[str], typer.Argument(metavar="ANNOTATIONS", help="Annotation files to score both on (ideally held out from both).")],
    corpora: Annotated[Path | None, typer.Option(help="Folder of corpus JSONL files for id-only annotations.")] = None,
    show: Annotated[int, typer.Option(min=0, help="Changed records listed in the text output.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report (every changed record) as JSON.")] = False,
    unknown_labels: Annotated[str, typer.Option(help="A gold label only one model knows: drop (score each model on its own labels) or miss "
                                                     "(score it as never predicted by the other: both on the same labels).")] = "drop",
    question_field: QuestionField = "question",
    answer_field: AnswerField = "answer",
    id_field: IdField = "id",
    topics_field: TopicsField = "topics",
    stance_field: StanceField = "stance",
):
    """Per-label metric differences between two models, and the records whose labels changed.

    Example: classify compare models/v1 models/v2 held_out.jsonl --corpora ../shared/data
    """
    import classify
    from classify import annotations as ann
    from classify.compare import check_unknown_labels, format_comparison
    from classify.compare import compare as run
    from classify.metrics import trained_note

    check_unknown_labels(unknown_labels)
    fields = ann.Fields(id_field, question_field, answer_field, topics_field, stance_field)
    old_model, new_model = classify.load(old), classify.load(new)
    data = ann.from_rows(_rows(_hydrated(annotations, corpora, fields)), None, fields)
    report = run(old_model, new_model, data, unknown_labels)
    for name, seen in report["seen_in_training"].items():
        if seen:  # stderr, beside the report's own note: a terminal shows it even when stdout goes to a file
            warnings.warn(trained_note(seen, whose=f"{name.upper()}'s") + ".", ClassifyWarning, stacklevel=2)
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False) if as_json else format_comparison(report, str(old), str(new), show))


def main() -> None:
    """Entry point of the ``classify`` console script."""
    # Ctrl-C with a deadline: in the command's own process only (not a caller's, as under CliRunner),
    # where SIGINT has its default (not ignored: nohup, a background job) and SIGALRM exists (not Windows)
    if hasattr(signal, "SIGALRM") and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    if hasattr(signal, "SIGALRM") and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupted)
    try:
        app(prog_name="classify")
    except SystemExit:
        if _signalled and _signalled[0] != signal.SIGINT:
            raise SystemExit(128 + _signalled[0]) from None  # a shell's code for that signal: 143 for SIGTERM
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
