"""Streaming readers: one file at a time, one record at a time, never a whole file in memory.

Each reader yields ``Document`` objects or ``Quarantined`` records (a record that
could not be read, with file, line and error), so a bad line never stops a build
and never disappears.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import json
import lzma
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.errors import ConfigError

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}
MAX_RAW_KEEP = 1 << 20  # quarantine keeps up to 1 MiB of a bad record


@dataclass
class Quarantined:
    """A record that could not be read. ``line`` is 1-based; None for a whole-file problem."""

    path: str
    line: int | None
    error: str
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "line": self.line, "error": self.error, "raw": self.raw}


@dataclass(frozen=True)
class InputFile:
    path: str  # as the user named it (relative stays relative)
    id_prefix: str  # path relative to the pattern's base, without suffixes


def _strip_suffixes(name: str) -> str:
    p = Path(name)
    while p.suffix.lower() in COMPRESSED | TEXT_SUFFIXES | JSONL_SUFFIXES:
        p = p.with_suffix("")
    return p.as_posix()


def _glob_base(pattern: str) -> str:
    parts = Path(pattern).parts
    base = [p for p in parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]]
    return str(Path(*base)) if base else "."


def expand_inputs(patterns: list[str]) -> list[InputFile]:
    """Files, directories (recursively) and glob patterns, in a stable sorted order, each once."""
    seen: set[str] = set()
    out: list[InputFile] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = sorted(str(p) for p in Path(pattern).rglob("*") if p.is_file())
            base = pattern
        elif glob.has_magic(pattern):
            matches = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
            base = _glob_base(pattern)
        else:
            if not os.path.isfile(pattern):
                raise ConfigError(f"input.paths: no such file or directory: {pattern}")
            matches, base = [pattern], str(Path(pattern).parent)
        if not matches:
            raise ConfigError(f"input.paths: pattern {pattern!r} matches no files")
        for m in matches:
            key = os.path.normpath(m)
            if key in seen:
                continue
            seen.add(key)
            rel = os.path.relpath(m, base) if base else m
            out.append(InputFile(path=Path(m).as_posix(), id_prefix=_strip_suffixes(rel)))
    return out


def detect_format(path: str, fmt: str = "auto") -> str:
    if fmt != "auto":
        return fmt
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in COMPRESSED:
        suffix = p.with_suffix("").suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return "text"


def open_binary(path: str) -> IO[bytes]:
    """Open a file for reading bytes, decompressing by suffix (.gz, .bz2, .xz, .zst)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".xz":
        return lzma.open(path, "rb")
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise ConfigError(f"{path}: reading .zst needs the 'zstandard' package") from None
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")


def decode(data: bytes, errors: str) -> tuple[str, bool]:
    """UTF-8 decode (BOM dropped); returns (text, had_invalid_bytes). ``errors`` as in bytes.decode."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        if errors == "strict":
            raise
        return data.decode("utf-8-sig", errors="replace"), True


def read_text_file(f: InputFile, *, source: str | None = None, errors: str = "replace") -> Iterator[Any]:
    """One document per file; the id is the file's path relative to its pattern base."""
    try:
        with open_binary(f.path) as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Quarantined(f.path, None, f"cannot read file: {exc}")
        return
    if b"\x00" in data[:8192]:
        yield Quarantined(f.path, None, "binary file (NUL bytes) given as text", raw=repr(data[:200]))
        return
    try:
        text, bad = decode(data, errors)
    except UnicodeDecodeError as exc:
        yield Quarantined(f.path, None, f"invalid UTF-8 at byte {exc.start}", raw=repr(data[:MAX_RAW_KEEP]))
        return
    meta = {"invalid_utf8": True} if bad else {}
    yield Document(id=f.id_prefix, text=text, source=source or f.path, meta=meta)


def read_jsonl_file(
    f: InputFile,
    *,
    text_field: str = "text",
    id_field: str = "id",
    source: str | None = None,
    errors: str = "replace",
) -> Iterator[Any]:
    """One document per line; a bad line is quarantined with its line number and the rest is read."""
    lineno = 0
    try:
        with open_binary(f.path) as raw_fh:
            fh = io.BufferedReader(raw_fh) if not isinstance(raw_fh, io.BufferedReader) else raw_fh
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                yield _parse_jsonl_line(raw, f, lineno, text_field, id_field, source, errors)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        yield Quarantined(f.path, lineno + 1, f"file ends early or is corrupt after line {lineno}: {exc}")


def _parse_jsonl_line(
    raw: bytes, f: InputFile, lineno: int, text_field: str, id_field: str, source: str | None, errors: str
) -> Any:
    try:
        line, bad = decode(raw, errors)
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        return Quarantined(f.path, lineno, f"invalid UTF-8 at byte {exc.start}", raw=repr(raw[:MAX_RAW_KEEP]))
    except json.JSONDecodeError as exc:
        return Quarantined(f.path, lineno, f"malformed JSON: {exc.msg} at column {exc.colno}", _keep(raw))
    if not isinstance(obj, dict):
        return Quarantined(f.path, lineno, f"expected a JSON object, got {type(obj).__name__}", _keep(raw))
    text = obj.pop(text_field, None)
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string ({type(text).__name__})"
        return Quarantined(f.path, lineno, f"field {text_field!r} is {what}", _keep(raw))
    doc_id = obj.pop(id_field, None)
    obj["text"] = text
    obj["id"] = str(doc_id) if doc_id is not None else f"{f.id_prefix}:{lineno}"
    obj.setdefault("source", source or f.path)
    doc = Document.from_dict(obj)
    if bad:
        doc.meta["invalid_utf8"] = True
    return doc


def _keep(raw: bytes) -> str:
    return raw[:MAX_RAW_KEEP].decode("utf-8", errors="replace").rstrip("\n")


def read_input(f: InputFile, config: dict[str, Any]) -> Iterator[Any]:
    """Dispatch on the configured or detected format."""
    fmt = detect_format(f.path, config.get("format", "auto"))
    errors = config.get("encoding_errors", "replace")
    source = config.get("source")
    if fmt == "jsonl":
        return read_jsonl_file(
            f,
            text_field=config.get("text_field", "text"),
            id_field=config.get("id_field", "id"),
            source=source,
            errors=errors,
        )
    return read_text_file(f, source=source, errors=errors)
