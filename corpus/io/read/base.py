"""What every reader shares: the items it yields and the per-record checks.

Every reader yields exactly one item per record it saw: a ``Document``; a ``Quarantined`` record
(the file, the line, row or byte offset, and the error) for a record that could not be read, so a
bad record never stops a build and never disappears; or a ``Skipped`` record for one left out by
design (a WARC request or stylesheet), with a reason code.

A reader says a record or file cannot be read by raising ``InputError``; ``Quarantined.from_error``
is the one place such an error becomes an item, called by ``read_record`` (one record; reading
goes on) and by the dispatcher (a whole file; reading of that file stops).

This module imports no other reader module, so the format modules (``text``, ``table``, ``web``)
and the dispatcher (``readers``) can all import it without an import cycle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from corpus.document import Document
from corpus.errors import ConfigError, InputError
from corpus.io.read.decoding import POLICIES, lone_surrogate, replace_surrogates
from corpus.io.read.listing import InputFile

MAX_RAW_KEEP = 1 << 20  # quarantine keeps up to 1 MiB of a bad record
MAX_DOCUMENT_BYTES = 64 << 20
T = TypeVar("T")


@dataclass
class Quarantined:
    """A record that could not be read.

    ``line`` is 1-based (the row number for Parquet and HF datasets); None for a whole-file
    problem. ``offset`` is a byte offset where lines mean nothing (WARC records).
    """

    path: str
    line: int | None
    error: str
    raw: str = ""
    offset: int | None = None

    @classmethod
    def from_error(cls, exc: InputError) -> Quarantined:
        """The item for a record or file that cannot be read (lone surrogates made visible)."""
        return cls(exc.path, exc.line, safe_text(exc.reason), safe_text(exc.raw), exc.offset)

    def to_dict(self) -> dict[str, Any]:
        out = {"file": self.path, "line": self.line, "error": self.error, "raw": self.raw}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


@dataclass
class Skipped:
    """A record a reader leaves out by design, not damage (a WARC request, redirect, stylesheet,
    a crawler's own log). ``reason`` is a stable snake_case code the build counts by."""

    path: str
    line: int | None
    reason: str
    offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.path, "line": self.line, "reason": self.reason}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


@dataclass(frozen=True)
class ReadOptions:
    """The ``input`` section's reading options, checked once per file."""

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    source: str | None = None
    encoding_errors: str = "repair"
    split: str = "file"
    delimiter: str | None = None
    extract: dict[str, Any] = field(default_factory=dict)
    max_document_bytes: int = MAX_DOCUMENT_BYTES

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReadOptions:
        opts = cls(
            text_field=config.get("text_field", "text"),
            id_field=config.get("id_field", "id"),
            url_field=config.get("url_field", "url"),
            source=config.get("source"),
            encoding_errors=config.get("encoding_errors", "repair"),
            split=config.get("split", "file"),
            delimiter=config.get("delimiter"),
            extract=dict(config.get("extract") or {}),
            max_document_bytes=_max_bytes(config.get("max_document_bytes", MAX_DOCUMENT_BYTES)),
        )
        if opts.encoding_errors not in POLICIES:
            raise ConfigError(f"input.encoding_errors: expected one of {', '.join(POLICIES)}")
        if opts.split not in ("file", "paragraphs"):
            raise ConfigError(f"input.split: expected file or paragraphs; got {opts.split!r}")
        if opts.delimiter is not None and len(opts.delimiter) != 1:
            raise ConfigError(f"input.delimiter: expected one character; got {opts.delimiter!r}")
        if opts.max_document_bytes < 1:
            raise ConfigError("input.max_document_bytes: expected an integer >= 1")
        return opts


def _max_bytes(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"input.max_document_bytes: expected an integer >= 1; got {value!r}") from None


def read_record(parse: Callable[..., T], *args: Any) -> T | Quarantined:
    """``parse(*args)``, or the Quarantined item when it raises InputError: one bad record is
    reported and the reader goes on to the next."""
    try:
        return parse(*args)
    except InputError as exc:
        return Quarantined.from_error(exc)


def keep_raw(raw: bytes | str) -> str:
    """The start of a bad record as text, for the quarantine file (at most ``MAX_RAW_KEEP``)."""
    if isinstance(raw, str):
        return raw[:MAX_RAW_KEEP].rstrip("\r\n")
    return raw[:MAX_RAW_KEEP].decode("utf-8", errors="replace").rstrip("\r\n")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "source": (str,),
    "url": (str,),
    "lang": (str,),
    "lang_score": (float, int),
    "meta": (dict, str),
}


def record_to_document(
    obj: dict[str, Any], f: InputFile, n: int, opts: ReadOptions, path: str | None = None
) -> Document:
    """A record (a JSON object, CSV row, table row) as a Document; other fields go into meta.

    ``n`` is the record's line or row number, used for the id when the record has none. A record
    that cannot be a Document raises InputError at ``path`` (default: the file's name), line ``n``.
    """
    where = path or f.name
    text = obj.pop(opts.text_field, None)
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string ({type(text).__name__})"
        raise InputError(f"field {opts.text_field!r} is {what}", path=where, line=n)
    doc_id = obj.pop(opts.id_field, None)
    url = obj.pop(opts.url_field, None)
    obj = {k: _jsonable(v) for k, v in obj.items()}
    obj["text"] = text
    obj["id"] = str(doc_id) if doc_id not in (None, "") else f"{f.id_prefix}:{n}"
    if isinstance(url, str):
        obj["url"] = url
    elif url is not None:
        obj[opts.url_field] = _jsonable(url)
    obj.setdefault("source", opts.source or f.name)
    for name, types in _FIELD_TYPES.items():
        if name in obj and obj[name] is not None and not isinstance(obj[name], types):
            error = f"field {name!r} is {type(obj[name]).__name__}, not {types[0].__name__}"
            raise InputError(error, path=where, line=n)
    try:
        doc = Document.from_dict(obj)
    except (ValueError, TypeError) as exc:
        raise InputError(f"bad record: {safe_text(str(exc))}", path=where, line=n) from None
    problem = clean_document(doc, opts.encoding_errors)
    if problem:
        raise InputError(problem, path=where, line=n)
    return doc


def safe_text(text: str) -> str:
    """``text`` with any lone surrogate as a visible escape (for error messages and raw records)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clean_document(doc: Document, policy: str) -> str | None:
    """Why a Document cannot leave a reader, else None: a lone surrogate in any field but the text
    (it cannot be written as UTF-8, and guessing would change an id or a URL). In the text it
    follows ``encoding_errors``: replaced by U+FFFD and flagged ``invalid_utf8``, or, under
    strict, refused."""
    fields = [("id", doc.id), ("source", doc.source), ("url", doc.url), ("lang", doc.lang)]
    for name, value in [*fields, *doc.meta.items()]:
        found = lone_surrogate(name) or lone_surrogate(value)
        if found:
            return f"field {safe_text(name)!r} holds a lone surrogate {found}, not encodable as UTF-8"
    found = lone_surrogate(doc.text)
    if found and policy == "strict":
        return f"field 'text' holds a lone surrogate {found}, not valid UTF-8 (encoding_errors: strict)"
    if found:
        doc.text, flags = replace_surrogates(doc.text)
        doc.meta.update(flags)
    return None
