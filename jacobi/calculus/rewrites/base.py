"""The registry of the simplifier's structural rewrites, the textbook term order, and the cost
that decides between candidate forms.

A rewrite is one identity: a function (node, simplifier) -> new node, or None where the identity
does not apply, registered with the node classes it rewrites and the rule it cites::

    @rule(Rule("sum of zeros", "sum(0) = 0", r"\\operatorname{sum}(0) = 0"), P.Sum)
    def sum_zeros(e, ctx):
        return P.Const.make(0) if isinstance(e.args[0], P.Zero) else None

The simplifier tries a class's rewrites in the order they were registered, applies the first
that changes the node, and notes its rule: a derivation step cites exactly the identities that
fired.  Where identities must be tried in an order of their own, one rewrite (``dispatch``)
consults them and returns the new node with the rules of those that fired: a product tries every
pair identity (an ``Identities`` table) at one position before the next, and a transpose asks its
operand's class for its own transpose rule (``Expr._transpose`` in the core).
"""
from __future__ import annotations

import contextvars

from ... import core as P
from ...core.rules import Rule

#: node class -> its rewrites, in the order they are tried
RULES: dict[type, list] = {}


def rule(cites: Rule, *classes):
    """Register a rewrite of the given node classes; a derivation step that it
    simplifies cites ``cites``.  The rewrite takes (node, simplifier) and returns
    a new node, or None where it does not apply."""
    return lambda fn: _register(fn, cites, lambda: (cites,), classes)


def dispatch(cites, *classes):
    """Register a rewrite that chooses among identities kept elsewhere (an ``Identities`` table, the
    operand's class).  It returns (new node, the rules of the identities that fired), or None;
    ``cites()`` lists every rule it may cite."""
    return lambda fn: _register(fn, None, cites, classes)


def _register(fn, rule, cites, classes):
    fn.rule = rule  # None: the rewrite names the rules that fired
    fn.cites = cites
    for c in classes:
        RULES.setdefault(c, []).append(fn)
    return fn


class Identities:
    """An ordered table of identities, each a function with its own rule; ``first`` tries them in
    order and answers the first that applies, with its rule."""

    def __init__(self):
        self.table: list = []

    def rule(self, cites: Rule):
        """Add the decorated identity, which cites ``cites``, to the end of the table."""
        def deco(fn):
            fn.rule = cites
            self.table.append(fn)
            return fn

        return deco

    def first(self, *args):
        """(result, rule) of the first identity that applies to args, or None."""
        for fn in self.table:
            r = fn(*args)
            if r is not None:
                return r, fn.rule
        return None

    def rules(self) -> tuple:
        return tuple(fn.rule for fn in self.table)


def _flat(e) -> list:
    """e's operands, with those of a nested node of its own kind spliced in: (A B) C reads A, B, C (a
    product's spreads, 1 (1^T X), read 1, 1^T, X)."""
    out = []
    for a in e.args:
        if isinstance(a, type(e)):
            out.extend(P.factors(a) if isinstance(a, P.MatMul) else a.args)
        else:
            out.append(a)
    return out


def _flattened(e):
    """e with its nested nodes of its own kind spliced in, or None where it has none.  The other
    rewrites of sums and products read the operands flattened (``_flat``): this one alone flattens.
    A product is associated as the constructor does it: flat, but for its spreads (``P.matmul``)."""
    if isinstance(e, P.MatMul):
        out = P.matmul(*e.args)
        return out if out is not e else None
    args = _flat(e)
    return type(e)._new(e.params, tuple(args)) if len(args) != len(e.args) else None


def _in_order(e, key):
    """e with its operands (flattened) sorted by key, or None where they are in that order."""
    args = _flat(e)
    srt = sorted(args, key=key)
    return type(e)._new(e.params, tuple(srt)) if srt != args else None


def _is_const(e, value=None):
    return isinstance(e, P.Const) and (value is None or e.value == value)


# ---------------------------------------------------------------------------
# Term order: the textbook writes W x + b, a - y, (W^T delta) * sigma'(z).

def _rank_add(e):
    if isinstance(e, (P.MatMul,)):
        return 0
    if isinstance(e, P.Symbol):
        return 3
    if isinstance(e, (P.Const, P.Broadcast, P.Ones)):
        return 5
    return 2


def _rank_had(e):
    if isinstance(e, (P.Const, P.Broadcast)):
        return 0
    if isinstance(e, P.Symbol):
        return 1
    if isinstance(e, (P.MatMul, P.Transpose)):
        return 2
    if isinstance(e, P.Add):
        return 3
    if isinstance(e, (P.Power, P.Div)):
        return 4
    return 5


def _add_key(e):
    n = P.negated(e)
    base = n if n is not None else e
    return (n is not None, _rank_add(base), base.leader(), base.skey())


def _had_key(e):
    return (_rank_had(e), e.leader(), e.skey())


#: set while a derivation shows the step before a fact is used (the sum of a distribution): the rewrites
#: that use it then leave the expression alone, and the next step cites the fact
WITHHELD: contextvars.ContextVar = contextvars.ContextVar("withheld", default=False)


def _is_distribution(e):
    return isinstance(e, P.Symbol) and "distribution" in e.assumptions and not WITHHELD.get()



def _cost(e: P.Expr) -> int:
    """Printed size of a cluster: its nodes counted as a tree, operands as 1.

    Kept on the node, so a shared sub-expression is counted once per graph
    rather than walked again for every place it is printed."""
    k = e._cache.get("cost")
    if k is None:
        k = e._cache["cost"] = _tree_cost(e, _cost)
    return k


def _tree_cost(e: P.Expr, cost) -> int:
    if not e.cluster and not isinstance(e, (P.Sum,)):
        return 1
    if isinstance(e, P.Scale) and isinstance(e.args[0], P.Const):
        # a minus sign is free; a numeric factor counts once, not as a node and an operand
        return cost(e.args[1]) + (e.args[0].value != -1)
    return 1 + sum(cost(a) for a in e.args)
