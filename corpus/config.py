"""Loading and validating pipeline configs (YAML or dict) against schemas/pipeline.schema.json.

Errors name the key and what was expected, e.g.
``configs/x.yaml: output.max_shard_rows: expected integer >= 1, got 0``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from corpus.errors import ConfigError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with the package (a copy of the repo's schemas/)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


class ConfigLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases (``*name``) and a key given twice in one mapping.

    A config needs no alias, and aliases are how a ten-line "billion laughs" file expands into
    billions of nodes and hangs whoever walks it (validation, the schema check, a reader's options).
    Anchors alone are harmless and allowed. PyYAML keeps the last of two equal keys without a word,
    so a second ``output:`` silently replaced the first; YAML itself says keys are unique.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: the constructor says so
                    continue
                if first is not key_node.start_mark:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"{key!r} is given twice in one mapping (first on line {first.line + 1}); "
                        "say each option once",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not allowed in a config; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _decode(path: Path, raw: bytes) -> str:
    """The config's text; a ConfigError naming the byte offset when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}:{line}: not valid UTF-8 at byte offset {exc.start} "
            f"(byte 0x{raw[exc.start]:02x}); save the config as UTF-8"
        ) from None


def load_yaml(path: str | Path) -> dict[str, Any]:
    """The config file as a dict; every way it can be unreadable is a ConfigError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    text = _decode(path, raw)
    try:
        data = yaml.load(text, Loader=ConfigLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply for a config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with input, stages, output; got {type(data).__name__}")
    return data


# The defaults written into a validated config, in this order (and so recorded in manifests).
RECORDED_DEFAULTS = (
    "engine",
    "workers",
    "batch_size",
    "input.format",
    "input.text_field",
    "input.id_field",
    "input.url_field",
    "input.split",
    "input.encoding_errors",
    "input.max_document_bytes",
    "output.split",
    "output.max_shard_rows",
    "output.compression",
    "output.overwrite",
)


def default(key: str) -> Any:
    """A config key's default, from the pipeline schema (the one place defaults are written).

    >>> default("checkpoint_docs"), default("output.min_chars")
    (10000, 1)
    """
    node: dict[str, Any] = load_schema("pipeline.schema.json")
    for part in key.split("."):
        node = node["properties"][part]
    return node["default"]


def _key_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: Any) -> str:
    validator, expected = error.validator, error.validator_value
    got = json.dumps(error.instance, default=str)
    if len(got) > 60:
        got = got[:57] + "..."
    if validator == "required":
        missing = [k for k in expected if k not in error.instance]
        return f"missing required key {missing[0]!r}"
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown key {extra[0]!r}; expected one of: {', '.join(allowed)}"
    if validator == "enum":
        return f"expected one of {', '.join(map(str, expected))}; got {got}"
    if validator == "type":
        return f"expected {expected}; got {got}"
    if validator == "pattern" and error.schema.get("description"):
        return f"{got} does not match {expected} ({error.schema['description']})"
    if validator in ("minimum", "minItems", "minLength", "maxProperties", "minProperties"):
        return f"expected {validator} {expected}; got {got}"
    return f"{error.message}"


def validate(config: dict[str, Any], *, where: str = "config") -> dict[str, Any]:
    """Validate against the pipeline schema and each stage's options; return a copy with defaults."""
    return load(config, where=where)[0]


def load(config: dict[str, Any], *, where: str = "config") -> tuple[dict[str, Any], list[Any]]:
    """The validated config (a copy, with its recorded defaults) and its stages, built once.

    Defaults come from the schema (``default``). Only those recorded since the first release are
    written into the config a manifest records (``RECORDED_DEFAULTS``), so a build's config hash
    does not change when a new option appears; the others apply where they are read.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("pipeline.schema.json"))
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"{where}: {_key_path(err.absolute_path)}: {_describe(err)}")
    from corpus.io.write.layout import check_output

    check_output(config, where)  # format and compression together, license against the Hub's list
    config = copy.deepcopy(config)
    for key in RECORDED_DEFAULTS:
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node[part]
        node.setdefault(leaf, default(key))
    for i, item in enumerate(config["stages"]):
        ((name, options),) = item.items()
        if options is None:
            config["stages"][i] = {name: {}}
    return config, build_stages(config, where=where)


def build_stages(config: dict[str, Any], *, where: str = "config") -> list[Any]:
    from corpus import stages

    built = []
    for i, item in enumerate(config["stages"]):
        ((name, options),) = item.items()
        key = f"stages[{i}].{name}"
        known = stages.available()
        if name not in known:
            from corpus.options import did_you_mean

            raise ConfigError(
                f"{where}: stages[{i}]: unknown stage {name!r}{did_you_mean(name, known)}; "
                f"available: {', '.join(known)}"
            )
        try:
            cls = stages.get(name)
        except ConfigError as exc:
            raise ConfigError(f"{where}: stages[{i}]: {exc}") from None
        opts = options or {}
        try:
            built.append(cls(**opts))
        except ConfigError as exc:
            msg = str(exc)
            if msg.startswith(f"{name}."):  # a declared option's message: "stage.option: expected ..."
                msg = f"stages[{i}].{msg}"
            elif msg.startswith(f"{name}: "):  # "stage: unknown option ..."
                msg = f"{key}: {msg[len(name) + 2 :]}"
            raise ConfigError(f"{where}: {msg if msg.startswith(key) else key + ': ' + msg}") from None
    return built
