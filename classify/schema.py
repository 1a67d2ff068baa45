"""The label schema: which topic and stance labels exist, in which fixed order.

One schema fixes the label order everywhere: probability columns, CLI output, metric tables.
It is read from a TOML file (``labels/schema.toml``), inferred from annotations, and stored in
every model's manifest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from classify.errors import InputNotFoundError, SchemaError

# Any visible text works as a label ("BUITENLANDS BELEID", "zorg/welzijn"); ';' and ',' separate
# labels in CSV cells and control characters would break tables, so those are refused.
_LABEL = re.compile(r"^[^\s;,\x00-\x1f][^;,\x00-\x1f]*(?<!\s)\Z")


@dataclass(frozen=True)
class LabelSchema:
    """Ordered topic and stance labels with one-line descriptions.

    Parameters
    ----------
    topics : tuple of str
        Multi-label topic labels of the question, in column order. May be empty (no topic head).
    stances : tuple of str
        Single-label stance labels of the answer, in column order. May be empty (no stance head).
    descriptions : dict
        Optional one-line description per label.
    name : str
        A name for the schema, shown in model cards.

    Examples
    --------
    >>> s = LabelSchema(topics=("a", "b"), stances=("yes", "no"))
    >>> s.topic_index("b")
    1
    """

    topics: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)
    name: str = "custom"

    def __post_init__(self):
        for kind, labels in (("topic", self.topics), ("stance", self.stances)):
            seen = set()
            for label in labels:
                check_label(kind, label)
                if label in seen:
                    raise SchemaError(f"{kind} label {label!r} is listed twice; list each label once.")
                seen.add(label)
        if not self.topics and not self.stances:
            raise SchemaError("the schema has neither topic nor stance labels; add at least one label.")

    # -- lookups -------------------------------------------------------------------------------
    def topic_index(self, label: str) -> int:
        """Column of a topic label; raises :class:`SchemaError` naming the known labels."""
        try:
            return self.topics.index(label)
        except ValueError:
            raise SchemaError(_unknown("topic", label, self.topics)) from None

    def stance_index(self, label: str) -> int:
        """Column of a stance label; raises :class:`SchemaError` naming the known labels."""
        try:
            return self.stances.index(label)
        except ValueError:
            raise SchemaError(_unknown("stance", label, self.stances)) from None

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "topics": [{"name": t, "description": self.descriptions.get(t, "")} for t in self.topics],
            "stances": [{"name": s, "description": self.descriptions.get(s, "")} for s in self.stances],
        }

    @classmethod
    def from_dict(cls, data: dict, *, where: str = "schema", text: str | None = None) -> LabelSchema:
        """Build a schema from its dict form (as in ``schema.toml`` or a manifest); ``text``, the
        TOML it was read from, lets messages name the line of a bad entry."""
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected a table with 'topics' and 'stances', got {type(data).__name__}.")
        for key in data:
            if key not in _SCHEMA_KEYS:
                close = _closest(str(key), _SCHEMA_KEYS)
                raise SchemaError(f"{where}: unknown key {key!r}.{f' Did you mean {close!r}?' if close else ''} A schema has "
                                  "[[topics]] and [[stances]] tables (name, description), and optionally name and version.")
        descriptions: dict[str, str] = {}
        lists = {}
        for kind in ("topics", "stances"):
            entries = data.get(kind, [])
            if not isinstance(entries, list):
                raise SchemaError(
                    f"{where}: '{kind}' must be a list of {{name, description}} tables, got {type(entries).__name__} {entries!r:.80}. "
                    f'Write each label as [[{kind}]] name = "..." description = "..." (see labels/schema.toml).'
                )
            names = []
            for number, entry in enumerate(entries):
                if isinstance(entry, str):  # the short form: topics = ["a", "b"]
                    names.append(label_text(entry))
                elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    place = f"[[{kind}]] entry {number + 1} ({entry['name']!r})"
                    for key in entry:
                        if key not in _ENTRY_KEYS:  # a misspelt description would silently train without it
                            close = _closest(str(key), _ENTRY_KEYS)
                            raise SchemaError(f"{where}{_entry_line(text, kind, number, key)}: {place}: unknown key {key!r}."
                                              f"{f' Did you mean {close!r}?' if close else ''} An entry has a name and a description.")
                    if not isinstance(entry.get("description", ""), str):
                        raise SchemaError(f"{where}{_entry_line(text, kind, number, 'description')}: {place}: description is "
                                          f"{type(entry['description']).__name__} "
                                          f"{entry['description']!r:.40}; write it as text in quotes: description = \"...\".")
                    names.append(label_text(entry["name"]))
                    if entry.get("description"):
                        descriptions[names[-1]] = entry["description"]
                else:
                    raise SchemaError(
                        f"{where}: each entry of '{kind}' needs a 'name' string, got {entry!r}. "
                        f'Write it as [[{kind}]] name = "..." description = "...".'
                    )
            lists[kind] = tuple(names)
        try:
            return cls(lists["topics"], lists["stances"], descriptions, str(data.get("name", "custom")))
        except SchemaError as exc:  # a label listed twice, or one that cannot be a label: say which file
            raise SchemaError(f"{where}: {exc}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> LabelSchema:
        """Read a schema file.

        Examples
        --------
        >>> LabelSchema.from_toml("labels/schema.toml").topics[0]  # doctest: +SKIP
        'ukraine_support'
        """
        import tomllib

        path = Path(path)
        if not path.is_file():
            raise InputNotFoundError(f"schema file {str(path)!r} does not exist; pass an existing TOML file (schema= in Python, --schema on the command line).")
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"{path}: not valid TOML ({exc}). Fix the syntax; see labels/schema.toml for an example.") from None
        return cls.from_dict(data, where=str(path), text=text)

    @classmethod
    def infer(cls, topic_lists, stances, name: str = "inferred") -> LabelSchema:
        """Infer a schema from annotations: labels in sorted order (stable across runs)."""
        topics = sorted({t for ts in topic_lists for t in ts})
        stance_set = sorted({s for s in stances if s is not None})
        return cls(tuple(topics), tuple(stance_set), {}, name)


def _entry_line(text: str | None, kind: str, number: int, key: str) -> str:
    """``":line"`` of ``key`` in the ``number``-th ``[[kind]]`` table of a TOML text (else of the
    table's header), or "" without the text."""
    if text is None:
        return ""
    header, tables = None, -1
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            if header is not None:
                break
            tables += stripped.replace(" ", "") == f"[[{kind}]]"
            header = i if tables == number and stripped.replace(" ", "") == f"[[{kind}]]" else None
        elif header is not None and stripped.partition("=")[0].strip().strip("\"'") == key:
            return f":{i}"
    return f":{header}" if header is not None else ""


def _unknown(kind: str, label, known) -> str:
    close = _closest(str(label), known)
    hint = f" Did you mean {close!r}?" if close else ""
    known = list(known)
    listed = ", ".join(known[:20]) + (f", ... ({len(known)} in all)" if len(known) > 20 else "") if known else f"(none: this schema has no {kind} labels)"
    return f"unknown {kind} {label!r}.{hint} Known {kind}s: {listed}."


def _closest(label: str, known) -> str | None:
    """The known label ``label`` most likely means: the same but for case, else a close spelling."""
    import difflib

    lower = {k.lower(): k for k in known}
    if label.lower() in lower:
        return lower[label.lower()]
    matches = difflib.get_close_matches(label.lower(), list(lower), n=1, cutoff=0.75)
    return lower[matches[0]] if matches else None


def check_label(kind: str, label) -> None:
    """Raise SchemaError unless ``label`` can be a label (text a CSV cell and a list can hold)."""
    if not isinstance(label, str) or not _LABEL.match(label):
        raise SchemaError(f"invalid {kind} label {label!r}: labels must be non-empty text without ';', ',', "
                          "control characters or surrounding spaces. Rename the label.")


def label_text(label: str) -> str:
    """A label as it is compared and stored: without surrounding spaces, in Unicode's composed
    form (NFC), so that "beleid" typed with a combining accent is the same label as with é."""
    return unicodedata.normalize("NFC", label.strip())


_SCHEMA_KEYS = ("topics", "stances", "name", "version")
_ENTRY_KEYS = ("name", "description")
