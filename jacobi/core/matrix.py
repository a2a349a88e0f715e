"""Matrix operations: the matrix product, the transpose, the sum of all
entries and softmax.  Each class is followed by its constructor."""
from __future__ import annotations

import sympy as sp

from . import functions as F
from . import sizerules
from .expr import ADD, BOTH, MATMUL, MUL, POSTFIX, ROWS, Call, Expr, SameShape
from .leaves import ONE, SCALAR, Ones, as_expr, commutation, identity, ones
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, numel


@primitive
class MatMul(Expr):
    """The matrix product A @ B @ ..."""

    __slots__ = ()
    precedence = MATMUL
    examples = ("A @ x", "A @ B @ C", "x.T @ A @ x")
    rules = {
        "X": Rule("matrix product", "d vec(L X R)/d vec(X) = R^T kron L",
                  r"\frac{\partial \operatorname{vec}(L X R)}{\partial \operatorname{vec}(X)} = R^{\top} \otimes L"),
        "x": Rule("matrix product", "d(A x)/dx = A", r"\frac{\partial (A x)}{\partial x} = A"),
        "row": Rule("dot product", "d(u x)/du = x^T for a row u", r"\frac{\partial (u x)}{\partial u} = x^{\top}"),
    }
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a product", "(A B)^T = B^T A^T", r"(A B)^{\top} = B^{\top} A^{\top}")

    def _transpose(self, t, keep):
        return MatMul._new((), tuple(t(a) for a in reversed(self.args)))

    @classmethod
    def _shape(cls, params, args):
        return (args[0].shape[0], args[-1].shape[1])

    def local_jacobian(self, i, out):
        # vec(L X R) = (R^T kron L) vec(X)
        X = self.args[i]
        L = matmul(*self.args[:i]) if i > 0 else None
        R = matmul(*self.args[i + 1:]) if i + 1 < len(self.args) else None
        rule = self.rules["X"]
        if R is None:
            if X.shape[1] == 1:
                return L, self.rules["x"]
            return kron(identity(X.shape[1]), L), rule
        if L is None and X.shape[0] == 1:  # a row times a matrix: vec(u R) = R^T vec(u), no Kronecker product
            return transpose(R), self.rules["row"]
        Lm = L if L is not None else identity(X.shape[0])
        return kron(transpose(R), Lm), rule

    def _text(self, p):
        return " @ ".join(p.paren(a, MATMUL + (k > 0)) for k, a in enumerate(self.args))

    def _tex(self, p):
        return " ".join(p.paren(a, MATMUL) for a in self.args)

    def _code(self, p):
        fs = self.args
        if len(fs) == 2:
            a, b = fs
            # M 1 and 1^T M are sums; 1 r^T and c 1^T are broadcasts: no ones matrix is built
            if isinstance(b, Ones) and b.shape[1] == 1:
                return p.reduce(a, 1)
            if isinstance(a, Ones) and a.shape[0] == 1:
                return p.reduce(b, 0)
            if isinstance(a, Ones) and a.shape[1] == 1 and b.shape[0] == 1:
                return p.broadcast(b, self.shape)
            if isinstance(b, Ones) and b.shape[0] == 1 and a.shape[1] == 1:
                return p.broadcast(a, self.shape)
            # 1 1^T M and M 1 1^T: the sums, spread over the other side (no n x n ones matrix)
            if isinstance(a, Ones):
                return p.spread(p.reduce(b, 0), self.shape)
            if isinstance(b, Ones):
                return p.spread(p.reduce(a, 1), self.shape)
        return p.product(fs)

    def _explicit(self, ev):
        out = ev(self.args[0])
        for a in self.args[1:]:
            out = out * ev(a)
        return out

    def _index(self, p, i, j):
        args = self.args
        idx = [i]
        sums = []
        for a in args[:-1]:
            if a.shape[1] == 1:
                idx.append(None)
            else:
                k = p.fresh()
                idx.append(k)
                sums.append(k)
        idx.append(j)
        parts = [p.wrap(p.entry(a, idx[n], idx[n + 1]), MUL + 1) for n, a in enumerate(args)]
        ones = [isinstance(a, Ones) or isinstance(a, Transpose) and isinstance(a.args[0], Ones) for a in args]
        body = " ".join([q for q, one in zip(parts, ones) if not one] or parts[:1])  # an entry of 1 multiplies nothing
        if not sums:
            return body, MUL
        return r"\sum_{" + ",".join(sums) + "} " + body, ADD

    def _pullback(self, G, in_shape):
        if not any(f.block for f in self.args):
            return super()._pullback(G, in_shape)
        g = G  # through each factor's own transpose rule, outermost first
        for k, f in enumerate(self.args):
            g = f._pullback(g, in_shape if k == len(self.args) - 1 else (f.shape[1], ONE))
        return g


