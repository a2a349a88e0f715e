"""Shape rules, written once for the constructors and for the parser.

A rule takes the shapes (rows, cols) of its operands (and the sizes of its
size arguments: ``ones(m, n)``) and a size algebra S, and returns the shape of
the result, or None when the operands do not fit.  S is one of two
implementations of the same small protocol:

* ``SYMPY`` (here): concrete SymPy sizes, as the constructors see them;
  ``same(a, b)`` compares;
* the parser's union-find (jacobi.parse.sizes): sizes still to be inferred;
  ``same(a, b)`` unifies them.

The protocol: ``one`` (the size 1), ``same(a, b)`` (a and b are one size:
compare, or unify), ``equal(a, b)`` (already known to be one size; never
unifies), ``is_one(a)``, ``times(a, b)``, ``plus(a, b)``, ``minus(a, b)`` (a
size, or None where a - b is not known positive), ``over(a, b)`` (the size whose
product with b is a, or None), ``fresh()`` (a size still to be inferred; the
constructors have none), ``show(a)`` (a size in a message) and ``known(a)``
(a size already fixed, not one still to infer).

A mismatch message is a template over the operands' descriptions ({0}, {1}:
the constructors fill them with ``describe(e)``, the parser with the source
text and its inferred shape) and the fields the rule's ``details`` gives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .shapes import ShapeError, fmt_shape


class SympySizes:
    """The size algebra of built expressions: sizes are SymPy integers and symbols."""

    one = sp.Integer(1)

    @staticmethod
    def same(a, b) -> bool:  # one size however it is written: k*(e + f) is e*k + f*k
        return a == b or sp.expand(a - b) == 0

    equal = same

    @staticmethod
    def is_one(a) -> bool:
        return a == 1

    @staticmethod
    def known(a) -> bool:
        return True

    @staticmethod
    def times(a, b):
        return a * b

    @staticmethod
    def plus(a, b):
        return a + b

    @staticmethod
    def minus(a, b):
        """a - b where it is a size whatever the sizes are (2*d - d), else None."""
        d = sp.expand(a - b)
        return d if d.is_positive and d.is_integer else None

    @staticmethod
    def over(a, b):
        """a / b where it is a size (6 / 2, m*p / p), else None."""
        q = sp.cancel(sp.sympify(a) / b)
        num, den = sp.fraction(q)
        return q if den == 1 and q.is_integer and q.is_positive else None

    @staticmethod
    def fresh():  # pragma: no cover - a built expression has every size
        raise ShapeError("a built expression has no size left to infer")

    @staticmethod
    def show(a):
        return a


SYMPY = SympySizes()


@dataclass(frozen=True)
class ShapeRule:
    """The shape rule of one operation and the message for operands that do not fit."""

    rule: Callable  # (args, S) -> shape or None; args: operand shapes, or sizes for size arguments
    message: str = ""  # template: {0}, {1} ... the operands' descriptions, plus the fields of details
    details: Callable | None = None  # (args, S) -> dict of further fields for the message

    def __call__(self, args, S):
        return self.rule(args, S)

    def mismatch(self, descriptions, args, S) -> str:
        fields = self.details(list(args), S) if self.details else {}
        return self.message.format(*descriptions, **fields)

    def check(self, *operands):
        """The shape of the result for built operands (expressions, or sizes for size arguments);
        a ShapeError with the message if they do not fit."""
        if len(operands) == 2:  # the binary operations: two expressions
            args = (operands[0].shape, operands[1].shape)
        else:
            args = [getattr(e, "shape", e) for e in operands]  # a size (SymPy) has no shape
        out = self.rule(args, SYMPY)
        if out is None:
            raise ShapeError(self.mismatch([_describe(e) if _is_expr(e) else str(e) for e in operands], args,
                                           SYMPY))
        return out


def _is_expr(e) -> bool:
    return hasattr(e, "shape") and hasattr(e, "args") and not isinstance(e, sp.Basic)


def _describe(e) -> str:
    """An operand in a message, its text and its shape, as expr.describe writes it (this module is below
    the expression nodes: they check their shapes here)."""
    s = str(e)
    if len(s) > 60:
        s = s[:57] + "..."
    return f"{s} ({fmt_shape(e.shape)})"


def is_scalar(shape, S) -> bool:
    return S.is_one(shape[0]) and S.is_one(shape[1])


def count(n, what: str) -> str:
    """'1 column', '3 columns', 'm columns'."""
    return f"{n} {what}" + ("" if n == 1 else "s")


# ---------------------------------------------------------------------------
# The rules


def _scalar_expansion_pair(args, S):
    """The power: one shape, or a scalar that expands to the other's."""
    a, b = args
    if a == b:  # one shape (the same sizes, for the parser)
        return a
    if is_scalar(a, S):
        return b
    if is_scalar(b, S):
        return a
    return a if S.same(a[0], b[0]) and S.same(a[1], b[1]) else None


