"""Streaming readers: one file at a time, one record at a time, never a whole file in memory.

This module lists the inputs (``expand_inputs``), opens them (``open_binary``: plain, .gz, .bz2,
.xz, .zst), picks a format (``detect_format``) and dispatches (``read_input``) to one module per
family of formats:

- ``formats_text``: ``text`` (a file, or blank-line separated blocks) and ``jsonl``;
- ``formats_table``: ``csv`` (and TSV), ``parquet`` and ``hf`` (datasets saved on disk);
- ``formats_web``: ``html`` (main text extracted with trafilatura) and ``warc``.

Every reader yields exactly one item per record it saw: a ``Document``; a ``Quarantined`` record
(the file, the line, row or byte offset, and the error) for a record that could not be read, so a
bad record never stops a build and never disappears; or a ``Skipped`` record for one left out by
design (a WARC request or stylesheet), with a reason code. A whole-file problem (empty, binary,
a damaged compressed stream) is one ``Quarantined`` with ``line=None``; every complete record
before it is kept. One-document-per-file formats read at most ``max_document_bytes`` of a file.

An input that cannot be read at all (missing, a dangling symlink, no permission, a FIFO or device)
is a ``BuildError`` raised before any reading: it says nothing about the data and everything
about the machine, so it must not pass for an empty or corrupt file. Paths are recorded as
``InputFile.name`` (relative), never as the building machine's absolute path.
"""

from __future__ import annotations

import bz2
import fnmatch
import glob
import importlib
import io
import json
import lzma
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.errors import BuildError, ConfigError
from corpus.io.decoding import POLICIES, lone_surrogate, replace_surrogates

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv", ".tab"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
WARC_SUFFIXES = {".warc", ".arc"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES
KNOWN_SUFFIXES |= PARQUET_SUFFIXES | COMPRESSED
# Formats whose Documents _guarded checks for lone surrogates (the others come from
# record_to_document, which checks them already).
SURROGATE_GUARDED_FORMATS = {"text", "html", "warc"}
MAX_RAW_KEEP = 1 << 20  # quarantine keeps up to 1 MiB of a bad record
MAX_DOCUMENT_BYTES = 64 << 20
SNIFF_BYTES = 8192

READERS = {
    "text": "corpus.io.formats_text:read_text",
    "jsonl": "corpus.io.formats_text:read_jsonl",
    "csv": "corpus.io.formats_table:read_csv",
    "parquet": "corpus.io.formats_table:read_parquet",
    "hf": "corpus.io.formats_table:read_hf",
    "html": "corpus.io.formats_web:read_html",
    "warc": "corpus.io.formats_web:read_warc",
}


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
class InputFile:
    """One input. ``path`` is where to read it; ``name`` is how anything we write records it
    (relative, posix: an absolute path of the building machine must not be published)."""

    path: str  # as the user named it (relative stays relative); a folder for an HF dataset
    id_prefix: str  # path relative to the pattern's base, without suffixes
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.path)


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
            max_document_bytes=int(config.get("max_document_bytes", MAX_DOCUMENT_BYTES)),
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


def _strip_suffixes(name: str) -> str:
    p = Path(name)
    while p.suffix.lower() in KNOWN_SUFFIXES:
        p = p.with_suffix("")
    return p.as_posix()


def _glob_base(pattern: str) -> str:
    parts = Path(pattern).parts
    base = [p for p in parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]]
    return str(Path(*base)) if base else "."


def is_hf_dataset_dir(path: str | Path) -> bool:
    """A ``save_to_disk`` folder (state.json + dataset_info.json, or dataset_dict.json) or a Hub
    layout folder (README.md and data/*.parquet)."""
    p = Path(path)
    if not p.is_dir():
        return False
    if (p / "dataset_dict.json").is_file():
        return True
    if (p / "state.json").is_file() and (p / "dataset_info.json").is_file():
        return True
    return (p / "README.md").is_file() and any((p / "data").glob("**/*.parquet"))


