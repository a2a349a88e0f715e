"""The registry of the simplifier's structural rewrites, the textbook term order, and the cost
that decides between candidate forms."""
from __future__ import annotations

from ... import core as P
from ...core.rules import Rule

RULES: dict[type, list] = {}


def rule(cites: Rule, *classes):
    """Register a rewrite of the given node classes; a derivation step that it
    simplifies cites ``cites``.  The rewrite takes (node, simplifier) and returns
    a new node, or None where it does not apply."""
    def deco(fn):
        fn.rule = cites
        for c in classes:
            RULES.setdefault(c, []).append(fn)
        return fn

    return deco


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


def _is_distribution(e):
    return isinstance(e, P.Symbol) and "distribution" in e.assumptions



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
