"""Plain text and JSONL / NDJSON readers.

``text``: one document per file (id = the file's path relative to its pattern base), or with
``split: paragraphs`` one per block of non-blank lines (id = ``<path>:<first line of the block>``).
``jsonl``: one document per non-blank line; the text, id and url fields are named in config and
every other field goes into ``meta``. A bad line is quarantined with its line number and the rest
of the file is read.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from typing import IO, Any

from corpus.document import Document
from corpus.errors import InputError
from corpus.io.read.base import (
    MAX_RAW_KEEP,
    Quarantined,
    ReadOptions,
    keep_raw,
    read_record,
    record_to_document,
)
from corpus.io.read.compression import open_binary, read_line, sniff, stream_damage
from corpus.io.read.decoding import Decoder
from corpus.io.read.listing import InputFile


def read_text(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """A text file as one document, or one per blank-line separated block."""
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh)
        if problem:
            raise InputError(problem, path=f.name, raw=repr(head[:200]))
        if opts.split == "paragraphs":
            yield from read_paragraphs(f, opts, stream, fh)
            return
        data = stream.read(opts.max_document_bytes + 1)
        damage = stream_damage(fh)
    if damage:  # one document per file: a document cut short is not kept
        what, offset = damage
        raise InputError(f"file damaged: {what}", path=f.name, offset=offset)
    if len(data) > opts.max_document_bytes:
        limit = opts.max_document_bytes
        raise InputError(f"document larger than max_document_bytes ({limit})", path=f.name)
    if not data.strip():
        raise InputError("empty file (only whitespace)", path=f.name)
    try:
        text, flags = Decoder(opts.encoding_errors).decode(data)
    except InputError as exc:  # strict: where the decoding failed, with the file's name
        raise InputError(exc.reason, path=f.name, raw=repr(data[:MAX_RAW_KEEP])) from None
    yield Document(id=f.id_prefix, text=text, source=opts.source or f.name, meta=flags)


def read_paragraphs(
    f: InputFile,
    opts: ReadOptions,
    fh: IO[bytes],
    source: IO[bytes] | None,
    *,
    first_line: int = 0,
    seen: int = 0,
) -> Iterator[Document | Quarantined]:
    """One document per blank-line separated block of the lines of ``fh``, numbered from
    ``first_line + 1``. ``source`` is the file whose end is the stream's end: its damage (and a
    file with no block at all, ``seen`` blocks counted before the stream) is reported there. None
    when ``fh`` is one part of a file (``corpus.io.read.blocks``): no whole-file report."""
    decoder = Decoder(opts.encoding_errors)
    block: list[bytes] = []
    size, start, lineno, too_long = 0, 0, first_line, False

    def block_document() -> Document:
        if too_long:
            limit = opts.max_document_bytes
            raise InputError(f"block larger than max_document_bytes ({limit})", path=f.name, line=start)
        data = b"".join(block).rstrip(b"\r\n")
        try:
            text, flags = decoder.decode(data)
        except InputError as exc:
            raise InputError(exc.reason, path=f.name, line=start, raw=keep_raw(repr(data))) from None
        return Document(id=f"{f.id_prefix}:{start}", text=text, source=opts.source or f.name, meta=flags)

    while True:
        line, long_line = read_line(fh, opts.max_document_bytes)
        if not line and not long_line:
            break
        lineno += 1
        if not long_line and not line.strip():
            if block or too_long:
                seen += 1
                yield read_record(block_document)
            block, size, too_long = [], 0, False
            continue
        if not block and not too_long:
            start = lineno
        size += len(line)
        if long_line or size > opts.max_document_bytes:
            too_long, block = True, []
        else:
            block.append(line)
    damage = stream_damage(source) if source is not None else None
    if (block or too_long) and not damage:  # the block the damage cut is part of the damage
        seen += 1
        yield read_record(block_document)
    if damage:
        what, offset = damage
        error = f"file damaged after {seen} blocks (line {lineno}): {what}"
        raise InputError(error, path=f.name, offset=offset)
    if not seen and source is not None:
        raise InputError("empty file (only whitespace)", path=f.name)


def read_jsonl(f: InputFile, opts: ReadOptions) -> Iterator[Document | Quarantined]:
    """One document per line; a bad line is quarantined with its line number and the rest is read.

    A damaged compressed stream (garbage after it, cut short, corrupt) ends the file after every
    complete line before the damage, and the damage is one Quarantined with ``line=None``.
    """
    with open_binary(f.path) as fh:
        head, stream, problem = sniff(fh, lines=True)
        if problem:
            raise InputError(problem, path=f.name, raw=repr(head[:200]))
        yield from jsonl_records(f, opts, stream, fh)


def jsonl_records(
    f: InputFile,
    opts: ReadOptions,
    stream: IO[bytes],
    source: IO[bytes] | None,
    *,
    first_line: int = 0,
    seen: int = 0,
) -> Iterator[Document | Quarantined]:
    """The records of the lines of ``stream``, numbered from ``first_line + 1``. ``source`` is the
    file whose end is the stream's end: its damage (and a file with no record at all, ``seen``
    records counted before the stream) is reported there. None when ``stream`` is one part of a
    file (``corpus.io.read.blocks``): no whole-file report."""
    decoder = Decoder(opts.encoding_errors)
    lineno = first_line
    partial = b""
    while True:
        raw, too_long = read_line(stream, opts.max_document_bytes)
        if not raw and not too_long:
            break
        lineno += 1
        if too_long:
            seen += 1
            error = f"line longer than max_document_bytes ({opts.max_document_bytes})"
            yield Quarantined.from_error(InputError(error, path=f.name, line=lineno))
            continue
        if not raw.strip():
            continue
        item = read_record(_parse_jsonl_line, raw, f, lineno, opts, decoder)
        cut = source is not None and not raw.endswith(b"\n") and stream_damage(source)
        if cut and not isinstance(item, Document):
            partial = raw  # the line the damage cut: part of the damage, not a record
            break
        seen += 1
        yield item
    if source is None:
        return
    damage = stream_damage(source)
    if damage:
        what, offset = damage
        error = f"file damaged after {seen} records (line {lineno}): {what}"
        raise InputError(error, path=f.name, raw=keep_raw(partial), offset=offset)
    if not seen:
        raise InputError("empty file (no records)", path=f.name)


class _Unstorable(ValueError):
    """A JSON value that cannot be stored faithfully (the message says why)."""


def _parse_int(token: str) -> int:
    digits = len(token.lstrip("-"))
    limit = sys.get_int_max_str_digits()
    if limit and digits > limit:
        raise _Unstorable(
            f"integer with {digits} digits (Python reads at most {limit}; quote it as a string)"
        )
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _Unstorable(f"number {token[:40]} is out of range for a 64-bit float")
    return value


def _parse_constant(token: str) -> Any:
    raise _Unstorable(f"non-standard JSON: {token} (cannot be stored as JSON; write null or a string)")


def _parse_jsonl_line(raw: bytes, f: InputFile, lineno: int, opts: ReadOptions, decoder: Decoder) -> Document:
    """One line as a Document; InputError (with the line kept as ``raw``) when it cannot be one."""

    def bad(error: str) -> InputError:
        return InputError(error, path=f.name, line=lineno, raw=keep_raw(raw))

    if b"\x00" in raw:
        col = raw.index(b"\x00") + 1
        raise bad(f"raw NUL byte at column {col}: binary data, not JSON")
    try:
        line, flags = decoder.decode(raw)
    except InputError as exc:
        raise InputError(exc.reason, path=f.name, line=lineno, raw=repr(raw[:MAX_RAW_KEEP])) from None
    try:
        obj: Any = json.loads(
            line, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except json.JSONDecodeError as exc:
        raise bad(f"malformed JSON: {exc.msg} at column {exc.colno}") from None
    except _Unstorable as exc:
        raise bad(str(exc)) from None
    except RecursionError:
        raise bad("malformed JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise bad(f"expected a JSON object, got {type(obj).__name__}")
    try:
        doc = record_to_document(obj, f, lineno, opts)
    except InputError as exc:
        exc.raw = keep_raw(raw)  # the line as read, not the parsed object
        raise
    doc.meta.update(flags)
    return doc
