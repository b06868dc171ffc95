"""Third-party stages: entry points of the ``corpus.stages`` group, found once, imported on use.

An installed package offers a stage by naming its class in its pyproject.toml::

    [project.entry-points."corpus.stages"]
    my_stage = "my_pkg.stages:MyStage"

The entry point's name is the name a config gives the stage; it loads a ``corpus.Stage``
subclass whose ``name`` is that name, whose ``OPTIONS`` are checked like a built-in stage's.

- Entry points are read once per process, the first time a name is not a built-in one or the
  stages are listed; a config of built-in stages never reads them.
- A plugin is imported when a config names it (or ``corpus stages`` lists it), so one that fails
  to import breaks only the configs that use it, with one line naming its package and the error.
- A built-in name always means the built-in stage: a plugin under that name is ignored, with a
  warning naming its package. A config's meaning must not change because some package got
  installed; refusing to start would break every build for a package nobody asked to use.
- Two installed packages offering the same name: using it is an error naming both (no silent pick).
- Workers never look plugins up: a stage is pickled as a reference to its class (module and
  name), which a worker imports as it imports a built-in stage's module. A plugin must be
  installed wherever workers run (on every Ray node, as corpus itself is).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from corpus.errors import ConfigError

GROUP = "corpus.stages"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plugin:
    """One entry point of the ``corpus.stages`` group."""

    name: str
    target: str  # "module:Class", the entry point's value
    package: str  # the distribution that declares it, "corpus-plugin-example 0.1"
    entry_point: Any = field(compare=False, repr=False)

    def describe(self) -> str:
        return f"package {self.package}, entry point {self.name} = {self.target}"


_found: dict[str, list[Plugin]] | None = None
_loaded: dict[str, type] = {}


def _package(entry_point: Any) -> str:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return "an unknown package"
    return f"{dist.metadata['Name'] or dist.name} {dist.version}"


def found(builtin: Collection[str]) -> dict[str, list[Plugin]]:
    """Every plugin stage by name (read once per process), those under a ``builtin`` name left out."""
    global _found
    if _found is None:
        plugins: dict[str, list[Plugin]] = {}
        for ep in metadata.entry_points(group=GROUP):
            plugin = Plugin(ep.name, ep.value, _package(ep), ep)
            if ep.name in builtin:
                log.warning(
                    "stage %r from %s ignored: %r is a built-in stage, which a config naming it gets",
                    ep.name,
                    plugin.describe(),
                    ep.name,
                )
                continue
            same = plugins.setdefault(ep.name, [])
            if plugin not in same:
                same.append(plugin)
        _found = plugins
    return _found


def forget() -> None:
    """Read the entry points again on the next look-up (after installing a package in a running
    process, or in tests that put a package on sys.path and take it away)."""
    global _found
    _found = None
    _loaded.clear()


def origin(name: str, builtin: Collection[str]) -> str | None:
    """``"corpus-plugin-example 0.1"``: the package a plugin stage comes from; None for any other name."""
    plugins = found(builtin).get(name)
    return ", ".join(p.package for p in plugins) if plugins else None


def load(name: str, builtin: Collection[str]) -> type | None:
    """The plugin stage class named ``name``; None when no plugin has that name; ConfigError when
    the plugin is not usable (fails to import, is not a Stage, is offered by two packages)."""
    if name in _loaded:
        return _loaded[name]
    plugins = found(builtin).get(name)
    if not plugins:
        return None
    if len(plugins) > 1:
        both = "; ".join(p.describe() for p in plugins)
        raise ConfigError(
            f"stage {name!r} is offered by {len(plugins)} installed packages ({both}); uninstall all but one"
        )
    (plugin,) = plugins
    try:
        obj = plugin.entry_point.load()
    except Exception as exc:
        raise ConfigError(
            f"stage {name!r} ({plugin.describe()}) failed to import: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    _loaded[name] = _check(plugin, obj)
    return _loaded[name]


def _check(plugin: Plugin, obj: Any) -> type:
    from corpus.stages.base import Stage

    if not (isinstance(obj, type) and issubclass(obj, Stage)):
        what = f"class {obj.__qualname__}" if isinstance(obj, type) else f"{type(obj).__name__} {obj!r:.60}"
        raise ConfigError(
            f"stage {plugin.name!r} ({plugin.describe()}) loads {what}, not a subclass of corpus.Stage"
        )
    if obj.name != plugin.name:
        raise ConfigError(
            f"stage {plugin.name!r} ({plugin.describe()}) loads {obj.__qualname__}, whose name is "
            f"{obj.name!r}; the entry point must be named as the stage is"
        )
    return obj


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "(no message)"
