"""Jacobian blocks: the linear maps that local Jacobians are made of.

Each block gives its transpose rule (``_pullback``): vec(G)^T J laid out in the
input's shape, so that the chain rule never forms a Jacobian as a dense array:
(delta^T)(a^T kron I) comes out as delta a^T.  Each class is followed by its
constructor.  The Kronecker product, a block and a value, has a module of its
own with the blocks of its derivatives (kronecker.py).
"""
from __future__ import annotations

import sympy as sp

from . import sizerules
from .expr import BOTH, Call, Expr, describe
from .leaves import ONE, as_expr, identity, ones
from .registry import primitive
from .rules import Rule
from .shapes import ShapeError, fmt_shape, numel, size


@primitive
class Diag(Call):
    """diag(vec(D)): element-wise multiplication by D as a linear map."""

    __slots__ = ()
    block = True
    text_name = 'diag'
    latex_name = '\\operatorname{diag}'
    moves_transpose = BOTH
    transpose_rule = Rule("a diagonal matrix is symmetric", "diag(v)^T = diag(v)",
                          r"\operatorname{diag}(v)^{\top} = \operatorname{diag}(v)")

    def _transpose(self, t, keep):
        return self

    @classmethod
    def _shape(cls, params, args):
        n = numel(args[0].shape)
        return (n, n)

    def _code(self, p):
        d = self.args[0]
        return f"{p.np}.diagflat({p.transpose(d)})" if d.shape[1] != 1 else f"{p.np}.diagflat({p.ref(d, 0)})"

    def _explicit(self, ev):
        d = ev(self.args[0])
        v = [d[j, k] for k in range(d.cols) for j in range(d.rows)]
        return sp.diag(*v)

    def _pullback(self, G, in_shape):
        D = self.args[0]
        return reshape_like(hadamard(reshape_like(G, D.shape), D), in_shape)


def diag(v) -> Expr:
    """diag(vec(v)): the diagonal matrix with v's entries on its diagonal."""
    return Diag._new((), (as_expr(v, "diag"),))


@primitive
class Vec(Call):
    """vec(X): the columns of X stacked into one column."""

    __slots__ = ()
    block = True
    text_name = 'vec'
    latex_name = '\\operatorname{vec}'
    examples = ("vec(A)", "vec(A @ B)")
    rules = {"X": Rule("vec is a reshape", "d vec(X)/d vec(X) = I",
                       r"\frac{\partial \operatorname{vec}(X)}{\partial \operatorname{vec}(X)} = I")}

    @classmethod
    def _shape(cls, params, args):
        return (numel(args[0].shape), ONE)

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), self.rules["X"]

    def _code(self, p):
        return p.vec(self.args[0])

    def _explicit(self, ev):
        X = ev(self.args[0])
        return sp.Matrix([X[j, k] for k in range(X.cols) for j in range(X.rows)])

    def _pullback(self, G, in_shape):
        X = self.args[0]
        if X.shape[1] == 1:
            return matmul(transpose(G), X)
        return sum_(hadamard(G, X))


def vec(x) -> Expr:
    x = as_expr(x)
    if x.shape[1] == 1:
        return x
    if isinstance(x, Unvec):
        return x.args[0]
    return Vec._new((), (x,))


@primitive
class Unvec(Call):
    """The inverse of vec: a column of r*c entries laid out as an r x c matrix."""

    __slots__ = ()
    text_name = 'unvec'
    latex_name = '\\operatorname{vec}^{-1}'
    examples = ("unvec(v, m, n) * A",)  # A gives m and n to the generated code
    rules = {"v": Rule("unvec is a reshape", "d vec(unvec(v))/dv = I",
                       r"\frac{\partial \operatorname{vec}(\operatorname{unvec}(v))}{\partial v} = I")}

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), self.rules["v"]

    def _text(self, p):
        r, c = self.shape
        return f"unvec({p.doprint(self.args[0])}, {r}, {c})"

    def _code(self, p):
        return p.unvec(self.args[0], self.shape)

    def _explicit(self, ev):
        v = ev(self.args[0])
        r, c = ev.dims(self.shape)
        return sp.Matrix(r, c, lambda j, k: v[k * r + j, 0])


def unvec(v, m, n) -> Expr:
    """The column v of m*n entries laid out as an m x n matrix (the inverse of vec)."""
    v, m, n = as_expr(v, "unvec"), size(m), size(n)
    sizerules.UNVEC.check(v, m, n)
    return Unvec._new((m, n), (v,))


@primitive
class SoftmaxJacobian(Call):
    """The Jacobian of a column-wise softmax with output S: block-diagonal,
    diag(s_j) - s_j s_j^T for each column."""

    __slots__ = ()
    block = True
    text_name = 'softmax_jacobian'
    latex_name = 'J_{\\operatorname{softmax}}'

    @classmethod
    def _shape(cls, params, args):
        n = numel(args[0].shape)
        return (n, n)

    def _code(self, p):
        return f"_softmax_jacobian({p.ref(self.args[0], 0)})"

    def _explicit(self, ev):
        S = ev(self.args[0])
        n, m = S.shape
        J = sp.zeros(n * m, n * m)
        for k in range(m):
            for i in range(n):
                for j in range(n):
                    J[k * n + i, k * n + j] = S[i, k] * ((1 if i == j else 0) - S[j, k])
        return J

    def _pullback(self, G, in_shape):
        S = self.args[0]
        n, m = S.shape
        SG = hadamard(S, G)
        return add(SG, neg(hadamard(S, matmul(ones(n, 1), ones(1, n), SG))))


def softmax_jacobian(s) -> Expr:
    """The Jacobian of the column-wise softmax whose output is s."""
    return SoftmaxJacobian._new((), (as_expr(s, "softmax_jacobian"),))


def reshape_like(G: Expr, shape) -> Expr:
    """G, a gradient laid out as vec, in the given shape (only the reshapes that
    keep vec unchanged: a column, a row, a scalar)."""
    if G.shape == shape:
        return G
    if numel(G.shape) != numel(shape):
        raise ShapeError(f"cannot reshape {describe(G)} to {fmt_shape(shape)}")
    if (G.shape[0] == 1 or G.shape[1] == 1) and (shape[0] == 1 or shape[1] == 1):
        return transpose(G)
    if G.shape[1] == 1:
        if isinstance(G, Vec):
            return G.args[0]
        return Unvec._new((shape[0], shape[1]), (G,))
    if shape[1] == 1:
        return vec(G)
    raise ShapeError(f"cannot reshape {describe(G)} to {fmt_shape(shape)}")


def apply_linear(J: Expr, v: Expr) -> Expr:
    """J v for a Jacobian block J and v laid out as vec(input)."""
    if v.shape[1] != 1:
        v = vec(v)
    return matmul(J, v)


# The operations these blocks are made of; their modules are loaded with this one (core/__init__.py).
from .elementwise import add, hadamard, neg  # noqa: E402
from .matrix import matmul, sum_, transpose  # noqa: E402
