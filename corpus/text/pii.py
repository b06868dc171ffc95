"""Personal data (PII): find e-mail addresses, phone numbers, IP addresses, card numbers and
IBANs, and replace them with a typed placeholder or a consistent pseudonym.

``find_pii(text) -> [Match]`` recognises; ``mask_pii(text) -> (text, edits, counts)`` rewrites,
as ``corpus.text.handles`` does; ``corpus.stages.pii`` wraps it as the ``mask_pii`` stage.
Checksums and validity tests live in ``corpus.text.pii_checks``.

Speed comes from one cheap scan: a run of at least 7 digits and separators (``_NUMERIC_RE``)
is the only place a phone number, card number, IPv4 address or IBAN is looked for, and the
slow work (``phonenumbers``, ``ipaddress``, checksums) runs only on those runs. E-mail work
starts only at an '@', IPv6 work only at ':' + up to 4 hex digits + ':'.

The rules (each checked by tests/data/pii/cases.jsonl):

- **email**: local part, '@', dotted domain ending in a 2+ letter label. Not after '@'
  (``@user@host.social`` is a fediverse handle) and not a file name (``icon@2x.png``).
- **phone**: ``phonenumbers``' matcher (leniency VALID) for each of ``regions``, and for any
  number written with '+' (or '00' + country code where a region's rules allow it). Its rules
  already refuse dates, times and page references; ours add: a bare run of digits (no
  separator, '+' or parenthesis) counts only after a phone cue ("Tel.", "phone", "Fax" ...),
  and nothing after "ISBN"/"ISSN"/"DOI"/"version" is a number of anyone's.
- **ip**: dotted quads and IPv6 that ``ipaddress`` accepts; by default only global ones
  (``ip_scope="public"``, as datatrove's PIIFormatter: 192.168.x.x, 10.x, 127.x, 203.0.113.x,
  2001:db8:: are examples, not anyone's address); ``"all"`` masks every valid address. A dotted
  quad glued to a word or hyphen (``gcc-4.9.2.1``, ``v1.2.3.4``), part of a longer dotted run
  (OIDs, ``1.2.3.4.5``), followed by '-' or after "version"/"release" is a version, not an IP.
- **credit_card**: 13-19 digits, optionally in groups split by one kind of separator (space or
  '-', first group of 4), a known issuer prefix and length, and a good Luhn digit.
- **iban**: country code, 2 check digits and the country's registered length, with or without
  spaces, passing the mod-97 check.

Overlaps are resolved by type, in the order e-mail, IBAN, card, IP, phone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import NamedTuple

from corpus.document import Edit
from corpus.errors import ConfigError
from corpus.text.pii_checks import (
    IBAN_LENGTHS,
    canonical_ip,
    iban_ok,
    ip_scope_ok,
    is_card_number,
    phone_digit_counts,
    section_number,
    v6_groups_ok,
)
from corpus.text.pii_phone import any_valid, bare_number, phone_candidates

TYPES = ("email", "phone", "ip", "credit_card", "iban")
MODES = ("placeholder", "pseudonym")
IP_SCOPES = ("public", "all")
PLACEHOLDERS = {
    "email": "<EMAIL>",
    "phone": "<PHONE>",
    "ip": "<IP_ADDRESS>",
    "credit_card": "<CREDIT_CARD>",
    "iban": "<IBAN>",
}

# The one scan every document pays for: 7+ characters of digits and phone/card separators.
_NUMERIC_RE = re.compile(r"[0-9][0-9 \-.()/]{5,}[0-9]")
_DIGITS_RE = re.compile(r"[0-9]")
_GLUED_BEFORE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NOT_PII_BEFORE_RE = re.compile(  # the number that follows is a reference or a version
    r"(?i)(?:\bISBN(?:-1[03])?|\bISSN|\bDOI|\bversion|\bver\.|\brelease|\bv\.|\bpatch|\bbuild)"
    r"[\s:#=]{0,3}$"
)
_IPV4_RE = re.compile(
    r"(?<![\w.\-])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![\w\-]|\.[0-9])"
)
_CARD_RE = re.compile(r"(?<![0-9])(?<![0-9]{2}[ \-])[0-9](?:[ \-]?[0-9]){12,18}(?![0-9]|[ \-][0-9])")
_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}")
_V6_HINT_RE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_V6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_EMAIL_LOCAL_RE = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*\Z")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
_EMAIL_DOMAIN_RE = re.compile(r"(?:[^\W_](?:[\w-]{0,62}[^\W_])?\.)+([^\W\d_]{2,63})(?![\w-]|\.[^\W_])")
_FILE_EXTENSIONS = frozenset("png jpg jpeg gif svg webp bmp ico css js pdf html htm txt".split())
_CARD_GLUED = _GLUED_BEFORE | frozenset(".,-")  # 0.651416873060081 is a fraction, mpath-3533... an id


class Match(NamedTuple):
    """One piece of personal data: its span, its type, and its value in one canonical spelling
    (lower-case e-mail, E.164 phone, compressed IP, bare digits, IBAN without spaces)."""

    start: int
    end: int
    type: str
    value: str


def _overlaps(found: list[Match], start: int, end: int) -> bool:
    return any(m.start < end and start < m.end for m in found)


def _refers(text: str, start: int) -> bool:
    """True when the number at ``start`` follows "ISBN", "version" or the like."""
    return _NOT_PII_BEFORE_RE.search(text, max(0, start - 16), start) is not None


class PIIFinder:
    """``find_pii`` with its options fixed (regions checked, the types to look for as a set)."""

    def __init__(
        self, types: Iterable[str] = TYPES, *, regions: Iterable[str] = ("US",), ip_scope: str = "public"
    ) -> None:
        self.types = frozenset(types)
        if not self.types <= set(TYPES):
            raise ConfigError(
                f"unknown PII types {sorted(self.types - set(TYPES))}; known: {', '.join(TYPES)}"
            )
        if ip_scope not in IP_SCOPES:
            raise ConfigError(f"ip_scope: expected one of {', '.join(IP_SCOPES)}; got {ip_scope!r}")
        self.regions = tuple(regions)
        self.ip_scope = ip_scope
        self.counts: dict[str, frozenset[int]] = {}
        for region in self.regions:
            try:
                self.counts[region] = phone_digit_counts(region)
            except ValueError:
                raise ConfigError(
                    f"unknown phone region {region!r}; use ISO 3166 codes such as 'US', 'DE', 'GB'"
                ) from None
        self.min_digits = min((min(c) for c in self.counts.values()), default=7)

    def __call__(self, text: str) -> list[Match]:
        types = self.types
        found: list[Match] = []
        if "email" in types and "@" in text:
            found += _find_emails(text)
        numeric = types - {"email"}
        if numeric and not (numeric == {"ip"} and self.ip_scope == "public" and "." not in text):
            runs = [(m.start(), m.end()) for m in _NUMERIC_RE.finditer(text)]
            if runs and "iban" in types:
                _add(found, _find_ibans(text, runs))
            if runs and "credit_card" in types:
                _add(found, _find_cards(text, runs))
            if "ip" in types:
                if runs:
                    _add(found, _find_ipv4(text, runs, self.ip_scope))
                if "::" in text or text.count(":") >= 7:  # compressed, or all 8 groups
                    _add(found, _find_ipv6(text, self.ip_scope))
            if runs and "phone" in types:
                _add(found, self._find_phones(text, runs))
        found.sort()
        return found

    def _find_phones(self, text: str, runs: list[tuple[int, int]]) -> list[Match]:
        import phonenumbers

        out: list[Match] = []
        for start, end in phone_candidates(text, runs):
            plus = "+" in text[max(0, start - 2) : start]
            digits = len(_DIGITS_RE.findall(text, start, end))
            if plus:
                regions = [self.regions[0] if self.regions else "ZZ"] if 7 <= digits <= 17 else []
            else:
                regions = [r for r, n in self.counts.items() if min(n) <= digits <= max(n) + 1]
            if not regions or (not plus and bare_number(text, start, end)) or _refers(text, start):
                continue
            if not any_valid(phonenumbers, text[start - 2 if plus else start : end], regions):
                continue  # the matcher below is slow on numbers that are not valid (~1 ms each)
            lo = max(0, start - 3)
            line_end = text.find("\n", end)
            hi = min(len(text), end + 12) if line_end == -1 else min(line_end, end + 12)
            snippet = text[lo:hi]
            for region in regions:
                for m in phonenumbers.PhoneNumberMatcher(
                    snippet, region, leniency=phonenumbers.Leniency.VALID
                ):
                    s, e = lo + m.start, lo + m.end
                    if e <= start or s >= end or _overlaps(out, s, e):
                        continue
                    value = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
                    out.append(Match(s, e, "phone", value))
        return out


def _add(found: list[Match], new: list[Match]) -> None:
    found.extend(m for m in new if not _overlaps(found, m.start, m.end))


def _find_emails(text: str) -> list[Match]:
    out = []
    at = text.find("@")
    while at != -1:
        domain = _EMAIL_DOMAIN_RE.match(text, at + 1)
        if domain and domain.group(1).lower() not in _FILE_EXTENSIONS:
            start = at
            while (
                start > 0
                and at - start < 64
                and (text[start - 1] in _LOCAL_CHARS or text[start - 1].isalnum())
            ):
                start -= 1
            while start < at and text[start] == ".":
                start += 1
            if (
                start < at
                and _EMAIL_LOCAL_RE.match(text, start, at)
                and (not start or text[start - 1] not in "@＠")
            ):
                out.append(Match(start, domain.end(), "email", text[start : domain.end()].lower()))
        at = text.find("@", at + 1)
    return out


def _find_ipv4(text: str, runs: list[tuple[int, int]], scope: str) -> list[Match]:
    out = []
    for start, end in runs:
        if text.count(".", start, end) < 3:
            continue
        for m in _IPV4_RE.finditer(text, start, min(len(text), end + 2)):
            if (
                ip_scope_ok(m.group(), scope)
                and not _refers(text, m.start())
                and not section_number(text, m.start(), m.end())
            ):
                out.append(Match(m.start(), m.end(), "ip", m.group()))
    return out


def _find_ipv6(text: str, scope: str) -> list[Match]:
    out: list[Match] = []
    m = _V6_HINT_RE.search(text)
    while m:
        lo = m.start()
        while lo > 0 and text[lo - 1] in _V6_CHARS and m.start() - lo < 40:
            lo -= 1
        hi = m.end()
        while hi < len(text) and text[hi] in _V6_CHARS and hi - lo < 46:
            hi += 1
        cand = text[lo:hi].rstrip(".")
        if cand.endswith(":") and not cand.endswith("::"):
            cand = cand[:-1]
        before = text[lo - 1] if lo else " "
        after = text[lo + len(cand)] if lo + len(cand) < len(text) else " "
        if (
            not (before.isalnum() or before in "_:")
            and not (after.isalnum() or after in "_")
            and cand.count(":") >= 2
            and v6_groups_ok(cand)
            and "." not in cand.rstrip("0123456789.")[:-1]  # dots only in an IPv4 tail
            and ip_scope_ok(cand, scope)
            and ":" in canonical_ip(cand)
        ):
            out.append(Match(lo, lo + len(cand), "ip", canonical_ip(cand)))
        m = _V6_HINT_RE.search(text, max(hi, m.end()))
    return out


def _find_cards(text: str, runs: list[tuple[int, int]]) -> list[Match]:
    out = []
    for start, end in runs:
        stop = min(len(text), end + 2)
        m = _CARD_RE.search(text, start, stop) if end - start >= 13 else None
        while m:
            if _card_ok(text, m):
                out.append(Match(m.start(), m.end(), "credit_card", re.sub(r"[ \-]", "", m.group())))
                m = _CARD_RE.search(text, m.end(), stop)
            else:  # '8.8.8.8 4111...': the candidate from the last '8' fails, the card after it not
                m = _CARD_RE.search(text, m.start() + 1, stop)
    return out


def _card_ok(text: str, m: re.Match[str]) -> bool:
    raw = m.group()
    seps = set(raw) - set("0123456789")
    if len(seps) > 1 or (m.start() and text[m.start() - 1] in _CARD_GLUED):
        return False
    if seps:
        groups = re.split(r"[ \-]", raw)
        if len(groups[0]) != 4 or any(not 4 <= len(g) <= 6 for g in groups[1:-1]):
            return False
    return is_card_number(re.sub(r"[ \-]", "", raw)) and not _refers(text, m.start())


def _find_ibans(text: str, runs: list[tuple[int, int]]) -> list[Match]:
    out: list[Match] = []
    for start, end in runs:
        if end - start < 8:  # every IBAN holds a run of 8 or more digits and spaces
            continue
        for m in _IBAN_START_RE.finditer(text, max(0, start - 40), end):
            if _overlaps(out, m.start(), m.end()):
                continue
            length = IBAN_LENGTHS.get(m.group()[:2])
            stop = _iban_end(text, m.start(), length) if length else -1
            if stop > 0 and iban_ok(text[m.start() : stop]):
                out.append(Match(m.start(), stop, "iban", text[m.start() : stop].replace(" ", "")))
    return out


def _iban_end(text: str, pos: int, length: int) -> int:
    """Where an IBAN of ``length`` characters starting at ``pos`` ends (single spaces allowed
    between characters), or -1 when the text there is not one."""
    seen, i, n = 0, pos, len(text)
    while i < n and seen < length:
        ch = text[i]
        if ch.isascii() and ch.isalnum():
            seen += 1
        elif not (ch == " " and seen >= 4 and i + 1 < n and text[i + 1] != " "):
            return -1
        i += 1
    if seen < length or (i < n and text[i].isalnum()):
        return -1
    return i


def find_pii(
    text: str, types: Iterable[str] = TYPES, *, regions: Iterable[str] = ("US",), ip_scope: str = "public"
) -> list[Match]:
    """The personal data in ``text``, in order, without overlaps (see the module docstring).

    >>> [(m.type, m.value) for m in find_pii("Mail Jo.Doe@Example.org or call +44 20 7946 0958.")]
    [('email', 'jo.doe@example.org'), ('phone', '+442079460958')]
    >>> find_pii("version 1.2.3.4 on 192.168.1.1, ISBN 978-3-16-148410-0, 2020-03-15, $1,234.56")
    []
    """
    return PIIFinder(types, regions=regions, ip_scope=ip_scope)(text)


# --- rewriting ---------------------------------------------------------------------------------


def pseudonym(kind: str, value: str, salt: str = "") -> str:
    """A typed token naming ``value`` consistently: ``<EMAIL_3f9a2c1b>``, the first 8 hex digits
    of BLAKE2b keyed with ``salt`` over the canonical value. The same value gives the same token
    in every document, worker and run with the same salt; without a secret salt a short value
    (a phone number) can be found again by trying them all, so keep the salt secret.

    >>> pseudonym("email", "jo.doe@example.org", "s3cret")
    '<EMAIL_9875e580>'
    """
    digest = hashlib.blake2b(
        value.encode("utf-8"), digest_size=4, key=salt.encode("utf-8")[:64], person=kind.encode()[:16]
    )
    return f"{PLACEHOLDERS[kind][:-1]}_{digest.hexdigest()}>"


class PIIMasker:
    """``mask_pii`` with its options fixed: call it on a text for ``(text, edits, counts)``."""

    def __init__(
        self,
        types: Iterable[str] = TYPES,
        *,
        mode: str = "placeholder",
        salt: str = "",
        regions: Iterable[str] = ("US",),
        ip_scope: str = "public",
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode: expected one of {', '.join(MODES)}; got {mode!r}")
        self.find = PIIFinder(types, regions=regions, ip_scope=ip_scope)
        self.mode, self.salt = mode, salt

    def __call__(self, text: str) -> tuple[str, list[Edit], dict[str, int]]:
        found = self.find(text)
        if not found:
            return text, [], {}
        pieces, edits, counts, last = [], [], {}, 0
        for m in found:
            before = text[m.start : m.end]
            if self.mode == "pseudonym":
                after = pseudonym(m.type, m.value, self.salt)
            else:
                after = PLACEHOLDERS[m.type]
            pieces += [text[last : m.start], after]
            edits.append(Edit(f"pii.{m.type}", before, after, m.start))
            key = f"pii.{m.type}"
            counts[key] = counts.get(key, 0) + 1
            last = m.end
        pieces.append(text[last:])
        return "".join(pieces), edits, counts


def mask_pii(
    text: str,
    types: Iterable[str] = TYPES,
    *,
    mode: str = "placeholder",
    salt: str = "",
    regions: Iterable[str] = ("US",),
    ip_scope: str = "public",
) -> tuple[str, list[Edit], dict[str, int]]:
    """The text with its personal data replaced, one Edit per replacement, and counts per type.

    >>> text, edits, counts = mask_pii("Write to jo@example.org, card 4111 1111 1111 1111.")
    >>> text
    'Write to <EMAIL>, card <CREDIT_CARD>.'
    >>> print(edits[1].describe())
    [pii.credit_card] @30 '4111 1111 1111 1111' -> '<CREDIT_CARD>'
    >>> counts
    {'pii.email': 1, 'pii.credit_card': 1}
    >>> mask_pii("IBAN DE89 3704 0044 0532 0130 00, server 8.8.8.8", mode="pseudonym", salt="k")[0]
    'IBAN <IBAN_...>, server <IP_ADDRESS_...>'
    """
    return PIIMasker(types, mode=mode, salt=salt, regions=regions, ip_scope=ip_scope)(text)
