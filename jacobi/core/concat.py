"""Blocks side by side and slices of them: ``jc.concat``, ``jc.cols``, ``jc.rows``.

``concat([A, B, ...], axis)`` is numpy's ``np.concatenate``: axis 1 puts the blocks side by side (their row
counts equal), axis 0 stacks them (their column counts equal); sizes stay symbols, (n, a) beside (n, b) is
(n, a + b).  ``cols(X, a, b)`` is ``X[:, a:b]`` and ``rows(X, a, b)`` is ``X[a:b, :]``; a and b are
integers >= 0 or expressions in sizes (``d``, ``2*d``).  Each is linear: concat's Jacobian with respect to a
block and a slice's are one block, ``SliceJacobian``, whose transpose rule is a slice (concat's adjoint) or
a zero-padding (a slice's adjoint, a concat with zeros), so a gradient never forms a selection matrix.
Each class is followed by its constructor.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from . import sizerules
from .expr import ATOM, BOTH, POSTFIX, Expr, describe
from .leaves import as_expr
from .offsets import le as _le
from .offsets import offset
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, ShapeError

_AXES = {0: "rows", 1: "cols"}


def _axis(axis, what: str) -> int:
    if isinstance(axis, (Fraction, sp.Rational)) and sp.Rational(axis).q == 1:
        axis = int(axis)  # the parser passes the number written
    if isinstance(axis, bool) or not isinstance(axis, int) or axis not in (0, 1, -1, -2):
        raise JacobiError(f"{what}'s axis is 0 (stack the blocks: one above the other) or 1 (side by side), "
                          f"not {axis!r}")
    return axis % 2


# ---------------------------------------------------------------------------
# The shape rules (one for the constructors and the parser's size inference)


def _concat_shape(args, S):
    """concat(A, B, ..., axis): the blocks' sizes along the axis add up; the other sizes are one."""
    *blocks, axis = args
    axis = 0 if axis is None else axis
    if axis not in (0, 1, -1, -2) or isinstance(axis, bool) or not blocks:
        return None
    axis = int(axis) % 2
    if any(not isinstance(b, tuple) for b in blocks) or not all(S.same(b[1 - axis], blocks[0][1 - axis])
                                                                for b in blocks[1:]):
        return None
    total = blocks[0][axis]
    for b in blocks[1:]:
        total = S.plus(total, b[axis])
    return (total, blocks[0][1]) if axis == 0 else (blocks[0][0], total)


def _concat_details(args, S) -> dict:
    *blocks, axis = args
    axis = 0 if axis is None else axis
    if isinstance(axis, bool) or axis not in (0, 1, -1, -2):
        return {"why": "its axis is 0 (stacked) or 1 (side by side)"}
    k = 1 - int(axis) % 2
    what = "column" if k == 1 else "row"
    sizes = ", ".join(str(S.show(b[k])) for b in blocks if isinstance(b, tuple))
    return {"why": f"every block must have the same number of {what}s (they have {sizes})"}


def _slice_shape(axis):
    def rule(args, S):
        (r, c), a, b = args
        w = S.minus(b, a)
        if w is None:
            return None
        return (w, c) if axis == 0 else (r, w)
    return rule


CONCAT = sizerules.ShapeRule(_concat_shape, "cannot concatenate the blocks: {why}", _concat_details)
COLS = sizerules.ShapeRule(_slice_shape(1), "cols({0}, {1}, {2}) needs stop > start, known whatever the sizes are")
ROWS = sizerules.ShapeRule(_slice_shape(0), "rows({0}, {1}, {2}) needs stop > start, known whatever the sizes are")


# ---------------------------------------------------------------------------
# Concatenation


