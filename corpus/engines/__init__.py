"""Engines run one Pipeline over its inputs into a dataset. ``local`` is the default."""

from __future__ import annotations

from typing import Any

from corpus.errors import ConfigError


def run_build(pipeline: Any, **overrides: Any) -> Any:
    engine = overrides.pop("engine", None) or pipeline.config.get("engine", "local")
    if engine == "local":
        from corpus.engines.local import run_build as run_local

        return run_local(pipeline, **overrides)
    raise ConfigError(f"engine: unknown engine {engine!r}; available: local")