def factors(e: Expr) -> list:
    """The factors of a product, nested products spliced in ((A B) C reads A, B, C); a product of 1 x 1
    inside a longer one (A (u^T v) B) is one factor, as it is written."""
    if not isinstance(e, MatMul):
        return [e]
    out = []
    for a in e.args:
        out.extend(_spliced(a))
    return out


def _spliced(a: Expr) -> list:
    return factors(a) if isinstance(a, MatMul) and not a.is_scalar else [a]


def _spread_at(fs) -> int | None:
    """The position i of a chain where a column of ones meets a row (1 r^T) or a column meets a row of
    ones (c 1^T): the product is the outer product of fs[:i+1] and fs[i+1:] there.  None where it has
    none, or where the chain is that outer product alone."""
    if len(fs) < 3:
        return None
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        if a.shape[1] == 1 and b.shape[0] == 1 and not a.is_scalar and not b.is_scalar \
                and (isinstance(a, Ones) or isinstance(b, Ones)):
            return i
    return None


def _associated(fs) -> Expr:
    """A chain of factors with its spreads kept apart: 1 1^T X is 1 (1^T X), the column sums spread over
    the rows, and X 1 1^T is (X 1) 1^T, never the product of X with an n x n ones matrix (the course's
    b 1^T and the batch's 1 mu^T are outer products; their sides are computed first)."""
    if len(fs) == 1:
        return fs[0]
    i = _spread_at(fs)
    if i is None:
        return MatMul._new((), tuple(fs))
    return MatMul._new((), (_associated(fs[:i + 1]), _associated(fs[i + 1:])))


def matmul(*factors_) -> Expr:
    if not factors_:
        raise JacobiError("matmul needs at least one factor")
    out = as_expr(factors_[0], "a matrix product")
    fs = factors(out) if isinstance(out, MatMul) else [out]
    for f in factors_[1:]:
        f = as_expr(f, "a matrix product")
        sizerules.MATMUL.check(out, f)
        fs.extend(factors(f))
        out = MatMul._new((), tuple(fs))
    return out if len(factors_) == 1 else _associated(fs)


@primitive
class Transpose(Expr):
    __slots__ = ()
    precedence = POSTFIX
    block = True
    examples = ("A.T", "(A @ x).T")
    rules = {
        "vector": Rule("transpose of a vector", "d x^T/dx = I", r"\frac{\partial x^{\top}}{\partial x} = I"),
        "X": Rule("transpose", "d vec(X^T)/d vec(X) = K",
                  r"\frac{\partial \operatorname{vec}(X^{\top})}{\partial \operatorname{vec}(X)} = K"),
    }
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a transpose", "(A^T)^T = A", r"(A^{\top})^{\top} = A")

    def _transpose(self, t, keep):
        return keep(self.args[0])

    @classmethod
    def _shape(cls, params, args):
        r, c = args[0].shape
        return (c, r)

    def local_jacobian(self, i, out):
        r, c = self.args[0].shape
        if r == 1 or c == 1:
            return identity(r * c), self.rules["vector"]
        return commutation(r, c), self.rules["X"]

    def _text(self, p):
        return p.paren(self.args[0], POSTFIX) + ".T"

    def _tex(self, p):
        return p.base(self.args[0]) + r"^{\top}"

    def _code(self, p):
        return p.transpose(self.args[0])

    def _explicit(self, ev):
        return ev(self.args[0]).T

    def _index(self, p, i, j):
        return p.entry(self.args[0], j, i)

    def _pullback(self, G, in_shape):
        # a transposed Jacobian block J^T: its own transpose rule is J itself
        J = self.args[0]
        if isinstance(J, Vec) and G.is_scalar and J.args[0].shape == in_shape:
            return smul(G, J.args[0])  # the row vec(D)^T, a scalar function's Jacobian: g D
        return reshape_like(apply_linear(J, G), in_shape)