@primitive
class Concat(Expr):
    """concat(A, B, ..., axis=a): numpy's concatenate of two or more blocks (params: the axis)."""

    __slots__ = ()
    examples = ("concat(A, B, axis=0)", "concat(A, P, axis=1)", "sum(tanh(concat(A @ B, A, axis=1)) * P)",
                "concat(x, y, x, axis=0)", "concat(A.T, x, axis=1)", "concat(alpha, x.T, axis=1)")
    rules = {"X": Rule("concatenation", "d vec(concat(..., X, ...))/d vec(X) = S^T, S the slice that gives X back",
                       r"\frac{\partial \operatorname{vec}\begin{bmatrix} \cdots & X & \cdots \end{bmatrix}}"
                       r"{\partial \operatorname{vec}(X)} = S_{X}^{\top}")}
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a block matrix", "concat(A, B, axis=1)^T = concat(A^T, B^T, axis=0)",
                          r"\begin{bmatrix} A & B \end{bmatrix}^{\top} = "
                          r"\begin{bmatrix} A^{\top} \\ B^{\top} \end{bmatrix}")

    @classmethod
    def _shape(cls, params, args):
        return _checked_concat(args, params[0])

    @property
    def axis(self) -> int:
        return self.params[0]

    def offsets(self) -> list:
        """Where each block starts along the axis, and the end."""
        out = [sp.Integer(0)]
        for a in self.args:
            out.append(out[-1] + a.shape[self.axis])
        return out

    def _transpose(self, t, keep):
        return Concat._new((1 - self.axis,), tuple(t(a) for a in self.args))

    def local_jacobian(self, i, out):
        o = self.offsets()
        return slice_jacobian(self.shape, self.axis, o[i], o[i + 1], transposed=True), self.rules["X"]

    def _text(self, p):
        return "concat(" + ", ".join(p.doprint(a) for a in self.args) + f", axis={self.axis})"

    def _tex(self, p):
        sep = r" \\ " if self.axis == 0 else " & "
        return r"\begin{bmatrix} " + sep.join(p.doprint(a) for a in self.args) + r" \end{bmatrix}"

    def _code(self, p):
        # a scalar block may be a 0-d array in the code: concatenated as 1 x 1
        xs = [p.ref(a, ATOM) + ".reshape(1, 1)" if a.is_scalar else p.ref(a, 0) for a in self.args]
        return p.be.fmt("concat", xs=", ".join(xs), a=self.axis)

    def _explicit(self, ev):
        blocks = [ev(a) for a in self.args]
        return sp.Matrix.hstack(*blocks) if self.axis == 1 else sp.Matrix.vstack(*blocks)


def _checked_concat(blocks, axis):
    out = CONCAT.rule([b.shape for b in blocks] + [axis], sizerules.SYMPY)
    if out is None:
        what = "column" if axis == 0 else "row"
        raise ShapeError(f"cannot concatenate {', '.join(describe(b) for b in blocks)} along axis {axis}: "
                         f"every block must have the same number of {what}s")
    return out


def concat(blocks, axis: int = 0) -> Expr:
    """numpy's concatenate: ``jc.concat([A, B], axis=1)`` puts A (n, a) and B (n, b) side by side, (n, a + b);
    axis 0 (the default, as numpy's) stacks them.  A nested concatenation along the same axis is flattened,
    and one block is itself."""
    if isinstance(blocks, Expr) or not isinstance(blocks, (list, tuple)):
        raise JacobiError(f"concat takes a list of blocks, as jc.concat([A, B], axis=1), not {blocks!r}")
    if not blocks:
        raise JacobiError("concat needs at least one block")
    axis = _axis(axis, "concat")
    parts: list = []
    for b in blocks:
        b = as_expr(b, "concat")
        parts.extend(b.args if isinstance(b, Concat) and b.axis == axis else (b,))
    if len(parts) == 1:
        return parts[0]
    _checked_concat(parts, axis)
    return Concat._new((axis,), tuple(parts))


# ---------------------------------------------------------------------------
# Slices


