"""Functions of a square matrix: the trace, the determinant, the log-determinant, the inverse and the
integer matrix power.  Each class is followed by its constructor; the parser's names are registered
at the end (one shape rule each, shared with the constructors: sizerules.py).

Derivatives are numerator layout over vec, as everywhere in jacobi.  The Jacobian of a scalar function
of X with gradient D is the row vec(D)^T, which the chain rule pulls back as g D (Transpose's transpose
rule); the inverse's is the Kronecker block -(X^{-T} kron X^{-1}), pulled back as -X^{-T} G X^{-T}.
"""
from __future__ import annotations

import sympy as sp

from . import sizerules
from .blocks import vec
from .callables import register_callable
from .elementwise import add, neg, smul
from .expr import ADD, ATOM, BOTH, MUL, POSTFIX, POW, Call, Expr
from .kronecker import kron
from .leaves import Identity, Symbol, as_expr, identity, zeros
from .matrix import Transpose, matmul, transpose
from .powersum import exponent, power_sum
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, numel


def _row(D: Expr) -> Expr:
    """The Jacobian of a scalar function whose gradient is D: vec(D)^T."""
    return transpose(vec(D))


class _Square(Call):
    """A function of one square matrix: name(X)."""

    __slots__ = ()

    def _code(self, p):
        X = self.args[0]
        if X.is_scalar:  # a 1 x 1 operand's array may be 0-d, which numpy's linalg refuses
            return self._scalar_code(p, X)
        return p.linalg(self.text_name, x=p.ref(X, 0))

    @classmethod
    def of(cls, X) -> Expr:
        """The node over X, its shape rule checked (X square)."""
        X = as_expr(X, cls.text_name)
        cls.shape_rule.check(X)
        return cls._new((), (X,))


@primitive
class Trace(_Square):
    """tr(X), the sum of the diagonal of a square matrix: a scalar."""

    __slots__ = ()
    text_name = "trace"
    latex_name = r"\operatorname{tr}"
    shape_rule = sizerules.TRACE
    examples = ("trace(A @ X)", "trace(X.T @ A)", "trace(x @ y.T)", "trace(A @ X @ B)")
    rules = {"X": Rule("trace", "d tr(X)/dX = I", r"\frac{\partial \operatorname{tr}(X)}{\partial X} = I")}

    def local_jacobian(self, i, out):
        return _row(identity(self.args[0].shape[0])), self.rules["X"]

    def _scalar_code(self, p, X):
        return p.ref(X, 0)

    def _explicit(self, ev):
        return sp.Matrix([[ev(self.args[0]).trace()]])

    def _index(self, p, i, j):
        k = p.fresh()
        return r"\sum_{" + k + "} " + p.wrap(p.entry(self.args[0], k, k), MUL), ADD


def trace(X) -> Expr:
    """tr(X), the sum of the diagonal entries of a square X.  ``jc.trace(A @ X)``"""
    return Trace.of(X)


@primitive
class Det(_Square):
    """det(X), the determinant of a square matrix: a scalar."""

    __slots__ = ()
    text_name = "det"
    latex_name = r"\det"
    shape_rule = sizerules.DET
    examples = ("det(X)", "det(A @ B)", "det(X) * x")
    rules = {"X": Rule("determinant (Jacobi's formula)", "d det(X)/dX = det(X) X^-T",
                       r"\frac{\partial \det(X)}{\partial X} = \det(X)\, X^{-\top}")}

    def local_jacobian(self, i, out):
        # out is det(X) itself, or the intermediate variable that names it
        return _row(smul(out, inv(transpose(self.args[0])))), self.rules["X"]

    def _scalar_code(self, p, X):
        return p.ref(X, 0)

    def _explicit(self, ev):
        return sp.Matrix([[ev(self.args[0]).det(method="berkowitz")]])


def det(X) -> Expr:
    """det(X), the determinant of a square X.  ``jc.det(X)``"""
    return Det.of(X)


@primitive
class LogDet(_Square):
    """log |det(X)|, computed from an LU factorisation (slogdet): it neither overflows nor underflows
    where det(X) itself would."""

    __slots__ = ()
    text_name = "logdet"
    precedence = MUL  # LaTeX: a power or a product parenthesises log|det(X)|, as it would log|det(X)| x
    text_precedence = ATOM  # logdet(X)
    shape_rule = sizerules.LOGDET
    examples = ("logdet(X)", "logdet(X @ X.T + I)", "logdet(A @ B)")
    rules = {"X": Rule("log-determinant", "d log|det(X)|/dX = X^-T",
                       r"\frac{\partial \log\left|\det(X)\right|}{\partial X} = X^{-\top}")}

    def local_jacobian(self, i, out):
        return _row(inv(transpose(self.args[0]))), self.rules["X"]

    def _tex(self, p):
        if is_positive_definite(self.args[0]):  # det > 0: the textbook's log det A
            return r"\log\det\left(" + p.doprint(self.args[0]) + r"\right)"
        return r"\log\left|\det\left(" + p.doprint(self.args[0]) + r"\right)\right|"

    def _scalar_code(self, p, X):
        return f"{p.np}.log({p.np}.abs({p.ref(X, 0)}))"

    def _explicit(self, ev):
        d = ev(self.args[0]).det(method="berkowitz")
        return sp.Matrix([[sp.log(sp.Abs(d))]])


