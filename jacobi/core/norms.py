"""Vector norms, scalar results: norm1(x), the sum of absolute values, and norm2(x), the Euclidean norm
(for a matrix, entry by entry: the entry-wise 1-norm, sum |a_jk|, which is not the induced 1-norm, and the
Frobenius norm).  Each class is followed by its constructor.

Each is a primitive, so a derivative prints through it: d norm2(x)/dx = x / norm2(x) (the gradient),
d norm1(x)/dx = sign(x).  Neither is differentiable everywhere: norm2 at 0 (where the gradient is 0 / 0),
norm1 where an entry is 0 (there its gradient takes sign(0) = 0, as abs does).
"""
from __future__ import annotations

import sympy as sp

from . import sizerules
from .apply import apply
from .blocks import vec
from .expr import ADD, ATOM, Call, Expr
from .leaves import as_expr
from .matrix import transpose
from .powers import div
from .registry import primitive
from .rules import Rule


def _is_matrix(x: Expr) -> bool:
    return x.shape[0] != 1 and x.shape[1] != 1


class _Norm(Call):
    __slots__ = ()
    shape_rule = sizerules.SUM  # any shape in, a scalar out
    sub = ""  # the norm's subscript in LaTeX

    def _tex(self, p):
        return r"\left\lVert " + p.doprint(self.args[0]) + r" \right\rVert_{" + self.sub + "}"

    def _entries(self, p):
        """The summed entries of the operand, as Sum writes them: (the sum sign, an entry)."""
        x = self.args[0]
        ks = [p.fresh() if x.shape[0] != 1 else None, p.fresh() if x.shape[1] != 1 else None]
        return r"\sum_{" + ",".join(k for k in ks if k) + "} ", p.entry(x, ks[0], ks[1])


@primitive
class Norm1(_Norm):
    """||x||_1 = sum |x_k|; of a matrix, the entry-wise 1-norm sum |a_jk| (not the induced 1-norm)."""

    __slots__ = ()
    text_name = "norm1"
    examples = ("norm1(x)", "norm1(A @ x - u)", "norm1(A) * s")
    rules = {"x": Rule("1-norm", "d ||x||_1/dx = sign(x)^T",
                       r"\frac{\partial \lVert x \rVert_{1}}{\partial x} = \operatorname{sign}(x)^{\top}")}

    @property
    def sub(self):
        return "1,1" if _is_matrix(self.args[0]) else "1"

    def local_jacobian(self, i, out):
        return transpose(vec(apply("sign", self.args[0]))), self.rules["x"]

    def _code(self, p):  # the sum of absolute values: the matrix 1-norm of numpy's linalg.norm is another
        return f"{p.np}.sum({p.np}.abs({p.ref(self.args[0], 0)}))"

    def _explicit(self, ev):
        return sp.Matrix([[sum(sp.Abs(e) for e in ev(self.args[0]))]])

    def _index(self, p, i, j):
        s, (e, _) = self._entries(p)
        return s + r"\left\lvert " + e + r" \right\rvert", ADD


def norm1(x) -> Expr:
    """||x||_1, the sum of the absolute values of the entries (of a matrix too: the entry-wise norm), a
    scalar; its gradient is sign(x).  ``jc.norm1(A @ x - b)``"""
    return Norm1._new((), (as_expr(x, "norm1"),))


@primitive
class Norm2(_Norm):
    """||x||_2 = sqrt(sum x_k^2); of a matrix, the Frobenius norm ||A||_F."""

    __slots__ = ()
    text_name = "norm2"
    examples = ("norm2(x)", "norm2(A @ x - u)", "norm2(A) * s", "x / norm2(x)")
    rules = {"x": Rule("Euclidean norm", "d ||x||_2/dx = x^T / ||x||_2",
                       r"\frac{\partial \lVert x \rVert_{2}}{\partial x} = \frac{x^{\top}}{\lVert x \rVert_{2}}")}

    @property
    def sub(self):
        return "F" if _is_matrix(self.args[0]) else "2"

    def local_jacobian(self, i, out):
        return transpose(vec(div(self.args[0], out))), self.rules["x"]

    def _code(self, p):  # a helper of every backend: scaled by the largest entry, so no square overflows
        return f"_norm2({p.ref(self.args[0], 0)})"

    def _explicit(self, ev):
        return sp.Matrix([[sp.sqrt(sum(e**2 for e in ev(self.args[0])))]])

    def _index(self, p, i, j):
        s, (e, prec) = self._entries(p)
        return r"\sqrt{" + s + p.wrap((e, prec), ATOM) + "^{2}}", ATOM


def norm2(x) -> Expr:
    """||x||_2, the Euclidean norm (of a matrix, the Frobenius norm), a scalar; its gradient is
    x / norm2(x).  ``jc.norm2(A @ x - b)``"""
    return Norm2._new((), (as_expr(x, "norm2"),))
