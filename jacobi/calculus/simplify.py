"""Simplification into compact textbook form.

Two mechanisms, applied bottom-up to a fixed point:

* structural rules, one small function per rewrite, grouped by the node they
  rewrite (diag(u) v -> u * v, 1^T diag(v) -> v^T, identities vanish,
  transposes move to the leaves, scalar factors move to the front ...);
* element-wise clusters are simplified as scalar SymPy expressions
  (see lift.py), which finds cancellations such as
  (-y/a + (1-y)/(1-a)) * a * (1-a) = a - y.  A derivative function may be
  written through the function's own output (sigma' = a (1 - a)) when that
  makes the cluster smaller.  The cheapest candidate wins; ties keep the input.

Everything works on whole vectors and matrices; nothing is expanded.
"""
from __future__ import annotations

import sympy as sp

from .. import core as P
from ..core import functions as F
from ..core.lift import Leaves, LiftError, from_sympy, to_sympy
from ..core.rules import Rule
from .rewrites import RULES, _cost

# ---------------------------------------------------------------------------
# Element-wise clusters.

_CLUSTER_RULE = Rule("element-wise algebra")
_CLUSTER_CACHE: dict = {}


CLUSTER_LIMIT = 40  # rational algebra on larger clusters can take SymPy minutes


def _candidates(expr: sp.Expr):
    yield expr
    if sp.count_ops(expr) > CLUSTER_LIMIT:
        yield sp.factor_terms(expr)
        return
    try:
        c = sp.cancel(sp.together(expr))
    except (sp.PolynomialError, TypeError, ValueError):
        return
    yield c
    yield sp.factor_terms(c)
    yield sp.factor_terms(expr)


def simplify_cluster(e: P.Expr, ctx) -> P.Expr:
    leaves = Leaves()
    try:
        s = to_sympy(e, leaves)
    except LiftError:
        return e
    variants = [s]
    # derivative functions written through the function's own output
    outform = _output_forms(s, leaves, ctx)
    if outform is not None:
        variants.append(outform)
    key = tuple(variants)
    hit = _CLUSTER_CACHE.get(key)
    if hit is None:
        cands = []
        for v in variants:
            for c in _candidates(v):
                if c not in cands:
                    cands.append(c)
        _CLUSTER_CACHE[key] = hit = cands
    best, best_cost = e, _cost(e)
    for c in hit:
        try:
            r = from_sympy(c, leaves.by_sym, e.shape)
        except LiftError:
            continue
        r = ctx.structural(r)
        k = _cost(r)
        if k < best_cost:
            best, best_cost = r, k
    return best


def _output_forms(s: sp.Expr, leaves: Leaves, ctx):
    reps = {}
    for call in s.atoms(sp.Function):
        fn = F._BY_SYMPY.get(type(call))
        if fn is None:
            continue
        primal = F.primal_of(fn)
        if primal is None or primal.prime_in_output is None:
            continue
        arg = from_sympy(call.args[0], leaves.by_sym, _shape_of(call.args[0], leaves))
        out_expr = P.apply(primal, arg)
        named = ctx.named(out_expr)
        if named is not None:
            out_sym = leaves.sym(named)
        elif s.has(primal.sympy(call.args[0])):
            out_sym = primal.sympy(call.args[0])
        else:
            continue  # the output is not at hand: nothing to write sigma' through
        reps[call] = primal.prime_in_output.subs({F.a: out_sym, F.t: call.args[0]})
    if not reps:
        return None
    return s.xreplace(reps)


def _shape_of(s, leaves):
    for x in s.free_symbols:
        if x in leaves.by_sym and not leaves.by_sym[x].is_scalar:
            return leaves.by_sym[x].shape
    return P.SCALAR


# ---------------------------------------------------------------------------


class Simplifier:
    """Bottom-up rewriting to a fixed point, memoised over the shared graph.

    defs maps named quantities to their definitions (a -> sigma(z)); the
    simplifier uses them to write sigma'(z) through a.  trace, if given,
    collects the names of the rules that fired, in order."""

    def __init__(self, defs: dict | None = None, trace: list | None = None, clusters: bool = True):
        self.defs = defs or {}
        self.by_def = {d: v for v, d in self.defs.items()}
        self.trace = trace
        self.clusters = clusters
        self.memo: dict = {}
        self.smemo: dict = {}

    def named(self, e):
        return self.by_def.get(e)

    def _note(self, name):
        if self.trace is not None and (not self.trace or self.trace[-1] != name):
            self.trace.append(name)

    def structural(self, e: P.Expr, depth: int = 0) -> P.Expr:
        r = self.smemo.get(e)
        if r is not None:
            return r
        args = tuple(self.structural(a, depth) for a in e.args)
        node = e.rebuild(args)
        for _ in range(64):
            new = None
            for fn in RULES.get(type(node), ()):
                new = fn(node, self)
                if new is not None and new is not node:
                    self._note(fn.rule)
                    break
                new = None
            if new is None:
                break
            node = self.structural(new, depth + 1) if depth < 200 else new
        self.smemo[e] = node
        self.smemo[node] = node
        return node

    def run(self, e: P.Expr) -> P.Expr:
        r = self.memo.get(e)
        if r is not None:
            return r
        args = tuple(self.run(a) for a in e.args)
        node = self.structural(e.rebuild(args))
        if self.clusters and node.elementwise:
            new = simplify_cluster(node, self)
            if new is not node:
                self._note(_CLUSTER_RULE)
                self.memo[node] = new  # guard against cycles
                new = self.structural(new)
            node = new
        self.memo[e] = node
        self.memo[node] = node
        return node

    __call__ = run


def simplify(e, defs: dict | None = None) -> P.Expr:
    """Compact textbook form: diag(u) v -> u * v, 1^T diag(v) -> v^T,
    identities and zeros vanish, transposes move to the leaves, element-wise
    algebra cancels.  ``jc.simplify(jc.diag(u) @ v)  # u * v``"""
    e = P.as_expr(e, "simplify")
    return Simplifier(defs).run(e)
