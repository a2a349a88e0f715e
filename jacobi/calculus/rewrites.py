"""The simplifier's structural rewrites: one small function per rewrite,
registered with the node classes it rewrites and the rule a derivation step
cites when it fires (diag(u) v -> u * v, 1^T diag(v) -> v^T, identities
vanish, transposes move to the leaves, scalar factors move to the front ...).
Everything works on whole vectors and matrices; nothing is expanded."""
from __future__ import annotations

import sympy as sp

from .. import core as P
from ..core.lift import is_cluster_node
from ..core.rules import Rule
from ..core.shapes import numel

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


# ---------------------------------------------------------------------------
# Structural rules.  Each takes (node, ctx) and returns a new node or None.


@rule(Rule("collect terms"), P.Add)
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
        out.append(P.smul(P.Const.make(c), base))
    if not out:
        return P.zeros(*e.shape)
    if len(out) == 1:
        return out[0]
    out.sort(key=_add_key)
    new = P.Add._new((), tuple(out))
    return None if new is e else new


@rule(Rule("scalar factors"), P.Scale)
def scale_rules(e, ctx):
    s, X = e.args
    if _is_const(s, 1):
        return X
    if _is_const(s, 0) or isinstance(X, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(X, P.Scale):
        return P.smul(P.smul(s, X.args[0]), X.args[1])
    if isinstance(X, P.Broadcast):
        return P.broadcast(P.smul(s, X.args[0]), X.shape)
    if X.is_scalar and not isinstance(s, P.Const):
        return P.hadamard(s, X)
    if isinstance(s, P.Hadamard) and isinstance(s.args[0], P.Const):
        rest = s.args[1:]
        inner = rest[0] if len(rest) == 1 else P.Hadamard._new((), rest)
        return P.smul(s.args[0], P.smul(inner, X))
    if isinstance(X, P.Const) and isinstance(s, P.Const):
        return P.Const.make(s.value * X.value)
    return None


@rule(Rule("scalar expansion"), P.Broadcast)
def broadcast_rules(e, ctx):
    s = e.args[0]
    if _is_const(s, 0):
        return P.zeros(*e.shape)
    if _is_const(s, 1):
        return P.ones(*e.shape)
    if isinstance(s, P.Const):
        return None
    if isinstance(s, P.Scale) and isinstance(s.args[0], P.Const):
        return P.smul(s.args[0], P.broadcast(s.args[1], e.shape))
    return None


@rule(Rule("Hadamard product algebra"), P.Hadamard)
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
            return P.smul(P.Const.make(c), body) if c != 1 or body is not e else None
    if scalars:
        body = _had(rest, e.shape)
        s = scalars[0]
        for t in scalars[1:]:
            s = P.smul(s, t)
        return P.smul(s, body)
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


@rule(Rule("quotients"), P.Div)
def div_rules(e, ctx):
    u, v = e.args
    if isinstance(v, P.Ones) or _is_const(v, 1):
        return u
    if isinstance(u, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(v, P.Broadcast) and isinstance(v.args[0], P.Const):
        return P.smul(P.Const.make(1 / v.args[0].value), u)
    if isinstance(v, P.Const):
        return P.smul(P.Const.make(1 / v.value), u)
    return None


@rule(Rule("powers"), P.Power)
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


@rule(Rule("element-wise functions"), P.Apply)
def apply_rules(e, ctx):
    x = e.args[0]
    if e.fn.name == "identity":
        return x
    if isinstance(x, (P.Zero, P.Const)):
        v = e.fn.definition(sp.Integer(0) if isinstance(x, P.Zero) else x.value)
        if v.is_number and v.is_finite:
            return P.broadcast(P.Const.make(sp.nsimplify(v) if v.is_Float else v), e.shape)
    return None


@rule(Rule("transposes move to the leaves", "(A B)^T = B^T A^T", r"(A B)^{\top} = B^{\top} A^{\top}"), P.Transpose)
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
        return P.smul(x.args[0], P.transpose(x.args[1]))
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


@rule(Rule("sum rules"), P.Sum)
def sum_rules(e, ctx):
    x = e.args[0]
    if x.is_scalar:
        return x
    if isinstance(x, P.Zero):
        return P.Const.make(0)
    if isinstance(x, P.Ones):
        return P.Const.make(numel(x.shape))
    if isinstance(x, P.Broadcast):
        return P.smul(P.Const.make(numel(x.shape)), x.args[0])
    if isinstance(x, P.Scale):
        return P.smul(x.args[0], P.sum_(x.args[1]))
    if _is_distribution(x):
        return P.Const.make(x.shape[1])
    if isinstance(x, P.Add) and any(_is_distribution(t) or _is_distribution(P.negated(t)) for t in x.args):
        return P.add(*[P.sum_(t) for t in x.args])
    if isinstance(x, P.Transpose):
        return P.sum_(x.args[0])
    return None


@rule(Rule("diag rules"), P.Diag)
def diag_rules(e, ctx):
    v = e.args[0]
    if isinstance(v, P.Ones):
        return P.identity(numel(v.shape))
    if isinstance(v, P.Zero):
        return P.zeros(*e.shape)
    if v.is_scalar:
        return v
    if isinstance(v, P.Broadcast):
        return P.smul(v.args[0], P.identity(numel(v.shape)))
    if isinstance(v, P.Scale):
        return P.smul(v.args[0], P.diag(v.args[1]))
    return None


@rule(Rule("reshapes", "unvec(vec(X)) = X", r"\operatorname{vec}^{-1}(\operatorname{vec}(X)) = X"), P.Unvec)
def unvec_rules(e, ctx):
    v = e.args[0]
    if isinstance(v, P.Vec):
        return v.args[0]
    if isinstance(v, P.Ones):
        return P.ones(*e.shape)
    if isinstance(v, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(v, P.Scale):
        return P.smul(v.args[0], P.Unvec._new(e.params, (v.args[1],)))
    return None


@rule(Rule("Kronecker product with a scalar"), P.Kron)
def kron_rules(e, ctx):
    A, B = e.args
    if A.is_scalar:
        return P.smul(A, B)
    if B.is_scalar:
        return P.smul(B, A)
    return None


@rule(Rule("products", "diag(u) v = u * v, 1^T diag(v) = v^T, I A = A",
           r"\operatorname{diag}(u)\, v = u \odot v,\ "
           r"\mathbf{1}^{\top} \operatorname{diag}(v) = v^{\top},\ I A = A"), P.MatMul)
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
            out = P.smul(c, out)
        return out
    if changed:
        out = body[0] if len(body) == 1 else P.MatMul._new((), tuple(body))
        for c in reversed(coef):
            out = P.smul(c, out)
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
        out = P.smul(c, out)
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
            return P.smul(P.Const.make(b.shape[0]), P.ones(1, b.shape[1]))
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



def _cost(e: P.Expr) -> int:
    """Printed size of a cluster: its nodes counted as a tree, operands as 1."""
    if not is_cluster_node(e) and not isinstance(e, (P.Sum,)):
        return 1
    if isinstance(e, P.Scale) and isinstance(e.args[0], P.Const):
        # a minus sign is free; a numeric factor counts once, not as a node and an operand
        return _cost(e.args[1]) + (e.args[0].value != -1)
    return 1 + sum(_cost(a) for a in e.args)
