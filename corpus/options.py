"""Declared stage options: one declaration gives the default, the check, the message and the help.

A stage lists its options once, as ``OPTIONS = {name: Option(...)}``. The base ``Stage``
constructor checks every value against its declaration (type, range, choices) and raises one
kind of error, a ``ConfigError`` worded one way::

    detect_language.min_score: expected a number in [0, 1]; got '0.5' (a string)

``corpus stages`` prints the same declarations (type, default, one-line description).

>>> opt = Option(0.0, "drop documents scored under this", kind=float, min=0, max=1)
>>> opt.check("detect_language", "min_score", 0.25)
0.25
>>> opt.check("detect_language", "min_score", "0.5")
Traceback (most recent call last):
...
corpus.errors.ConfigError: detect_language.min_score: expected a number in [0, 1]; got '0.5' (a string)
>>> Option(True, "lower case first", kind=bool).check("exact_dedup", "lowercase", "no")
Traceback (most recent call last):
...
corpus.errors.ConfigError: exact_dedup.lowercase: expected true or false; got 'no' (a string)
>>> Option("keep", "what to do", choices=("keep", "ascii")).describe()
'one of keep, ascii'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from corpus.errors import ConfigError

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
_TYPE_WORDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def describe_value(value: Any) -> str:
    """``'0.5' (a string)``: the value as the user wrote it, and what kind of value it is."""
    shown = json.dumps(value, default=repr, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({_TYPE_WORDS.get(type(value), type(value).__name__)})"


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance`` as a config means it: a bool is not a number, an int is a float."""
    if isinstance(kind, tuple):
        return any(_is(value, k) for k in kind)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


@dataclass(frozen=True)
class Option:
    """One stage option: default, one-line description, and what values it accepts.

    ``kind``: bool, int, float, str, list or dict (the type of the value in YAML); ``items``:
    the kind of a list's items; ``choices``: the allowed values; ``min``/``max``: an inclusive
    range for numbers; ``nullable``: whether null (None) is allowed besides the default.
    """

    default: Any
    doc: str
    kind: type | tuple[type, ...] | None = None  # a tuple: any of these
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    items: type | None = None
    nullable: bool = False

    def _kind(self) -> type | tuple[type, ...] | None:
        if self.kind is not None:
            return self.kind
        if self.choices:
            return type(self.choices[0])
        return None if self.default is None else type(self.default)

    def describe(self) -> str:
        """What the option accepts, as the error messages and ``corpus stages`` say it."""
        if self.choices:
            text = "one of " + ", ".join(map(str, self.choices))
        else:
            kind = self._kind()
            if isinstance(kind, tuple):
                text = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kind)
            elif kind is list:
                text = f"a list of {_NAMES.get(self.items, 'values').removeprefix('a ').removeprefix('an ')}s"
                text = "a list" if self.items is None else text
            else:
                text = _NAMES.get(kind, _TYPE_WORDS.get(kind, "a value"))  # type: ignore[arg-type]
            if self.min is not None and self.max is not None:
                text += f" in [{_num(self.min)}, {_num(self.max)}]"
            elif self.min is not None:
                text += f" >= {_num(self.min)}"
            elif self.max is not None:
                text += f" <= {_num(self.max)}"
        if self.nullable or (self.default is None and not self.choices):
            text += " or null"
        return text

    def check(self, stage: str, name: str, value: Any) -> Any:
        """``value`` when it is acceptable (unchanged: it round-trips to config); else ConfigError."""
        if value is None and (self.nullable or self.default is None):
            return value
        if self.choices is not None:
            if any(value == c and type(value) is type(c) for c in self.choices):
                return value
            return self._fail(stage, name, value)
        kind = self._kind()
        if kind is not None and not _is(value, kind):
            return self._fail(stage, name, value)
        if kind in (int, float):
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                return self._fail(stage, name, value)
        if kind is list and self.items is not None:
            for item in value:
                if not _is(item, self.items):
                    raise ConfigError(
                        f"{stage}.{name}: expected {self.describe()}; got an item {describe_value(item)}"
                    )
        return value

    def _fail(self, stage: str, name: str, value: Any) -> Any:
        raise ConfigError(f"{stage}.{name}: expected {self.describe()}; got {describe_value(value)}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_options(stage: str, declared: Mapping[str, Option], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared option's value (given, else its default), in declaration order; unknown keys fail.

    >>> check_options("s", {"a": Option(1, "x", kind=int, min=1)}, {})
    {'a': 1}
    >>> check_options("s", {"a": Option(1, "x", kind=int, min=1)}, {"b": 2})
    Traceback (most recent call last):
    ...
    corpus.errors.ConfigError: s: unknown option 'b'; expected one of: a
    >>> check_options("s", {"seed": Option(1, "x")}, {"sed": 2})
    Traceback (most recent call last):
    ...
    corpus.errors.ConfigError: s: unknown option 'sed' (did you mean 'seed'?); expected one of: seed
    """
    for key in given:
        if key not in declared:
            known = ", ".join(declared) or "(none)"
            raise ConfigError(
                f"{stage}: unknown option {key!r}{did_you_mean(key, declared)}; expected one of: {known}"
            )
    return {
        name: opt.check(stage, name, given[name]) if name in given else _copy(opt.default)
        for name, opt in declared.items()
    }


def _copy(value: Any) -> Any:
    """A default list or dict is copied so no two stages share one."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'threshold'?)`` for a misspelt name, else "".

    >>> did_you_mean("fix_encodin", ["fix_encoding", "near_dedup"]), did_you_mean("zzz", ["near_dedup"])
    (" (did you mean 'fix_encoding'?)", '')
    """
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def render_options(declared: Mapping[str, Option]) -> list[str]:
    """``corpus stages``: one line per option: name, what it accepts (type, choices or range),
    default, description.

    >>> render_options({"threshold": Option(0.8, "Jaccard at which two are duplicates", min=0, max=1)})
    ['    threshold: a number in [0, 1] (default 0.8). Jaccard at which two are duplicates']
    """
    lines = []
    for name, opt in declared.items():
        default = json.dumps(opt.default, ensure_ascii=False)
        doc = opt.doc.strip() or "(no description)"
        lines.append(f"    {name}: {opt.describe()} (default {default}). {doc}")
    return lines


def stage_summary(cls: type) -> str:
    """The first paragraph of a stage's docstring, on one line (``corpus stages``)."""
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())
