"""Sizes and shapes.

A size is a positive integer or a named positive integer (a SymPy symbol), so a
derivation never needs numbers.  Every expression is two-dimensional: a scalar
is 1 x 1, a vector is an n x 1 column, a matrix is m x n.
"""
from __future__ import annotations

import math
import re

import sympy as sp

Size = sp.Expr
Shape = tuple  # (rows, cols), each a Size

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class JacobiError(Exception):
    """Base class of every error jacobi raises on bad input."""


class ShapeError(JacobiError, ValueError):
    """Operands whose shapes do not fit the operation."""


def size(s) -> Size:
    """Normalise a size: a positive int, a name such as "n", or a SymPy symbol."""
    if isinstance(s, bool):
        raise JacobiError(f"a size must be a positive integer or a name, not {s!r}")
    if isinstance(s, int) or isinstance(s, sp.Integer):
        if int(s) < 1:
            raise JacobiError(f"a size must be a positive integer or a name, not {s!r}")
        return sp.Integer(int(s))
    if isinstance(s, str):
        if not _NAME.match(s):
            raise JacobiError(f"a size name must be an identifier such as 'n' or 'n_1', not {s!r}")
        return sp.Symbol(s, integer=True, positive=True)
    if isinstance(s, sp.Symbol):
        return sp.Symbol(s.name, integer=True, positive=True)
    if isinstance(s, sp.Expr) and s.free_symbols:
        # products of sizes, e.g. the m*n rows of a vec Jacobian: positive integers whatever the sizes are
        named = s.xreplace({q: sp.Symbol(q.name, integer=True, positive=True) for q in s.free_symbols
                            if isinstance(q, sp.Symbol)})
        if named.is_positive and named.is_integer:
            return sp.expand(s)  # one form for one size: k*(e + f) is e*k + f*k
    raise JacobiError(f"a size must be a positive integer or a name, not {s!r}")


def numel(shape: Shape) -> Size:
    p = shape[0] * shape[1]
    return sp.expand(p) if p.is_Mul and any(f.is_Add for f in p.args) else p  # sizes are kept expanded


def fmt_size(s: Size) -> str:
    return str(s)


def fmt_shape(shape: Shape) -> str:
    return f"{fmt_size(shape[0])}x{fmt_size(shape[1])}"


def is_scalar_shape(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] == 1


def is_vector_shape(shape: Shape) -> bool:
    return shape[1] == 1 and shape[0] != 1


def is_row_shape(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] != 1


def concrete_sizes(sizes) -> dict:
    """{"n": 3}: numbers for named sizes, checked (a name, a positive int); SymPy size symbols may be keys."""
    if sizes is None:
        return {}
    if not isinstance(sizes, dict):
        raise JacobiError(f"sizes must be a dict from size names to numbers, such as {{'n': 3}}, not {sizes!r}")
    out = {}
    for k, v in sizes.items():
        name = k.name if isinstance(k, sp.Symbol) else k
        if not isinstance(name, str) or not _NAME.match(name):
            raise JacobiError(f"sizes maps size names such as 'n' to numbers; {k!r} is not a size name")
        if isinstance(v, bool) or not isinstance(v, (int, sp.Integer)) or int(v) < 1:
            raise JacobiError(f"the size {name} must be a positive integer, not {v!r}")
        out[name] = int(v)
    return out


def concrete(shape: Shape, sizes: dict | None = None) -> tuple[int, int]:
    """Substitute numbers for named sizes; raise if a size stays unknown."""
    out = []
    for s in shape:
        v = s.subs(sizes) if sizes and s.free_symbols else s
        subs_by_name = {}
        if sizes and v.free_symbols:
            subs_by_name = {sym: sizes[sym.name] for sym in v.free_symbols if sym.name in sizes}
            v = v.subs(subs_by_name)
        if v.free_symbols or not v.is_Integer:
            names = ", ".join(sorted(str(x) for x in v.free_symbols))
            raise JacobiError(f"no number given for the size(s) {names}")
        out.append(int(v))
    return tuple(out)


_FLOAT_BITS = 1024  # 2**1024 overflows a float64


def not_real(v: sp.Expr) -> str | None:
    """Why v is no constant of jacobi's (None if it is one): jacobi works over the reals, and generated code
    over float64, so a constant is a finite real number (or an expression in sizes).  NaN, infinities,
    complex numbers and numbers too large for a float64 are refused where they are written, never
    carried into a derivation as inf or nan."""
    if v.is_Integer:
        return "is too large for floating point" if abs(int(v)).bit_length() > _FLOAT_BITS else None
    if v.has(sp.nan):
        return "is not a number (nan): jacobi's constants are finite real numbers"
    if v.has(sp.oo, sp.S.NegativeInfinity, sp.zoo):
        return "is infinite: jacobi's constants are finite real numbers"
    if v.is_real is False or v.has(sp.I):
        return "is complex: jacobi works over the reals"
    if v.is_finite is False:
        return "is infinite: jacobi's constants are finite real numbers"
    if v.is_Float or v.is_Rational:
        try:
            big = not math.isfinite(float(v))
        except OverflowError:
            big = True
        if big:
            return "is too large for floating point"
    return None
