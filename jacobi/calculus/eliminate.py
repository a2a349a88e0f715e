"""Which intermediate a later let defines invertibly, and where dividing by a quantity is safe: the
eliminations of the compact pass (jacobi.calculus.compact).

xhat = xc * rstd gives xc = xhat / rstd, since rstd > 0; rstd = (var + eps)^(-1/2) gives
var = rstd^-2 - eps; xc = X - mu gives X = xc + mu; A = E / 1^T E gives E = A 1^T E.  y = gamma * xhat
does not give xhat = y / gamma: gamma may be zero.  An elimination takes no root (O^2 = L does not give
O = sqrt(L)), so each holds entry by entry wherever the program is defined.
"""
from __future__ import annotations

import sympy as sp

from .. import core as P
from ..core.expr import Expr
from ..core.lets import Let


def positive(e: Expr, depth: int = 0) -> bool:
    """e > 0 entry by entry wherever it is defined (so that SymPy may combine its powers, and an
    elimination may divide by it): what core.signs proves, through lets, sums of positive entries
    (1^T E, E 1), and a power with a negative exponent of a fractional power (1 / sqrt(v + eps))."""
    if P.positive(e):
        return True
    if depth > 64:
        return False
    if isinstance(e, Let):
        return positive(e.definition, depth + 1)
    if isinstance(e, P.MatMul):
        return all(isinstance(f, P.Ones) or positive(f, depth + 1) for f in e.args)
    if isinstance(e, (P.Hadamard, P.Div)):
        return all(positive(a, depth + 1) or _root(a) for a in e.args)
    if isinstance(e, P.Power):
        u, k = e.args
        return positive(u, depth + 1) or (_root(e) and _negative_const(k)) or (_root(u) and _negative_const(k))
    if isinstance(e, P.Const):
        return bool(e.value.is_positive)
    return False


def _root(e: Expr) -> bool:
    """A fractional power (sqrt(v), v ** 1.5): >= 0 where it is real."""
    if not isinstance(e, P.Power):
        return False
    k = e.args[1]
    return isinstance(k, P.Const) and k.value.is_number and not k.value.is_integer


def _negative_const(k: Expr) -> bool:
    return isinstance(k, P.Const) and bool(k.value.is_negative)


def solve(L: sp.Symbol, d: sp.Expr, C):
    """(O, O through L) where the lifted definition d of the let L is O^k m (m free of O), (c O + a)^k or
    c O + a, O an operand of L's shape (a let, a leaf, or a sum along an axis such as 1^T (xc * xc) in
    rstd = (1^T (xc * xc) / (n - 1) + eps)^(-1/2)); None otherwise."""
    shape = C.shapes[L]

    def candidate(o):
        return o.is_Symbol and o in C.lowered and C.shapes[o] == shape and o != L

    base, k = (d.base, d.exp) if d.is_Pow else (d, sp.S.One)
    if not k.is_Rational or k == 0 or not (1 / k).is_integer or (1 / k < 0 and not L.is_positive):
        return None  # L ** (1/k) is a power of L (no root taken), and a positive L where it divides
    if base.is_Add:  # c O + a = L ** (1/k): O = (L ** (1/k) - a) / c
        for o in sorted(filter(candidate, base.free_symbols), key=sp.default_sort_key):
            a, co = base.as_independent(o, as_Add=True)
            c = sp.cancel(co / o)
            if o not in c.free_symbols and _divisible(c):
                return o, (L ** (1 / k) - a) / c
        return None
    powers = d.as_powers_dict()
    own = [o for o in powers if candidate(o) and powers[o].is_Rational and powers[o] != 0]
    if len(own) == 1:
        o, j = own[0], powers[own[0]]
        m = sp.Mul(*[b ** e for b, e in powers.items() if b != o])
        # o = (L / m) ** (1/j) holds where nothing divided by is zero: the factors of m with a positive
        # power must be positive (rstd in xc = xhat / rstd; not gamma in xhat = y / gamma)
        if o not in m.free_symbols and (1 / j).is_integer and _divisible(m) and (1 / j > 0 or L.is_positive):
            return o, (L / m) ** (1 / j)
    return None


def _divisible(c: sp.Expr) -> bool:
    """Dividing by c is safe: each factor with a positive power is positive, or a number or a size
    expression that is never zero (1 / (n - 1) is not; a parameter gamma may be)."""
    for b, e in c.as_powers_dict().items():
        if e.is_number and not e.is_positive:
            continue  # a factor c divides by: multiplied back
        if not (b.is_positive or (b.is_zero is False and not any(s.name.startswith("_") for s in b.free_symbols))):
            return False
    return True


__all__ = ["positive", "solve"]
