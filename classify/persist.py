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

from classify.errors import DataError, InputNotFoundError, ModelFormatError, VersionWarning, warn
from classify.output import default_mode, unwritable
from classify.schema import LabelSchema

FORMAT = "classify-model"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
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
    except (OSError, ValueError):
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
    atomically, anything else is refused (:func:`check_target`)."""
    from classify import card

    path = Path(path)
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
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
            **model.info,
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(card.render(manifest), encoding="utf-8")
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk (numpy's own error has no errno), a read-only folder
            raise unwritable(path, exc, "the model to") from None
        raise
    return path


def read_manifest(path) -> dict:
    """Read and type-check a model directory's manifest (no payload is touched)."""
    path = Path(path)
    if path.is_file():
        hint = f"pass its folder, {str(path.parent)!r}" if path.name == MANIFEST else "pass a directory written by Model.save or 'classify train --out'"
        raise InputNotFoundError(f"model {str(path)!r} is a file, not a model directory; {hint}.")
    if not path.is_dir():
        raise InputNotFoundError(f"model directory {str(path)!r} does not exist; pass a directory written by Model.save or 'classify train --out'.")
    file = path / MANIFEST
    if not file.is_file():
        raise ModelFormatError(f"{path}: no {MANIFEST}; this is not a classify model directory (train one with 'classify train').")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{file}: not valid JSON ({exc}); the model directory is damaged, retrain or re-download it.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFormatError(f"{file}: 'format' must be {FORMAT!r}; this is not a classify model directory.")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_VERSIONS:  # true == 1.0 == 1
        raise ModelFormatError(
            f"{file}: unknown format_version {version!r}; this classify reads versions "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))}. Install a newer classify (from its checkout or a wheel built from it) or retrain the model."
        )
    expected = {"schema": dict, "heads": dict, "files": dict, "versions": dict}
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
    _warn_versions(manifest["versions"], path)
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for filename, digest in sorted(manifest["files"].items()):
        file = path / filename
        if not file.is_file():
            raise ModelFormatError(f"{path}: payload file {filename!r} listed in the manifest is missing; the model directory is incomplete.")
        if _sha256(file) != digest:
            raise ModelFormatError(f"{path}: checksum mismatch for {filename!r}; the file was modified after saving. Refusing to load it.")
        try:
            value = np.load(file, allow_pickle=False)
        except ValueError as exc:
            raise ModelFormatError(f"{path}: {filename!r} is not a plain numeric array ({exc}); refusing to load it.") from None
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
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFormatError):
            raise
        raise ModelFormatError(f"{path}: the manifest does not describe a loadable model ({type(exc).__name__}: {exc}).") from None
    _check_thresholds(path, manifest.get("thresholds", {}), model.thresholds)
    return model


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
