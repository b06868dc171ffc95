"""Engines run one Pipeline over its inputs into a dataset. ``local`` is the default; ``ray`` needs
the ``ray`` extra (``pip install corpus[ray]``)."""

from __future__ import annotations

from typing import Any

from corpus.errors import ConfigError

ENGINES = ("local", "ray")


def run_build(pipeline: Any, **overrides: Any) -> Any:
    engine = overrides.pop("engine", None) or pipeline.settings.engine
    address = overrides.pop("address", None)
    if engine == "local":
        if address:
            raise ConfigError("--address is an option of engine ray; this build uses engine local")
        from corpus.engines.local import run_build as run_local

        return run_local(pipeline, **overrides)
    if engine == "ray":
        try:
            import ray.data  # noqa: F401
        except ImportError:
            raise ConfigError("engine ray needs Ray Data: pip install 'corpus[ray]'") from None
        from corpus.engines.ray.engine import run_build as run_ray

        return run_ray(pipeline, address=address, **overrides)
    raise ConfigError(f"engine: unknown engine {engine!r}; available: {', '.join(ENGINES)}")
