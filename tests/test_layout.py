"""The package layering: no import circles between modules, and no import of a later layer.

Every module of the project packages is parsed with `ast` (imports inside functions count: a
lazy import is still a dependency, only a deferred one), which gives the module import graph.

Layers, each importing only itself and earlier ones:

    common < generators < verifiers < storage < serg < training < pipelines < flows < cli

storage sits above verifiers and generators because importing a published benchmark
(storage/exchange.py) parses official states and scores the reference answers with the verifiers;
serg drives generators' solvers and the verifiers; training reads the store and rewards with the
verifiers; pipelines are the plain build, benchmark, evaluation and export functions; flows compose
them with Prefect and Ray; cli calls both. verifiers never import generators, although generators
come first: a verifier judges an answer from the exported state alone. Prefect and Ray belong in
flows/: pipelines/ and cli/ import neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("common", "generators", "verifiers", "storage", "serg", "training", "pipelines", "flows", "cli")
FORBIDDEN = {("verifiers", "generators")}  # (importer, imported) pairs the layer order would allow
PLAIN = ("pipelines", "cli")  # no Prefect, no Ray
ORCHESTRATION = ("prefect", "ray")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the layered packages under `root`."""
    found = {}
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(name: str, path: Path, known: set[str]) -> set[str]:
    """Every name `path` imports, anywhere in it, relative imports resolved: the module for
    `from package import module` (a module of `known`), else the module imported from."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return names


def graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(project module -> project modules it imports, project module -> outside names it imports)."""
    found = modules(root)
    edges: dict[str, set[str]] = {}
    outside: dict[str, set[str]] = {}
    for name, path in found.items():
        edges[name], outside[name] = set(), set()
        for target in imported_names(name, path, set(found)):
            # `from storage.shards import resolve_root` names storage.shards: the longest project
            # module the name starts with
            module = target
            while module and module not in found:
                module = module.rpartition(".")[0]
            if module and module != name:
                edges[name].add(module)
            elif not module:
                outside[name].add(target)
    return edges, outside


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that returns to its start) per strongly connected component of more than
    one module, or of a module that imports itself (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    components.append(component)
    return [_cycle_in(component, edges) for component in components]


def _cycle_in(component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first back to it)."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges[node] & component):
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for importer, targets in sorted(edges.items()):
        low = importer.split(".")[0]
        for target in sorted(targets):
            high = target.split(".")[0]
            if LAYERS.index(high) > LAYERS.index(low):
                problems.append(f"{importer} imports {target}: {high} is a later layer than {low}")
            elif (low, high) in FORBIDDEN:
                problems.append(f"{importer} imports {target}: {low} must never import {high}")
    return problems


def test_no_import_circles_between_modules():
    found = cycles(graph()[0])
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_module_imports_a_later_layer():
    problems = layer_violations(graph()[0])
    assert not problems, "\n".join(problems)


def test_plain_packages_import_neither_prefect_nor_ray():
    _, outside = graph()
    problems = [f"{module} imports {name}" for module, names in sorted(outside.items())
                if module.split(".")[0] in PLAIN for name in sorted(names)
                if name.split(".")[0] in ORCHESTRATION]
    assert not problems, "Prefect and Ray belong in flows/:\n" + "\n".join(problems)


def test_the_checks_find_what_they_look_for(tmp_path):
    """The checker itself, on a scratch tree: a circle through a lazy import, a layer inversion,
    a forbidden pair and a relative import are all seen."""
    files = {
        "common/__init__.py": "",
        "common/a.py": "def f():\n    from common import b\n",
        "common/b.py": "from .c import x\n",
        "common/c.py": "import common.a\nx = 1\n",
        "generators/__init__.py": "",
        "generators/g.py": "",
        "verifiers/__init__.py": "",
        "verifiers/v.py": "from generators.g import *\nfrom storage import s\n",
        "storage/__init__.py": "",
        "storage/s.py": "",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    edges, _ = graph(tmp_path)
    assert edges["common.b"] == {"common.c"}
    assert cycles(edges) == [["common.a", "common.b", "common.c", "common.a"]]
    assert layer_violations(edges) == [
        "verifiers.v imports generators.g: verifiers must never import generators",
        "verifiers.v imports storage.s: storage is a later layer than verifiers"]