def _broadcast_pair(args, S):
    """+ - * /: numpy's broadcasting of two 2-D shapes, where the result is one operand's shape: one shape, a
    scalar, a (1, n) row over (m, n) or an (m, 1) column over (m, n), either side.  A dimension broadcasts
    only where it is 1 and the other is known (declared, or fixed by the rest of the expression: a size the
    parser has still to infer does not broadcast, so A * x stays an error); two size names never match.  A
    column and a row, (m, 1) with (1, n), are refused: numpy would make their outer sum, which is rarely
    what a vector expression means (write u @ ones(1, n) + ones(m) @ v.T for it)."""
    a, b = args
    if a == b:
        return a
    if is_scalar(a, S):
        return b
    if is_scalar(b, S):
        return a
    out = []
    for x, y in zip(a, b):
        if S.equal(x, y):
            out.append(x)
        elif S.is_one(x) and S.known(y):
            out.append(y)
        elif S.is_one(y) and S.known(x):
            out.append(x)
        elif S.same(x, y):
            out.append(x)
        else:
            return None
    if all(S.equal(o, x) for o, x in zip(out, a)):
        return a
    if all(S.equal(o, y) for o, y in zip(out, b)):
        return b
    return None  # (m, 1) with (1, n): an outer sum


def _broadcast_details(args, S) -> dict:
    a, b = args
    outer = any(S.is_one(x[0]) and not S.is_one(x[1]) and S.is_one(y[1]) and not S.is_one(y[0])
                for x, y in ((a, b), (b, a)))
    hint = (" (a column and a row do not broadcast to an outer sum: write u @ ones(1, n) + ones(m) @ v.T, or"
            " u @ v.T for the outer product)" if outer else "")
    return {"hint": hint}


def _broadcast_product_details(args, S) -> dict:
    return {"hint": _broadcast_details(args, S)["hint"] or _product_hint(args, S)["hint"]}


def _same_shapes(args, S):
    a, b = args
    return a if S.same(a[0], b[0]) and S.same(a[1], b[1]) else None


def _matmul(args, S):
    a, b = args
    return (a[0], b[1]) if S.same(a[1], b[0]) else None


def _matmul_details(args, S) -> dict:
    a, b = args
    hint = " (for a scalar multiple use *)" if is_scalar(a, S) or is_scalar(b, S) else ""
    if not hint and S.is_one(a[1]) and not S.is_one(b[0]) and S.is_one(b[1]):
        hint = " (for the outer product of two vectors write u @ v.T)"
    return {"cols": count(S.show(a[1]), "column"), "rows": count(S.show(b[0]), "row"), "hint": hint}


def _product_hint(args, S) -> dict:
    a, b = args
    return {"hint": " (for the matrix product use @)" if S.equal(a[1], b[0]) else ""}


def _dot(args, S):
    (ur, uc), (vr, vc) = args
    return (S.one, S.one) if S.same(uc, S.one) and S.same(vc, S.one) and S.same(ur, vr) else None


def _scalar(args, S):
    return (S.one, S.one)


def _first(args, S):
    return args[0]


def _transposed(args, S):
    r, c = args[0]
    return (c, r)


def _side(shape, S):
    """The number of entries of a shape, as diag and vec count them."""
    return _times(shape[0], shape[1], S)


def _square_of_entries(args, S):
    n = _side(args[0], S)
    return (n, n)


def _kron(args, S):
    (a, b), (c, d) = args
    return (_times(a, c, S), _times(b, d, S))


def _times(a, b, S):
    if S.is_one(a):
        return b
    if S.is_one(b):
        return a
    return S.times(a, b)


def _blocks(args, S):
    """block_inner(G, B), block_sum(G, A): G cut into blocks of the second operand's shape; the result has one
    entry per block (the number of block rows and columns)."""
    (r, c), (p, q) = args[0], args[1]
    m, n = _over(r, p, S), _over(c, q, S)
    return None if m is None or n is None else (m, n)


def _over(a, b, S):
    if S.is_one(b):
        return a
    if S.equal(a, b):
        return S.one
    return S.over(a, b)


def _rearrange(args, S):
    """rearrange(G, p, q): G cut into p x q blocks, one row per block (its vec), blocks in column-major order."""
    (r, c), p, q = args
    m, n = _over(r, p, S), _over(c, q, S)
    return None if m is None or n is None else (_times(m, n, S), _times(p, q, S))


def _rearrange_details(args, S) -> dict:
    _, p, q = args
    return {"p": S.show(p), "q": S.show(q)}


def _power_sum(args, S):
    """power_sum(A, G, B, k): A and B square, G with A's rows and B's columns; k a size or a number (1 x 1)."""
    (a0, a1), (g0, g1), (b0, b1) = args[:3]
    k = args[3] if len(args) > 3 else None
    if isinstance(k, tuple) and not is_scalar(k, S):
        return None
    ok = S.same(a0, a1) and S.same(b0, b1) and S.same(g0, a0) and S.same(g1, b0)
    return (g0, g1) if ok else None


