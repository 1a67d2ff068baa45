"""Exceptions and warnings raised by classify.

Every error a user can cause is a :class:`ClassifyError`; its subclasses also inherit the
matching builtin so that ``except ValueError`` keeps working for callers who do not know this
library. Messages say what is wrong, the offending value, what was expected and the fix.
"""

import math
import numbers
import os
import sys
import warnings
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent) + os.sep


class ClassifyError(Exception):
    """Base class of every error classify raises on purpose."""


class DataError(ClassifyError, ValueError):
    """Input records or annotations are malformed (file, line, value and fix in the message)."""


class SchemaError(ClassifyError, ValueError):
    """A label schema is invalid or does not match the data or the model."""


class DocumentError(ClassifyError, ValueError):
    """A parliamentary document could not be parsed into question/answer records."""


class ModelFormatError(ClassifyError, ValueError):
    """A model directory is missing, tampered with, or of an unknown format version."""


class InputNotFoundError(ClassifyError, FileNotFoundError):
    """A file or directory named by the user does not exist."""


class ClusterError(ClassifyError, ConnectionError):
    """A Dask cluster cannot be used: Dask is not installed or the scheduler cannot be reached."""


class NotFittedError(ClassifyError, AttributeError):
    """A model was used before it was trained."""


class ClassifyWarning(UserWarning):
    """Base class of every warning classify gives on purpose (the CLI prints them as one line)."""


class ParseWarning(ClassifyWarning):
    """Part of a document could not be parsed; the message says how much was skipped."""


class VersionWarning(ClassifyWarning):
    """A model was saved with other library versions than the ones loading it."""


class LabelWarning(ClassifyWarning):
    """A label the model cannot predict: one of the schema without training examples, or a gold label
    of an evaluation the model was not trained with (scored as missed)."""


def check_number(name: str, value, *, minimum: float = 0.0, strict: bool = False, meaning: str = "") -> None:
    """Raise DataError unless ``value`` is a finite real number ``> minimum`` (``strict``) or ``>= minimum``.

    >>> check_number("alpha", 0, strict=True, meaning="the ridge penalty")
    Traceback (most recent call last):
    ...
    classify.errors.DataError: alpha must be a number > 0 (the ridge penalty); got 0.
    """
    real = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not (real and (value > minimum if strict else value >= minimum)):
        about = f" ({meaning})" if meaning else ""
        raise DataError(f"{name} must be a number {'>' if strict else '>='} {minimum:g}{about}; got {value!r}.")


def check_choice(name: str, value, choices: dict[str, str]) -> None:
    """Raise DataError unless ``value`` is a key of ``choices`` ({choice: what it does}).

    >>> check_choice("unknown labels", "skip", {"error": "stop", "miss": "score as missed"})
    Traceback (most recent call last):
    ...
    classify.errors.DataError: unknown labels 'skip': use 'error' (stop) or 'miss' (score as missed).
    """
    if value not in choices:
        raise DataError(f"{name} {value!r}: use " + " or ".join(f"'{key}' ({meaning})" for key, meaning in choices.items()) + ".")


def a_type(value) -> str:
    """The type of a value a message says a field "is": ``"an int"``, ``"a list"``."""
    name = type(value).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


def warn(message: str, category: type[ClassifyWarning]) -> None:
    """``warnings.warn`` attributed to the first caller outside this package (the user's line)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
