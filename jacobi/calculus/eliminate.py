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
    """(O, O through L) where the lifted definition d of the let L is O^k m (m free of O), (O + a)^k or
    O + a, O an operand of L's shape (a let or a leaf, not a sum); None otherwise."""
    shape = C.shapes[L]

    def candidate(o):
        return o.is_Symbol and isinstance(C.lowered.get(o), Expr) and C.shapes[o] == shape

    if d.is_Add:
        own = [a for a in d.args if candidate(a)]
        if len(own) == 1:
            rest = d - own[0]
            if own[0] not in rest.free_symbols:
                return own[0], L - rest
        return None
    base, k = (d.base, d.exp) if d.is_Pow else (d, sp.S.One)
    if not k.is_Rational or k == 0 or not (1 / k).is_integer or (1 / k < 0 and not L.is_positive):
        return None  # L ** (1/k) is a power of L (no root taken), and a positive L where it divides
    root = L ** (1 / k)
    if base.is_Add:
        own = [a for a in base.args if candidate(a)]
        if len(own) == 1 and own[0] not in (base - own[0]).free_symbols:
            return own[0], root - (base - own[0])
        return None
    powers = d.as_powers_dict()
    own = [o for o in powers if candidate(o) and powers[o].is_Rational and powers[o] != 0]
    if len(own) == 1:
        o, j = own[0], powers[own[0]]
        m = sp.Mul(*[b ** e for b, e in powers.items() if b != o])
        # o = (L / m) ** (1/j) holds where nothing divided by is zero: the factors of m with a positive
        # power must be positive (rstd in xc = xhat / rstd; not gamma in xhat = y / gamma)
        divides = [b for b, e in m.as_powers_dict().items() if e.is_positive or not e.is_number]
        if o not in m.free_symbols and (1 / j).is_integer and all(b.is_positive for b in divides) \
                and (1 / j > 0 or L.is_positive):
            return o, (L / m) ** (1 / j)
    return None


__all__ = ["positive", "solve"]
