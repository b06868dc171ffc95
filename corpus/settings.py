"""The typed, immutable form of a validated build config: what engines and writers read.

``BuildConfig.from_dict`` takes the config ``corpus.config.load`` validated; every value a
config leaves out comes from the schema's defaults (``corpus.config.default``), the one place
they are written. Nothing here can be changed after construction; ``to_dict()`` gives a fresh
copy of the config as recorded (for the manifest, its hash and the work folder).

>>> from corpus.config import validate
>>> config = {"input": {"paths": ["a.txt"]}, "stages": [], "output": {"path": "out"}}
>>> cfg = BuildConfig.from_dict(validate(config))
>>> cfg.checkpoint_docs, cfg.batch_size, cfg.output.min_chars, cfg.output.allow_empty
(10000, 256, 1, False)
>>> cfg.batch_size = 1
Traceback (most recent call last):
...
dataclasses.FrozenInstanceError: cannot assign to field 'batch_size'
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from corpus.config import default


@dataclass(frozen=True)
class OutputConfig:
    """``output:`` of a config."""

    path: str | None
    split: str
    splits: Any
    max_shard_rows: int
    max_shard_size: Any
    compression: str
    format: str
    partition_by: str | None
    overwrite: bool
    min_chars: int
    min_words: int
    allow_empty: bool
    count_tokens: str | bool  # "sample", "exact" (or true), false: corpus.report.tokens.method

    @classmethod
    def from_dict(cls, out: dict[str, Any]) -> OutputConfig:
        def get(key: str) -> Any:
            return out[key] if key in out else _default(f"output.{key}")

        return cls(**{name: get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class BuildConfig:
    """A validated config, typed; ``input`` stays a read-only mapping (the readers' own options)."""

    name: str
    engine: str
    workers: int | str
    batch_size: int
    checkpoint_docs: int
    block_size: int | str
    ray_address: str | None
    input: MappingProxyType | None
    output: OutputConfig | None
    stages: tuple[tuple[str, MappingProxyType], ...]
    _raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> BuildConfig:
        raw = copy.deepcopy(config)

        def get(key: str) -> Any:
            return raw[key] if key in raw else _default(key)

        inp = raw.get("input")
        return cls(
            name=raw.get("name", "corpus build"),
            engine=get("engine"),
            workers=get("workers"),
            batch_size=get("batch_size"),
            checkpoint_docs=get("checkpoint_docs"),
            block_size=get("block_size"),
            ray_address=(raw.get("ray") or {}).get("address"),
            input=MappingProxyType(copy.deepcopy(inp)) if inp is not None else None,
            output=OutputConfig.from_dict(raw["output"]) if "output" in raw else None,
            stages=tuple(
                (name, MappingProxyType(dict(options or {})))
                for item in raw.get("stages", [])
                for name, options in item.items()
            ),
            _raw=raw,
        )

    def __reduce__(self) -> tuple[Any, ...]:  # read-only mappings do not pickle; the dict does
        return (BuildConfig.from_dict, (self._raw,))

    def to_dict(self) -> dict[str, Any]:
        """The config as validated (recorded defaults included), a copy the caller may change."""
        return copy.deepcopy(self._raw)

    @property
    def buildable(self) -> bool:
        """Whether the config says where to read and where to write."""
        return self.input is not None and self.output is not None


def _default(key: str) -> Any:
    try:
        return default(key)
    except KeyError:  # a key the schema gives no default: absent means None
        return None
