"""Batches, rows are examples: reductions along an axis (dimensions kept), the maximum with the entry
that attains it, and the Jacobian blocks of softmax and log-softmax along either axis.

The sum along an axis is a product with ones, 1^T X (axis 0, one row) and X 1 (axis 1, one column), and
the mean and the variance are built from it and from broadcasting, so they need no rule of their own;
the maximum is a primitive.  Axes are numpy's: 0 reduces over the rows (one entry per column), 1 over
the columns (one entry per row), None over every entry.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from . import sizerules
from .expr import ATOM, Call, Expr
from .leaves import Const, as_expr, identity, ones
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, ShapeError, numel


def axis_of(axis, what: str, none: bool = True):
    """numpy's axis of a 2-D array as 0 or 1 (-2 and -1 too), or None where the operation takes it."""
    if axis is None and none:
        return None
    if isinstance(axis, (Fraction, sp.Basic)) and (sp.Rational(axis).q == 1):
        axis = int(axis)
    if isinstance(axis, bool) or not isinstance(axis, int) or axis not in (0, 1, -1, -2):
        allowed = "None, 0 or 1" if none else "0 or 1"
        raise JacobiError(f"{what}'s axis is {allowed} (0: down the rows, one entry per column; 1: along the "
                          f"columns, one entry per row), not {axis!r}")
    return axis % 2


# The shape rules of the reductions (the parser passes the axis as the number written)

def _axis_arg(args, k):
    """The axis argument at position k (an int: the parser passes the number written, the constructors the
    axis), None where it is not given, or False where it is no axis."""
    if len(args) <= k:
        return None
    a = args[k]
    if a is None:
        return None
    if isinstance(a, tuple) or isinstance(a, bool):
        return False
    try:
        if int(a) != a:
            return False
    except (TypeError, ValueError):
        return False
    return int(a) % 2 if int(a) in (0, 1, -1, -2) else False


def _reduce(args, S):
    """sum, mean, var, max (X, axis): a scalar over every entry, (1, n) down the rows, (m, 1) along the
    columns."""
    axis = _axis_arg(args, 1)
    if axis is False or any(not isinstance(a, tuple) or len(a) != 2 for a in args[:1]):
        return None
    r, c = args[0]
    return (S.one, S.one) if axis is None else ((S.one, c) if axis == 0 else (r, S.one))


def _along(args, S):
    """softmax, log_softmax (z, axis): the shape of z; the axis is 0 or 1."""
    axis = _axis_arg(args, 1)
    return None if axis is False else args[0]


REDUCE = sizerules.ShapeRule(_reduce, "the axis of a reduction is 0 (down the rows) or 1 (along the columns), "
                                       "given for {0}")
ALONG = sizerules.ShapeRule(_along, "the axis of softmax and log_softmax is 0 (by columns) or 1 (by rows), "
                                     "given for {0}")


def sum_along(X, axis=None) -> Expr:
    """The sum along an axis, dimensions kept: 1^T X (axis 0, shape (1, n)) and X 1 (axis 1, shape (m, 1));
    axis None is the sum of every entry.  ``jc.sum(X, axis=0)``"""
    X = as_expr(X, "sum")
    axis = axis_of(axis, "sum")
    if axis is None:
        return Sum._new((), (X,))
    m, n = X.shape
    if axis == 0:
        return X if m == 1 else matmul(ones(1, m), X)
    return X if n == 1 else matmul(X, ones(n, 1))


def _count(X: Expr, axis):
    m, n = X.shape
    return numel(X.shape) if axis is None else (m if axis == 0 else n)


def mean(X, axis=None) -> Expr:
    """The mean along an axis (dimensions kept), or of every entry: (1/m) 1^T X for axis 0.
    ``jc.mean(X, axis=0)``"""
    X = as_expr(X, "mean")
    axis = axis_of(axis, "mean")
    return div(sum_along(X, axis), Const.make(_count(X, axis)))


def var(X, axis=None, ddof=0) -> Expr:
    """The variance along an axis (dimensions kept), or of every entry: sum((X - mean)^2) / (N - ddof)
    with N the entries reduced; ddof=1 is Bessel's correction.  ``jc.var(X, axis=0, ddof=1)``"""
    X = as_expr(X, "var")
    axis = axis_of(axis, "var")
    if isinstance(ddof, (Fraction, sp.Basic)) and sp.Rational(ddof).q == 1:
        ddof = int(ddof)
    if isinstance(ddof, bool) or not isinstance(ddof, int) or ddof < 0:
        raise JacobiError(f"var's ddof is an integer >= 0 (1: Bessel's correction), not {ddof!r}")
    N = _count(X, axis)
    if sp.sympify(N - ddof).is_positive is False:
        raise ShapeError(f"var with ddof={ddof} needs more than {ddof} entries along the axis; {X} has {N}")
    return div(sum_along(power(sub(X, mean(X, axis)), 2), axis), Const.make(N - ddof))


