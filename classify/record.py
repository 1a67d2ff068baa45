"""The record: one parliamentary question, optionally with its answer and provenance."""

from __future__ import annotations

import numbers
import sys
from dataclasses import asdict, dataclass, field


def is_missing(value) -> bool:
    """A record's missing value: None, NaN, or pandas.NA (looked up only if pandas is imported: only
    then can it occur)."""
    if value is None:
        return True
    if isinstance(value, str):  # the common case, answered before any lookup
        return False
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):  # float, numpy's float32 too
        return value != value
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is getattr(pandas, "NA", None)


@dataclass
class Record:
    """One question/answer pair as found in a document or a data file.

    Parameters
    ----------
    id : str
        Stable identifier; for parsed documents ``"<document id>#<number>"``.
    question : str
        The question text.
    answer : str or None
        The answer text, or None when the document gives none.
    number : str or None
        The question's number in its document ("3", "3a").
    group, party : str or None
        The asking parliamentary group / party, where the document names it.
    members : list of str
        Names of the asking members, where present.
    answered_by : str or None
        Who answered (minister, body), where present.
    date, subject, document : str or None
        Date (ISO where it could be read), subject line and document id.

    Examples
    --------
    >>> Record(id="doc#1", question="Bent u bereid ...?", answer="Ja.").to_dict()["answer"]
    'Ja.'
    """

    id: str
    question: str
    answer: str | None = None
    number: str | None = None
    group: str | None = None
    party: str | None = None
    members: list[str] = field(default_factory=list)
    answered_by: str | None = None
    date: str | None = None
    subject: str | None = None
    document: str | None = None

    def to_dict(self) -> dict:
        """Return the record as a plain JSON-serialisable dict (field order fixed)."""
        return asdict(self)
