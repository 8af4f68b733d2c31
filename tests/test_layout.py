"""The shape of the code, read statically with `ast` (nothing is imported): no import cycle, the engine's
layers, no Streamlit in the engine, no sys.path tricks.

Imports are collected at any depth (function-level and `if TYPE_CHECKING:` imports included): a deferred
import that would close a cycle or cross a layer is the same design problem, only hidden until it runs.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# explorer's sub-packages, lowest first: each may import only from itself and those before it. The top-level
# modules (explorer/__init__.py, cli.py, __main__.py) may import any of them.
LAYERS = ("game", "metrics", "plots", "runs", "lessons", "sweeps", "notebook", "bench")
TOP = len(LAYERS)
# Leaves below every layer: modules that import nothing from explorer, so any layer may use them (the labels
# people read).
LEAVES = ("explorer.names",)
APP_SOURCES = ("explorer", "app", "pages")
NOT_SOURCE = {".git", ".venv", "venv", "build", "dist", "__pycache__", "test-output", ".ruff_cache",
              ".pytest_cache", ".ipynb_checkpoints", "node_modules", "runs", "data"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    """{module name: file} for explorer/, app/, pages/ and streamlit_app.py."""
    files = [p for d in APP_SOURCES for p in sorted((ROOT / d).rglob("*.py")) if "__pycache__" not in p.parts]
    files.append(ROOT / "streamlit_app.py")
    return {module_name(p): p for p in files}


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, str | None]]:
    """(line, absolute module, imported name or None) for every import statement anywhere in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                yield node.lineno, base, alias.name


def resolve(target: str, name: str | None, known: set[str]) -> str | None:
    """The project module an import runs: `from a.b import c` is module a.b.c if that exists, else a.b."""
    candidates = [f"{target}.{name}"] if name and name != "*" else []
    parts = target.split(".")
    candidates += [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    return next((c for c in candidates if c in known), None)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], int], dict[str, list[tuple[int, str]]]]:
    """(edges between project modules, line of each edge, every import's (line, top-level name) per module)."""
    files = project_files()
    known = set(files)
    edges: dict[str, set[str]] = {m: set() for m in files}
    lines: dict[tuple[str, str], int] = {}
    raw: dict[str, list[tuple[int, str]]] = {m: [] for m in files}
    for module, path in files.items():
        for lineno, target, name in imported_names(parse(path), module, path.name == "__init__.py"):
            raw[module].append((lineno, target))
            dest = resolve(target, name, known)
            if dest is not None and dest != module:
                edges[module].add(dest)
                lines.setdefault((module, dest), lineno)
    return edges, lines, raw


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None (iterative DFS, grey/black colouring)."""
    colour: dict[str, int] = {}  # absent: unseen, 1: on the current path, 2: done
    for start in sorted(edges):
        if start in colour:
            continue
        path, stack = [start], [iter(sorted(edges[start]))]
        colour[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
            elif colour.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in colour:
                colour[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return None


def layer(module: str) -> int | None:
    """explorer.<sub-package>.* -> its index in LAYERS; a leaf -> -1; explorer's other top-level modules -> TOP;
    else None."""
    parts = module.split(".")
    if parts[0] != "explorer":
        return None
    if module in LEAVES:
        return -1
    if len(parts) > 1 and (ROOT / "explorer" / parts[1]).is_dir():
        return LAYERS.index(parts[1]) if parts[1] in LAYERS else -1
    return TOP


def test_the_graph_is_read():
    """Guard against a vacuous pass: edges known to exist are found."""
    edges, _, _ = import_graph()
    assert "explorer.game.config" in edges["explorer.cli"]
    assert "explorer.runs.runner" in edges["explorer"]
    assert any(m.startswith("app.") for m in edges["streamlit_app"])


def test_imports_are_collected_at_any_depth():
    src = ("import a.b\nfrom . import c\nfrom ..d import e\n"
           "def f():\n    from g import h\n\n"
           "class K:\n    def m(self):\n        if True:\n            import i.j as k\n")
    got = list(imported_names(ast.parse(src), "pkg.sub.mod", is_package=False))
    assert got == [(1, "a.b", None), (2, "pkg.sub", "c"), (3, "pkg.d", "e"), (5, "g", "h"), (10, "i.j", None)]


def test_find_cycle_reports_the_path():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    assert resolve("explorer.game", "config", {"explorer.game", "explorer.game.config"}) == "explorer.game.config"
    assert resolve("explorer.game", "TrainConfig", {"explorer.game", "explorer.game.config"}) == "explorer.game"


def test_no_import_cycle():
    edges, lines, _ = import_graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {lines[a, b]})" for a, b in zip(cycle, cycle[1:], strict=False)) + f" -> {cycle[-1]}"


def test_explorer_subpackages_are_known_layers():
    subpackages = sorted(p.name for p in (ROOT / "explorer").iterdir() if (p / "__init__.py").exists())
    unknown = [s for s in subpackages if s not in LAYERS]
    assert not unknown, f"explorer/{unknown[0]}/ is a new sub-package: place it in LAYERS in tests/test_layout.py"


def test_explorer_layers_import_only_downwards():
    edges, lines, _ = import_graph()
    wrong = []
    for module, targets in sorted(edges.items()):
        mine = layer(module)
        if mine is None:
            continue
        for dest in sorted(targets):
            theirs = layer(dest)
            if theirs is None:
                wrong.append(f"{module} imports {dest} (line {lines[module, dest]}): the engine imports no app code")
            elif mine < TOP and theirs > mine:
                wrong.append(f"{module} imports {dest} (line {lines[module, dest]}): layers are "
                             f"{' < '.join(LAYERS)} < explorer's top-level modules")
    assert not wrong, "\n".join(wrong)


def test_the_leaves_import_nothing_from_explorer():
    edges, _, _ = import_graph()
    for leaf in LEAVES:
        assert leaf in edges, f"{leaf} is not found"
        assert not [t for t in edges[leaf] if t.startswith("explorer")], f"{leaf} must import nothing from explorer"


def test_explorer_never_imports_streamlit():
    _, _, raw = import_graph()
    found = [f"{m.replace('.', '/')}.py:{line}: {target}" for m, imports in raw.items() if layer(m) is not None
             for line, target in imports if target.split(".")[0] == "streamlit"]
    assert not found, "the engine must not import Streamlit:\n" + "\n".join(found)


def repo_python_sources() -> Iterator[tuple[Path, str]]:
    """(file, Python source) for every .py in the repository and every notebook's code cells."""
    stack = [ROOT]
    while stack:
        folder = stack.pop()
        for p in sorted(folder.iterdir()):
            if p.is_dir():
                if p.name not in NOT_SOURCE and not p.name.endswith(".egg-info"):
                    stack.append(p)
            elif p.suffix == ".py":
                yield p, p.read_text(encoding="utf-8")
            elif p.suffix == ".ipynb":
                cells = json.loads(p.read_text(encoding="utf-8")).get("cells", [])
                code = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                        for c in cells if c.get("cell_type") == "code"]
                # IPython magics and shell lines are not Python: blank them, keeping line numbers
                yield p, "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln
                                   for ln in "\n\n".join(code).splitlines())


