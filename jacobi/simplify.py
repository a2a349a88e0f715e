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

from . import functions as F
from . import primitives as P
from .lift import Leaves, LiftError, from_sympy, is_cluster_node, to_sympy
from .shapes import numel

RULES: dict[type, list] = {}


def rule(*classes):
    def deco(fn):
        for c in classes:
            RULES.setdefault(c, []).append(fn)
        return fn

    return deco


def _is_const(e, value=None):
    return isinstance(e, P.Const) and (value is None or e.value == value)


def smul(s: P.Expr, X: P.Expr) -> P.Expr:
    """s X in canonical form: constants lead as Scale, other scalar products are Hadamard."""
    if _is_const(s, 1):
        return X
    if isinstance(s, P.Const) and isinstance(X, P.Const):
        return P.Const.make(s.value * X.value)
    if isinstance(s, P.Const) or not X.is_scalar:
        return P.Scale._new((), (s, X))
    return P.hadamard(s, X)


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
    n = P._negated(e)
    base = n if n is not None else e
    return (n is not None, _rank_add(base), base.leader(), base.skey())


def _had_key(e):
    return (_rank_had(e), e.leader(), e.skey())


# ---------------------------------------------------------------------------
# Structural rules.  Each takes (node, ctx) and returns a new node or None.


@rule(P.Add)
def add_canonical(e, ctx):
    terms = []
    for t in e.args:
        terms.extend(t.args if isinstance(t, P.Add) else (t,))
    # like terms: c1 X + c2 X -> (c1 + c2) X
    coef: dict = {}
    order = []
    for t in terms:
        if isinstance(t, P.Zero):
            continue
        c, base = sp.Integer(1), t
        if isinstance(t, P.Scale) and isinstance(t.args[0], P.Const):
            c, base = t.args[0].value, t.args[1]
        elif isinstance(t, P.Const):
            c, base = t.value, P.Const.make(1)
        if base not in coef:
            coef[base] = sp.Integer(0)
            order.append(base)
        coef[base] += c
    out = []
    for base in order:
        c = coef[base]
        if c == 0:
            continue
        out.append(smul(P.Const.make(c), base))
    if not out:
        return P.zeros(*e.shape)
    if len(out) == 1:
        return out[0]
    out.sort(key=_add_key)
    new = P.Add._new((), tuple(out))
    return None if new is e else new


