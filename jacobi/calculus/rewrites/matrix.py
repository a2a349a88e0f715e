"""Rewrites of matrix nodes: transposes move to the leaves, identities vanish, diag(u) v = u * v,
1^T x = sum(x), Kronecker products multiply blockwise."""
from __future__ import annotations

from ... import core as P
from ...core.rules import Rule
from ...core.shapes import numel
from .base import _cost, _is_distribution, rule


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
        if (u.cluster and not isinstance(u, P.Ones)) or b.cluster:
            h = P.hadamard(u, b)
            hs = ctx.run(h)
            if _cost(hs) < _cost(h):
                return P.sum_(hs)
    # a middle product that is 1 x 1 is a scalar factor (keeps s (s^T g) linear)
    if n > 2 and a.shape[0] == 1 and b.shape[1] == 1:
        return P.MatMul._new((), (a, b))
    return None