@primitive
class Slice(Expr):
    """cols(X, a, b) = X[:, a:b] (params (1, a, b)) and rows(X, a, b) = X[a:b, :] (params (0, a, b))."""

    __slots__ = ()
    precedence = POSTFIX
    examples = ("cols(A, 0, 2)", "rows(A, 1, 2)", "sum(exp(cols(A @ B, 1, 2)))", "rows(x, 0, 2) * cols(A, 1, 2)",
                "cols(concat(A, P, axis=1), 1, 3)")
    rules = {"X": Rule("slice", "d vec(X[a:b])/d vec(X) = S, a 0/1 selection",
                       r"\frac{\partial \operatorname{vec}(X_{a:b})}{\partial \operatorname{vec}(X)} = S_{a:b}")}
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a slice", "cols(X, a, b)^T = rows(X^T, a, b)",
                          r"\left(X_{:,\, a:b}\right)^{\top} = \left(X^{\top}\right)_{a:b,\, :}")

    @classmethod
    def _shape(cls, params, args):
        axis, a, b = params
        r, c = args[0].shape
        w = sp.expand(b - a)
        return (w, c) if axis == 0 else (r, w)

    @property
    def axis(self) -> int:
        return self.params[0]

    def _transpose(self, t, keep):
        return Slice._new((1 - self.axis,) + self.params[1:], (t(self.args[0]),))

    def local_jacobian(self, i, out):
        axis, a, b = self.params
        return slice_jacobian(self.args[0].shape, axis, a, b), self.rules["X"]

    def _text(self, p):
        a, b = self.params[1:]
        return f"{_AXES[self.axis]}({p.doprint(self.args[0])}, {a}, {b})"

    def _tex(self, p):
        a, b = (sp.latex(v) for v in self.params[1:])
        where = f":,\\, {a}:{b}" if self.axis == 1 else f"{a}:{b},\\, :"
        return p.base(self.args[0]) + "_{" + where + "}"

    def _code(self, p):
        a, b = (p.size(v) for v in self.params[1:])
        where = f":, {a}:{b}" if self.axis == 1 else f"{a}:{b}, :"
        return f"{p.ref(self.args[0], POSTFIX)}[{where}]"

    def _explicit(self, ev):
        X = ev(self.args[0])
        a, b = (int(ev.subs_sizes(v)) for v in self.params[1:])
        extent = X.shape[self.axis]
        if b > extent:
            raise JacobiError(f"{self} is out of range: {describe(self.args[0])} has {extent} "
                              f"{'columns' if self.axis else 'rows'} at these sizes, fewer than {b}")
        return X[:, a:b] if self.axis == 1 else X[a:b, :]


def _slice(X, start, stop, axis: int) -> Expr:
    name = _AXES[axis]
    X = as_expr(X, name)
    a, b = offset(start, f"{name}'s start"), offset(stop, f"{name}'s stop")
    extent = X.shape[axis]
    if _le(b, a) is not False:
        why = "is empty" if _le(b, a) else f"needs {b} > {a} whatever the sizes are, and the sizes do not decide it"
        raise ShapeError(f"{name}({X}, {a}, {b}) {why}: the stop must be above the start")
    if _le(b, extent) is False:
        raise ShapeError(f"{name}({X}, {a}, {b}) is out of range: {describe(X)} has {extent} "
                         f"{'columns' if axis else 'rows'}")
    if a == 0 and b == extent:
        return X  # the whole
    return Slice._new((axis, a, b), (X,))


def cols(X, start, stop) -> Expr:
    """X[:, start:stop], the columns start, ..., stop - 1; start and stop are integers >= 0 or expressions in
    sizes (``jc.cols(H, "d", "2*d")``).  A stop beyond X's columns is refused where the sizes decide it, and
    checked where they are known (generated code, ``jc.explicit``)."""
    return _slice(X, start, stop, 1)


def rows(X, start, stop) -> Expr:
    """X[start:stop, :], the rows start, ..., stop - 1 (as cols)."""
    return _slice(X, start, stop, 0)


def slice_bounds(exprs) -> list:
    """(slice, stop, extent) of each slice in the expressions whose stop the sizes do not keep within its
    operand: generated code checks them once the sizes are known."""
    out, seen = [], set()
    for e in exprs:
        for n in e.walk():
            if isinstance(n, Slice) and n not in seen:
                seen.add(n)
                extent = n.args[0].shape[n.axis]
                if _le(n.params[2], extent) is not True:
                    out.append((n, n.params[2], extent))
    return out


# ---------------------------------------------------------------------------
# The Jacobian block of a slice, and its transpose: the Jacobian of a concatenation


