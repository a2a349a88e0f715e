"""Named intermediates: ``h = jc.let("h", expr)``, a symbol of expr's shape that stands for it.

A let is a Symbol whose parameters carry its definition, so that the program it belongs to needs no
global state: the lets an expression uses, and the lets their definitions use, are read off the
expressions themselves (``program_of``).  Nodes are interned by their parameters, so two calls
``jc.let("h", e)`` with one e give the same node, and two lets named h with different definitions are
two different nodes, refused wherever they are used together.  To everything but ``jc.backprop`` a
let is a symbol (a leaf): ``jc.gradient(loss, W1)`` holds h fixed; ``jc.inline`` substitutes the
definitions back.
"""
from __future__ import annotations

from .expr import Expr, describe
from .leaves import Symbol, as_expr, new_symbol
from .shapes import JacobiError


class _Definition:
    """A let's definition as a node parameter: equal when the (interned) expression is the same node,
    with a digest that is stable across runs (Expr.skey reads parameters through repr)."""

    __slots__ = ("expr",)

    def __init__(self, expr: Expr):
        self.expr = expr

    def __eq__(self, other):
        return isinstance(other, _Definition) and other.expr is self.expr

    def __hash__(self):
        return id(self.expr)

    def __repr__(self):
        return "let:" + self.expr.skey()


class Let(Symbol):
    """A named intermediate: a symbol (printed as its name) with its definition, ``h.definition``."""

    __slots__ = ()

    @property
    def definition(self) -> Expr:
        return self.params[6].expr

    @property
    def declaration(self) -> str:
        return f"jc.let({self.name!r}, {self.definition})"


def let(name: str, expr, *, latex: str | None = None) -> Let:
    """Name an intermediate of a model written as a program: a symbol of expr's shape standing for
    expr.  A let may use earlier lets; ``jc.backprop(loss)`` runs the reverse chain rule over them.

    >>> h = jc.let("h", jc.tanh(W1 @ x + b1))
    >>> loss = jc.let("loss", jc.sum((W2 @ h - y) ** 2))
    >>> print(jc.backprop(loss).grad(h))      # 2 * (W2.T @ (W2 @ h - y))
    """
    e = as_expr(expr, "let")
    kind = "scalar" if e.is_scalar else "vector" if e.shape[1] == 1 else "matrix"
    s = new_symbol(name, e.shape[0], e.shape[1], kind, latex)  # checks the name and latex=
    if name in {u.name for u in e.symbols()}:
        raise JacobiError(f"the let {name} is defined through a symbol of the same name: {describe(e)}; "
                          "give the new quantity a name of its own")
    return Let._new(s.params + (_Definition(e),), ())


def lets_in(e: Expr) -> tuple:
    """The lets e uses directly (not those inside their definitions), in first-appearance order."""
    return tuple(s for s in e.symbols() if isinstance(s, Let))


def program_of(*exprs) -> list:
    """Every let the expressions use, directly or through other lets' definitions, in dependency order
    (each after the lets its definition uses), first-appearance order otherwise; two different
    symbols of one name among them (two definitions of h, or a let h beside a symbol h) are refused."""
    order: list = []
    seen: set = set()
    stack = [(s, False) for e in reversed(exprs) for s in reversed(lets_in(e))]
    while stack:  # depth first, iteratively: a chain of lets may be long
        v, done = stack.pop()
        if done:
            order.append(v)
            continue
        if v in seen:
            continue
        seen.add(v)
        stack.append((v, True))
        stack.extend((u, False) for u in reversed(lets_in(v.definition)) if u not in seen)
    check_names([*exprs, *(v.definition for v in order)], order)
    return order


def check_names(exprs, lets=()) -> None:
    """Refuse two different symbols of one name among the expressions' symbols and the lets."""
    by_name: dict = {}
    for s in [*lets, *(s for e in exprs for s in e.symbols())]:
        other = by_name.setdefault(s.name, s)
        if other is s:
            continue
        a, b = sorted((other, s), key=lambda t: not isinstance(t, Let))
        if isinstance(a, Let) and isinstance(b, Let):
            raise JacobiError(f"two different definitions of {s.name} are used together: {s.name} = "
                              f"{a.definition} and {s.name} = {b.definition}; give them different names")
        if isinstance(a, Let):
            raise JacobiError(f"the let {a.name} = {a.definition} is used together with another symbol "
                              f"{describe(b)} of the same name; give them different names")
        raise JacobiError(f"two different symbols named {s.name} are used together: {describe(a)} and "
                          f"{describe(b)}; give them different names")


def inline(e) -> Expr:
    """e with every let replaced by its definition, recursively: in terms of the leaves alone.

    >>> jc.inline(loss)      # sum((W2 @ tanh(W1 @ x + b1) - y) ** 2)
    """
    e = as_expr(e, "inline")
    full: dict = {}
    for v in program_of(e):
        full[v] = _substitute(v.definition, full)
    return _substitute(e, full)


def _substitute(e: Expr, mapping: dict) -> Expr:
    memo: dict = {}
    order = list(e.walk())  # children first: no recursion over a deep graph
    for n in order:
        if n in mapping:
            memo[n] = mapping[n]
        elif n.args:
            memo[n] = n.rebuild(tuple(memo[a] for a in n.args))
        else:
            memo[n] = n
    return memo[e]


def hidden_dependence(f: Expr, ws) -> tuple | None:
    """(a let f uses, a variable its definition depends on), where f depends on a variable of ws only
    through a let's definition, which a derivative that reads the let as a symbol would miss; else None."""
    dep: dict = {}
    for v in program_of(f):
        d = v.definition
        hit = next((w for w in ws if w is not v and d.depends_on(w)), None)
        if hit is None:
            hit = next((dep[u] for u in lets_in(d) if u not in ws and u in dep), None)
        if hit is not None:
            dep[v] = hit
    for v in lets_in(f):
        if v in dep and v not in ws:
            return v, dep[v]
    return None
