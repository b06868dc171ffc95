"""The ``normalize_handles`` stage: keep, mask, strip or resolve social-media handles (@name).

A thin wrapper around ``corpus.text.handles.normalize_handles`` (the recognition rules are
documented there, resolving in ``corpus.text.handle_names``). ``mapping`` is a dict
handle -> name or the path of a .json / .yaml / .yml / .tsv file of them, read in ``setup()``
(once per worker; the file need not exist when the stage is built).

>>> stage = NormalizeHandles(mode="strip")
>>> out = stage.apply(Document("1", "Foreign Minister @ZMnatsakanyan said"))
>>> out.doc.text, out.counts
('Foreign Minister ZMnatsakanyan said', {'handles.found': 1})
>>> NormalizeHandles(mode="hide")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
corpus.errors.ConfigError: normalize_handles.mode: expected one of keep, mask, strip, resolve; got 'hide' ...
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import ClassVar

from corpus.document import Document
from corpus.errors import ConfigError
from corpus.options import Option, describe_value
from corpus.stages.base import Outcome, Stage
from corpus.text.handles import FALLBACKS, MODES, HandleRewriter, normalise_mapping

_WHERE = "normalize_handles.mapping"


class NormalizeHandles(Stage):
    """Keep, mask, strip or resolve social-media handles (@name) in the text."""

    name = "normalize_handles"
    OPTIONS: ClassVar[dict[str, Option]] = {
        "mode": Option("mask", "what to do with each handle", choices=MODES),
        "mask_token": Option("@USER", "what mask writes (itself never taken for a handle)", kind=str),
        "mapping": Option(None, "resolve: handle -> name, or a .json/.yaml/.yml/.tsv file of them"),
        "fallback": Option("mask", "resolve: what to do when no name is found", choices=FALLBACKS),
        "max_length": Option(32, "longest handle name; a longer @run is not a handle", kind=int, min=1),
    }

    def configure(self) -> None:
        mapping = self.mapping
        if mapping is not None and not isinstance(mapping, (Mapping, str, PathLike)):
            raise ConfigError(
                f"{_WHERE}: expected a mapping handle -> name, a file path or null; "
                f"got {describe_value(mapping)}"
            )
        if isinstance(mapping, Mapping):
            normalise_mapping(mapping, _WHERE)  # fail early on a bad entry

    def setup(self) -> None:
        if "_rewrite" not in self.__dict__:
            options = {**self._options, "mapping": load_mapping(self.mapping)}
            self._rewrite = HandleRewriter(**options)

    def apply(self, doc: Document) -> Outcome:
        text = doc.text
        if "@" not in text and "＠" not in text:
            return Outcome(doc)
        self.setup()
        new_text, edits, counts = self._rewrite(text)
        if new_text == text:
            return Outcome(doc, counts=counts)
        return Outcome(dataclasses.replace(doc, text=new_text), edits=edits, counts=counts)


def load_mapping(source: Mapping[str, str] | str | PathLike[str] | None) -> dict[str, str]:
    """A handle -> name mapping from a dict or a .json / .yaml / .yml / .tsv file (lower-cased keys)."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        return normalise_mapping(source, _WHERE)
    path = Path(source)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{_WHERE}: cannot read {str(path)!r}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(raw)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(raw) or {}
        elif suffix in (".tsv", ".txt"):
            rows = [
                line.split("\t") for line in raw.splitlines() if line.strip() and not line.startswith("#")
            ]
            if any(len(r) != 2 for r in rows):
                raise ConfigError(f"{_WHERE}: {str(path)!r}: every line must be 'handle<TAB>name'")
            data = {r[0].strip(): r[1].strip() for r in rows}
        else:
            raise ConfigError(f"{_WHERE}: {str(path)!r}: unknown file type; use .json, .yaml, .yml or .tsv")
    except (ValueError, ImportError) as exc:  # json.JSONDecodeError and yaml.YAMLError wrap here
        raise ConfigError(f"{_WHERE}: cannot parse {str(path)!r}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_WHERE}: {str(path)!r} must hold one handle -> name mapping")
    return normalise_mapping(data, _WHERE)
