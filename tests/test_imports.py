"""No import cycles between the package's modules, lazy or not.

The graph is built from the source with ``ast`` (nothing is imported), and counts:

- every ``import`` / ``from ... import``, at module level and inside functions alike: an import
  moved into a function still makes the two modules depend on each other; it only hides the cycle
  from the interpreter until someone moves it back up (the readers and the web reader imported
  each other that way);
- a ``"corpus.x.y:name"`` string (a registry entry resolved with importlib later) and a literal
  ``importlib.import_module("corpus.x.y")``: the same dependency, written as data.

Not counted: imports under ``if TYPE_CHECKING:`` (never run) and the implicit import of a
module's parent packages (Python runs ``corpus/__init__.py`` before any ``corpus.x``; that is
never a cycle the code can remove). ``from corpus.a import b`` is an edge to ``corpus.a.b`` when
that is a module, else to ``corpus.a`` (its ``__init__``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import corpus

ROOT = Path(corpus.__file__).resolve().parent
_REGISTRY_ENTRY = re.compile(r"^(corpus(?:\.\w+)+):\w+$")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file, for every module of the package at ``root`` (read fresh each time)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` except what sits under ``if TYPE_CHECKING:``."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _resolve(module: str, level: int, name: str | None, is_package: bool) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``module``."""
    if not level:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that ``module`` imports (see the module docstring for what counts)."""
    path = known[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module, path.name == "__init__.py")
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.add(sub if sub in known else source)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            entry = _REGISTRY_ENTRY.match(node.value)
            if entry:
                found.add(entry.group(1))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return {m for m in found if m in known and m != module}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports, for every module under ``root``."""
    known = modules(root)
    return {m: imports_of(m, known) for m in known}


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    members.append(top)
                    if top == node:
                        break
                if len(members) > 1:
                    out.append(sorted(members))
    return out


def _a_cycle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """One shortest cycle through the first module of a component, to name in a failure."""
    inside = set(members)
    start = members[0]
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for child in sorted(graph[node] & inside):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                todo.append(child)
    return members  # pragma: no cover - a component always has a cycle


def cycles(prefix: str = "corpus") -> list[str]:
    """Each group of modules that import each other and touches ``prefix``: one cycle through it
    as "a -> b -> a", then every import inside the group (what to cut to break it)."""
    graph = import_graph()
    found = []
    for members in _components(graph):
        if any(m == prefix or m.startswith(prefix + ".") for m in members):
            edges = [f"    {m} imports {', '.join(sorted(graph[m] & set(members)))}" for m in members]
            found.append("\n".join([" -> ".join(_a_cycle(graph, members)), *edges]))
    return found


def test_the_graph_sees_lazy_imports_and_registry_strings(tmp_path):
    # The checker itself, on a package made up here: a function-level import, a registry string
    # and importlib are edges; a TYPE_CHECKING import and a docstring naming a module are not.
    pkg = tmp_path / "corpus"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Mentions corpus.a, no import."""\nfrom corpus.sub import b\n')
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text('REGISTRY = {"x": "corpus.a:f"}\n')
    (pkg / "sub" / "b.py").write_text(
        "import importlib\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import corpus.a\n"
        'def g():\n    return importlib.import_module("corpus.sub")\n'
    )
    graph = import_graph(pkg)
    assert graph == {
        "corpus": {"corpus.sub.b"},
        "corpus.a": {"corpus.sub.b"},
        "corpus.sub": {"corpus.a"},
        "corpus.sub.b": {"corpus.sub"},
    }
    assert _components(graph) == [["corpus.a", "corpus.sub", "corpus.sub.b"]]
    assert _a_cycle(graph, ["corpus.a", "corpus.sub", "corpus.sub.b"])[0::3] == ["corpus.a", "corpus.a"]
    fake = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _components(fake) == [["a", "b", "c"]]
    assert _a_cycle(fake, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_the_readers_import_nothing_back():
    # The format modules and base never import the dispatcher or the package's __init__.
    graph = import_graph()
    for name in ("base", "text", "table", "web", "listing", "compression", "decoding"):
        module = f"corpus.io.read.{name}"
        back = graph[module] & {"corpus.io.read", "corpus.io.read.readers"}
        assert not back, f"{module} imports {sorted(back)}"


@pytest.mark.parametrize("prefix", ["corpus.io", "corpus"])
def test_no_import_cycles(prefix):
    found = cycles(prefix)
    assert not found, f"import cycles through {prefix}:\n" + "\n".join(found)
