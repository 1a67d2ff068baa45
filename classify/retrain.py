"""Retraining in one command: a base model's own annotations plus new ones (``train --base``).

At train time the manifest records where the annotations came from: every source file with its
sha256 and column mapping, the corpora folder that supplied texts to id-only files, and the ids
and content fingerprint of the training records. ``train --base`` reloads exactly those files,
refuses to go on if any is missing or changed (the message names the file and the fix), checks
that the reloaded records reproduce the recorded training fingerprint, appends the new
annotations and trains with the base model's schema, parameters, seed and cv.

An id that is both in the base annotations and in the new ones is an error by default (it is
usually a record annotated twice by accident); with ``replace=True`` the new annotation wins,
which is how a label is corrected, and the replaced ids are listed in the new manifest.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

from classify.annotations import Annotations, Fields
from classify.errors import DataError, InputNotFoundError


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def provenance(sources, fields: Fields = Fields(), corpora=None) -> dict:
    """Manifest entries that let ``train --base`` find and verify the training annotations.

    Examples
    --------
    >>> provenance(["labels/seed.jsonl"])["source_files"][0]["path"]  # doctest: +SKIP
    'labels/seed.jsonl'
    """
    files = []
    for source in sources or []:
        path = Path(source)
        if not path.is_file():  # stdin, a dataset directory: nothing to fingerprint
            files.append({"path": str(source), "resolved": None, "sha256": None, "fields": asdict(fields)})
            continue
        files.append({"path": str(source), "resolved": str(path.resolve()), "sha256": _sha256(path), "fields": asdict(fields)})
    corpora_info = None
    if corpora is not None:
        corpora_info = {"path": str(corpora), "resolved": str(Path(corpora).resolve())}
    return {"source_files": files, "corpora": corpora_info}


def find_source(entry: dict) -> Path | None:
    """The file a manifest's source entry records: of its paths (as given, then absolute) the one
    whose content is the recorded one, else the first that exists (its change is then reported),
    else None. A same-named file in the current folder is not taken for a moved-away original."""
    found = [Path(c) for c in dict.fromkeys((entry.get("path"), entry.get("resolved"))) if c and Path(c).exists()]
    if entry.get("sha256"):
        found = [p for p in found if p.is_file() and _sha256(p) == entry["sha256"]] or found
    return found[0] if found else None


def _locate(entry: dict, what: str, base, fix: str = "restore the file (e.g. from git)") -> Path:
    found = find_source(entry)
    if found is not None:
        return found
    raise InputNotFoundError(
        f"{what} {entry.get('path')!r} of base model {base} is missing (also tried {entry.get('resolved')!r}); "
        f"run from the directory the base model was trained in, or {fix}."
    )


def load_base(base, corpora=None, progress=None) -> tuple[dict, Annotations, list[dict]]:
    """Reload and verify a model's training annotations: (manifest, annotations, source entries)."""
    from classify import annotations as ann
    from classify.persist import read_manifest
    from classify.schema import LabelSchema

    say = progress or (lambda message: None)
    manifest = read_manifest(base)
    training = manifest.get("training") or {}
    entries = training.get("source_files")
    if entries is None:  # models trained before source fingerprints were recorded
        entries = [{"path": s, "resolved": None, "sha256": None, "fields": asdict(Fields())}
                   for s in training.get("sources") or []]
    if not entries:
        raise DataError(
            f"base model {base} does not record the files it was trained on (trained from in-memory records); "
            "--base cannot reload its annotations. Train from scratch: classify train ALL_ANNOTATIONS... --out DIR."
        )
    schema = LabelSchema.from_dict(manifest["schema"], where=f"{base}/manifest.json")
    if corpora is None and training.get("corpora"):
        corpora = _locate(training["corpora"], "corpora folder", base, fix="pass the folder where it is now with --corpora DIR")
    for entry in entries:
        path = _locate(entry, "annotation file", base)
        if entry.get("sha256") and _sha256(path) != entry["sha256"]:
            raise DataError(
                f"annotation file {str(path.resolve())!r} changed since base model {base} was trained (sha256 "
                f"{entry['sha256'][7:19]}... recorded, {_sha256(path)[7:19]}... now). --base needs the base annotations "
                "unchanged: restore the file (e.g. git checkout -- FILE) and put new annotations in a separate file, "
                "or train from scratch: classify train FILES... --out DIR."
            )
        entry.update(path=str(path), resolved=str(path.resolve()), sha256=entry.get("sha256") or _sha256(path))
    say(f"reloading the base model's {len(entries)} annotation file(s)")
    rows: list[tuple[str, dict]] = []
    known: dict[str, tuple] = {}  # a correction's id-only record takes its texts from the files before it, as when trained
    for entry in entries:
        added = _rows([entry["path"]], corpora, Fields(**entry.get("fields") or {}), known)
        known.update((str(row["id"]), (row["question"], row["answer"])) for _, row in added if row.get("id") is not None and row.get("question"))
        rows += added
    data = ann.from_rows(_replaced(rows), schema, Fields())  # rows are already mapped to the default names
    expected = training.get("fingerprint")
    if expected and data.fingerprint() != expected:
        raise DataError(
            f"the annotations reloaded for base model {base} ({len(data)} records) do not match its training fingerprint "
            f"({expected[:19]}...): the texts in the corpora folder {str(corpora)!r} or the annotation files differ from "
            "those it was trained on. Pass the original folder with --corpora, or train from scratch."
        )
    return manifest, data, entries


