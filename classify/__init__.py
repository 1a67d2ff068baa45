"""classify: label parliamentary questions by topic and the government's answers by stance.

>>> import classify
>>> model = classify.load()                                   # the shipped default model
>>> model.predict(["Komt er meer steun voor Oekraïne?"], ["Ja."])  # doctest: +SKIP

Heavy dependencies (scikit-learn, datasets) are imported only when a function needs them, so
``import classify`` and ``classify --help`` stay fast.
"""

__version__ = "0.1.0"

__all__ = [
    "ClassifyError",
    "ClassifyWarning",
    "DataError",
    "DocumentError",
    "InputNotFoundError",
    "LabelSchema",
    "LabelWarning",
    "Model",
    "ModelFormatError",
    "ParseWarning",
    "Record",
    "SchemaError",
    "StanceClassifier",
    "TextFeatures",
    "TopicClassifier",
    "VersionWarning",
    "default_model_path",
    "evaluate",
    "hydrate",
    "load",
    "parse",
    "train",
    "__version__",
]

from classify.errors import (  # noqa: E402  (light: no third-party imports)
    ClassifyError,
    ClassifyWarning,
    DataError,
    DocumentError,
    InputNotFoundError,
    LabelWarning,
    ModelFormatError,
    ParseWarning,
    SchemaError,
    VersionWarning,
)
from classify.record import Record  # noqa: E402


def default_model_path():
    """Directory of the shipped default model (installed with the package, or in a checkout)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "_models" / "default", here.parent / "models" / "default"):
        if (candidate / "manifest.json").is_file():
            return candidate
    raise InputNotFoundError(
        "the shipped default model is missing from this installation; reinstall classify "
        "or pass a model directory (--model DIR / classify.load(path))."
    )


def load(path=None):
    """Load a model directory; without ``path``, the shipped default model.

    Examples
    --------
    >>> import classify
    >>> classify.load().heads  # doctest: +SKIP
    ['topics', 'stance']
    """
    from classify.persist import load as _load

    return _load(path if path is not None else default_model_path())


def train(records, schema=None, **kwargs):
    """Train a model on annotations; see :func:`classify.training.train`."""
    from classify.training import train as _train

    return _train(records, schema, **kwargs)


def evaluate(model, records, *, fields=None, unknown_labels="error"):
    """Score ``model`` on annotation records (paths, dicts, DataFrame or Dataset; ``fields``: a
    :class:`~classify.annotations.Fields` naming their columns); returns the report dict.
    ``unknown_labels="miss"`` scores gold labels the model was not trained with as never predicted
    (:meth:`Model.evaluate`); by default they stop with a DataError."""
    return model.evaluate(records, fields=fields, unknown_labels=unknown_labels)


def parse(text, doc_id=None):
    """Split a parliamentary document's text into :class:`Record` objects."""
    from classify.documents import parse as _parse

    return _parse(text, doc_id)


def hydrate(paths, corpora, fields=None):
    """Join id + label files with their texts from corpus JSONL files; returns (records, missing ids).

    ``fields`` names the id column when it is not ``id`` (``{"id": "vraag_id"}``), as ``train`` takes it.
    """
    from classify.annotations import Fields, as_fields
    from classify.annotations import hydrate as _hydrate

    return _hydrate(paths, corpora, as_fields(fields) if fields is not None else Fields())


_LAZY = {  # public classes whose modules import numpy or scikit-learn: loaded on first use
    "LabelSchema": "classify.schema",
    "Model": "classify.model",
    "StanceClassifier": "classify.stance",  # the heads as scikit-learn estimators (fit, clone, GridSearchCV)
    "TextFeatures": "classify.features",
    "TopicClassifier": "classify.topics",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'classify' has no attribute {name!r}")
