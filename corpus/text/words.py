"""Words for the quality signals: text split the way spaCy's English tokenizer splits it, fast.

The Gopher, C4 and FineWeb rules count words, and the reference implementation (datatrove) counts
them with spaCy's blank English tokenizer: whitespace-separated chunks, punctuation split off
their edges (each mark its own token, ``...`` one token), a few infixes split inside (a hyphen
between letters, ``/`` or ``:`` before a letter, ``.`` between a lower- and an upper-case
letter), contractions split (``do`` + ``n't``), URLs kept whole. ``split_chunk`` re-implements
those rules for one chunk; ``Vocab`` memoises them per distinct chunk, so a document costs one
dictionary look-up per chunk, and gives every token an integer id with its length and whether it
is all symbols or has a letter, as NumPy arrays: the signals are sums over those arrays.

Chinese and Japanese have no spaces: with ``lang`` ``zh`` or ``ja`` the text is segmented by
jieba (rjieba) or MeCab with UniDic (fugashi), installed by the ``cjk`` extra; without them such a
document is split into single characters, which ``Words.segmenter`` records.

>>> split_chunk("don't"), split_chunk("well-known,"), split_chunk("ls(1)."), split_chunk("U.S.")
(['do', "n't"], ['well', '-', 'known', ','], ['ls(1', ')', '.'], ['U.S.'])
>>> words("Hello, world... It's http://x.org/a.").tokens()
['Hello', ',', 'world', '...', 'It', "'s", 'http://x.org/a', '.']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

# Unicode's Sentence_Terminal characters (Unicode 14, as this Python knows them), with the three
# Khmer signs datatrove's TERMINAL_PUNCTUATION adds: the marks a line or sentence may end with.
TERMINAL_PUNCTUATION = frozenset(
    "!.?։؝؞؟۔܀܁܂߹࠷࠹࠽࠾।॥၊။።፧፨᙮᜵᜶។៕៖៙៚᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᭽᭾᰻᰼᱾᱿․‼‽⁇⁈⁉⳹⳺⳻⸮⸼⹓⹔。꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫︒︕︖﹒﹖﹗！．？｡"
    "\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87"
    "\U00010f88\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141"
    "\U00011142\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239"
    "\U0001123b\U0001123c\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca"
    "\U000115cb\U000115cc\U000115cd\U000115ce\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3"
    "\U000115d4\U000115d5\U000115d6\U000115d7\U00011641\U00011642\U0001173c\U0001173d\U0001173e"
    "\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c\U00011c41\U00011c42\U00011ef7"
    "\U00011ef8\U00016a6e\U00016a6f\U00016af5\U00016b37\U00016b38\U00016b44\U00016e98\U0001bc9f"
    "\U0001da88"
)

_RULES_FILE = Path(__file__).parent / "data" / "spacy_en_rules.json"


class _Rules:
    """spaCy's English affix and URL patterns and special cases (scripts/gen_word_rules.py)."""

    def __init__(self) -> None:
        data = json.loads(_RULES_FILE.read_text(encoding="utf-8"))
        self.prefix = re.compile(data["prefix"]).match  # every alternative starts with ^
        self._suffix = re.compile(data["suffix"]).search
        self.infix = re.compile(data["infix"]).finditer
        self.url = re.compile(data["url"]).match
        self.special: dict[str, list[str]] = data["special"]
        # Special cases that the affix rules would split (":)" from "):"-like runs): spaCy merges
        # their pieces back when they stand side by side inside one chunk.
        self.merges: dict[tuple[str, ...], list[str]] = {}
        for orth, pieces in self.special.items():
            split = tuple(self.split(orth, specials=False))
            if len(split) > 1:
                self.merges.setdefault(split, pieces)
        self.longest = max((len(k) for k in self.merges), default=0)
        self.starts = frozenset(k[0] for k in self.merges)

    def suffix(self, string: str) -> re.Match[str] | None:
        """The suffix pattern's match at the end of ``string``, searching only its last characters.

        Suffixes are short (marks, units, "'s") except runs of periods; the pattern is searched in
        the last 16 characters (with one more for look-behinds), and in the whole string when the
        match could reach further back.
        """
        if len(string) <= 17:
            return self._suffix(string)
        tail = string[-17:]
        m = self._suffix(tail, 1)
        if m is None or m.start() > 1:
            return m if m is None or tail[m.start() - 1] not in ".…" else self._suffix(string)
        return self._suffix(string)

    def split(self, chunk: str, specials: bool = True) -> list[str]:
        """spaCy's Tokenizer._split_affixes then _attach_tokens, for one whitespace-free chunk."""
        special = self.special if specials else {}
        prefixes: list[str] = []
        suffixes: list[str] = []
        string = chunk
        last = -1
        while string and len(string) != last:
            if string in special:
                break
            last = len(string)
            m = self.prefix(string)
            pre = m.end() - m.start() if m else 0
            if pre and string[pre:] in special:
                prefixes.append(string[:pre])
                string = string[pre:]
                break
            m = self.suffix(string[pre:])
            suf = m.end() - m.start() if m else 0
            if suf and string[:-suf] in special:
                suffixes.append(string[-suf:])
                string = string[:-suf]
                break
            if pre and suf and pre + suf <= len(string):
                prefixes.append(string[:pre])
                suffixes.append(string[-suf:])
                string = string[pre:-suf]
            elif pre:
                prefixes.append(string[:pre])
                string = string[pre:]
            elif suf:
                suffixes.append(string[-suf:])
                string = string[:-suf]
            if string in special:
                break
        middle: list[str] = []
        if string:
            if string in special:
                middle = list(special[string])
            elif self.url(string):
                middle = [string]
            else:
                start = 0
                for m in self.infix(string):
                    if m.start() == 0:
                        continue
                    if m.start() != start:
                        middle.append(string[start : m.start()])
                    if m.start() != m.end():
                        middle.append(m.group())
                    start = m.end()
                if start < len(string):
                    middle.append(string[start:])
        pieces = prefixes + middle + suffixes[::-1]
        return self._merge(pieces) if specials and len(pieces) > 1 else pieces

    def _merge(self, pieces: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(pieces):
            if pieces[i] not in self.starts:
                out.append(pieces[i])
                i += 1
                continue
            for n in range(min(self.longest, len(pieces) - i), 1, -1):
                found = self.merges.get(tuple(pieces[i : i + n]))
                if found is not None:
                    out.extend(found)
                    i += n
                    break
            else:
                out.append(pieces[i])
                i += 1
        return out


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules()


def split_chunk(chunk: str) -> list[str]:
    """One whitespace-free chunk as spaCy's English tokenizer splits it (see the module doc)."""
    return _rules().split(chunk)


# The marks a token may consist of and still not count as a word: the reference implementation's
# list (datatrove's PUNCTUATION, Apache-2.0: ASCII and CJK punctuation, a few dashes, quotes and
# arrows, and control characters) with the terminal punctuation above, so word counts agree with
# it. Other symbols ('•', '©', '─') count as words there, and so here.
_SYMBOLS = (
    frozenset("!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»")
    | frozenset(map(chr, [*range(0, 9), *range(11, 32), *range(127, 160)]))
    | TERMINAL_PUNCTUATION
)


def _is_symbol_char(ch: str) -> bool:
    return ch in _SYMBOLS


class Vocab:
    """Token ids, lengths and kinds for one process, with each distinct chunk split once.

    Bounded: past ``max_chunks`` remembered chunks the chunk memo is cleared (token ids stay, so
    ids are stable for the life of the process; they never leave it).
    """

    def __init__(self, max_chunks: int = 1_000_000) -> None:
        self.max_chunks = max_chunks
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.chunks: _Chunks = _Chunks(self)
        self._size = 0
        self._length = np.zeros(1024, dtype=np.int64)
        self._symbol = np.zeros(1024, dtype=bool)
        self._alpha = np.zeros(1024, dtype=bool)
        self._special = _rules().special

    def token(self, tok: str) -> int:
        i = self.ids.get(tok)
        if i is None:
            i = self.ids[tok] = self._size
            self.names.append(tok)
            if i == len(self._length):  # grow by doubling: appends stay amortised O(1)
                self._length = np.resize(self._length, 2 * i)
                self._symbol = np.resize(self._symbol, 2 * i)
                self._alpha = np.resize(self._alpha, 2 * i)
            self._length[i] = len(tok)
            self._symbol[i] = all(map(_is_symbol_char, tok))
            self._alpha[i] = any(ch.isalpha() for ch in tok)
            self._size += 1
        return i

    def chunk(self, chunk: str) -> tuple[int, ...]:
        if len(self.chunks) >= self.max_chunks:
            self.chunks.clear()
        ids = tuple(map(self.token, self.split(chunk)))
        dict.__setitem__(self.chunks, chunk, ids)
        return ids

    def split(self, chunk: str) -> list[str]:
        """``split_chunk``, with the shapes most chunks have decided without the affix patterns."""
        if chunk in self._special:
            return split_chunk(chunk)
        if chunk.isalpha() or _WHOLE.fullmatch(chunk):
            return [chunk]
        m = _EDGED.fullmatch(chunk)
        if m is None:
            return split_chunk(chunk)
        before, core, after, period = m.groups()
        special = self._special
        if core in special or (before and before[-1] + core in special):
            return split_chunk(chunk)
        if period and not after:
            last = core.rpartition("-")[2]
            if len(last) < 2 or not last[-1].islower() or last + "." in special:
                return split_chunk(chunk)  # "A.", "x.", "Jan.": special cases or abbreviations
        pieces = [*before, *_HYPHEN.split(core), *after, *period]
        return _rules()._merge(pieces) if len(after) + len(period) > 1 or len(before) > 1 else pieces

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per token id: length, all-symbols, has-a-letter (views; valid until the next new token)."""
        n = self._size
        return self._length[:n], self._symbol[:n], self._alpha[:n]


# Shapes whose split the affix rules would give anyway (a test checks these shortcuts against the
# full rules on every distinct chunk of bench documents): kept whole, ASCII letters joined by
# '_' or followed by digits, options like "--all", dotted numbers; letters (hyphen-joined: split at
# each hyphen) between opening and closing marks, each its own token, and a final period.
_WHOLE = re.compile(r"[A-Za-z][A-Za-z_]*[A-Za-z]|(?:[A-Za-z][A-Za-z_]*)?[0-9]+|-+[a-z]+|[0-9]+(?:\.[0-9]+)+")
_EDGED = re.compile(r"([(\"“‘$*\[{<]*)([A-Za-z]+(?:-[A-Za-z]+)*)([)\"”’,;:!?\]}*>]*)(\.?)")
_HYPHEN = re.compile(r"(-)")


class _Chunks(dict):
    """chunk -> token ids; a chunk not yet seen is split on first look-up (``map`` stays in C)."""

    def __init__(self, vocab: Vocab) -> None:
        super().__init__()
        self.vocab = vocab

    def __missing__(self, chunk: str) -> tuple[int, ...]:
        return self.vocab.chunk(chunk)


@dataclass
class Words:
    """A document's tokens as ids into the process's Vocab, with what the signals need of them."""

    ids: np.ndarray  # int64 token ids, in order
    length: np.ndarray  # characters per token
    symbol: np.ndarray  # token is all punctuation / symbols
    alpha: np.ndarray  # token has at least one letter
    vocab: Vocab
    segmenter: str = "spacy-en-rules"

    def __len__(self) -> int:
        return len(self.ids)

    def tokens(self) -> list[str]:
        names = self.vocab.names
        return [names[i] for i in self.ids.tolist()]

    def has_tokens(self, tokens: frozenset[str]) -> int:
        """How many of ``tokens`` occur (as whole tokens, case-sensitive)."""
        wanted = [self.vocab.ids[t] for t in tokens if t in self.vocab.ids]
        return sum(1 for i in wanted if (self.ids == i).any())


_VOCAB = Vocab()


@lru_cache(maxsize=2)
def _segmenter(lang: str) -> tuple[str, Callable[[str], list[str]]] | None:
    try:
        if lang == "zh":
            import rjieba

            return "jieba", rjieba.cut
        if lang == "ja":
            import fugashi

            tagger = fugashi.Tagger()
            return "mecab-unidic", lambda text: [w.surface for w in tagger(text)]
    except (ImportError, RuntimeError):
        return None
    return None


_NO_SPACES = frozenset({"zh", "ja"})
_last: tuple[str, str, Words] | None = None


def words(text: str, lang: str = "en", remember: bool = True) -> Words:
    """The words of ``text``; the last result is remembered, so stages in a row split a text once
    (``remember=False`` for a piece of a text, so the whole text's words stay remembered)."""
    global _last
    key = lang if lang in _NO_SPACES else "en"
    if _last is not None and _last[1] == key and _last[0] is text:
        return _last[2]
    vocab = _VOCAB
    segmenter = "spacy-en-rules"
    if key in _NO_SPACES:
        found = _segmenter(key)
        if found is not None:
            segmenter, cut = found
            ids = [vocab.token(t) for part in text.split() for t in cut(part) if t.strip()]
        else:
            segmenter = "characters"
            ids = [vocab.token(ch) for ch in text if not ch.isspace()]
        array = np.array(ids, dtype=np.int64)
    else:
        parts = map(vocab.chunks.__getitem__, text.split())
        array = np.fromiter(chain.from_iterable(parts), dtype=np.int64)
    length, symbol, alpha = vocab.arrays()
    result = Words(array, length[array], symbol[array], alpha[array], vocab, segmenter)
    if remember:
        _last = (text, key, result)
    return result