def _vec(args, S):
    return (_side(args[0], S), S.one)


def _unvec(args, S):
    (r, c), m, n = args
    return (m, n) if S.same(c, S.one) and S.same(r, _times(m, n, S)) else None


def _unvec_details(args, S) -> dict:
    _, m, n = args
    return {"m": S.show(m), "n": S.show(n)}


def _fixed(args, S):
    """ones(m), ones(m, n), zeros(...): a column, or the given shape."""
    return (args[0], args[1] if len(args) > 1 else S.one)


def _commutation(args, S):
    n = _times(args[0], args[1], S)
    return (n, n)


def _identity(args, S):
    """I(n), or I alone: its size is inferred."""
    n = args[0] if args else S.fresh()
    return (n, n)


def _square(args, S):
    """A square matrix in, the same shape out: inv."""
    r, c = args[0]
    return (r, c) if S.same(r, c) else None


def _square_to_scalar(args, S):
    """A square matrix in, a scalar out: trace, det, logdet."""
    return (S.one, S.one) if _square(args, S) is not None else None


def _matrix_power(args, S):
    """matrix_power(X, k): X square; k a size (the parser's size argument), or a number, whose shape is 1 x 1."""
    k = args[1] if len(args) > 1 else None
    if isinstance(k, tuple) and not is_scalar(k, S):
        return None
    return _square(args[:1], S)


def _matrix_power_details(args, S) -> dict:
    k = args[1] if len(args) > 1 else None
    if isinstance(k, tuple) and not is_scalar(k, S):
        return {"why": "the power must be an integer (a number, or a size name such as k)"}
    return {"why": "the matrix must be square"}


def _square_rule(name: str, rule) -> ShapeRule:
    return ShapeRule(rule, name + " takes a square matrix, not {0}")


ADD = ShapeRule(_broadcast_pair, "cannot add {0} and {1}: the shapes differ{hint}", _broadcast_details)
SUB = ShapeRule(_broadcast_pair, "cannot subtract {0} and {1}: the shapes differ{hint}", _broadcast_details)
MUL = ShapeRule(_broadcast_pair, "cannot multiply element-wise {0} and {1}: the shapes differ{hint}",
                _broadcast_product_details)
DIV = ShapeRule(_broadcast_pair, "cannot divide element-wise {0} and {1}: the shapes differ{hint}", _broadcast_details)
POW = ShapeRule(_scalar_expansion_pair, "cannot raise {0} to the power {1}: the exponent must be a scalar or have the "
                                   "base's shape")
MATMUL = ShapeRule(_matmul, "cannot multiply {0} @ {1}: {cols} against {rows}{hint}", _matmul_details)
HADAMARD = ShapeRule(_same_shapes, "cannot take the Hadamard product of {0} and {1}: the shapes differ (use * for "
                                   "scalar expansion)")
DOT = ShapeRule(_dot, "dot takes two column vectors of one size, not {0} and {1}")
SUM = ShapeRule(_scalar)
SAME = ShapeRule(_first)  # element-wise functions, softmax, log_softmax
TRANSPOSE = ShapeRule(_transposed)
DIAG = ShapeRule(_square_of_entries)  # diag(vec(v)) and the softmax Jacobian: n x n for n entries
KRON = ShapeRule(_kron)
VEC = ShapeRule(_vec)
UNVEC = ShapeRule(_unvec, "cannot lay out {0} as a {m}x{n} matrix: unvec takes a column of {m}*{n} entries",
                  _unvec_details)
FIXED = ShapeRule(_fixed)
COMMUTATION = ShapeRule(_commutation)
IDENTITY = ShapeRule(_identity)
TRACE = _square_rule("trace", _square_to_scalar)
DET = _square_rule("det", _square_to_scalar)
LOGDET = _square_rule("logdet", _square_to_scalar)
INV = _square_rule("inv", _square)
BLOCK_INNER = ShapeRule(_blocks, "block_inner cannot cut {0} into blocks the shape of {1}: its rows and columns "
                                  "must be multiples of the other's")
BLOCK_SUM = ShapeRule(_blocks, "block_sum cannot cut {0} into blocks weighted by the entries of {1}: its rows and "
                               "columns must be multiples of the other's")
REARRANGE = ShapeRule(_rearrange, "rearrange cannot cut {0} into {p}x{q} blocks: its rows must be a multiple of {p} "
                                  "and its columns of {q}", _rearrange_details)
POWER_SUM = ShapeRule(_power_sum, "power_sum(A, G, B, k) takes a square A, a square B and G with A's rows and B's "
                                  "columns (and an integer k), not {0}, {1}, {2}")
MATRIX_POWER = ShapeRule(_matrix_power, "cannot take matrix_power of {0}: {why}", _matrix_power_details)

#: the operators, by their symbol in the text
OPERATORS = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "**": POW, "@": MATMUL}