@rule(P.Scale)
def scale_rules(e, ctx):
    s, X = e.args
    if _is_const(s, 1):
        return X
    if _is_const(s, 0) or isinstance(X, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(X, P.Scale):
        return smul(smul(s, X.args[0]), X.args[1])
    if isinstance(X, P.Broadcast):
        return P.broadcast(smul(s, X.args[0]), X.shape)
    if X.is_scalar and not isinstance(s, P.Const):
        return P.hadamard(s, X)
    if isinstance(s, P.Hadamard) and isinstance(s.args[0], P.Const):
        rest = s.args[1:]
        inner = rest[0] if len(rest) == 1 else P.Hadamard._new((), rest)
        return smul(s.args[0], smul(inner, X))
    if isinstance(X, P.Const) and isinstance(s, P.Const):
        return P.Const.make(s.value * X.value)
    return None


@rule(P.Broadcast)
def broadcast_rules(e, ctx):
    s = e.args[0]
    if _is_const(s, 0):
        return P.zeros(*e.shape)
    if _is_const(s, 1):
        return P.ones(*e.shape)
    if isinstance(s, P.Const):
        return None
    if isinstance(s, P.Scale) and isinstance(s.args[0], P.Const):
        return smul(s.args[0], P.broadcast(s.args[1], e.shape))
    return None


@rule(P.Hadamard)
def hadamard_rules(e, ctx):
    fs = []
    for f in e.args:
        fs.extend(f.args if isinstance(f, P.Hadamard) else (f,))
    if any(isinstance(f, P.Zero) for f in fs):
        return P.zeros(*e.shape)
    scalars = []
    rest = []
    for f in fs:
        if isinstance(f, P.Ones):
            continue
        if isinstance(f, P.Broadcast):
            scalars.append(f.args[0])
        elif isinstance(f, P.Scale):
            scalars.append(f.args[0])
            rest.append(f.args[1])
        elif f.is_scalar and not e.is_scalar:
            scalars.append(f)
        else:
            rest.append(f)
    if e.is_scalar:
        consts = [f for f in rest if isinstance(f, P.Const)]
        if consts or scalars:
            c = sp.Integer(1)
            for k in consts:
                c *= k.value
            others = [f for f in rest if not isinstance(f, P.Const)] + scalars
            body = _had(others, e.shape)
            return smul(P.Const.make(c), body) if c != 1 or body is not e else None
    if scalars:
        body = _had(rest, e.shape)
        s = scalars[0]
        for t in scalars[1:]:
            s = smul(s, t)
        return smul(s, body)
    if len(rest) != len(e.args) or any(isinstance(f, P.Hadamard) for f in e.args):
        return _had(rest, e.shape)
    srt = sorted(rest, key=_had_key)
    if srt != list(e.args):
        return P.Hadamard._new((), tuple(srt))
    return None


def _had(fs, shape):
    if not fs:
        return P.ones(*shape) if shape != P.SCALAR else P.Const.make(1)
    if len(fs) == 1:
        return fs[0]
    return P.Hadamard._new((), tuple(sorted(fs, key=_had_key)))


@rule(P.Div)
def div_rules(e, ctx):
    u, v = e.args
    if isinstance(v, P.Ones) or _is_const(v, 1):
        return u
    if isinstance(u, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(v, P.Broadcast) and isinstance(v.args[0], P.Const):
        return smul(P.Const.make(1 / v.args[0].value), u)
    if isinstance(v, P.Const):
        return smul(P.Const.make(1 / v.value), u)
    return None


@rule(P.Power)
def power_rules(e, ctx):
    u, k = e.args
    if _is_const(k, 1):
        return u
    if _is_const(k, 0):
        return P.ones(*e.shape) if not e.is_scalar else P.Const.make(1)
    if isinstance(u, P.Ones):
        return u
    if isinstance(u, P.Const) and isinstance(k, P.Const):
        return P.Const.make(u.value ** k.value)
    return None


@rule(P.Apply)
def apply_rules(e, ctx):
    x = e.args[0]
    if e.fn.name == "identity":
        return x
    if isinstance(x, (P.Zero, P.Const)):
        v = e.fn.definition(sp.Integer(0) if isinstance(x, P.Zero) else x.value)
        if v.is_number and v.is_finite:
            return P.broadcast(P.Const.make(sp.nsimplify(v) if v.is_Float else v), e.shape)
    return None


@rule(P.Transpose)
def transpose_rules(e, ctx):
    x = e.args[0]
    if x.is_scalar:
        return x
    if isinstance(x, P.Transpose):
        return x.args[0]
    if isinstance(x, P.MatMul):
        return P.MatMul._new((), tuple(P.transpose(a) for a in reversed(x.args)))
    if isinstance(x, P.Add):
        return P.Add._new((), tuple(P.transpose(a) for a in x.args))
    if isinstance(x, P.Scale):
        return smul(x.args[0], P.transpose(x.args[1]))
    if isinstance(x, (P.Identity, P.Diag)):
        return x
    if isinstance(x, P.Zero):
        return P.zeros(x.shape[1], x.shape[0])
    if isinstance(x, P.Ones):
        return P.ones(x.shape[1], x.shape[0])
    if isinstance(x, P.Broadcast):
        return P.broadcast(x.args[0], (x.shape[1], x.shape[0]))
    if isinstance(x, P.Kron):
        return P.kron(P.transpose(x.args[0]), P.transpose(x.args[1]))
    return None


def _is_distribution(e):
    return isinstance(e, P.Symbol) and "distribution" in e.assumptions


@rule(P.Sum)
def sum_rules(e, ctx):
    x = e.args[0]
    if x.is_scalar:
        return x
    if isinstance(x, P.Zero):
        return P.Const.make(0)
    if isinstance(x, P.Ones):
        return P.Const.make(numel(x.shape))
    if isinstance(x, P.Broadcast):
        return smul(P.Const.make(numel(x.shape)), x.args[0])
    if isinstance(x, P.Scale):
        return smul(x.args[0], P.sum_(x.args[1]))
    if _is_distribution(x):
        return P.Const.make(x.shape[1])
    if isinstance(x, P.Add) and any(_is_distribution(t) or _is_distribution(P._negated(t)) for t in x.args):
        return P.add(*[P.sum_(t) for t in x.args])
    if isinstance(x, P.Transpose):
        return P.sum_(x.args[0])
    return None


@rule(P.Diag)
def diag_rules(e, ctx):
    v = e.args[0]
    if isinstance(v, P.Ones):
        return P.identity(numel(v.shape))
    if isinstance(v, P.Zero):
        return P.zeros(*e.shape)
    if v.is_scalar:
        return v
    if isinstance(v, P.Broadcast):
        return smul(v.args[0], P.identity(numel(v.shape)))
    if isinstance(v, P.Scale):
        return smul(v.args[0], P.diag(v.args[1]))
    return None


@rule(P.Unvec)
def unvec_rules(e, ctx):
    v = e.args[0]
    if isinstance(v, P.Vec):
        return v.args[0]
    if isinstance(v, P.Ones):
        return P.ones(*e.shape)
    if isinstance(v, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(v, P.Scale):
        return smul(v.args[0], P.Unvec._new(e.params, (v.args[1],)))
    return None


@rule(P.Kron)
def kron_rules(e, ctx):
    A, B = e.args
    if A.is_scalar:
        return smul(A, B)
    if B.is_scalar:
        return smul(B, A)
    return None


@rule(P.MatMul)
def matmul_rules(e, ctx):
    fs = []
    for f in e.args:
        fs.extend(f.args if isinstance(f, P.MatMul) else (f,))
    if any(isinstance(f, P.Zero) for f in fs):
        return P.zeros(*e.shape)
    # identities vanish; scalar factors and Scale coefficients move to the front
    coef = []
    body = []
    for f in fs:
        if isinstance(f, P.Identity):
            continue
        if isinstance(f, P.Scale):
            coef.append(f.args[0])
            f = f.args[1]
            if isinstance(f, P.Identity):
                continue
        if f.is_scalar and len(fs) > 1:
            coef.append(f)
            continue
        body.append(f)
    changed = len(body) != len(e.args) or coef
    if not body:  # only identities and scalars were left
        out = P.identity(e.shape[0]) if not e.is_scalar else P.Const.make(1)
        for c in reversed(coef):
            out = smul(c, out)
        return out
    if changed:
        out = body[0] if len(body) == 1 else P.MatMul._new((), tuple(body))
        for c in reversed(coef):
            out = smul(c, out)
        return out
    # a chain that ends in a column is evaluated from the right: diag(u) (A v) = u * (A v)
    if len(fs) > 2 and fs[-1].shape[1] == 1:
        for i in range(len(fs) - 2, -1, -1):
            f = fs[i]
            if isinstance(f, P.Diag) and f.args[0].shape[1] == 1:
                tail = _chain(fs[i + 1:])
                if tail.shape == f.args[0].shape:
                    return P.matmul(*fs[:i], P.hadamard(tail, f.args[0])) if i else P.hadamard(tail, f.args[0])
    # and one that starts with a row, from the left: (v^T A) diag(u) = ((v^T A)^T * u)^T
    if len(fs) > 2 and fs[0].shape[0] == 1:
        for i in range(1, len(fs)):
            f = fs[i]
            if isinstance(f, P.Diag) and f.args[0].shape[1] == 1:
                head = _chain(fs[:i])
                if head.shape[1] == f.args[0].shape[0]:
                    row = P.transpose(P.hadamard(P.transpose(head), f.args[0]))
                    return P.matmul(row, *fs[i + 1:]) if i + 1 < len(fs) else row
    # pairwise rewrites
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        r = _pair(a, b, len(fs), ctx)
        if r is not None:
            new = fs[:i] + [r] + fs[i + 2:]
            if len(new) == 1:
                return new[0]
            return P.matmul(*new) if all(not x.is_scalar for x in new) else _scalar_front(new)
    return None


def _chain(fs):
    return fs[0] if len(fs) == 1 else P.MatMul._new((), tuple(fs))


def _scalar_front(fs):
    coef = [f for f in fs if f.is_scalar]
    body = [f for f in fs if not f.is_scalar]
    out = body[0] if len(body) == 1 else P.MatMul._new((), tuple(body))
    for c in reversed(coef):
        out = smul(c, out)
    return out


def _pair(a, b, n, ctx):
    col = lambda x: x.shape[1] == 1  # noqa: E731
    # diag(u) diag(v) = diag(u * v)
    if isinstance(a, P.Diag) and isinstance(b, P.Diag) and a.args[0].shape == b.args[0].shape:
        return P.diag(P.hadamard(a.args[0], b.args[0]))
    # diag(u) v = u * v
    if isinstance(a, P.Diag) and col(b) and a.args[0].shape == b.shape:
        return P.hadamard(b, a.args[0])
    # v^T diag(u) = (v * u)^T ;  1^T diag(v) = v^T
    if isinstance(b, P.Diag) and a.shape[0] == 1 and b.args[0].shape[1] == 1:
        if isinstance(a, P.Ones):
            return P.transpose(b.args[0])
        return P.transpose(P.hadamard(P.transpose(a), b.args[0]))
    # 1 1^T Y = 1 1^T when Y's columns sum to one
    if isinstance(a, P.Ones) and _is_distribution(b):
        return P.ones(a.shape[0], b.shape[1])
    # 1^T x = sum(x)
    if isinstance(a, P.Ones) and a.shape[0] == 1:
        if col(b):
            return P.sum_(b)
        if isinstance(b, P.Ones):
            return smul(P.Const.make(b.shape[0]), P.ones(1, b.shape[1]))
    # 1 1^T = the all-ones matrix
    if isinstance(a, P.Ones) and isinstance(b, P.Ones):
        if a.shape[1] == 1 and b.shape[0] == 1:
            return P.ones(a.shape[0], b.shape[1])
    # (P1 kron Q1)(P2 kron Q2) = P1 P2 kron Q1 Q2
    if isinstance(a, P.Kron) and isinstance(b, P.Kron):
        (P1, Q1), (P2, Q2) = a.args, b.args
        if P1.shape[1] == P2.shape[0] and Q1.shape[1] == Q2.shape[0]:
            return P.kron(P.matmul(P1, P2), P.matmul(Q1, Q2))
    # u^T v over element-wise operands: sum(u * v) when the product cancels
    if a.shape[0] == 1 and col(b) and isinstance(a, P.Transpose) and col(a.args[0]):
        u = a.args[0]
        if (is_cluster_node(u) and not isinstance(u, P.Ones)) or is_cluster_node(b):
            h = P.hadamard(u, b)
            hs = ctx.run(h)
            if _cost(hs) < _cost(h):
                return P.sum_(hs)
    # a middle product that is 1 x 1 is a scalar factor (keeps s (s^T g) linear)
    if n > 2 and a.shape[0] == 1 and b.shape[1] == 1:
        return P.MatMul._new((), (a, b))
    return None


# ---------------------------------------------------------------------------
# Element-wise clusters.

def _cost(e: P.Expr) -> int:
    """Printed size of a cluster: its nodes counted as a tree, operands as 1."""
    if not is_cluster_node(e) and not isinstance(e, (P.Sum,)):
        return 1
    if isinstance(e, P.Scale) and isinstance(e.args[0], P.Const):
        # a minus sign is free; a numeric factor counts once, not as a node and an operand
        return _cost(e.args[1]) + (e.args[0].value != -1)
    return 1 + sum(_cost(a) for a in e.args)


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
                    self._note(fn.__name__)
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
                self._note("element-wise algebra")
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