def _replaced(rows: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """A base model's source rows as :func:`merge` combined them: an id in several files was
    replaced (``--replace``; training refuses any other duplicate), each later annotation
    overriding what it annotates (topics unless null, the stance unless null or empty), in the
    last one's place. The training fingerprint checks the outcome."""
    from classify.record import is_missing

    last, combined = {}, {}
    for k, (_, row) in enumerate(rows):
        if row.get("id") is None:
            continue
        rid = str(row["id"])
        last[rid] = k
        earlier = combined.get(rid)
        given = {key: value for key, value in row.items()  # as from_rows reads them: topics None, a stance missing or empty
                 if key not in ("topics", "stance") or value is not None and not (key == "stance" and (is_missing(value) or not str(value).strip()))}
        combined[rid] = row if earlier is None else {**earlier, **given}
    return [(where, row if row.get("id") is None else combined[str(row["id"])]) for k, (where, row) in enumerate(rows)
            if row.get("id") is None or last[str(row["id"])] == k]


def _rows(paths, corpora, fields: Fields, known: dict | None = None) -> list[tuple[str, dict]]:
    """(location, row) pairs with texts joined from ``corpora`` (or ``known``: id -> (question, answer),
    the base's records, so that an id-only correction needs no corpus) and columns renamed to the defaults."""
    from classify.annotations import hydrate_located
    from classify.io import read_rows

    known = known or {}
    if corpora is not None:
        pairs, missing = hydrate_located(paths, corpora, fields, known)
        if missing:
            raise DataError(
                f"{len(missing)} annotated ids of {', '.join(map(str, paths))} are not in {corpora} (first: {missing[0]!r}); "
                "add the corpus file or remove the annotations."
            )
    else:
        pairs = []
        for path in paths:
            for where, row in read_rows(str(path)):
                if isinstance(row, Exception):
                    raise row
                pairs.append((where, row))
    default = Fields()
    renamed = []
    for where, row in pairs:
        texts = known.get(str(row.get(fields.id))) if corpora is None and not row.get(fields.question) else None
        if texts is not None:
            row = {**row, fields.question: texts[0], fields.answer: texts[1]}
        if corpora is None and not row.get(fields.question):
            raise DataError(f"{where}: no '{fields.question}' text; this file holds ids only, "
                            "pass --corpora DIR to join the texts.")
        names = ("id", "question", "answer", "topics", "stance")
        renamed.append((where, {getattr(default, k): row.get(getattr(fields, k)) for k in names}))
    return renamed


def merge(base: Annotations, new: Annotations, replace: bool = False) -> tuple[Annotations, list[str]]:
    """Base records then new ones; an id in both is an error unless ``replace`` (then new wins)."""
    where = dict(zip(new.ids, new.locations, strict=True))
    clash = [i for i in base.ids if i in where]
    if clash and not replace:
        first = clash[0]
        raise DataError(
            f"{where[first]}: id {first!r} is already annotated in the base model's data "
            f"({base.locations[base.ids.index(first)]}); {len(clash)} id(s) clash. Remove the duplicates, or pass "
            "--replace to let the new annotations override the base ones."
        )
    keep = [k for k, i in enumerate(base.ids) if i not in where]
    in_base = {i: k for k, i in enumerate(base.ids)}
    merged = Annotations()
    for part, index in ((base, keep), (new, range(len(new)))):
        for k in index:
            topics, known, stance = part.topics[k], not part.topics_known or part.topics_known[k], part.stances[k]
            b = in_base.get(part.ids[k]) if part is new else None
            if b is not None:  # a correction replaces what it annotates: topics unless null, the stance unless null
                if not known:
                    topics, known = base.topics[b], not base.topics_known or base.topics_known[b]
                if stance is None:
                    stance = base.stances[b]
            merged.ids.append(part.ids[k])
            merged.questions.append(part.questions[k])
            merged.answers.append(part.answers[k])
            merged.topics.append(topics)
            merged.stances.append(stance)
            merged.locations.append(part.locations[k])
            merged.topics_known.append(known)
    return merged, clash


def train_from_base(base, new_annotations, *, corpora=None, fields: Fields = Fields(), seed=None, cv=None,
                    params: dict | None = None, replace: bool = False, progress=None):
    """Train on a base model's annotations plus ``new_annotations`` with the base's schema and params.

    Parameters
    ----------
    base : path
        Model directory trained by ``classify train`` (its manifest names its annotation files).
    new_annotations : list of paths
        New annotation files (ids only need ``corpora``).
    corpora : path, optional
        Folder of corpus JSONL files; default: the one the base model was trained with.
    seed, cv : int, optional
        Default: the base model's.
    params : dict, optional
        Training parameters that override the base model's (the rest are kept).
    replace : bool
        Let new annotations override base ones with the same id (default: such a clash is an error).

    Examples
    --------
    >>> model = train_from_base("models/v1", ["round2.jsonl"], corpora="../shared/data")  # doctest: +SKIP
    >>> model.save("models/v2")                                                        # doctest: +SKIP
    """
    from classify import annotations as ann
    from classify.persist import read_manifest
    from classify.schema import LabelSchema
    from classify.training import LEGACY, check_params, train

    say = progress or (lambda message: None)
    training = read_manifest(base).get("training") or {}
    params = None if training.get("params") is None and not params else {**LEGACY, **(training.get("params") or {}), **(params or {})}
    if params:
        check_params(params)  # a bad value fails before the base annotations are read, as it does in train
    manifest, base_data, entries = load_base(base, corpora, say)
    schema = LabelSchema.from_dict(manifest["schema"], where=f"{base}/manifest.json")
    if corpora is None and training.get("corpora"):
        corpora = _locate(training["corpora"], "corpora folder", base, fix="pass the folder where it is now with --corpora DIR")
    new_paths = [str(p) for p in ([new_annotations] if isinstance(new_annotations, (str, Path)) else new_annotations)]
    if not new_paths:
        raise DataError("train --base needs at least one file of new annotations.")
    known = {rid: (q, a) for rid, q, a in zip(base_data.ids, base_data.questions, base_data.answers, strict=True)}
    new_data = ann.from_rows(_rows(new_paths, corpora, fields, known), schema, Fields(), unknown_fix=ann.BASE_SCHEMA_FIX)
    merged, replaced = merge(base_data, new_data, replace)
    say(f"{len(base_data)} base + {len(new_data)} new annotations"
        + (f" ({len(replaced)} base ones replaced)" if replaced else ""))
    record = provenance(new_paths, fields, corpora)
    record["source_files"] = entries + record["source_files"]
    record["base"] = {
        "model": str(base),
        "fingerprint": base_data.fingerprint(),
        "n_records": len(base_data),
        "replaced_ids": replaced,
    }
    return train(
        merged,
        schema,
        seed=training.get("seed", 0) if seed is None else seed,
        cv=training.get("cv", 5) if cv is None else cv,
        params=params,
        progress=progress,
        sources=[e["path"] for e in entries] + new_paths,
        provenance=record,
    )
