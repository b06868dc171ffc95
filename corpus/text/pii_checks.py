"""Checksums and validity tests behind ``corpus.text.pii``: Luhn and card prefixes, IBAN mod-97,
IP scopes, and the digit counts a phone number can have in a region.

Pure functions of one candidate string each; the scanning lives in ``corpus.text.pii``.

>>> luhn_ok("4539 1488 0343 6467".replace(" ", ""))
True
>>> card_brand("4539148803436467"), card_brand("9780306406157")
('visa', None)
>>> iban_ok("DE89 3704 0044 0532 0130 00"), iban_ok("DE89 3704 0044 0532 0130 01")
(True, False)
>>> ip_scope_ok("8.8.8.8"), ip_scope_ok("192.168.1.10"), ip_scope_ok("192.168.1.10", "all")
(True, False, True)
"""

from __future__ import annotations

import ipaddress
from functools import cache

# Issuer prefixes (IIN ranges) and the lengths each brand issues, from the brands' published
# ranges (ISO/IEC 7812; Wikipedia "Payment card number"). A number must sit in one of them.
_CARD_RANGES: tuple[tuple[str, int, int, tuple[int, ...]], ...] = (
    ("visa", 4, 4, (13, 16, 19)),
    ("mastercard", 51, 55, (16,)),
    ("mastercard", 2221, 2720, (16,)),
    ("amex", 34, 34, (15,)),
    ("amex", 37, 37, (15,)),
    ("diners", 300, 305, (14, 15, 16, 17, 18, 19)),
    ("diners", 36, 36, (14, 15, 16, 17, 18, 19)),
    ("diners", 38, 39, (14, 15, 16, 17, 18, 19)),
    ("discover", 6011, 6011, (16, 17, 18, 19)),
    ("discover", 644, 649, (16, 17, 18, 19)),
    ("discover", 65, 65, (16, 17, 18, 19)),
    ("jcb", 3528, 3589, (16, 17, 18, 19)),
    ("jcb", 1800, 1800, (15,)),  # the old 15-digit JCB ranges
    ("jcb", 2131, 2131, (15,)),
    ("unionpay", 62, 62, (16, 17, 18, 19)),
    ("maestro", 50, 50, (13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 56, 69, (13, 14, 15, 16, 17, 18, 19)),
)

# IBAN length by country (SWIFT IBAN registry, 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits.

    >>> luhn_ok("79927398713"), luhn_ok("79927398710")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The brand whose issuer prefix and length fit ``digits`` (Luhn not checked), else None.

    >>> card_brand("378282246310005"), card_brand("5105105105105100"), card_brand("1234567812345670")
    ('amex', 'mastercard', None)
    """
    n = len(digits)
    for brand, lo, hi, lengths in _CARD_RANGES:
        if n in lengths:
            width = len(str(lo))
            if lo <= int(digits[:width]) <= hi:
                return brand
    return None


def is_card_number(digits: str) -> bool:
    """13-19 digits, a known issuer prefix and length, and a good Luhn check digit.

    >>> is_card_number("4111111111111111"), is_card_number("4111111111111112")
    (True, False)
    """
    return 13 <= len(digits) <= 19 and card_brand(digits) is not None and luhn_ok(digits)


def iban_ok(candidate: str) -> bool:
    """Country code, its registered length, and the ISO 7064 mod-97 check (spaces ignored).

    >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82WEST12345698765433"), iban_ok("XX82WEST1234")
    (True, False, False)
    """
    s = candidate.replace(" ", "").upper()
    if IBAN_LENGTHS.get(s[:2]) != len(s) or not s.isalnum() or not s.isascii() or not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ip_scope_ok(candidate: str, scope: str = "public") -> bool:
    """A valid IPv4/IPv6 address, and, when ``scope`` is "public", a globally routable one
    (``ipaddress``'s ``is_global``: not private, loopback, link-local, documentation, shared or
    reserved), as datatrove's PIIFormatter decides, and not multicast (a group, not a host).
    IPv4 octets with a leading zero are refused (``ipaddress`` does too: some tools read them as
    octal). '::' and '0.0.0.0' are never addresses here.

    >>> ip_scope_ok("203.0.113.7"), ip_scope_ok("2001:db8::1"), ip_scope_ok("2a00:1450:4001:81c::200e")
    (False, False, True)
    >>> ip_scope_ok("::", "all"), ip_scope_ok("256.1.1.1", "all")
    (False, False)
    """
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    if addr.is_unspecified:  # '::' and '0.0.0.0' are syntax ('std::'), not anyone's address
        return False
    return scope == "all" or (addr.is_global and not addr.is_multicast)


def canonical_ip(candidate: str) -> str:
    """The address as ``ipaddress`` writes it (IPv6 compressed, lower case): one value per address.

    >>> canonical_ip("2A00:1450:4001:081C:0000:0000:0000:200E")
    '2a00:1450:4001:81c::200e'
    """
    return str(ipaddress.ip_address(candidate))


def v6_groups_ok(cand: str) -> bool:
    """Enough of an address to be one: 3+ groups, or 2 with a full first group ('2001::1');
    '-f::' (an option list), '::1:25' (netstat's address and port) are not.

    >>> v6_groups_ok("2001:db8::1"), v6_groups_ok("2001::1"), v6_groups_ok("f::"), v6_groups_ok("::1:25")
    (True, True, False, False)
    """
    groups = [g for g in cand.split(":") if g]
    return len(groups) >= 3 or (len(groups) == 2 and len(groups[0]) == 4)


def section_number(text: str, start: int, end: int) -> bool:
    """A section number: a heading ("12.2.2.4. Title" at a line start) or a cross-reference
    followed by its quoted title ("see Section 1.3.3.1, “Existing ...”").

    >>> section_number("\\n12.2.2.4. Starting", 1, 9), section_number("see 8.8.8.8. Then", 4, 11)
    (True, False)
    """
    after = text[end : end + 3]
    if after[:1] == "," and after[1:2] == " " and after[2:3] in "“\"«„‘'":
        return True
    if after[:1] != "." or not after[1:2].isspace():
        return False
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip()


@cache
def phone_digit_counts(region: str) -> frozenset[int]:
    """How many digits a national phone number of ``region`` can be written with: its possible
    national lengths, with or without the national prefix (a cheap filter before phonenumbers).

    >>> sorted(phone_digit_counts("US"))
    [10, 11]
    """
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"unknown phone region {region!r}")
    lengths = set(meta.general_desc.possible_length or ())
    prefix = len(meta.national_prefix or "")
    return frozenset(lengths | {n + prefix for n in lengths})
