"""Where a build reads and writes: local paths and fsspec URLs (``s3://``, ``gs://``, ``hf://``...).

Everything that touches a file through a name a user gave goes through here, so a build can read
its inputs from a bucket, keep its work folder on a shared store and write its output there.

- ``is_url``, ``open_input``, ``size``: reading an input (seekable, binary), local or remote.
- ``Location``: a folder, local or remote, as a build's output, staging or work folder uses it:
  open, atomic write, list, remove, rename, and a pyarrow filesystem for Parquet.

Credentials come from the usual environment (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``,
``GOOGLE_APPLICATION_CREDENTIALS``, ``HF_TOKEN``...), read by fsspec's backends; a URL is shown in
messages without any credentials it carries (``shown``).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from pathlib import Path
from typing import IO, Any

from corpus.errors import BuildError

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_SECRET = re.compile(r"(://)[^/@]*@")


def is_url(path: str | Path) -> bool:
    """True for ``scheme://...`` other than ``file://``.

    >>> is_url("s3://b/k"), is_url("data/x.jsonl"), is_url("file:///x")
    (True, False, False)
    """
    m = _SCHEME.match(str(path))
    return bool(m) and m.group(1).lower() != "file"


def local_path(path: str | Path) -> str:
    """``file:///x`` as ``/x``; other local paths as they are."""
    text = str(path)
    return text[len("file://") :] if text.startswith("file://") else text


