"""The power sum sum_{i=0}^{k-1} A^i G B^(k-1-i): the closed form of the derivative of a matrix power X^k whose
power k is a size (or too large for a sum of k products).

    d vec(X^k)/d vec(X) = sum_{i=0}^{k-1} (X^T)^(k-1-i) kron X^i = power_sum(I kron X, I, X^T kron I, k)

and its transpose rule, the gradient of X from the gradient G of X^k, is power_sum(X^T, G, X^T, k).  The sum is
the upper right block of the k-th power of the block matrix [[A, G], [0, B]], which generated code computes
with log2(k) matrix products (the library's matrix_power) instead of a loop of k.
"""
from __future__ import annotations

from fractions import Fraction
from numbers import Integral

import sympy as sp

from . import sizerules
from .callables import register_callable
from .expr import ADD, ATOM, MATMUL, Expr
from .leaves import Const, Identity, Symbol, as_expr
from .registry import primitive
from .shapes import JacobiError, size

#: the largest |k| of matrix_power(X, k) and power_sum (the array libraries take a 32-bit power)
MAX_POWER = 2**31 - 1


def exponent(k, name: str = "matrix_power") -> sp.Expr:
    """The integer power of matrix_power (and power_sum): a number (negative allowed), a size name ('k', a size
    symbol), or an expression in sizes that is a whole number for every size (k + 1, k - 1)."""
    v = None
    if isinstance(k, Const):
        k = k.value
    if isinstance(k, bool):
        v = None
    elif isinstance(k, Integral):
        v = sp.Integer(int(k))
    elif isinstance(k, Fraction) and k.denominator == 1:
        v = sp.Integer(k.numerator)
    elif isinstance(k, float) and k.is_integer():
        v = sp.Integer(int(k))
    elif isinstance(k, sp.Expr) and k.is_Integer:
        v = k
    elif isinstance(k, str) or isinstance(k, sp.Expr) and k.free_symbols and not isinstance(k, Expr):
        try:
            v = size(k)
        except JacobiError:
            v = _whole(k)
    if v is None:
        what = f"{k} (a {'variable' if isinstance(k, Symbol) else type(k).__name__})" if isinstance(k, Expr) \
            else repr(k)
        raise JacobiError(f"{name} takes an integer power (a number, negative allowed, or a size name such "
                          f"as 'k'), not {what}")
    if v.is_Integer and abs(int(v)) > MAX_POWER:
        raise JacobiError(f"the power {v} of {name} is too large: at most {MAX_POWER} in magnitude")
    return v


def _whole(k):
    """k, an expression in sizes, where it is a whole number (>= 0) whatever the sizes are (k - 1), else None."""
    if not isinstance(k, sp.Expr) or not all(isinstance(s, sp.Symbol) for s in k.free_symbols):
        return None
    named = k.xreplace({s: sp.Symbol(s.name, integer=True, positive=True) for s in k.free_symbols})
    return named if named.is_integer and named.is_nonnegative else None


@primitive
class PowerSum(Expr):
    """sum_{i=0}^{k-1} A^i G B^(k-1-i) for square A and B and a positive integer k (a size, or a number).
    A Jacobian block too: as d vec(X^k)/d vec(X) = power_sum(I kron X, I, X^T kron I, k) its transpose rule
    is power_sum(X^T, G, X^T, k)."""

    __slots__ = ()
    block = True
    precedence = ADD  # a sum
    text_precedence = ATOM  # power_sum(A, G, B, k)
    shape_rule = sizerules.POWER_SUM

    @property
    def power(self) -> sp.Expr:
        return self.params[0]

    def _text(self, p):
        a, g, b = (p.doprint(x) for x in self.args)
        return f"power_sum({a}, {g}, {b}, {self.power})"

    def _tex(self, p):
        A, G, B = self.args
        k = self.power
        last = sp.latex(k - 1)
        left = p.base(A) + "^{i} " if not isinstance(A, Identity) else ""
        right = " " + p.base(B) + "^{" + sp.latex(k - 1) + " - i}" if not isinstance(B, Identity) else ""
        return r"\sum_{i=0}^{" + last + "} " + left + p.paren(G, MATMUL + 1) + right

    def _code(self, p):
        A, G, B = self.args
        return p.be.fmt("power_sum", a=p.ref(A, 0), g=p.ref(G, 0), b=p.ref(B, 0), k=p.size_or_number(self.power))

    def _explicit(self, ev):
        k = ev.subs_sizes(self.power)
        if not k.is_Integer:
            raise JacobiError(f"no number given for the power {self.power} of {self}")
        A, G, B = (ev(x) for x in self.args)
        out = sp.zeros(G.rows, G.cols)
        for i in range(int(k)):
            out += A ** i * G * B ** (int(k) - 1 - i)
        return out

    def _pullback(self, H, in_shape):
        # sum_i B0^(k-1-i) kron A0^i, written power_sum(I kron A0, I, B0 kron I, k): J^T vec(H) is
        # vec(sum_i (A0^T)^i H B0^(k-1-i)); any other power sum as a matrix, through the general rule
        A, G, B = self.args
        if isinstance(G, (Identity, Const)) and _kron_with_identity(A, 0) and _kron_with_identity(B, 1):
            A0, B0 = A.args[1], B.args[0]
            return reshape_like(power_sum(transpose(A0), reshape_like(H, (A0.shape[0], B0.shape[0])), B0,
                                          self.power), in_shape)
        return super()._pullback(H, in_shape)


def _kron_with_identity(e, side: int) -> bool:
    """e is I kron Y (side 0) or Y kron I (side 1)."""
    return isinstance(e, Kron) and isinstance(e.args[side], (Identity, Const))


def power_sum(A, G, B, k) -> Expr:
    """sum_{i=0}^{k-1} A^i G B^(k-1-i) for square A and B, G with A's rows and B's columns, and a positive
    integer k (a number or a size name).  ``jc.power_sum(X.T, G, X.T, "k")``"""
    A, G, B = (as_expr(x, "power_sum") for x in (A, G, B))
    sizerules.POWER_SUM.check(A, G, B)
    k = exponent(k, "power_sum")
    if not k.is_positive:
        raise JacobiError(f"power_sum takes a positive power k (the number of terms), not {k}")
    return PowerSum._new((k,), (A, G, B))


register_callable("power_sum", power_sum, args="A, G, B, k", shape=sizerules.POWER_SUM, integers=(3,))

# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .blocks import reshape_like  # noqa: E402
from .kronecker import Kron  # noqa: E402
from .matrix import transpose  # noqa: E402
