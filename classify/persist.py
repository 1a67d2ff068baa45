"""Safe, versioned model directories.

A model directory holds ``manifest.json`` (format version, library versions, label schema,
thresholds, training fingerprint and counts, cross-validated metrics, sha256 of every payload
file), one ``.npy`` file per array, and ``README.md`` (the model card).

Loading never executes code from the directory: the manifest is JSON, arrays are read with
``numpy.load(allow_pickle=False)``, and every payload file must match its recorded checksum.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np

from classify import leftovers
from classify.errors import DataError, InputNotFoundError, ModelFormatError, VersionWarning, warn
from classify.output import default_mode, unwritable
from classify.schema import LabelSchema

FORMAT = "classify-model"
# 2: featurisers record strip_accents (a format-1 model reads words with their accents)
# 3: featurisers record label_idf and idf_labels (older models' IDF never saw labels: 0 and 0)
FORMAT_VERSION = 3
SUPPORTED_VERSIONS = (1, 2, 3)
MANIFEST = "manifest.json"


def versions() -> dict:
    from importlib.metadata import version  # not sklearn.__version__: loading never imports scikit-learn

    from classify import __version__

    return {"classify": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scikit-learn": version("scikit-learn")}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_target(path) -> None:
    """Raise unless ``path`` is free, an empty directory, or a classify model directory.

    :func:`save` replaces what is at ``path`` as a whole: only a model may be replaced, never a
    file or a folder of other things (``--out`` given the annotations' path by mistake). The CLI
    calls this before training, so the mistake costs no training time.
    """
    path = Path(path)
    if not path.exists():
        return
    if not path.is_dir():
        raise DataError(f"{str(path)!r} is a file, not a model directory; saving would replace it. Choose a directory path for the model (Model.save's path, train --out).")
    entries = sorted(p.name for p in path.iterdir())
    if not entries:
        return
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{str(path)!r} is a directory of other files ({_shown(entries)}), not a classify model; saving would "
                        "delete them. Choose a new or empty directory for the model (Model.save's path, train --out).")
    files = manifest.get("files")
    others = [e for e in entries if e not in {MANIFEST, "README.md", *(files if isinstance(files, dict) else {})}]
    if others:
        raise DataError(f"{str(path)!r} is a classify model that also holds files classify did not write ({_shown(others)}); "
                        "saving would delete them. Move them out, or choose another directory (Model.save's path, train --out).")


def _shown(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def save(model, path) -> Path:
    """Write ``model`` to directory ``path``; an existing model directory there is replaced
    atomically, anything else is refused (:func:`check_target`). The staging folders of saves to
    ``path`` killed before they finished (kill -9) are removed first (:mod:`classify.leftovers`)."""
    from classify import card

    path = Path(path)
    if path.is_symlink():  # `current -> v3`: the model goes where the link points, and the link stays
        path = Path(os.path.realpath(path))
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leftovers.sweep(path)  # the staging folders of saves killed before they finished
    tmp = Path(tempfile.mkdtemp(prefix=leftovers.prefix(path), dir=path.parent))
    try:
        os.chmod(tmp, default_mode(directory=True))  # mkdtemp's folder is private (0700) whatever the umask
        heads, files = {}, {}
        for name, (meta, arrays) in model.head_states().items():
            heads[name] = meta
            for key, value in sorted(arrays.items()):
                filename = f"{name}.{key}.npy"
                np.save(tmp / filename, np.ascontiguousarray(value), allow_pickle=False)
                files[filename] = _sha256(tmp / filename)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "versions": versions(),
            "schema": model.schema.to_dict(),
            "heads": heads,
            "thresholds": model.thresholds,
            **_with_id_keys(model.info),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(card.render(manifest), encoding="utf-8")
        if not path.exists():
            os.replace(tmp, path)
        elif _exchange(tmp, path):  # one atomic step: the old model is now at tmp
            _remove(tmp)
        else:  # two renames (no renameat2 here): an interruption between them puts the old model back
            old = path.with_name(f".{path.name}.old")
            _remove(old)
            try:
                os.replace(path, old)
                os.replace(tmp, path)
            except BaseException:
                if not path.exists() and old.is_dir():
                    os.replace(old, path)
                raise
            _remove(old)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError):  # a full disk (numpy's own error has no errno), a read-only folder
            raise unwritable(path, exc, "the model to") from None
        raise
    return path


def _with_id_keys(info: dict) -> dict:
    """``info`` with its training ids as annotations keep them (text), so that a model built in code
    with integer ids loads again; ids of other types are refused before anything is written."""
    ids = (info.get("training") or {}).get("ids")
    if ids is None:
        return info
    from classify.annotations import id_key

    keys = [id_key(i) for i in ids]
    if None in keys:
        bad = ids[keys.index(None)]
        raise DataError(f"info['training']['ids'] holds {bad!r:.40} ({type(bad).__name__}); training ids are strings or whole numbers.")
    return {**info, "training": {**info["training"], "ids": keys}}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux's renameat2 with RENAME_EXCHANGE): whenever the
    process is stopped, even by kill -9, ``b`` holds the old or the new model. False where the
    system or file system cannot (then :func:`save` renames twice)."""
    import sys

    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)  # glibc >= 2.28
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):  # not supported by the kernel or file system
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove(path: Path) -> None:
    """Remove a leftover folder (or a file or link in its place) if there is one."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


_FINE = object()  # read_manifest: no bad value found (None is one)


def read_manifest(path) -> dict:
    """Read and type-check a model directory's manifest (no payload is touched)."""
    path = Path(path)
    if path.is_file():
        hint = f"pass its folder, {str(path.parent)!r}" if path.name == MANIFEST else "pass a directory written by Model.save or 'classify train --out'"
        raise InputNotFoundError(f"model {str(path)!r} is a file, not a model directory; {hint}.")
    if not path.is_dir():
        import shlex

        target = Path(os.path.realpath(path))  # save() replaced what a symbolic link pointed to
        left = target.with_name(f".{target.name}.old")
        if (left / MANIFEST).is_file():  # a save killed between its two renames (file systems without renameat2's exchange)
            raise InputNotFoundError(f"model directory {str(path)!r} does not exist, but an interrupted save left the previous model "
                                     f"beside it: restore it (`mv {shlex.quote(str(left))} {shlex.quote(str(target))}`), or train again.")
        raise InputNotFoundError(f"model directory {str(path)!r} does not exist; pass a directory written by Model.save or 'classify train --out'.")
    file = path / MANIFEST
    if not file.is_file():
        raise ModelFormatError(f"{path}: no {MANIFEST}; this is not a classify model directory (train one with 'classify train').")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors; deep nesting recurses
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise ModelFormatError(f"{file}: not valid JSON ({reason}); the model directory is damaged, retrain or re-download it.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFormatError(f"{file}: 'format' must be {FORMAT!r}; this is not a classify model directory.")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_VERSIONS:  # true == 1.0 == 1
        raise ModelFormatError(
            f"{file}: unknown format_version {version!r}; this classify reads versions "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))}. Install a newer classify (from its checkout or a wheel built from it) or retrain the model."
        )
    expected = {"schema": dict, "heads": dict, "files": dict, "versions": dict}
    optional = {"thresholds": dict, "training": dict, "metrics": dict}  # written by every save; older manifests may lack them
    for key, kind in optional.items():
        if key in manifest and not isinstance(manifest[key], kind):
            raise ModelFormatError(f"{file}: field '{key}' must be a {kind.__name__}, got {type(manifest[key]).__name__}; the manifest is damaged.")
    for key, what in (("ids", "id strings"), ("question_keys", "text keys (strings)"), ("record_keys", "text keys (strings)")):
        values = manifest.get("training", {}).get(key) if isinstance(manifest.get("training"), dict) else None
        if values is not None:
            bad = values if not isinstance(values, list) else next((i for i in values if not isinstance(i, str)), _FINE)
            if bad is not _FINE:  # a null among them is damage too
                raise ModelFormatError(f"{file}: field 'training.{key}' must be a list of {what}; it holds {bad!r:.40} "
                                       f"({type(bad).__name__}). Restore the manifest as it was saved, or retrain the model.")
    for name, head in manifest.get("heads", {}).items() if isinstance(manifest.get("heads"), dict) else ():
        if not isinstance(head, dict):
            raise ModelFormatError(f"{file}: head {name!r} must be a dict, got {type(head).__name__}; the manifest is damaged.")
    for key, kind in expected.items():
        if not isinstance(manifest.get(key), kind):
            raise ModelFormatError(f"{file}: field '{key}' must be a {kind.__name__}, got {type(manifest.get(key)).__name__}; the manifest is damaged.")
    for name, digest in manifest["files"].items():
        if not (isinstance(name, str) and isinstance(digest, str)) or "/" in name or "\\" in name or name.startswith("."):
            raise ModelFormatError(f"{file}: invalid payload entry {name!r}; payload files are plain names in the model directory.")
    return manifest