def transpose(x) -> Expr:
    return Transpose._new((), (as_expr(x),))


@primitive
class Sum(Call):
    """The sum of all entries, a scalar."""

    __slots__ = ()
    text_name = 'sum'
    latex_name = '\\operatorname{sum}'
    examples = ("sum(A)", "sum(x * x)")
    rules = {"x": Rule("sum", "d sum(x)/dx = 1^T",
                       r"\frac{\partial \operatorname{sum}(x)}{\partial x} = \mathbf{1}^{\top}")}

    @classmethod
    def _shape(cls, params, args):
        return SCALAR

    def local_jacobian(self, i, out):
        return ones(1, numel(self.args[0].shape)), self.rules["x"]

    def _code(self, p):
        x = self.args[0]
        if isinstance(x, Hadamard) and x not in p.temps:  # a factor may know its sum: sum(onehot(y) * L)
            for k, f in enumerate(x.args):
                if hasattr(f, "_summed_times"):
                    rest = x.args[:k] + x.args[k + 1:]
                    return f._summed_times(p, rest[0] if len(rest) == 1 else Hadamard._new((), rest))
        return f"{p.np}.sum({p.ref(x, 0)})"

    def _explicit(self, ev):
        return sp.Matrix([[sum(ev(self.args[0]))]])

    def _index(self, p, i, j):
        x = self.args[0]
        ks = [p.fresh() if x.shape[0] != 1 else None, p.fresh() if x.shape[1] != 1 else None]
        body = p.wrap(p.entry(x, ks[0], ks[1]), MUL)
        return r"\sum_{" + ",".join(k for k in ks if k) + "} " + body, ADD


def sum_(x, axis=None) -> Expr:
    """The sum of all entries, a scalar; along an axis, dimensions kept: 1^T X (axis 0) or X 1 (axis 1).
    ``jc.sum(x)``, ``jc.sum(X, axis=0)``"""
    if axis is not None:
        return sum_along(x, axis)
    return Sum._new((), (as_expr(x, "sum"),))


def dot(u, v) -> Expr:
    """u . v = u^T v for two vectors of one size: a scalar."""
    u, v = as_expr(u, "dot"), as_expr(v, "dot")
    sizerules.DOT.check(u, v)
    return matmul(transpose(u), v)


class _AlongAxis(Call, SameShape):
    """softmax-like: column by column (axis 0) or, in generated code, row by row (axis 1)."""

    __slots__ = ()
    moves_transpose = frozenset((ROWS,))
    transpose_rule = Rule("transpose of a softmax", "softmax(Z)^T = softmax of Z^T along the other axis",
                          r"\operatorname{softmax}(Z)^{\top} = \operatorname{softmax}_{\text{rows}}(Z^{\top})")

    def _transpose(self, t, keep):
        return type(self)._new((1 - self.axis,), (t(self.args[0]),))

    @property
    def axis(self) -> int:
        return self.params[0]

    def _text(self, p):
        if self.axis == 0:
            return super()._text(p)
        return f"{self.text_name}({p.doprint(self.args[0])}, axis=1)"  # row by row

    def _tex(self, p):
        rows = r"_{\text{rows}}" if self.axis == 1 else ""
        return self.latex_name + rows + r"\left(" + p.doprint(self.args[0]) + r"\right)"


