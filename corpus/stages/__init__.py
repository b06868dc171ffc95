"""Per-document stages and the registry that maps config names to them.

Built-in stages are listed below; ``register`` adds one in-process; installed packages add
theirs through entry points of the ``corpus.stages`` group (``corpus.stages.plugins``), read the
first time a name is not found here or the stages are listed.

>>> from corpus import stages
>>> "fix_encoding" in stages.available()
True
>>> stages.build("no_such_stage")
Traceback (most recent call last):
...
corpus.errors.ConfigError: unknown stage 'no_such_stage'; available: ...
"""

from __future__ import annotations

import importlib
from typing import Any

from corpus.errors import ConfigError
from corpus.stages import plugins
from corpus.stages.base import Edit, Outcome, Stage

# name -> "module:Class". Imported lazily so `import corpus` stays light.
_REGISTRY: dict[str, str] = {
    "fix_encoding": "corpus.stages.encoding:FixEncoding",
    "strip_boilerplate": "corpus.stages.boilerplate:StripBoilerplate",
    "normalize_handles": "corpus.stages.handles:NormalizeHandles",
    "detect_language": "corpus.stages.language:DetectLanguage",
    "gopher_quality": "corpus.stages.quality:GopherQuality",
    "gopher_repetition": "corpus.stages.quality:GopherRepetition",
    "c4_quality": "corpus.stages.quality:C4Quality",
    "fineweb_quality": "corpus.stages.quality:FineWebQuality",
    "mask_pii": "corpus.stages.pii:MaskPII",
    "exact_dedup": "corpus.dedup.exact:ExactDedup",
    "repeated_lines": "corpus.dedup.lines:RepeatedLines",
    "near_dedup": "corpus.dedup.near:NearDedup",
}
_CLASSES: dict[str, str] = {target.split(":")[1]: target for target in _REGISTRY.values()}
# Names a plugin cannot take (``corpus.stages.plugins`` says why).
BUILTIN: frozenset[str] = frozenset(_REGISTRY)

__all__ = ["Edit", "Outcome", "Stage", "available", "build", "get", "origin", "register", *_CLASSES]


def available() -> list[str]:
    """Every stage name: built-in, registered, and offered by installed packages (plugins)."""
    return sorted({*_REGISTRY, *plugins.found(BUILTIN)})


def origin(name: str) -> str | None:
    """The installed package a plugin stage comes from (``"corpus-plugin-example 0.1"``), else None.

    >>> origin("fix_encoding") is None
    True
    """
    return None if name in _REGISTRY else plugins.origin(name, BUILTIN)


def register(name: str, target: type | str) -> None:
    """Add a stage under ``name``: a class, or "module:Class" imported on first use."""
    if isinstance(target, type):
        target = f"{target.__module__}:{target.__qualname__}"
    _REGISTRY[name] = target


def unregister(name: str) -> None:
    """Remove the stage registered under ``name`` (tests add stages of their own and remove them)."""
    try:
        del _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown stage {name!r}; available: {', '.join(available())}") from None


def get(name: str) -> type:
    """The stage class registered under ``name``, or the plugin's of that name (imported now)."""
    target = _REGISTRY.get(name)
    if target is None:
        cls = plugins.load(name, BUILTIN)
        if cls is None:
            raise ConfigError(f"unknown stage {name!r}; available: {', '.join(available())}")
        return cls
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def build(name: str, **config: Any) -> Any:
    """Build the stage registered as ``name`` with its config; unknown options raise ConfigError."""
    return get(name)(**config)


def __getattr__(attr: str) -> Any:
    if attr in _CLASSES:
        module, _, cls = _CLASSES[attr].partition(":")
        return getattr(importlib.import_module(module), cls)
    raise AttributeError(f"module 'corpus.stages' has no attribute {attr!r}")