def load(path):
    """Load a model directory; refuses unknown formats, damaged manifests and tampered payloads."""
    from classify.fitted import FittedStance, FittedTopics
    from classify.model import Model

    path = Path(path)
    manifest = read_manifest(path)
    if manifest["format_version"] < FORMAT_VERSION:
        _read_as_current(manifest)
    _warn_versions(manifest["versions"], path)
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for filename, digest in sorted(manifest["files"].items()):
        file = path / filename
        # a symbolic link to a regular file is read (DVC, git-annex and Hugging Face caches link their files); the checksum
        # still decides; a device or pipe (a link to /dev/zero) would be read for ever
        if file.exists() and not file.is_file():
            raise ModelFormatError(f"{path}: payload file {filename!r} is not a regular file (a device or pipe); put the file "
                                   "back as it was saved, or retrain the model.")
        if not file.is_file():
            raise ModelFormatError(f"{path}: payload file {filename!r} listed in the manifest is missing; the model directory is incomplete.")
        if _sha256(file) != digest:
            raise ModelFormatError(f"{path}: checksum mismatch for {filename!r}; the file was modified after saving. Refusing to load it.")
        value = _array(path, filename)
        head, _, key = filename[: -len(".npy")].partition(".")
        arrays.setdefault(head, {})[key] = value
    try:
        schema = LabelSchema.from_dict(manifest["schema"], where=f"{path}/{MANIFEST}")
        builders = {"topics": FittedTopics, "stance": FittedStance}  # numpy only; see classify.fitted
        heads = {}
        for name, meta in manifest["heads"].items():
            if name not in builders:
                raise ModelFormatError(f"{path}: unknown head {name!r} in the manifest; expected topics and/or stance.")
            heads[name] = builders[name].from_state(meta, arrays.get(name, {}))
        info = {k: manifest[k] for k in ("training", "metrics") if k in manifest}
        model = Model(schema, heads.get("topics"), heads.get("stance"), info)  # checks the heads' labels against the schema
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        if isinstance(exc, ModelFormatError):
            raise
        raise ModelFormatError(f"{path}: the manifest does not describe a loadable model ({type(exc).__name__}: {exc}); restore the "
                               "directory as it was saved, or retrain the model.") from None
    _check_thresholds(path, manifest.get("thresholds", {}), model.thresholds)
    return model


