"""Leaves: symbols, constants and the structured constant matrices (0, 1, I, K).

Each class is followed by its constructor.  Constructors check their input,
turn numbers into constants and never simplify.
"""
from __future__ import annotations

from fractions import Fraction
from numbers import Number

import sympy as sp

from . import structure
from .expr import ADD, ATOM, BOTH, MATMUL, MUL, POSTFIX, Expr
from .printing import constant_precedence
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, not_real, size

ONE = sp.Integer(1)
SCALAR = (ONE, ONE)


@primitive
class Symbol(Expr):
    """A named scalar, vector or matrix variable."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return (params[1], params[2])

    @property
    def name(self) -> str:
        return self.params[0]

    @property
    def kind(self) -> str:
        return self.params[3]

    @property
    def latex_name(self) -> str:
        return self.params[4] or sp.latex(sp.Symbol(self.name))

    @property
    def assumptions(self) -> frozenset:
        return self.params[5]

    @property
    def symmetric(self) -> bool:
        """Declared symmetric, A^T = A (so is a positive definite or a diagonal matrix)."""
        return "symmetric" in self.params[5]

    @property
    def positive_definite(self) -> bool:  # symmetric, with det > 0
        return "positive_definite" in self.params[5]

    @property
    def diagonal(self) -> bool:  # symmetric, zero off the diagonal
        return "diagonal" in self.params[5]

    @property
    def declaration(self) -> str:
        """The call that constructs this symbol: ``jc.matrix("A", "n", "n", symmetric=True)``."""
        return structure.declaration(self)

    def _text(self, p):
        return self.name

    def _tex(self, p):
        return self.latex_name

    def _code(self, p):
        return p.arg_name(self)

    def _index(self, p, i, j):
        return p.element(self, "".join(x for x in (i, j) if x is not None)), ATOM

    def _explicit(self, ev):
        return structure.components(self, *ev.dims(self.shape))


def new_symbol(name, rows, cols, kind, latex=None, assume=()) -> Symbol:
    if not isinstance(name, str) or not name or not (name[0].isalpha()) or not name.replace("_", "a").isalnum():
        raise JacobiError(f"a symbol name must be an identifier such as 'x' or 'W1', not {name!r}")
    if latex is not None and not isinstance(latex, str):
        raise JacobiError(f"latex= must be a string, not {latex!r}")
    return Symbol._new((name, size(rows), size(cols), kind, latex, frozenset(assume)), ())


def scalar(name: str, *, latex: str | None = None, **structure_) -> Symbol:
    """A scalar symbol.  ``jc.scalar("eta")``"""
    structure.declared("scalar", name, 1, 1, structure_)  # refuses symmetric=True and the like, by name
    return new_symbol(name, 1, 1, "scalar", latex)


def vector(name: str, n, *, latex: str | None = None, distribution: bool = False, **structure_) -> Symbol:
    """A column vector of n entries; n is an int or a name.  ``jc.vector("x", "n")``

    distribution=True declares that the entries sum to one (a probability
    vector, such as a one-hot target); the simplifier may use sum(x) = 1.
    """
    structure.declared("vector", name, size(n), 1, structure_)
    return new_symbol(name, n, 1, "vector", latex, ("distribution",) if distribution else ())


def matrix(name: str, m, n, *, latex: str | None = None, distribution: bool = False, symmetric: bool = False,
           positive_definite: bool = False, diagonal: bool = False) -> Symbol:
    """An m x n matrix symbol.  ``jc.matrix("W", "m", "n")``

    distribution=True declares that every column sums to one.  A square matrix may be declared symmetric=True,
    positive_definite=True or diagonal=True (both symmetric): see jacobi.core.structure.
    """
    assume = structure.declared("matrix", name, size(m), size(n), {
        "symmetric": symmetric, "positive_definite": positive_definite, "diagonal": diagonal})
    return new_symbol(name, m, n, "matrix", latex, assume + (("distribution",) if distribution else ()))


@primitive
class Const(Expr):
    """A scalar constant: a number, or an expression in sizes such as 1/m."""

    __slots__ = ()
    cluster = True  # a constant joins an element-wise cluster as a number

    @classmethod
    def _shape(cls, params, args):
        return SCALAR

    @property
    def value(self) -> sp.Expr:
        return self.params[0]

    @property
    def precedence(self):
        v = self.value
        if v.is_Integer and v >= 0 or v.is_Symbol:
            return ATOM
        return ADD if v.is_number and v.is_negative else MUL  # is_negative: None if it cannot tell

    @property
    def text_precedence(self):
        return min(self.precedence, constant_precedence(self.value))

    def _text(self, p):
        return p.constant(self.value)

    def _tex(self, p):
        return sp.latex(self.value)

    def _code(self, p):
        return p.constant(self.value)

    def _explicit(self, ev):
        return sp.Matrix([[ev.subs_sizes(self.value)]])

    def _index(self, p, i, j):
        v = self.value
        if v.is_number and v < 0:
            return sp.latex(v), ADD
        return sp.latex(v), (ATOM if v.is_Atom else MUL)

    def _sympy(self, go):
        return self.value

    def _pullback(self, G, in_shape):
        return smul(self, reshape_like(G, in_shape))

    @classmethod
    def make(cls, value) -> "Const":
        """The constant node for a finite real number or a SymPy expression in sizes."""
        v = sp.sympify(value) if not isinstance(value, sp.Basic) else value
        problem = not_real(v)
        if problem:
            raise JacobiError(f"the constant {v} {problem}")
        return cls._new((v,), ())


def _num(x) -> sp.Expr | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, complex) or getattr(x, 'dtype', None) is not None and x.dtype.kind == 'c':
        raise JacobiError(f"the constant {x!r} is complex: jacobi works over the reals")
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, float):
        return sp.Float(x)
    if isinstance(x, sp.Expr) and x.is_number:
        return x
    if isinstance(x, sp.Expr) and x.free_symbols and all(s.is_integer and s.is_positive for s in x.free_symbols):
        return x  # an expression in sizes
    if isinstance(x, Number):
        try:
            return sp.Float(float(x))
        except (TypeError, ValueError):
            return None
    return None


def as_expr(x, where: str = "an expression") -> Expr:
    if isinstance(x, Expr):
        return x
    v = _num(x)
    if v is not None:
        return Const.make(v)
    raise JacobiError(
        f"cannot use {x!r} (a {type(x).__name__}) in {where}: use jc.scalar/jc.vector/jc.matrix symbols, "
        "numbers, or expressions built from them"
    )


def _fixed_text(name, shape) -> str:
    """ones(n), ones(n).T, ones(m, n): the text of a constant matrix given by its shape."""
    r, c = shape
    return f"{name}({r})" if c == 1 else (f"{name}({c}).T" if r == 1 else f"{name}({r}, {c})")


class _Fixed(Expr):
    """A structured constant matrix given by its shape alone."""

    __slots__ = ()
    block = True

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])

    @property
    def text_precedence(self):
        """ones(n).T binds as a transpose; the other forms (I, K(m, n), ones(m, n), zeros(n)) are atoms."""
        return POSTFIX if self.shape[0] == 1 and self.shape[1] != 1 else ATOM


@primitive
class Zero(_Fixed):
    """The zero matrix."""

    __slots__ = ()
    cluster = True
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of zeros", "zeros(m, n)^T = zeros(n, m)",
                          r"0_{m \times n}^{\top} = 0_{n \times m}")

    def _transpose(self, t, keep):
        return zeros(self.shape[1], self.shape[0])

    def _text(self, p):
        return "0" if self.shape == SCALAR else _fixed_text("zeros", self.shape)

    def _tex(self, p):
        return "0"

    def _code(self, p):
        return p.zeros(self.shape)

    def _explicit(self, ev):
        return sp.zeros(*ev.dims(self.shape))

    def _sympy(self, go):
        return sp.Integer(0)

    def _pullback(self, G, in_shape):
        return zeros(*in_shape)


def zeros(m, n=1) -> Zero:
    return Zero._new((size(m), size(n)), ())


@primitive
class Ones(_Fixed):
    """The all-ones matrix; a column is the textbook 1, a row is 1^T."""

    __slots__ = ()
    cluster = True
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of ones", "ones(m, n)^T = ones(n, m)",
                          r"(\mathbf{1}_{m} \mathbf{1}_{n}^{\top})^{\top} = \mathbf{1}_{n} \mathbf{1}_{m}^{\top}")

    def _transpose(self, t, keep):
        return ones(self.shape[1], self.shape[0])

    @property
    def precedence(self):
        return ATOM if self.shape[1] == 1 else (POSTFIX if self.shape[0] == 1 else MATMUL)

    def _text(self, p):
        return _fixed_text("ones", self.shape)

    def _tex(self, p):
        r, c = self.shape
        return r"\mathbf{1}" if c == 1 else (r"\mathbf{1}^{\top}" if r == 1 else r"\mathbf{1}\mathbf{1}^{\top}")

    def _code(self, p):
        return p.ones(self.shape)

    def _explicit(self, ev):
        return sp.ones(*ev.dims(self.shape))

    def _index(self, p, i, j):
        return "1", ATOM

    def _sympy(self, go):
        return sp.Integer(1)

    def _pullback(self, G, in_shape):
        # 1_{N x M}^T vec(G) = sum(G) 1_M
        return broadcast(G if G.is_scalar else sum_(G), in_shape)


def ones(m, n=1) -> Ones:
    """The all-ones column 1 (n=1), row 1^T (m=1) or matrix."""
    return Ones._new((size(m), size(n)), ())


@primitive
class Identity(_Fixed):
    """The identity matrix I."""

    __slots__ = ()
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of the identity", "I^T = I", r"I^{\top} = I")

    def _transpose(self, t, keep):
        return self

    def _text(self, p):
        return "I" if p.size_implied() else f"I({self.shape[0]})"  # where nothing around it gives its size

    def _tex(self, p):
        return "I"

    def _code(self, p):
        return p.eye(self.shape[0])

    def _explicit(self, ev):
        return sp.eye(ev.dims(self.shape)[0])

    def _pullback(self, G, in_shape):
        return reshape_like(G, in_shape)


def identity(n) -> Expr:
    n = size(n)
    if n == 1:
        return Const.make(1)
    return Identity._new((n, n), ())


@primitive
class Commutation(_Fixed):
    """K with K vec(A) = vec(A^T) for A of shape (m, n): the Jacobian of a transpose."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        n = params[0] * params[1]
        return (n, n)

    def _text(self, p):
        return f"K({self.params[0]}, {self.params[1]})"

    def _tex(self, p):
        return "K_{" + sp.latex(self.params[0]) + "," + sp.latex(self.params[1]) + "}"

    def _code(self, p):
        return p.commutation(self.params[0], self.params[1])

    def _explicit(self, ev):
        m, n = ev.dims((self.params[0], self.params[1]))
        K = sp.zeros(m * n, m * n)
        for i in range(m):
            for j in range(n):
                K[i * n + j, j * m + i] = 1
        return K

    def _pullback(self, G, in_shape):
        return transpose(G)


def commutation(m, n) -> Commutation:
    return Commutation._new((size(m), size(n)), ())


# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .blocks import reshape_like  # noqa: E402
from .elementwise import broadcast, smul  # noqa: E402
from .matrix import sum_, transpose  # noqa: E402