def _reduced_shape(shape, axis):
    m, n = shape
    if axis is None:
        return (ONE, ONE)
    return (ONE, n) if axis == 0 else (m, ONE)


_MAX_RULES = {
    None: Rule("maximum", "d max(X)/dX = vec(M)^T, M the indicator of the first maximal entry",
               r"\frac{\partial \max(X)}{\partial X} = \operatorname{vec}(M)^{\top}"),
    0: Rule("maximum down the rows", "d max_i(X)/dX = (I kron 1^T) diag(M), M the first argmax of each column",
            r"\frac{\partial \max_{i}(X)}{\partial X} = (I \otimes \mathbf{1}^{\top}) \operatorname{diag}(M)"),
    1: Rule("maximum along the columns", "d max_j(X)/dX = (1^T kron I) diag(M), M the first argmax of each row",
            r"\frac{\partial \max_{j}(X)}{\partial X} = (\mathbf{1}^{\top} \otimes I) \operatorname{diag}(M)"),
}


class _Reduction(Call):
    """A node with an axis parameter (None, 0 or 1), printed name(X) or name(X, axis=a)."""

    __slots__ = ()

    @property
    def axis(self):
        return self.params[0]

    def _text(self, p):
        x = p.doprint(self.args[0])
        return f"{self.text_name}({x})" if self.axis is None else f"{self.text_name}({x}, axis={self.axis})"


@primitive
class Max(_Reduction):
    """The maximum along an axis (dimensions kept), or of every entry.  Its derivative goes to the entry
    that attains the maximum; at a tie, to the first such entry (numpy's argmax: the lowest row index for
    axis 0, the lowest column index for axis 1, the first in row-major order for every entry)."""

    __slots__ = ()
    text_name = "max"
    examples = ("max(A)", "max(A, 0)", "max(A, 1)", "sum(max(A @ B, 1) * x)", "max(x)")
    rules = {"X": _MAX_RULES[0]}

    @classmethod
    def _shape(cls, params, args):
        return _reduced_shape(args[0].shape, params[0])

    def local_jacobian(self, i, out):
        X = self.args[0]
        M = argmax_mask(X, self.axis)
        m, n = X.shape
        if self.axis is None:
            return transpose(vec(M)), _MAX_RULES[None]
        if self.axis == 0:
            return matmul(kron(identity(n), ones(1, m)), diag(M)), _MAX_RULES[0]
        return matmul(kron(ones(1, n), identity(m)), diag(M)), _MAX_RULES[1]

    def _tex(self, p):
        sub_ = {None: "", 0: "_{i}", 1: "_{j}"}[self.axis]
        return r"\max" + sub_ + r"\left(" + p.doprint(self.args[0]) + r"\right)"

    def _code(self, p):
        if self.axis is None:
            return p.be.fmt("max_all", x=p.ref(self.args[0], 0))
        return p.be.fmt("max", x=p.ref(self.args[0], ATOM), a=self.axis)  # a method of the operand

    def _explicit(self, ev):
        # sum_i m_i x_i with the first-maximum indicators m of _first_max (Heavisides: SymPy differentiates them)
        X = ev(self.args[0])
        groups = _groups(X, self.axis)
        vals = [sum(_first_max(X, g, a) * X[j, k] for a, (j, k) in enumerate(g)) for g in groups]
        if self.axis is None:
            return sp.Matrix([vals])
        return sp.Matrix(1, X.cols, vals) if self.axis == 0 else sp.Matrix(X.rows, 1, vals)


def _groups(X, axis) -> list:
    """The entries (j, k) that one maximum runs over, in numpy's order (row-major for every entry)."""
    if axis is None:
        return [[(j, k) for j in range(X.rows) for k in range(X.cols)]]
    if axis == 0:
        return [[(j, k) for j in range(X.rows)] for k in range(X.cols)]
    return [[(j, k) for k in range(X.cols)] for j in range(X.rows)]


def _first_max(X, g, a):
    """1 where entry a of the group g is its first maximum: strictly above the entries before it, at least
    the entries after it."""
    j, k = g[a]
    return sp.Mul(*[sp.Heaviside(X[j, k] - X[r, c], 0 if b < a else 1) for b, (r, c) in enumerate(g) if b != a])


def max_(X, axis=None) -> Expr:
    """The maximum along an axis (dimensions kept), or of every entry; its derivative goes to the first
    entry that attains it.  ``jc.max(X, axis=1)``"""
    X = as_expr(X, "max")
    axis = axis_of(axis, "max")
    if X.is_scalar or (axis == 0 and X.shape[0] == 1) or (axis == 1 and X.shape[1] == 1):
        return X
    return Max._new((axis,), (X,))