def shown(url: str | Path) -> str:
    """A URL with any ``user:secret@`` part masked, for messages and records.

    >>> shown("s3://KEY:SECRET@bucket/x")
    's3://***@bucket/x'
    """
    return _SECRET.sub(r"\1***@", str(url))


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and the path inside it, for a URL; BuildError naming it when none fits."""
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec comes with datasets
        raise BuildError(f"{shown(url)}: reading URLs needs fsspec ({exc})") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise BuildError(f"{shown(url)}: no filesystem for this URL ({exc}); install its backend") from None


def open_input(path: str | Path) -> IO[bytes]:
    """A seekable binary file for reading: a local path, or an fsspec URL (read in blocks)."""
    if not is_url(path):
        return open(local_path(path), "rb")
    fs, inner = filesystem(str(path))
    return fs.open(inner, "rb")


def size(path: str | Path) -> int:
    """The size in bytes of a file, local or remote."""
    if not is_url(path):
        return os.path.getsize(local_path(path))
    fs, inner = filesystem(str(path))
    return int(fs.size(inner))


class Location:
    """A folder, local (a path) or remote (an fsspec URL), and the few things a build does in it.

    Names inside it are POSIX relative paths ("data/train-00000-of-00001.parquet"). On a local
    disk ``write_bytes`` and ``replace`` are atomic renames; on an object store a single put is
    atomic per object and ``replace`` is a server-side copy then delete.
    """

    def __init__(self, where: str | Path) -> None:
        text = str(where)
        self.url = text.rstrip("/") if is_url(text) else local_path(text)
        self.is_local = not is_url(text)
        if self.is_local:
            self.fs, self.root = None, self.url
        else:
            self.fs, self.root = filesystem(self.url)
            self.root = self.root.rstrip("/")

    def __repr__(self) -> str:
        return f"Location({shown(self.url)!r})"

    def __str__(self) -> str:
        return shown(self.url)

    def path(self, name: str = "") -> str:
        """The full local path or filesystem path (no scheme) of ``name``."""
        if not name:
            return self.root
        return os.path.join(self.root, name) if self.is_local else posixpath.join(self.root, name)

    def url_of(self, name: str = "") -> str:
        """The URL (or local path) of ``name``, as a user would write it."""
        if not name:
            return self.url
        return os.path.join(self.url, name) if self.is_local else f"{self.url}/{name}"

    def child(self, name: str) -> Location:
        return Location(self.url_of(name))

    def exists(self, name: str = "") -> bool:
        return os.path.exists(self.path(name)) if self.is_local else bool(self.fs.exists(self.path(name)))

    def isdir(self, name: str = "") -> bool:
        return os.path.isdir(self.path(name)) if self.is_local else bool(self.fs.isdir(self.path(name)))

    def makedirs(self, name: str = "") -> None:
        if self.is_local:
            os.makedirs(self.path(name), exist_ok=True)
        else:  # object stores have no folders; a bucket must exist (see check_bucket)
            self.fs.makedirs(self.path(name), exist_ok=True)

    def listdir(self, name: str = "") -> list[str]:
        """The names (not paths) directly inside ``name``, sorted; [] when it does not exist."""
        if self.is_local:
            try:
                return sorted(os.listdir(self.path(name)))
            except FileNotFoundError:
                return []
        try:
            entries = self.fs.ls(self.path(name), detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(posixpath.basename(e.rstrip("/")) for e in entries)

    def open(self, name: str, mode: str = "rb") -> IO[Any]:
        if self.is_local:
            if "w" in mode:
                os.makedirs(os.path.dirname(self.path(name)) or ".", exist_ok=True)
            return open(self.path(name), mode)
        return self.fs.open(self.path(name), mode)

    def read_bytes(self, name: str) -> bytes:
        with self.open(name, "rb") as fh:
            return fh.read()

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write ``name`` whole or not at all (local: temporary file, fsync, rename)."""
        if not self.is_local:
            self.fs.pipe_file(self.path(name), data)
            return
        final = self.path(name)
        os.makedirs(os.path.dirname(final) or ".", exist_ok=True)
        tmp = final + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)

    def replace(self, src: str, dst: str) -> None:
        """Move ``src`` to ``dst`` inside this folder, replacing ``dst``."""
        if self.is_local:
            os.makedirs(os.path.dirname(self.path(dst)) or ".", exist_ok=True)
            os.replace(self.path(src), self.path(dst))
        else:
            self.fs.copy(self.path(src), self.path(dst))
            self.fs.rm(self.path(src))

    def remove(self, name: str = "", recursive: bool = False) -> None:
        """Remove a file, or a folder with ``recursive``; nothing when it does not exist."""
        target = self.path(name)
        if self.is_local:
            import shutil

            if os.path.isdir(target) and not os.path.islink(target):
                if recursive:
                    shutil.rmtree(target, ignore_errors=True)
            elif os.path.lexists(target):
                os.unlink(target)
            return
        try:
            if self.fs.exists(target):
                self.fs.rm(target, recursive=recursive)
        except FileNotFoundError:
            pass

    def size(self, name: str) -> int:
        return os.path.getsize(self.path(name)) if self.is_local else int(self.fs.size(self.path(name)))

    def sha256(self, name: str, chunk: int = 1 << 20) -> str:
        digest = hashlib.sha256()
        with self.open(name, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        return digest.hexdigest()

    def arrow(self, name: str) -> tuple[Any, str]:
        """A pyarrow filesystem and path for ``name`` (``pq.ParquetWriter(path, filesystem=fs)``)."""
        import pyarrow.fs as pafs

        if self.is_local:
            os.makedirs(os.path.dirname(self.path(name)) or ".", exist_ok=True)
            return pafs.LocalFileSystem(), self.path(name)
        return pafs.PyFileSystem(pafs.FSSpecHandler(self.fs)), self.path(name)


# Object stores whose first path part is a bucket, which a build never creates.
BUCKET_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss"})


def bucket_of(url: str | Path) -> str | None:
    """The bucket of an object-store URL, None for another URL or a local path.

    >>> bucket_of("s3://KEY:SECRET@my-bucket/a/b.jsonl"), bucket_of("simplecache::gs://b2/x")
    ('my-bucket', 'b2')
    >>> bucket_of("https://host/x"), bucket_of("data/x.jsonl")
    (None, None)
    """
    last = str(url).split("::")[-1]
    m = _SCHEME.match(last)
    if not m or m.group(1).lower() not in BUCKET_PROTOCOLS:
        return None
    host = last[m.end() :].split("/", 1)[0].split("?", 1)[0]
    return host.rpartition("@")[2] or None


def check_bucket(url: str | Path, what: str = "") -> None:
    """A BuildError naming the bucket when an object-store URL's bucket does not exist or cannot
    be seen with these credentials; nothing for other URLs and local paths. Never creates it."""
    name = bucket_of(url)
    if name is None:
        return
    fs, _inner = filesystem(str(url))
    try:
        fs.invalidate_cache(name)
        found = bool(fs.exists(name))
    except (OSError, ValueError):
        found = False
    if not found:
        where = f"{what}: " if what else ""
        raise BuildError(
            f"{where}{shown(url)}: bucket {name!r} does not exist or is not visible with these "
            "credentials; create it first (corpus never creates buckets)"
        )


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, local or remote."""
    digest = hashlib.sha256()
    with open_input(path) as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path: str | Path) -> tuple[int, str]:
    """(size, change marker) of a file, to tell whether it changed: the modification time in ns
    locally; remotely the object's ETag (or its modification time when the store gives none)."""
    if not is_url(path):
        st = os.stat(local_path(path))
        return st.st_size, str(st.st_mtime_ns)
    fs, inner = filesystem(str(path))
    fs.invalidate_cache(inner)
    info = fs.info(inner)
    marker = info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime") or ""
    return int(info.get("size") or 0), str(marker)