def logdet(X) -> Expr:
    """log |det(X)| for a square X, the log-determinant (numerically through slogdet).  ``jc.logdet(X)``"""
    return LogDet.of(X)


def _superscript(p, X, power: str) -> str:
    """X^{power}, and X^{-T} for the inverse of a transpose."""
    if power == "-1" and isinstance(X, Transpose):
        return p.base(X.args[0]) + r"^{-\top}"
    return p.base(X) + "^{" + power + "}"


@primitive
class Inv(_Square):
    """X^{-1}, the inverse of a square matrix.  Generated code solves a system where the inverse
    multiplies something (inv(A) @ B is solve(A, B)), and forms the inverse only where it stands alone."""

    __slots__ = ()
    text_name = "inv"
    precedence = POSTFIX  # X^{-1} binds as a transpose in LaTeX
    text_precedence = ATOM  # inv(X)
    shape_rule = sizerules.INV
    examples = ("inv(X) @ x", "x.T @ inv(X) @ x", "sum(inv(X))", "trace(inv(X))", "inv(A @ B)")
    rules = {"X": Rule("inverse", "d vec(X^-1)/d vec(X) = -(X^-T kron X^-1)",
                       r"\frac{\partial \operatorname{vec}(X^{-1})}{\partial \operatorname{vec}(X)} "
                       r"= -\left(X^{-\top} \otimes X^{-1}\right)")}
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of an inverse", "inv(X)^T = inv(X^T)", r"(X^{-1})^{\top} = (X^{\top})^{-1}")

    def _transpose(self, t, keep):
        return inv(t(self.args[0]))

    def local_jacobian(self, i, out):
        # out is X^{-1} itself, or the intermediate variable that names it: -(out^T kron out)
        return neg(kron(transpose(out), out)), self.rules["X"]

    def _tex(self, p):
        return _superscript(p, self.args[0], "-1")

    def _scalar_code(self, p, X):
        return "1 / " + p.ref(X, MUL + 1)

    def _explicit(self, ev):
        return ev(self.args[0]).inv(method="ADJ")


def inv(X) -> Expr:
    """X^{-1}, the inverse of a square X.  ``jc.inv(X) @ b``"""
    return Inv.of(X)


#: the most terms the derivative of an integer matrix power may have: d X^k is a sum of |k| products
MAX_POWER_TERMS = 64