def _read_as_current(manifest: dict) -> None:
    """An older manifest in today's terms: format-1 featurisers read words with their accents, and
    no featuriser before format 3 weighted its IDF by labels."""
    added = {"strip_accents": False, "label_idf": 0.0}
    for head in manifest["heads"].values():
        for key in ("features", "answer_features", "question_features"):
            features = head.get(key)
            if isinstance(features, dict) and isinstance(features.get("params"), dict):
                for name, value in added.items():
                    features["params"].setdefault(name, value)
                features.setdefault("idf_labels", 0)


def _array(path: Path, filename: str) -> np.ndarray:
    """A payload array, read only if it is what classify writes: a finite number array of the size
    its file holds (memory-mapped first, so a header declaring 10**12 values allocates nothing)."""
    try:
        mapped = np.load(path / filename, mmap_mode="r", allow_pickle=False)
        value = np.array(mapped)
        del mapped
    except (ValueError, EOFError, OSError) as exc:  # object arrays, pickles, cut-short or empty files
        raise ModelFormatError(f"{path}: {filename!r} is not a plain numeric array ({exc}); refusing to load it.") from None
    if value.dtype.kind not in "fiu":  # no text, dates, complex or booleans
        raise ModelFormatError(f"{path}: {filename!r} holds {value.dtype} values, not numbers classify writes (integers or "
                               "floats); refusing to load it.")
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        raise ModelFormatError(f"{path}: {filename!r} holds NaN or infinite values; refusing to load it (they would make every "
                               "score NaN). Retrain the model.")
    return value


def _check_thresholds(path: Path, listed, used: dict[str, float]) -> None:
    """The manifest lists the thresholds for people and `classify info`; the arrays are what
    predicts. A manifest edited by hand (to move a threshold) must not show what is not used."""
    listed = listed if isinstance(listed, dict) else {}
    off = [t for t in used if not isinstance(listed.get(t), (int, float)) or not math.isclose(listed[t], used[t], rel_tol=1e-9, abs_tol=1e-12)]
    off += [t for t in listed if t not in used]
    if off:
        raise ModelFormatError(f"{path}: {MANIFEST}'s thresholds disagree with the model's arrays ({off[0]}: {listed.get(off[0])!r} "
                               f"listed, {used.get(off[0])!r} used). The manifest records the arrays; it does not set them: restore "
                               "it, or retrain the model.")


def _warn_versions(saved: dict, path: Path) -> None:
    """Warn when a model was saved with another major version of numpy or scikit-learn. Minor versions
    are no news: prediction reads .npy arrays (a format numpy keeps) with classify's own code, and
    pip gives Python 3.12 another numpy minor than 3.11, so every run there would warn for nothing."""
    current = versions()
    for lib in ("numpy", "scikit-learn"):
        a, b = str(saved.get(lib, "?")), current[lib]
        if a.split(".")[0] != b.split(".")[0]:
            warn(
                f"{path} was saved with {lib} {a}, this environment has {b}; predictions use only stored arrays "
                "and should be identical, but re-check with 'classify evaluate' if in doubt.",
                VersionWarning,
            )