def _walk_all(root: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk following symlinked folders, each real folder once (a loop ends where it returns);
    an unreadable folder is a BuildError naming it, never skipped in silence."""

    def fail(exc: OSError) -> None:
        where = exc.filename or root
        raise BuildError(f"input.paths: cannot read directory {where}: {exc.strerror or exc}")

    visited: set[str] = set()
    top = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            dirnames.clear()
            continue
        visited.add(real)
        # A symlink to a folder inside the root is walked under its real name, not the link's.
        dirnames[:] = sorted(d for d in dirnames if not _links_inside(os.path.join(dirpath, d), top))
        yield dirpath, dirnames, filenames


def _links_inside(path: str, top: str) -> bool:
    if not os.path.islink(path):
        return False
    real = os.path.realpath(path)
    return real == top or real.startswith(top + os.sep)


def _walk(root: str) -> list[str]:
    """Files under ``root``, sorted; an HF dataset folder inside counts as one input."""
    out = []
    for dirpath, dirnames, filenames in _walk_all(root):
        if is_hf_dataset_dir(dirpath):
            out.append(dirpath)
            dirnames.clear()
            continue
        out += [os.path.join(dirpath, name) for name in filenames]
    return sorted(Path(p).as_posix() for p in out)


def _match_parts(parts: list[str], pats: list[str]) -> bool:
    """glob semantics on path components: ``**`` is any number of folders, ``*`` no hidden name."""
    if not pats:
        return not parts
    if pats[0] == "**":
        if _match_parts(parts, pats[1:]):
            return True
        return bool(parts) and not parts[0].startswith(".") and _match_parts(parts[1:], pats)
    if not parts or (parts[0].startswith(".") and not pats[0].startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], pats[0]) and _match_parts(parts[1:], pats[1:])


def _glob_candidates(pattern: str) -> list[str]:
    """Paths matching a glob. ``**`` is expanded by our own walk, which follows a symlink loop
    once: the stdlib's follows it until the kernel's limit (one file read 41 times, or hours)."""
    if "**" not in pattern:
        return glob.glob(pattern)
    base = _glob_base(pattern)
    if not os.path.isdir(base):
        return []
    pats = list(Path(os.path.relpath(pattern, base)).parts)
    out = []
    for dirpath, _dirnames, filenames in _walk_all(base):
        rel = Path(os.path.relpath(dirpath, base)).parts
        rel = [] if rel == (".",) else list(rel)
        if rel and _match_parts(rel, pats):
            out.append(dirpath)
        out += [os.path.join(dirpath, n) for n in filenames if _match_parts([*rel, n], pats)]
    if base == "." and not pattern.startswith("."):  # as glob names them: "a/b", not "./a/b"
        out = [os.path.normpath(p) for p in out]
    return out


def check_readable(path: str) -> None:
    """Stop before reading a byte when an input cannot be read: missing, a dangling symlink, a
    special file (a FIFO or /dev/zero would hang the build), or no read permission."""
    try:
        st = os.stat(path)
    except OSError as exc:
        dangling = os.path.islink(path)
        what = "dangling symbolic link" if dangling else exc.strerror or str(exc)
        raise BuildError(f"input {path}: {what}; fix or remove it from input.paths") from None
    if stat.S_ISDIR(st.st_mode):
        if not is_hf_dataset_dir(path):
            raise BuildError(f"input {path}: a directory that is not a Hugging Face dataset folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise BuildError(f"input {path}: permission denied (cannot list the folder)")
        return
    if not stat.S_ISREG(st.st_mode):
        raise BuildError(f"input {path}: not a regular file (a FIFO, device or socket); refused")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise BuildError(f"input {path}: cannot open: {exc.strerror or exc}") from None


def record_name(path: str, relative_to: str | None = None) -> str:
    """How an input is recorded: a relative path as written (normalised, posix); an absolute one
    relative to ``relative_to`` (the current directory by default)."""
    if os.path.isabs(path):
        path = os.path.relpath(path, relative_to or os.getcwd())
    return Path(os.path.normpath(path)).as_posix()


def _glob(pattern: str) -> list[str]:
    """Matches of a glob, each real file once: ``**`` through a symlink loop yields the same file
    under ever longer names, and the shortest name is kept."""
    best: dict[str, str] = {}
    for p in _glob_candidates(pattern):
        if os.path.isdir(p) and not is_hf_dataset_dir(p):
            continue
        real = os.path.realpath(p)
        if real not in best or (p.count(os.sep), p) < (best[real].count(os.sep), best[real]):
            best[real] = p
    folders = [p + os.sep for p in best.values() if os.path.isdir(p)]
    kept = [p for p in best.values() if not any(p.startswith(d) for d in folders)]
    return sorted(Path(p).as_posix() for p in kept)


def expand_inputs(patterns: list[str], *, relative_to: str | None = None) -> list[InputFile]:
    """Files, directories (recursively) and glob patterns, in a stable sorted order, each once.

    A folder holding a Hugging Face dataset (see ``is_hf_dataset_dir``) is one input. Every
    input is checked readable here, before any reading (``check_readable``): a missing or
    unreadable input is a BuildError, never a quarantined or silently skipped file.
    """
    seen: set[str] = set()
    out: list[InputFile] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = _walk(pattern)
            base = str(Path(pattern).parent) if matches == [Path(pattern).as_posix()] else pattern
        elif glob.has_magic(pattern):
            matches, base = _glob(pattern), _glob_base(pattern)
        else:
            if not os.path.lexists(pattern):
                raise BuildError(f"input.paths: no such file or directory: {pattern}")
            matches, base = [pattern], str(Path(pattern).parent)
        if not matches:
            raise ConfigError(f"input.paths: pattern {pattern!r} matches no files")
        for m in matches:
            key = os.path.realpath(m)
            if key in seen:
                continue
            seen.add(key)
            check_readable(m)
            rel = os.path.relpath(m, base) if base else m
            name = record_name(m, relative_to)
            out.append(InputFile(path=Path(m).as_posix(), id_prefix=_strip_suffixes(rel), name=name))
    return out


def detect_format(path: str, fmt: str = "auto") -> str:
    """The configured format, or one chosen by extension (compression suffixes looked through).

    >>> [detect_format(p) for p in ("a.txt", "b.jsonl.gz", "c.tsv", "d.warc.gz", "e.htm", "f.parquet")]
    ['text', 'jsonl', 'csv', 'warc', 'html', 'parquet']
    """
    if fmt != "auto":
        return fmt
    if os.path.isdir(path):
        return "hf"
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in COMPRESSED:
        suffix = p.with_suffix("").suffix.lower()
    for suffixes, name in (
        (JSONL_SUFFIXES, "jsonl"),
        (CSV_SUFFIXES, "csv"),
        (HTML_SUFFIXES, "html"),
        (WARC_SUFFIXES, "warc"),
        (PARQUET_SUFFIXES, "parquet"),
    ):
        if suffix in suffixes:
            return name
    return "text"


_MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00", "zst": b"\x28\xb5\x2f\xfd"}


def _decompressor(kind: str) -> Any:
    if kind == "gz":
        return zlib.decompressobj(wbits=31)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


class _Decompressing(io.RawIOBase):
    """A compressed file's bytes (members/streams/frames one after another), one chunk at a time.

    Damage (bytes after the last stream, a stream cut short, corrupt data) ends the stream after
    every byte decompressed before it, and is kept in ``damage`` = (what, compressed byte offset)
    for the reader to report. The stdlib readers raise instead, and a buffered reader above them
    loses the block they had decompressed (81 of 3,000 records of a .gz with trailing garbage).
    """

    def __init__(self, path: str, kind: str) -> None:
        self._fh = open(path, "rb")
        self._kind = kind
        self._obj: Any = None  # the current member's decompressor, None between members
        self._buf = b""
        self._pending = b""
        self._offset = 0  # compressed bytes consumed
        self._done = False
        self.damage: tuple[str, int] | None = None

    def readable(self) -> bool:
        return True

    def _stop(self, what: str, offset: int) -> None:
        self.damage, self._done = (what, offset), True

    def _more(self, need: int) -> bool:
        while len(self._pending) < need:
            chunk = self._fh.read(1 << 16)
            if not chunk:
                return bool(self._pending)
            self._pending += chunk
        return True

    def _step(self) -> None:
        if self._obj is None:
            if not self._more(len(_MAGIC[self._kind])):
                self._done = True
                return
            end = self._offset  # where the last stream ended
            stripped = self._pending.lstrip(b"\x00")  # NUL padding after a stream, as gzip and xz allow
            self._offset += len(self._pending) - len(stripped)
            self._pending = stripped
            if not stripped:
                return
            if not self._more(len(_MAGIC[self._kind])) or not self._pending.startswith(_MAGIC[self._kind]):
                what = "bytes that are not" if end else "the file is not"
                self._stop(f"{what} {self._kind} compressed data at byte {end}", end)
                return
            self._obj = _decompressor(self._kind)
        if not self._more(1):
            what = f"the {self._kind} stream ends early (file truncated at byte {self._offset})"
            self._stop(what, self._offset)
            return
        data, self._pending = self._pending, b""
        try:
            out = self._obj.decompress(data)
        except Exception as exc:  # zlib.error, OSError, LZMAError, ZstdError: all mean corrupt data
            self._stop(f"corrupt {self._kind} data near byte {self._offset}: {exc}", self._offset)
            return
        self._buf += out
        if self._obj.eof:
            self._pending = self._obj.unused_data
            self._obj = None
        self._offset += len(data) - len(self._pending)

    def readinto(self, b: Any) -> int:
        while not self._buf and not self._done:
            self._step()
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def stream_damage(fh: IO[bytes]) -> tuple[str, int] | None:
    """(what, byte offset) when the compressed stream behind ``fh`` was damaged, else None."""
    return getattr(getattr(fh, "raw", None), "damage", None)


def open_binary(path: str) -> IO[bytes]:
    """Open a file for reading bytes, decompressing by suffix (.gz, .bz2, .xz, .zst).

    A file that cannot be opened (gone, no permission) is a BuildError, not a quarantined file:
    it says nothing about the data, everything about the machine."""
    kind = Path(path).suffix.lower().lstrip(".")
    if kind == "zst":
        try:
            import zstandard  # noqa: F401
        except ImportError:
            raise ConfigError(f"{path}: reading .zst needs the 'zstandard' package") from None
    try:
        if kind in _MAGIC:
            return io.BufferedReader(_Decompressing(path, kind), buffer_size=1 << 16)
        return open(path, "rb")
    except OSError as exc:
        raise BuildError(f"input {path}: cannot open: {exc.strerror or exc}") from None


class _Prefixed(io.RawIOBase):
    """Bytes already read (the sniffed head), then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def sniff(fh: IO[bytes], lines: bool = False) -> tuple[bytes, IO[bytes], str | None]:
    """Read the head of a text-like stream: (head, the whole stream again, problem or None).

    With ``lines`` (JSONL, CSV: one record per line) a few NUL bytes are not a binary file: the
    reader quarantines the lines that hold them and keeps the rest. Such a file is binary when
    more than 5% of its head is NUL bytes (UTF-16, an image) or most of its head's lines hold one.
    """
    head = fh.read(SNIFF_BYTES)
    stream = io.BufferedReader(_Prefixed(head, fh), buffer_size=1 << 16)
    if not head:
        damage = stream_damage(fh)
        return head, stream, f"file damaged: {damage[0]}" if damage else "empty file"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head, stream, "UTF-16 text (byte order mark) is not supported: convert it to UTF-8"
    if b"\x00" in head and (not lines or _mostly_binary(head)):
        return head, stream, "binary file (NUL bytes) given as text"
    return head, stream, None


def _mostly_binary(head: bytes) -> bool:
    if head.count(b"\x00") * 20 > len(head):
        return True
    rows = head.split(b"\n")
    return sum(b"\x00" in row for row in rows) * 2 > len(rows)


def read_line(fh: IO[bytes], limit: int) -> tuple[bytes, bool]:
    """One line of at most ``limit`` bytes: (line, too_long). A longer line is skipped, not kept."""
    line = fh.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, False
    while line and not line.endswith(b"\n"):
        line = fh.readline(1 << 20)
    return b"", True


def keep_raw(raw: bytes | str) -> str:
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
) -> Document | Quarantined:
    """A record (a JSON object, CSV row, table row) as a Document; other fields go into meta.

    ``n`` is the record's line or row number, used for the id when the record has none.
    """
    text = obj.pop(opts.text_field, None)
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string ({type(text).__name__})"
        return Quarantined(path or f.name, n, f"field {opts.text_field!r} is {what}")
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
            return Quarantined(
                path or f.name, n, f"field {name!r} is {type(obj[name]).__name__}, not {types[0].__name__}"
            )
    try:
        doc = Document.from_dict(obj)
    except (ValueError, TypeError) as exc:
        return Quarantined(path or f.name, n, f"bad record: {safe_text(str(exc))}")
    problem = clean_document(doc, opts.encoding_errors)
    return Quarantined(path or f.name, n, problem) if problem else doc


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


