"""Line removal: drop whole lines by index, and (opt-in) the teaser headlines under a related heading.

Every kept line stays byte-identical; blank-line runs collapse only where a removal joined them.
"""

from __future__ import annotations

import re

from corpus.document import Edit
from corpus.text.boilerplate.rules.cues import BLOCK_HEADING, HEADING_MAX_WORDS

_HEADING = re.compile(BLOCK_HEADING)
_SENTENCE_END = re.compile(r"[.!?。…][\"'”’)\]]*$")
ZONE_MAX_LINES = 40  # non-blank lines a related zone may cover after its heading
TITLE_MAX_WORDS = 20  # a teaser headline is shorter than this


def is_title_like(line: str) -> bool:
    """A short line without a sentence ending: a headline, a label, a date.

    >>> is_title_like("How Facebook gets the First Amendment backward")
    True
    >>> is_title_like("The report claims the display size will remain 13.3 inches, as before.")
    False
    """
    words = line.split()
    if len(words) >= TITLE_MAX_WORDS:
        return False
    return len(words) <= 6 or _SENTENCE_END.search(line.rstrip()) is None


def related_zones(lines: list[str], drop: dict[int, str]) -> dict[int, str]:
    """Lines after a related-block heading ("More Great WIRED Stories", "Lesen Sie auch"), as
    {index: "related_block"}: the run of title-like lines (and blank lines) that follows it, up to
    the first prose line, at most ``ZONE_MAX_LINES`` non-blank lines.

    >>> related_zones(["Body text.", "Related stories", "A headline", "", "Another one", "Prose again, "
    ...     "a long sentence that is clearly part of the article and ends as prose does."], {1: "related.en"})
    {2: 'related_block', 4: 'related_block'}
    """
    out: dict[int, str] = {}
    for i in sorted(drop):
        if not drop[i].startswith("related") or i in out:
            continue
        norm = " ".join(lines[i].lower().split())
        if norm.count(" ") >= HEADING_MAX_WORDS or not _HEADING.match(norm):
            continue
        seen = 0
        for j in range(i + 1, len(lines)):
            line = lines[j]
            if not line.strip() or j in drop:
                continue
            if seen >= ZONE_MAX_LINES or not is_title_like(line):
                break
            out[j] = "related_block"
            seen += 1
    return out


def remove_lines(text: str, drop: dict[int, str], lines: list[str] | None = None) -> tuple[str, list[Edit]]:
    """Remove the lines (split on "\\n") whose index is in ``drop`` (index -> rule id).

    The kept lines stay byte-identical. Where removals join blank-line runs, only the longest
    original run is kept (at the start or end of the text: only the original edge run), so no
    new gaps appear. Edits carry the removed line (without its newline) and its offset.

    >>> remove_lines("A\\n\\nShare\\n\\nB", {2: "share.en"})[0]
    'A\\n\\nB'
    >>> remove_lines("Share\\nA", {0: "share.en"})
    ('A', [Edit(rule='share.en', before='Share', after='', start=0)])
    """
    if not drop:
        return text, []
    if lines is None:
        lines = text.split("\n")
    order = sorted(drop)
    edits, pos, prev = [], 0, 0
    for i in order:  # offsets only up to the removed lines
        pos += sum(map(len, lines[prev:i])) + i - prev
        prev = i
        edits.append(Edit(drop[i], before=lines[i], after="", start=pos))
    n = len(lines)
    remove: set[int] = set()
    done = -1
    for d in order:  # each maximal gap of blank-or-removed lines that contains a removal
        if d <= done:
            continue
        i = d
        while i > 0 and (i - 1 in drop or not lines[i - 1].strip()):
            i -= 1
        j = d + 1
        while j < n and (j in drop or not lines[j].strip()):
            j += 1
        done = j - 1
        runs: list[list[int]] = [[]]
        for k in range(i, j):
            if k in drop:
                runs.append([])
            else:
                runs[-1].append(k)
        chosen = runs[0] if i == 0 else runs[-1] if j == n else max(runs, key=len)
        remove.update(k for k in range(i, j) if k not in chosen)
    kept = lines[:]
    for k in sorted(remove, reverse=True):  # a few removals: deleting beats filtering every line
        del kept[k]
    return "\n".join(kept), edits