@primitive
class SliceJacobian(Expr):
    """d vec(X[a:b]) / d vec(X) for X of shape (m, n), along an axis (params: m, n, axis, a, b, transposed):
    a 0/1 selection matrix, formed only where a Jacobian is asked for.  Its transpose rule pads a cotangent
    with zeros (a concat); the transposed block, a concatenation's Jacobian, pulls back by the slice.
    It prints as the Kronecker product it is: kron(I(n), rows(I(m), a, b)) for rows, kron(cols(I(n), a,
    b).T, I(m)) for columns."""

    __slots__ = ()
    block = True
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a selection", "S^T is the zero-padding", r"S^{\top}")

    @classmethod
    def _shape(cls, params, args):
        m, n, axis, a, b, t = params
        shape = ((b - a) * n if axis == 0 else m * (b - a), m * n)
        return shape[::-1] if t else shape

    def _transpose(self, t, keep):
        return SliceJacobian._new(self.params[:5] + (1 - self.params[5],), ())

    @property
    def precedence(self) -> int:  # it prints as its Kronecker product, and binds as one
        return self.equivalent().precedence

    def equivalent(self) -> Expr:
        """The block as a Kronecker product of a slice of the identity and the identity."""
        m, n, axis, a, b, t = self.params
        if axis == 0:
            K = kron(identity(n), Slice._new((0, a, b), (identity(m),)))
        else:
            K = kron(transpose(Slice._new((1, a, b), (identity(n),))), identity(m))
        return transpose(K) if t else K

    def _text(self, p):
        return p.doprint(self.equivalent())

    def _tex(self, p):
        return p.doprint(self.equivalent())

    def _code(self, p):
        return p.ref(self.equivalent(), 0)

    def _explicit(self, ev):
        return ev(self.equivalent())

    def _pullback(self, G, in_shape):
        m, n, axis, a, b, t = self.params
        if t:  # a concatenation's Jacobian: the block's part of the cotangent
            out = _slice(_laid_out(G, (m, n)), a, b, axis)
        else:  # a slice's: the cotangent in place, zeros around it
            g = _laid_out(G, (b - a, n) if axis == 0 else (m, b - a))
            extent = (m, n)[axis]
            other = (m, n)[1 - axis]
            def pad(w):
                return zeros(*((w, other) if axis == 0 else (other, w)))

            tail = sp.expand(extent - b)
            if all(w.is_zero or w.is_positive for w in (a, tail)):
                parts = ([pad(a)] if a.is_positive else []) + [g] + ([pad(tail)] if tail.is_positive else [])
                out = concat(parts, axis)
            else:  # a zero block of a width the sizes do not decide (b - 1, n - 2): [0_(a+1), G, 0_extent][1:1+extent]
                out = _slice(concat([pad(a + 1), g, pad(extent)], axis), 1, 1 + extent, axis)
        return reshape_like(out, in_shape)


def slice_jacobian(shape, axis: int, a, b, transposed: bool = False) -> SliceJacobian:
    m, n = shape
    return SliceJacobian._new((m, n, axis, sp.sympify(a), sp.sympify(b), int(transposed)), ())


# The nodes these build on; their modules are loaded with this one (core/__init__.py).
from .blocks import reshape_like  # noqa: E402
from .callables import register_callable  # noqa: E402
from .indexing import _laid_out  # noqa: E402
from .kronecker import kron  # noqa: E402
from .leaves import identity, zeros  # noqa: E402
from .matrix import transpose  # noqa: E402


def _parsed_concat(*args):
    """The text syntax's concat(A, B, ..., axis=a): the blocks, then the axis (keyword only; None: 0)."""
    *blocks, axis = args
    return concat(list(blocks), 0 if axis is None else axis)


register_callable("concat", _parsed_concat, args="A, B, ...", shape=CONCAT, variadic=True, keywords=("axis",))
register_callable("cols", cols, args="X, start, stop", shape=COLS, offsets=(1, 2))
register_callable("rows", rows, args="X, start, stop", shape=ROWS, offsets=(1, 2))
