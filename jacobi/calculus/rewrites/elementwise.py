"""Rewrites of element-wise nodes: like terms collect, scalar factors lead, ones and zeros vanish."""
from __future__ import annotations

import sympy as sp

from ... import core as P
from ...core.rules import Rule
from .base import _add_key, _had_key, _is_const, rule


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


