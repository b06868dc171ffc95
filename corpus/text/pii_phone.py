"""Phone-number candidates for ``corpus.text.pii``: which numeric runs are worth asking the
``phonenumbers`` library about (it is slow, about 1 ms on a run that is not a valid number).

A run (digits and separators, found by ``corpus.text.pii``) is left alone when it is glued to a
word, path or number before it, is a date, a decimal, a dotted version or IP, a number with
thousands separators (``2 147 483 648``), a range (``16384-32768``), a list of small numbers
(``1 2 3 4 5``), or a bare run of digits without a phone cue before it ("Tel.", "phone" ...).

>>> text = "Tel. 2125550123, id 2125550123, 2020-03-15, +1 212 555 0123"
>>> [text[s:e] for s, e in phone_candidates(text, [(5, 15), (20, 30), (32, 42), (45, 59)])]
['2125550123', '2125550123', '1 212 555 0123']
>>> bare_number(text, 5, 15), bare_number(text, 20, 30)
(False, True)
"""

from __future__ import annotations

import re
from types import ModuleType

_COLUMNS_RE = re.compile(r"[0-9(](?:[0-9\-.()/]| (?! ))*[0-9)]")  # a run, cut at double spaces
_DATE_RE = re.compile(r"[0-9]{4}([-./])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-./])[0-9]{1,2}\2[0-9]{4}")
_THOUSANDS_RE = re.compile(r"[0-9]{1,2}(?:([ .])[0-9]{3})(?:\1[0-9]{3})+")
_RANGE_RE = re.compile(r"[1-9][0-9]*-[0-9]+")
_GROUPS_RE = re.compile(r"[0-9]+")
_DECIMAL_RE = re.compile(r"[0-9]+\.[0-9]+")
_PHONE_GLUED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_/\\.=#-")
_PHONE_CUE_RE = re.compile(
    r"(?i)(?:\btel|\bphone|\bfon|\bfax|\bcall|\bmobile?|\bcell|\bhandy|\btéléphone|\btelefono|\bteléfono"
    r"|\btelefoon|☎|📞)[^\n0-9]{0,12}$"
)


def any_valid(phonenumbers: ModuleType, candidate: str, regions: list[str]) -> bool:
    """Whether ``candidate`` parses as a valid number of one of ``regions`` (or with its '+')."""
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate, region)):
                return True
        except phonenumbers.NumberParseException:
            pass
    return False


def phone_candidates(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The numeric runs that may be phone numbers: split at double spaces (table columns), not
    glued to a word, path or number before, and not a date, a decimal or a dotted version/IP."""
    out = []
    for run_start, run_end in runs:
        for part in _COLUMNS_RE.finditer(text, run_start, run_end):
            start, end = part.span()
            body = part.group()
            if end - start < 7 or (start and text[start - 1] in _PHONE_GLUED):
                continue
            if _DATE_RE.search(body) or _DECIMAL_RE.fullmatch(body):
                continue
            if body.count(".") >= 3 and any(len(g) != 2 for g in body.split(".")):
                continue
            plus = "+" in text[max(0, start - 2) : start]
            if not plus and (_THOUSANDS_RE.fullmatch(body) or _RANGE_RE.fullmatch(body)):
                continue  # 2 147 483 648, 16384-32768 (but +34 924 290 784 is a number)
            if sum(len(g) == 1 for g in _GROUPS_RE.findall(body)) >= 3:  # 1 2 3 4 5 6 7
                continue
            out.append((start, end))
    return out


def bare_number(text: str, start: int, end: int) -> bool:
    """A run of digits alone, with no phone cue ("Tel.", "phone" ...) before it: not a phone."""
    return text[start:end].isdigit() and not _PHONE_CUE_RE.search(text, max(0, start - 24), start)