@primitive
class ArgmaxMask(_Reduction):
    """The 0/1 matrix of X's shape with a 1 at the first entry that attains the maximum along the axis
    (numpy's argmax), or over every entry: piecewise constant, so its derivative is zero."""

    __slots__ = ()
    text_name = "argmax_mask"
    examples = ("sum(argmax_mask(A, 0) * A)", "sum(argmax_mask(A, 1) * B)")
    rules = {"X": Rule("indicator of the maximum", "d M/dX = 0 (piecewise constant)",
                       r"\frac{\partial M}{\partial X} = 0")}

    @classmethod
    def _shape(cls, params, args):
        return args[0].shape

    def local_jacobian(self, i, out):
        k = numel(self.shape)
        return zeros(k, k), self.rules["X"]

    def _tex(self, p):
        sub_ = {None: "", 0: "_{i}", 1: "_{j}"}[self.axis]
        return r"\operatorname{argmax}" + sub_ + r"\left(" + p.doprint(self.args[0]) + r"\right)"

    def _code(self, p):
        return f"_argmax_mask({p.ref(self.args[0], 0)}, {self.axis})"

    def _explicit(self, ev):
        X = ev(self.args[0])
        out = sp.zeros(X.rows, X.cols)
        for g in _groups(X, self.axis):
            for a, (j, k) in enumerate(g):
                out[j, k] = _first_max(X, g, a)
        return out


def argmax_mask(X, axis=None) -> Expr:
    """1 at the first maximal entry along the axis (or over every entry), 0 elsewhere."""
    return ArgmaxMask._new((axis_of(axis, "argmax_mask"),), (as_expr(X, "argmax_mask"),))


@primitive
class AxisSoftmaxJacobian(Call):
    """The Jacobian (over vec) of softmax (params (axis, False)) or log-softmax ((axis, True)) along an
    axis, given the softmax S: block-diagonal by column for axis 0 and interleaved by row for axis 1.  Its
    transpose rule never forms it: softmax pulls G back to S * (G - rowsum(S * G)) (axis 1), log-softmax
    to G - S * rowsum(G); axis 0 with column sums."""

    __slots__ = ()
    block = True
    text_name = "softmax_jacobian"

    @classmethod
    def _shape(cls, params, args):
        k = numel(args[0].shape)
        return (k, k)

    def _text(self, p):
        return f"{'log_' if self.params[1] else ''}softmax_jacobian({p.doprint(self.args[0])}, {self.params[0]})"

    def _tex(self, p):
        name = r"J_{\log\operatorname{softmax}" if self.params[1] else r"J_{\operatorname{softmax}"
        return name + f", {self.params[0]}}}" + r"\left(" + p.doprint(self.args[0]) + r"\right)"

    def _code(self, p):
        axis, log = self.params
        return f"_softmax_jacobian_axis({p.ref(self.args[0], 0)}, {axis}, {log})"

    def _explicit(self, ev):
        S = ev(self.args[0])
        m, n = S.shape
        axis, log = self.params
        J = sp.zeros(m * n, m * n)
        for k in range(n):
            for i in range(m):
                for ll in range(n):
                    for j in range(m):
                        if axis == 0 and k == ll:
                            v = (1 if i == j else 0) - S[j, k]
                        elif axis == 1 and i == j:
                            v = (1 if k == ll else 0) - S[i, ll]
                        else:
                            continue
                        J[k * m + i, ll * m + j] = v if log else S[i, k] * v
        return J

    def _pullback(self, G, in_shape):
        S = self.args[0]
        axis, log = self.params
        G = reshape_like(G, S.shape)
        if log:
            return reshape_like(sub(G, mul(S, sum_along(G, axis))), in_shape)
        return reshape_like(mul(S, sub(G, sum_along(mul(S, G), axis))), in_shape)


def axis_softmax_jacobian(s, axis: int, log: bool = False) -> Expr:
    """The Jacobian of softmax (or log-softmax) along axis whose softmax is s."""
    return AxisSoftmaxJacobian._new((axis_of(axis, "softmax_jacobian", none=False), bool(log)),
                                    (as_expr(s, "softmax_jacobian"),))


# The nodes these build on; their modules are loaded with this one (core/__init__.py).
from .blocks import diag, reshape_like, vec  # noqa: E402
from .elementwise import mul, sub  # noqa: E402
from .kronecker import kron  # noqa: E402
from .leaves import ONE, zeros  # noqa: E402
from .matrix import Sum, matmul, transpose  # noqa: E402
from .powers import div, power  # noqa: E402