@primitive
class MatrixPower(Expr):
    """X^k for a square X and an integer k: k = 0 is the identity, a negative k a power of the inverse.
    k may be a size (a positive integer named k); its derivative, a sum over i of (X^T)^(k-1-i) kron X^i,
    is then one power sum (powersum.py), as it is for a number k past MAX_POWER_TERMS."""

    __slots__ = ()
    precedence = POSTFIX
    text_precedence = ATOM  # matrix_power(X, k)
    examples = ("trace(matrix_power(X, 3))", "matrix_power(X, 2) @ x", "sum(matrix_power(X, -2))",
                "matrix_power(X, 0) @ x + matrix_power(X, 1) @ x", "trace(matrix_power(X, k))",
                "matrix_power(X, k) @ x", "sum(matrix_power(X, k) * A)")
    rules = {
        "k": Rule("matrix power", "d vec(X^k)/d vec(X) = sum_{i=0}^{k-1} (X^T)^(k-1-i) kron X^i",
                  r"\frac{\partial \operatorname{vec}(X^{k})}{\partial \operatorname{vec}(X)} "
                  r"= \sum_{i=0}^{k-1} (X^{\top})^{k-1-i} \otimes X^{i}"),
        "-k": Rule("negative matrix power", "d vec(X^-k)/d vec(X) = -sum_{j=1}^{k} (X^-T)^(k+1-j) kron X^-j",
                   r"\frac{\partial \operatorname{vec}(X^{-k})}{\partial \operatorname{vec}(X)} "
                   r"= -\sum_{j=1}^{k} (X^{-\top})^{k+1-j} \otimes X^{-j}"),
        "0": Rule("zeroth matrix power", "d vec(X^0)/d vec(X) = 0",
                  r"\frac{\partial \operatorname{vec}(X^{0})}{\partial \operatorname{vec}(X)} = 0"),
    }
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a matrix power", "(X^k)^T = (X^T)^k", r"(X^{k})^{\top} = (X^{\top})^{k}")

    @property
    def power(self) -> sp.Expr:
        return self.params[0]

    def _transpose(self, t, keep):
        return MatrixPower._new(self.params, (t(self.args[0]),))

    @classmethod
    def _shape(cls, params, args):
        return args[0].shape

    def local_jacobian(self, i, out):
        X, k = self.args[0], self.power
        if not k.is_Integer or abs(int(k)) > MAX_POWER_TERMS:
            return self._closed_form(X, k)
        k = int(k)
        if k == 0:
            n = numel(X.shape)
            return zeros(n, n), self.rules["0"]
        if k > 0:
            Xt = transpose(X)
            return add(*[kron(_power(Xt, k - 1 - j), _power(X, j)) for j in range(k)]), self.rules["k"]
        # X^-m = (X^-1)^m: the sum over the powers of Y = X^-1, times d vec(Y) = -(Y^T kron Y) d vec(X)
        m = -k
        Y = inv(X)
        Yt = transpose(Y)
        return neg(add(*[kron(_power(Yt, m + 1 - j), _power(Y, j)) for j in range(1, m + 1)])), self.rules["-k"]

    def _closed_form(self, X, k):
        """The sum over i as one power sum, for a size k or a number past MAX_POWER_TERMS: sum_i (X^T)^(k-1-i)
        kron X^i = power_sum(I kron X, I, X^T kron I, k); for a negative k, that of Y = X^-1 times -(Y^T kron Y)."""
        if k.is_Integer and k < 0:
            Y = inv(X)
            J, _ = MatrixPower._new((-k,), (Y,))._closed_form(Y, -k)
            return neg(matmul(J, kron(transpose(Y), Y))), self.rules["-k"]
        n = X.shape[0]
        I = identity(n)
        return power_sum(kron(I, X), identity(n * n), kron(transpose(X), I), k), self.rules["k"]

    def _text(self, p):
        return f"matrix_power({p.doprint(self.args[0])}, {self.power})"

    def _tex(self, p):
        return _superscript(p, self.args[0], sp.latex(self.power))

    def _code(self, p):
        X = self.args[0]
        if X.is_scalar:
            return p.ref(X, POW + 1) + " ** " + p.size_or_number(self.power)
        return p.linalg("matrix_power", x=p.ref(X, 0), k=p.size_or_number(self.power))

    def _explicit(self, ev):
        k = ev.subs_sizes(self.power)
        if not k.is_Integer:
            raise JacobiError(f"no number given for the power {self.power} of {self}")
        M = ev(self.args[0])
        return M ** int(k) if k >= 0 else M.inv(method="ADJ") ** int(-k)


def _power(X: Expr, j: int) -> Expr:
    """X^j as the textbook writes it: I, X, X^{-1} or a matrix power."""
    if j == 0:
        return identity(X.shape[0])
    if j == 1:
        return X
    if j == -1:
        return inv(X)
    return MatrixPower._new((sp.Integer(j),), (X,))


def matrix_power(X, k) -> Expr:
    """X^k for a square X and an integer k (negative: a power of the inverse; 0: the identity), or a size
    name k.  ``jc.matrix_power(X, 3)``"""
    X = as_expr(X, "matrix_power")
    sizerules.MATRIX_POWER.check(X)
    return MatrixPower._new((exponent(k, "matrix_power"),), (X,))


def is_symmetric(X: Expr) -> bool:
    """Whether X is known to be symmetric: a symbol declared so (jacobi.core.structure), the identity, or a
    transpose, inverse or matrix power of one."""
    while isinstance(X, (Transpose, Inv, MatrixPower)):
        X = X.args[0]
    return isinstance(X, Symbol) and X.symmetric or isinstance(X, Identity)


def is_positive_definite(X: Expr) -> bool:
    """Whether X is known to be positive definite: a symbol declared so, the identity, or a transpose, inverse
    or matrix power of one (so det(X) > 0)."""
    while isinstance(X, (Transpose, Inv, MatrixPower)):
        X = X.args[0]
    return isinstance(X, Symbol) and X.positive_definite or isinstance(X, Identity)


register_callable("trace", trace, args="X", shape=sizerules.TRACE)
register_callable("det", det, args="X", shape=sizerules.DET)
register_callable("logdet", logdet, args="X", shape=sizerules.LOGDET)
register_callable("inv", inv, args="X", shape=sizerules.INV)
register_callable("matrix_power", matrix_power, args="X, k", shape=sizerules.MATRIX_POWER, integers=(1,))