def sys_path_edits(tree: ast.AST) -> list[int]:
    """Lines that change sys.path: sys.path.insert/append/..., assigning it, `from sys import path`, addsitedir."""
    sys_names = {"sys"} | {a.asname for n in ast.walk(tree) if isinstance(n, ast.Import)
                           for a in n.names if a.name == "sys" and a.asname}

    def is_sys_path(node: ast.AST) -> bool:
        if isinstance(node, ast.Subscript):
            node = node.value
        return (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
                and node.value.id in sys_names)

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if is_sys_path(node.func.value) or node.func.attr == "addsitedir":
                if node.func.attr in {"insert", "append", "extend", "remove", "pop", "clear", "addsitedir"}:
                    found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "addsitedir":
            found.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            if any(is_sys_path(t) for t in targets):
                found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(a.name == "path" for a in node.names):
            found.append(node.lineno)
    return sorted(found)


def test_sys_path_edits_are_detected():
    src = ("import sys\nimport sys as s\nimport site\nsys.path.insert(0, '.')\ns.path.append('x')\n"
           "sys.path[:0] = ['y']\nsys.path += ['z']\nsite.addsitedir('w')\nfrom sys import path\n"
           "print(sys.path)\nx = [p for p in sys.path]\n")
    assert sys_path_edits(ast.parse(src)) == [4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_no_sys_path_manipulation(kind):
    """Imports work from the repository root (pytest.ini's pythonpath, `pip install -e .`), never by editing
    sys.path."""
    found = []
    for path, source in repo_python_sources():
        if path.suffix == f".{kind}":
            found += [f"{path.relative_to(ROOT)}:{line}" for line in sys_path_edits(ast.parse(source, str(path)))]
    assert not found, "sys.path is changed at:\n" + "\n".join(found)
