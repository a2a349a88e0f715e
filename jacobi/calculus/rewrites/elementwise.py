"""Rewrites of element-wise nodes, one identity each: zeros and ones vanish, like terms collect,
scalar factors lead, numbers are evaluated, terms and factors take the textbook order."""
from __future__ import annotations

import sympy as sp

from ... import core as P
from ...core.rules import Rule
from .base import _add_key, _flat, _flattened, _had_key, _in_order, _is_const, rule

# ---------------------------------------------------------------------------
# Sums, over their terms with nested sums flattened.


def _coefficient(t):
    """t as (number, base): c X, a number c as (c, 1), anything else as (1, t)."""
    if isinstance(t, P.Scale) and isinstance(t.args[0], P.Const):
        return t.args[0].value, t.args[1]
    if isinstance(t, P.Const):
        return t.value, P.Const.make(1)
    return sp.Integer(1), t


def _sum_of(terms, e):
    if not terms:
        return P.zeros(*e.shape)
    return terms[0] if len(terms) == 1 else P.Add._new((), tuple(terms))


@rule(Rule("zero terms vanish", "A + 0 = A", r"A + 0 = A"), P.Add)
def add_zero(e, ctx):
    terms = _flat(e)
    rest = [t for t in terms if not isinstance(t, P.Zero) and _coefficient(t)[0] != 0]
    return _sum_of(rest, e) if len(rest) != len(terms) else None


@rule(Rule("like terms collect", "a X + b X = (a + b) X", r"a X + b X = (a + b) X"), P.Add)
def add_like_terms(e, ctx):
    terms = _flat(e)
    coef: dict = {}
    for t in terms:
        c, base = _coefficient(t)
        coef[base] = coef.get(base, sp.Integer(0)) + c
    if len(coef) == len(terms):
        return None
    return _sum_of([P.smul(P.Const.make(c), base) for base, c in coef.items() if c != 0], e)


@rule(Rule("textbook term order", "B + A = A + B, as in W x + b", r"B + A = A + B"), P.Add)
def add_order(e, ctx):
    return _in_order(e, _add_key)


@rule(Rule("associativity of sums", "(A + B) + C = A + B + C", r"(A + B) + C = A + B + C"), P.Add)
def add_flatten(e, ctx):
    return _flattened(e)


# ---------------------------------------------------------------------------
# Scalar multiples s X


@rule(Rule("one times", "1 A = A", r"1 A = A"), P.Scale)
def scale_one(e, ctx):
    return e.args[1] if _is_const(e.args[0], 1) else None


@rule(Rule("zero times", "0 A = 0", r"0 A = 0"), P.Scale)
def scale_zero(e, ctx):
    return P.zeros(*e.shape) if _is_const(e.args[0], 0) else None


@rule(Rule("multiple of zeros", "c 0 = 0", r"c\, 0 = 0"), P.Scale)
def scale_zeros(e, ctx):
    return P.zeros(*e.shape) if isinstance(e.args[1], P.Zero) else None


@rule(Rule("multiple of a multiple", "a (b A) = (a b) A", r"a (b A) = (a b) A"), P.Scale)
def scale_scale(e, ctx):
    s, X = e.args
    return P.smul(P.smul(s, X.args[0]), X.args[1]) if isinstance(X, P.Scale) else None


@rule(Rule("multiple of a scalar expansion", "a (s ones(m, n)) = (a s) ones(m, n) for a non-number a",
           r"a (s \mathbf{1}_{m} \mathbf{1}_{n}^{\top}) = (a s) \mathbf{1}_{m} \mathbf{1}_{n}^{\top}"), P.Scale)
def scale_expansion(e, ctx):
    s, X = e.args
    if not isinstance(X, P.Broadcast) or isinstance(s, P.Const):
        return None  # a number stays in front, c (s 1): "expansion of a multiple" writes it so
    return P.broadcast(P.smul(s, X.args[0]), X.shape)


@rule(Rule("product of scalars", "s t = s * t for 1 x 1 s, t", r"s\, t = s \odot t"), P.Scale)
def scale_of_scalar(e, ctx):
    s, X = e.args
    return P.hadamard(s, X) if X.is_scalar and not isinstance(s, P.Const) else None


