"""The layers: imports go one way, no module monkeypatches another's classes, modules stay small.

Every import in jacobi/ is read with ast, including imports inside functions,
and resolved to the part it comes from.  A part may import only the parts
listed for it in ALLOWED.  The one import cycle that is allowed is inside the
core: the expression node's operators and the primitives' constructors refer
to each other (CORE_CYCLE).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "jacobi"

#: part -> the parts it may import (besides itself).  The applications (the package's
#: __init__, __main__, the demo and the course documents) sit on top and may import anything.
ALLOWED = {
    "core": set(),
    "codegen": {"core"},
    "calculus": {"core", "codegen"},
    "render": {"core", "calculus"},
    "nn": {"core", "codegen", "calculus"},
    "parse": {"core"},
    "cli": {"core", "codegen", "calculus", "render", "nn", "parse"},
    "apps": {"core", "codegen", "calculus", "render", "nn", "parse", "cli"},
}

#: the modules of the one allowed cycle: Expr's operators call the constructors, which build Exprs;
#: the primitives' Jacobians and transpose rules are made of each other.
CORE_CYCLE = {"jacobi.core." + m for m in ("expr", "leaves", "elementwise", "matrix", "blocks", "kronecker",
                                            "printing", "functions", "registry", "lift", "apply", "powers", "axis")}

MAX_LINES = 400


def modules() -> dict:
    """module name -> path, for every .py file of the package."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def part_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "jacobi":
        return None
    if len(parts) == 1 or parts[1] in ("__main__", "demo", "derivations", "derivations_layers", "derivations_network",
                                       "notebook"):
        return "apps"
    if parts[1] == "cli":
        return "cli"
    return parts[1] if parts[1] in ALLOWED else None


def imports(module: str, path: Path) -> list:
    """(imported module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    known = modules()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[:len(base) - (node.level - 1)]
                target = ".".join(prefix + ([node.module] if node.module else []))
            else:
                target = node.module
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            if len(subs) < len(node.names):  # names from the module itself, not only its submodules
                out.append((target, node.lineno))
            out += [(sub, node.lineno) for sub in subs]  # `from .. import core` imports the submodule
    return out


def graph() -> dict:
    known = modules()
    return {m: {t for t, _ in imports(m, p) if t in known and t != m} for m, p in known.items()}


def test_every_module_belongs_to_a_part():
    assert all(part_of(m) is not None for m in modules()), [m for m in modules() if part_of(m) is None]


def violations(module: str, path: Path) -> list:
    src = part_of(module)
    bad = []
    for target, line in imports(module, path):
        dst = part_of(target)
        if dst is not None and dst != src and dst not in ALLOWED[src]:
            bad.append(f"{path.name}:{line} ({src}) imports {target} ({dst})")
    return bad


def test_imports_go_one_way():
    bad = [v for m, path in modules().items() for v in violations(m, path)]
    assert not bad, "imports from a lower part into a higher one:\n" + "\n".join(bad)


def _cycles(g: dict) -> list:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_only_import_cycle_is_the_cores_operators_and_constructors():
    # a module's own package (its __init__) is loaded before it, not a dependency
    g = {m: {t for t in ts if t != "jacobi" and not m.startswith(t + ".")} for m, ts in graph().items()}
    for comp in _cycles(g):
        assert comp <= CORE_CYCLE, f"an import cycle outside the core's operators and constructors: {sorted(comp)}"


def test_no_module_attaches_methods_to_another_modules_classes():
    bad = []
    for path in modules().values():
        tree = ast.parse(path.read_text())
        imported = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, (ast.AugAssign, ast.AnnAssign)) else []
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in imported \
                        and t.value.id[:1].isupper():
                    bad.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} sets {t.value.id}.{t.attr}")
    assert not bad, "\n".join(bad)


def test_no_module_is_over_about_400_lines():
    long = {str(p.relative_to(ROOT.parent)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"


def test_the_layer_test_sees_a_violation(tmp_path):
    """The check can fail: an upward import hidden inside a function of a core module is caught."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from ..render.latex import derivation_latex\n    return derivation_latex\n")
    assert violations("jacobi.core.planted", planted) == [
        "planted.py:2 (core) imports jacobi.render.latex (render)"]
    assert violations("jacobi.render.planted", planted) == []
