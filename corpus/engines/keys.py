"""Fingerprints of the corpus steps as stored in the work folder: bytes, never pickle.

A corpus step's fingerprint (``CorpusStep.fingerprint``) travels from the map phase to the
decide phase through a Parquet column of the map part. ``encode_key`` / ``decode_key`` turn any
fingerprint the built-in steps and user steps give (bytes, numeric arrays, tuples, sets, lists,
JSON scalars) into tagged JSON and back, refusing anything else; ``column_codec`` picks a raw
form for the two that are read in bulk (exact dedup's digest, near dedup's signature).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

_DTYPES = {"<u4", "<u8", "<i4", "<i8", "<f4", "<f8", "|u1"}


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def encode_key(value: Any) -> Any:
    """A corpus step's fingerprint as a JSON value: bytes, numeric arrays, tuples and frozensets tagged.

    >>> decode_key(encode_key((b"ab", frozenset({b"x"}), np.arange(3, dtype=np.uint32))))[2].tolist()
    [0, 1, 2]
    """
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, np.ndarray):
        return {"a": [value.dtype.str, list(value.shape), base64.b64encode(value.tobytes()).decode("ascii")]}
    if isinstance(value, tuple):
        return {"t": [encode_key(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        tag = "f" if isinstance(value, frozenset) else "s"
        return {tag: [encode_key(v) for v in sorted(value, key=repr)]}
    if isinstance(value, list):
        return [encode_key(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot checkpoint a fingerprint of type {type(value).__name__}")


def decode_key(value: Any) -> Any:
    """The inverse of ``encode_key``; raises ValueError/TypeError on anything it would not write."""
    if isinstance(value, list):
        return [decode_key(v) for v in value]
    if not isinstance(value, dict):
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise TypeError(f"unexpected {type(value).__name__}")
    ((tag, body),) = value.items()
    if tag == "b":
        return base64.b64decode(_typed(body, str), validate=True)
    if tag == "a":
        dtype, shape, data = _typed(body, list)
        if dtype not in _DTYPES or not all(isinstance(n, int) and n >= 0 for n in _typed(shape, list)):
            raise ValueError(f"array of dtype {dtype!r} / shape {shape!r}")
        return np.frombuffer(base64.b64decode(_typed(data, str), validate=True), dtype=dtype).reshape(shape)
    if tag == "t":
        return tuple(decode_key(v) for v in _typed(body, list))
    if tag in ("f", "s"):
        items = [decode_key(v) for v in _typed(body, list)]
        return frozenset(items) if tag == "f" else set(items)
    raise ValueError(f"unknown tag {tag!r}")


def to_bytes(value: Any) -> bytes:
    """Any fingerprint ``encode_key`` takes, as JSON bytes."""
    return json.dumps(encode_key(value), separators=(",", ":"), sort_keys=True).encode("ascii")


def from_bytes(raw: bytes) -> Any:
    """The inverse of ``to_bytes``; ValueError/TypeError on anything it would not write."""
    return decode_key(json.loads(raw))


class KeyCodec:
    """How one corpus step's fingerprints are stored in a binary column of the map part.

    ``raw``: the step's own bytes (exact dedup's digest) or a uint32 array's bytes (near dedup's
    signature), read in bulk by the distributed steps; ``json``: anything else (``to_bytes``).

    >>> codec = KeyCodec("uint32")
    >>> codec.decode(codec.encode(np.arange(3, dtype=np.uint32))).tolist()
    [0, 1, 2]
    >>> KeyCodec("json").decode(KeyCodec("json").encode(("a", frozenset({b"x"}))))
    ('a', frozenset({b'x'}))
    """

    def __init__(self, form: str) -> None:
        self.form = form

    @classmethod
    def of(cls, step: Any) -> KeyCodec:
        from corpus.dedup.exact import ExactDedup
        from corpus.dedup.near import NearDedup

        if isinstance(step, ExactDedup):
            return cls("bytes")
        if isinstance(step, NearDedup):
            return cls("uint32")
        return cls("json")

    def encode(self, key: Any) -> bytes:
        if self.form == "bytes":
            return bytes(key)
        if self.form == "uint32":
            return np.ascontiguousarray(key, dtype=np.uint32).tobytes()
        return to_bytes(key)

    def decode(self, raw: bytes) -> Any:
        if self.form == "bytes":
            return raw
        if self.form == "uint32":
            return np.frombuffer(raw, dtype=np.uint32)
        return from_bytes(raw)