@rule(Rule("numbers lead a multiple", "(c u) A = c (u A) for a number c", r"(c u) A = c (u A)"), P.Scale)
def scale_number_first(e, ctx):
    s, X = e.args
    if isinstance(s, P.Hadamard) and isinstance(s.args[0], P.Const):
        rest = s.args[1:]
        inner = rest[0] if len(rest) == 1 else P.Hadamard._new((), rest)
        return P.smul(s.args[0], P.smul(inner, X))
    return None


@rule(Rule("product of numbers", "a b = ab for numbers a, b", r"a b = ab"), P.Scale)
def scale_numbers(e, ctx):
    s, X = e.args
    return P.Const.make(s.value * X.value) if isinstance(X, P.Const) and isinstance(s, P.Const) else None


# ---------------------------------------------------------------------------
# Scalar expansion s 1 1^T


@rule(Rule("expansion of zero", "0 ones(m, n) = zeros(m, n)", r"0\, \mathbf{1}_{m} \mathbf{1}_{n}^{\top} = 0"),
      P.Broadcast)
def broadcast_zero(e, ctx):
    return P.zeros(*e.shape) if _is_const(e.args[0], 0) else None


@rule(Rule("expansion of one", "1 ones(m, n) = ones(m, n)",
           r"1\, \mathbf{1}_{m} \mathbf{1}_{n}^{\top} = \mathbf{1}_{m} \mathbf{1}_{n}^{\top}"), P.Broadcast)
def broadcast_one(e, ctx):
    return P.ones(*e.shape) if _is_const(e.args[0], 1) else None


@rule(Rule("expansion of a multiple", "(c s) 1 = c (s 1) for a number c",
           r"(c s) \mathbf{1} = c (s \mathbf{1})"), P.Broadcast)
def broadcast_scale(e, ctx):
    s = e.args[0]
    if isinstance(s, P.Scale) and isinstance(s.args[0], P.Const):
        return P.smul(s.args[0], P.broadcast(s.args[1], e.shape))
    return None


# ---------------------------------------------------------------------------
# Hadamard products, over their factors with nested products flattened.


def _had(fs, shape):
    if not fs:
        return P.ones(*shape) if shape != P.SCALAR else P.Const.make(1)
    if len(fs) == 1:
        return fs[0]
    return P.Hadamard._new((), tuple(sorted(fs, key=_had_key)))


@rule(Rule("zero factor of a Hadamard product", "u * 0 = 0", r"u \odot 0 = 0"), P.Hadamard)
def hadamard_zero(e, ctx):
    return P.zeros(*e.shape) if any(isinstance(f, P.Zero) for f in _flat(e)) else None


@rule(Rule("numbers lead a product of scalars", "2 s 3 t = 6 s t", r"2 s\, 3 t = 6 s t"), P.Hadamard)
def hadamard_numbers(e, ctx):
    if not e.is_scalar:
        return None
    scalars = []
    rest = []
    for f in _flat(e):
        if isinstance(f, P.Ones):
            continue
        if isinstance(f, (P.Broadcast, P.Scale)):
            scalars.append(f.args[0])
            if isinstance(f, P.Scale):
                rest.append(f.args[1])
        else:
            rest.append(f)
    consts = [f for f in rest if isinstance(f, P.Const)]
    if not (consts or scalars):
        return None
    c = sp.Integer(1)
    for k in consts:
        c *= k.value
    body = _had([f for f in rest if not isinstance(f, P.Const)] + scalars, e.shape)
    return P.smul(P.Const.make(c), body) if c != 1 or body is not e else None


@rule(Rule("scalar factors leave a Hadamard product", "u * (s v) = s (u * v)", r"u \odot (s v) = s (u \odot v)"),
      P.Hadamard)
def hadamard_scalars(e, ctx):
    scalars = []
    rest = []
    for f in _flat(e):
        if isinstance(f, P.Broadcast):
            scalars.append(f.args[0])
        elif isinstance(f, P.Scale):
            scalars.append(f.args[0])
            rest.append(f.args[1])
        elif f.is_scalar and not e.is_scalar:
            scalars.append(f)
        else:
            rest.append(f)
    if not scalars:
        return None
    s = scalars[0]
    for t in scalars[1:]:
        s = P.smul(s, t)
    return P.smul(s, _had(rest, e.shape))


