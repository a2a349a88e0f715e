"""Straight-line code from assignments: common subexpressions and liveness.

Nodes used more than once become named temporaries (computed once across
all outputs), and every array is deleted after the statement that last reads
it, so that peak memory matches code written by hand.  What a statement reads
is taken from its expression graph: the temporaries, earlier targets and
arguments its expression refers to when it is printed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import core as P
from ..core.expr import Expr
from .printer import CodePrinter


@dataclass
class Line:
    """One assignment of generated code: target = expr, with a comment."""

    target: str
    expr: Expr
    comment: str = ""


def _uses(roots) -> dict:
    count: dict = {}
    for r in roots:
        count[r] = count.get(r, 0) + 1
    seen = set()
    for r in roots:
        for n in r.walk():
            if id(n) in seen:
                continue
            seen.add(id(n))
            for a in n.args:
                count[a] = count.get(a, 0) + 1
    return count


def _targets(target: str) -> list:
    """The names a statement assigns ("a2, log_a2" assigns two)."""
    return [t.strip() for t in target.split(",")]


def reads(e: Expr, printer: CodePrinter) -> set:
    """The names the code of e refers to, as the printer prints it now: a node that
    has a name (a temporary, an earlier target) is read by that name and not looked
    into; a symbol is read by its argument name."""
    out: set = set()
    seen: set = set()
    stack = [e]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        name = printer.temps.get(n)
        if name is not None:
            out.update(_targets(name))
        elif isinstance(n, P.Symbol):
            if n in printer.names:
                out.add(printer.names[n])
        else:
            stack.extend(n.args)
    return out


def emit(lines: list, printer: CodePrinter, *, keep: set = frozenset(), indent: str = "    ") -> list:
    """Straight-line code for the assignments: shared subexpressions become
    temporaries, and every array is deleted after its last use (so peak memory
    matches code written by hand)."""
    roots = [ln.expr for ln in lines]
    uses = _uses(roots)
    out = []  # (target, code, comment, names read)
    k = 0
    named = {}  # expression -> target that holds it
    for ln in lines:
        for n in ln.expr.walk():
            if n is ln.expr or not n.args or n in printer.temps or n in named:
                continue
            if uses.get(n, 0) > 1 and not isinstance(n, (P.Transpose, P.Broadcast)) and not _cheap(n):
                name = f"_t{k}"
                k += 1
                out.append((name, printer.ref(n, 0), "", reads(n, printer)))
                printer.temps[n] = name
        read = reads(ln.expr, printer)
        code = printer.ref(ln.expr, 0)
        out.append((ln.target, code, ln.comment, read))
        printer.temps[ln.expr] = ln.target
        named[ln.expr] = ln.target
    # liveness: delete each assigned name after the statement that last reads it
    last: dict = {}
    for i, (_, _, _, read) in enumerate(out):
        for t in read:
            last[t] = i
    assigned = {t for name, *_ in out for t in _targets(name)}
    text = []
    for i, (name, code, comment, _) in enumerate(out):
        text.append(f"{indent}{name} = {code}" + (f"  # {comment}" if comment else ""))
        dead = [t for t, j in last.items() if j == i and t in assigned and t not in keep]
        if dead:
            text.append(f"{indent}del {', '.join(sorted(dead))}")
    return text


def _cheap(n):
    return isinstance(n, P.Scale) and isinstance(n.args[0], P.Const) and n.args[0].value == -1
