"""Sizes and shapes.

A size is a positive integer or a named positive integer (a SymPy symbol), so a
derivation never needs numbers.  Every expression is two-dimensional: a scalar
is 1 x 1, a vector is an n x 1 column, a matrix is m x n.
"""
from __future__ import annotations

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
    if isinstance(s, sp.Expr) and s.free_symbols and s.is_positive is not False:
        return s  # products of sizes, e.g. the m*n rows of a vec Jacobian
    raise JacobiError(f"a size must be a positive integer or a name, not {s!r}")


def numel(shape: Shape) -> Size:
    return shape[0] * shape[1]


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