@rule(Rule("ones factor of a Hadamard product", "u * 1 = u", r"u \odot \mathbf{1} = u"), P.Hadamard)
def hadamard_ones(e, ctx):
    fs = _flat(e)
    rest = [f for f in fs if not isinstance(f, P.Ones)]
    return _had(rest, e.shape) if len(rest) != len(fs) else None


@rule(Rule("textbook factor order", "v * u = u * v, as in (W^T delta) * sigma'(z)", r"v \odot u = u \odot v"),
      P.Hadamard)
def hadamard_order(e, ctx):
    return _in_order(e, _had_key)


@rule(Rule("associativity of Hadamard products", "(u * v) * w = u * v * w", r"(u \odot v) \odot w = u \odot v \odot w"),
      P.Hadamard)
def hadamard_flatten(e, ctx):
    return _flattened(e)


# ---------------------------------------------------------------------------
# Quotients, powers, functions


@rule(Rule("quotient by one", "u / 1 = u", r"u \oslash \mathbf{1} = u"), P.Div)
def div_one(e, ctx):
    v = e.args[1]
    return e.args[0] if isinstance(v, P.Ones) or _is_const(v, 1) else None


@rule(Rule("quotient of zeros", "0 / v = 0", r"0 \oslash v = 0"), P.Div)
def div_zeros(e, ctx):
    return P.zeros(*e.shape) if isinstance(e.args[0], P.Zero) else None


@rule(Rule("quotient by a number", "u / c = (1/c) u", r"u / c = \tfrac{1}{c} u"), P.Div)
def div_number(e, ctx):
    u, v = e.args
    if isinstance(v, P.Broadcast) and isinstance(v.args[0], P.Const):
        return P.smul(P.Const.make(1 / v.args[0].value), u)
    if isinstance(v, P.Const):
        return P.smul(P.Const.make(1 / v.value), u)
    return None


@rule(Rule("first power", "u^1 = u", r"u^{1} = u"), P.Power)
def power_one(e, ctx):
    return e.args[0] if _is_const(e.args[1], 1) else None


@rule(Rule("zeroth power", "u^0 = 1", r"u^{0} = \mathbf{1}"), P.Power)
def power_zero(e, ctx):
    if _is_const(e.args[1], 0):
        return P.ones(*e.shape) if not e.is_scalar else P.Const.make(1)
    return None


@rule(Rule("power of ones", "1^k = 1", r"\mathbf{1}^{k} = \mathbf{1}"), P.Power)
def power_of_ones(e, ctx):
    return e.args[0] if isinstance(e.args[0], P.Ones) else None


@rule(Rule("power of a number", "c^k is a number for numbers c, k", r"c^{k} \in \mathbb{R}"), P.Power)
def power_numbers(e, ctx):
    u, k = e.args
    if not (isinstance(u, P.Const) and isinstance(k, P.Const)):
        return None
    P.check_power(u.value, k.value)  # refuses, naming it, a number power too large to compute
    return P.Const.make(u.value ** k.value)


@rule(Rule("identity function", "identity(x) = x", r"\operatorname{id}(x) = x"), P.Apply)
def apply_identity(e, ctx):
    return e.args[0] if e.fn.name == "identity" else None


@rule(Rule("function of a number", "f(c) is a number for a number c", r"f(c) \in \mathbb{R}"), P.Apply)
def apply_number(e, ctx):
    x = e.args[0]
    if isinstance(x, (P.Zero, P.Const)):
        v = e.fn.definition(sp.Integer(0) if isinstance(x, P.Zero) else x.value)
        if v.is_number and v.is_finite:
            return P.broadcast(P.Const.make(sp.nsimplify(v) if v.is_Float else v), e.shape)
    return None


@rule(Rule("softmax", "exp(z) / sum(exp(z)) = softmax(z)",
           r"\frac{\exp(z)}{\operatorname{sum}(\exp(z))} = \operatorname{softmax}(z)"), P.Div)
def div_softmax(e, ctx):
    """The gradient of log-sum-exp, named: softmax(z) is computed stably (the largest entry
    subtracted) where exp(z) / sum(exp(z)) overflows, and its own Jacobian is diag(s) - s s^T."""
    num, den = e.args
    if e.shape[1] != 1 or not (isinstance(num, P.Apply) and num.fn.name == "exp"):
        return None
    s = den.args[0] if isinstance(den, P.Broadcast) else den
    return P.softmax(num.args[0]) if isinstance(s, P.Sum) and s.args[0] is num else None