def _guarded(f: InputFile, items: Iterator[Any], policy: str, check: bool) -> Iterator[Any]:
    """Whatever a reader raises while reading becomes one Quarantined naming the file. With
    ``check`` (readers that do not go through ``record_to_document``, which checks already), the
    last line of defence: no lone surrogate leaves a reader (see ``clean_document``)."""
    n = 0
    try:
        for item in items:
            n += 1
            if check and isinstance(item, Document):
                problem = clean_document(item, policy)
                if problem:
                    item = Quarantined(f.name, None, f"record {safe_text(item.id)!r}: {problem}")
            if isinstance(item, Quarantined):
                item.error, item.raw = safe_text(item.error), safe_text(item.raw)
            yield item
    except (ConfigError, BuildError):
        raise
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Quarantined(f.name, None, f"file ends early or is corrupt after {n} records: {exc}")
    except Exception as exc:
        yield Quarantined(f.name, None, f"cannot read further after {n} records: {type(exc).__name__}: {exc}")


def read_input(f: InputFile, config: dict[str, Any]) -> Iterator[Any]:
    """Dispatch on the configured or detected format (the ``input`` section of a config)."""
    fmt = detect_format(f.path, config.get("format", "auto"))
    if fmt not in READERS:
        raise ConfigError(f"input.format: unknown format {fmt!r}; available: auto, {', '.join(READERS)}")
    opts = ReadOptions.from_config(config)
    module, name = READERS[fmt].split(":")
    reader = getattr(importlib.import_module(module), name)
    if fmt == "html":
        from corpus.io.formats_web import check_extract_options

        check_extract_options(opts.extract)
    return _guarded(f, reader(f, opts), opts.encoding_errors, fmt in SURROGATE_GUARDED_FORMATS)