@primitive
class Softmax(_AlongAxis):
    """softmax of a vector; of a matrix, column by column (axis 0) or, in
    generated code that stores examples as rows, row by row (axis 1)."""

    __slots__ = ()
    text_name = 'softmax'
    latex_name = '\\operatorname{softmax}'
    examples = ("softmax(z)", "softmax(A @ x)")
    rules = {
        "z": Rule("softmax", "ds/dz = diag(s) - s s^T, entry (i, j) s_i (delta_ij - s_j)",
                  r"\frac{\partial s_{i}}{\partial z_{j}} = s_{i} (\delta_{ij} - s_{j}) \text{, so } "
                  r"\frac{\partial s}{\partial z} = \operatorname{diag}(s) - s s^{\top}"),
        "Z": Rule("softmax by columns", "ds_j/dz_j = diag(s_j) - s_j s_j^T",
                  r"\frac{\partial s_{j}}{\partial z_{j}} = \operatorname{diag}(s_{j}) - s_{j} s_{j}^{\top}"),
        "rows": Rule("softmax by rows", "dS/dZ: S * (G - rowsum(S * G)) pulls G back",
                     r"\bar{Z} = S \odot \left(\bar{S} - (S \odot \bar{S}) \mathbf{1} \mathbf{1}^{\top}\right)"),
    }

    def local_jacobian(self, i, out):
        if self.axis == 1:
            return axis_softmax_jacobian(out, 1), self.rules["rows"]
        if self.shape[1] == 1:
            return add(diag(out), neg(matmul(out, transpose(out)))), self.rules["z"]
        return SoftmaxJacobian._new((), (out,)), self.rules["Z"]

    def _code(self, p):
        return p.call("softmax", self.axis, p.ref(self.args[0], 0), self.is_scalar)

    def _explicit(self, ev):
        z = ev(self.args[0])
        f = sp.exp if ev.elementary else F.FUNCTIONS["exp"].sympy
        if self.axis == 1:
            z = z.T
        out = sp.zeros(z.rows, z.cols)
        for k in range(z.cols):
            e = [f(z[j, k]) for j in range(z.rows)]
            tot = sum(e)
            for j in range(z.rows):
                out[j, k] = e[j] / tot
        return out.T if self.axis == 1 else out


def softmax(x, axis: int = 0) -> Expr:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j); a matrix is taken column by column (axis 0) or row by
    row (axis 1).  ``jc.softmax(S, axis=1)``"""
    return Softmax._new((axis_of(axis, "softmax", none=False),), (as_expr(x, "softmax"),))


@primitive
class LogSoftmax(_AlongAxis):
    """log(softmax(z)) = z - log(sum(exp(z))), computed through log-sum-exp so
    that no log of an underflowed zero is ever taken."""

    __slots__ = ()
    text_name = 'log_softmax'
    latex_name = '\\log\\operatorname{softmax}'
    examples = ("log_softmax(z)", "log_softmax(A @ x)")
    rules = {"z": Rule("log-softmax", "d log(softmax(z))/dz = I - 1 s^T",
                       r"\frac{\partial \log \operatorname{softmax}(z)}{\partial z} = I - \mathbf{1} s^{\top}"),
             "Z": Rule("log-softmax along an axis", "G pulls back to G - softmax(Z) * (the sums of G along the axis)",
                       r"\bar{Z} = \bar{L} - \operatorname{softmax}(Z) \odot \bar{L} \mathbf{1} \mathbf{1}^{\top}")}

    def local_jacobian(self, i, out):
        z = self.args[0]
        if self.axis != 0 or self.shape[1] != 1:
            return axis_softmax_jacobian(Softmax._new((self.axis,), (z,)), self.axis, log=True), self.rules["Z"]
        n = z.shape[0]
        return add(identity(n), neg(matmul(ones(n, 1), transpose(softmax(z))))), self.rules["z"]

    def _code(self, p):
        return p.call("log_softmax", self.axis, p.ref(self.args[0], 0), self.is_scalar)

    def _explicit(self, ev):
        return Softmax._new((self.axis,), self.args)._explicit(ev).applyfunc(sp.log)


def log_softmax(x, axis: int = 0) -> Expr:
    """log(softmax(z)) through log-sum-exp."""
    return LogSoftmax._new((axis_of(axis, "log_softmax", none=False),), (as_expr(x, "log_softmax"),))


# The nodes these operations build on; their modules are loaded with this one (core/__init__.py).
from .axis import axis_of, axis_softmax_jacobian, sum_along  # noqa: E402
from .blocks import SoftmaxJacobian, Vec, apply_linear, diag, reshape_like  # noqa: E402
from .elementwise import Hadamard, add, neg, smul  # noqa: E402
from .kronecker import kron  # noqa: E402
