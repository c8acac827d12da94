"""The package draws as layers: every import points down (or sideways within a floor), no
module imports itself back through others, and no command imports another command.

Read from the source with :mod:`ast`, function-local imports included: a deferred import is
still an edge of the graph (only the optional heavy libraries are deferred, never our own
layering).
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "rrr_engine"

# floors, ground up; a module may import its own floor and those below
FLOORS = [
    {"errors", "models", "periods", "money", "canonical", "notation", "safe_read",
     "safe_files", "redact", "bundled", "provenance", "sheet_safety", "exits", "rows"},
    {"rules", "hooks"},
    {"core", "defaults"},
    {"engine"},
    {"store"},
    {"governance", "authoring"},
    {"reports", "jobs"},
    {"cli"},
]
FLOOR = {name: n for n, names in enumerate(FLOORS) for name in names}
# the command modules' shared ground; a command module imports none of the others
CLI_SHARED = {"rrr_engine.cli.common", "rrr_engine.cli.main", "rrr_engine.cli.logs",
              "rrr_engine.cli.progress", "rrr_engine.cli.render"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


MODULES = modules()


def imports(path: Path) -> set[str]:
    """The rrr_engine modules ``path`` imports (a name imported from a package that is a
    module of it counts as that module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("rrr_engine"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    out.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rrr_engine"))
    return {m for m in out if m in MODULES}


GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def floor(module: str) -> int:
    parts = module.split(".")
    return FLOOR[parts[1]] if len(parts) > 1 else -1


def test_every_module_has_a_floor():
    assert [m for m in MODULES if m != "rrr_engine" and m.split(".")[1] not in FLOOR] == []


def test_no_relative_import():
    # absolute imports name the layer they reach into, so the graph is legible in each file
    found = [f"{m}:{n.lineno}" for m, p in MODULES.items() for n in ast.walk(ast.parse(
        p.read_text())) if isinstance(n, ast.ImportFrom) and n.level]
    assert found == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "rrr_engine"))
def test_imports_point_down(module):
    up = sorted(i for i in GRAPH[module] if i != "rrr_engine" and floor(i) > floor(module))
    assert up == [], f"{module} (floor {floor(module)}) imports from a higher floor: {up}"


def test_no_import_circle():
    # Tarjan's strongly connected components: any component of two or more is a circle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w == "rrr_engine":
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == []


def test_no_command_imports_a_command():
    commands = {m for m in MODULES if m.startswith("rrr_engine.cli.")} - CLI_SHARED
    found = sorted((m, i) for m in commands for i in GRAPH[m] if i in commands)
    assert found == []


def test_the_vocabulary_imports_no_subpackage():
    found = sorted((m, i) for m in MODULES if floor(m) == 0
                   for i in GRAPH[m] if floor(i) > 0)
    assert found == []
