"""Opening inputs as byte streams: decompressing (.gz, .bz2, .xz, .zst) and damaged streams.

``open_binary`` opens a file, decompressing by suffix; a damaged compressed stream (trailing
garbage, a stream cut short, corrupt data) ends after every byte decompressed before it, and
``stream_damage`` says what and where, for the reader to quarantine. ``sniff`` reads a stream's
head to refuse an empty, binary or UTF-16 file; ``read_line`` reads one bounded line.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from pathlib import Path
from typing import IO, Any

from corpus.errors import BuildError, ConfigError
from corpus.io.fs import open_input, shown

SNIFF_BYTES = 8192
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
        self._fh = open_input(path)
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
    """Open a file (a local path or an fsspec URL) for reading bytes, decompressing by suffix
    (.gz, .bz2, .xz, .zst).

    A file that cannot be opened (gone, no permission) is a BuildError, not a quarantined file:
    it says nothing about the data, everything about the machine."""
    kind = Path(path).suffix.lower().lstrip(".")
    if kind == "zst":
        try:
            import zstandard  # noqa: F401
        except ImportError:
            raise ConfigError(f"{shown(path)}: reading .zst needs the 'zstandard' package") from None
    try:
        if kind in _MAGIC:
            return io.BufferedReader(_Decompressing(path, kind), buffer_size=1 << 16)
        return open_input(path)
    except OSError as exc:
        raise BuildError(f"input {shown(path)}: cannot open: {exc.strerror or exc}") from None


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
