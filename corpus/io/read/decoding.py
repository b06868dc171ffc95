"""Turning input bytes into text by a declared policy (``input.encoding_errors``).

- ``repair`` (default): bytes that are not UTF-8 are decoded in the encoding they were most likely
  written in (a legacy single- or multi-byte web encoding, detected with charset-normalizer when
  installed, else windows-1252 when the bytes decode as it cleanly); U+FFFD where nothing fits.
- ``replace``: invalid bytes become U+FFFD.
- ``strict``: ``InputError`` naming the first invalid byte (the reader quarantines the record).

Either way a document that had invalid UTF-8 carries ``meta["invalid_utf8"] = True`` (the engine
counts it), and ``meta["decoded_as"]`` names the encoding a repair used.

A document that mixes valid UTF-8 with stray legacy bytes (a cp1252 "é" pasted into a UTF-8 page)
keeps its UTF-8 and has only the stray runs decoded; a document that is mostly legacy bytes is
decoded whole in the detected encoding.

>>> Decoder("repair").decode("Café crème".encode("cp1252"))
('Café crème', {'invalid_utf8': True, 'decoded_as': 'cp1252'})
>>> Decoder("repair").decode("Grüße, ".encode() + "Köln".encode("cp1252"))
('Grüße, Köln', {'invalid_utf8': True, 'decoded_as': 'cp1252'})
>>> Decoder("replace").decode(b"Caf\\xe9")
('Caf\\ufffd', {'invalid_utf8': True})
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from corpus.errors import ConfigError, InputError

POLICIES = ("repair", "replace", "strict")
# Legacy encodings still met on the web; charset detection chooses among these only.
WEB_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "iso8859_2", "koi8_r", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr",
]  # fmt: skip
DETECT_SAMPLE = 1 << 16
_INVALID_RUN = re.compile("[\udc80-\udcff]+")


def detect_legacy_encoding(data: bytes) -> str | None:
    """The most likely legacy encoding of ``data`` (bytes that are not UTF-8), or None.

    windows-1252 wins ties: short samples fit many code pages equally well, and it is by far the
    most common one (charset-normalizer alone reads b"Caf\\xe9 cr\\xe8me" as cp1250 "crčme").

    >>> detect_legacy_encoding("Привет, как дела у тебя сегодня?".encode("cp1251"))
    'cp1251'
    >>> detect_legacy_encoding(b"Caf\\xe9 cr\\xe8me")
    'cp1252'
    """
    sample = data[:DETECT_SAMPLE]
    try:
        import charset_normalizer
    except ImportError:  # pragma: no cover - installed with datasets (requests)
        charset_normalizer = None
    if charset_normalizer is not None:
        matches = list(charset_normalizer.from_bytes(sample, cp_isolation=WEB_ENCODINGS))
        if not matches:
            return None
        least = min(m.chaos for m in matches)
        best = [m for m in matches if m.chaos == least]
        if any("cp1252" in m.could_be_from_charset for m in best):
            return "cp1252"
        return _known_codec(best[0].encoding)
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "cp1252"


def _known_codec(name: str | None) -> str | None:
    """``name`` when Python has a codec by that name, else None (decoded as if nothing fit)."""
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


class Decoder:
    """Decodes the records of one file; a repair encoding, once detected, is kept for the file.

    An unknown policy is a ConfigError (the option is wrong, not the data); under ``strict`` a
    record that is not UTF-8 is an InputError (the data is wrong; the reader quarantines it).
    """

    def __init__(self, policy: str = "repair") -> None:
        if policy not in POLICIES:
            raise ConfigError(f"input.encoding_errors: expected one of {', '.join(POLICIES)}; got {policy!r}")
        self.policy = policy
        self.encoding: str | None = None
        self._detected = False

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]]:
        """Text and meta flags; raises InputError only under the strict policy (the caller adds
        where: file, line, the raw record)."""
        try:
            return data.decode("utf-8-sig"), {}
        except UnicodeDecodeError as exc:
            if self.policy == "strict":
                raise InputError(f"invalid UTF-8 at byte {exc.start}") from None
        if self.policy == "replace":
            return data.decode("utf-8-sig", errors="replace"), {"invalid_utf8": True}
        escaped = data.decode("utf-8-sig", errors="surrogateescape")
        if not self._detected:
            legacy = "".join(c for c in escaped if c < "\x80" or "\udc80" <= c <= "\udcff")
            self.encoding = detect_legacy_encoding(legacy.encode("utf-8", errors="surrogateescape"))
            self._detected = True
        if self.encoding is None:
            return data.decode("utf-8-sig", errors="replace"), {"invalid_utf8": True}
        enc = self.encoding
        n_invalid = sum(len(m.group()) for m in _INVALID_RUN.finditer(escaped))
        n_multibyte = sum(1 for c in escaped if c >= "\x80" and not "\udc80" <= c <= "\udcff")
        if n_multibyte >= n_invalid:  # mostly UTF-8: keep it, decode only the stray runs
            text = _INVALID_RUN.sub(lambda m: _legacy(m.group(), enc), escaped)
        else:
            text = data.decode(enc, errors="replace")
        return text, {"invalid_utf8": True, "decoded_as": enc}


def _legacy(run: str, encoding: str) -> str:
    return bytes(ord(c) - 0xDC00 for c in run).decode(encoding, errors="replace")


# --- lone surrogates ----------------------------------------------------------------------------
# A JSON "\ud800" escape, or a surrogateescape'd string, decodes to a str that cannot be encoded as
# UTF-8: the Parquet writer crashes on it later. No such string may leave a reader.
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(value: Any) -> str | None:
    """'U+D800' for the first lone surrogate in a string, or in a dict's keys and values or a list
    (recursively), else None.

    >>> lone_surrogate({"a": ["ok", "bad\\ud800"]}), lone_surrogate("fine")
    ('U+D800', None)
    """
    if isinstance(value, str):
        if value.isascii():
            return None
        try:  # the C encoder is ~20x faster than a regex over the text (it runs on every document)
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"U+{ord(value[exc.start]):04X}"
        return None
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return None
    for item in items:
        found_in = lone_surrogate(item)
        if found_in:
            return found_in
    return None


def replace_surrogates(text: str) -> tuple[str, dict[str, Any]]:
    """Each lone surrogate as U+FFFD, flagged like any invalid UTF-8 (``encoding_errors`` repair
    and replace; strict quarantines instead).

    >>> replace_surrogates("a\\udc80b")
    ('a\\ufffdb', {'invalid_utf8': True})
    """
    fixed, n = _SURROGATE.subn("\ufffd", text)
    return fixed, ({"invalid_utf8": True} if n else {})
