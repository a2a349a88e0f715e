"""Rewrites of concatenations and slices (core/concat.py), one identity each.

A slice of a concatenation is the blocks it covers; consecutive slices side by side are one slice (the
whole, X itself); a sum of block matrices cut alike is the block matrix of the sums, so the adjoint of a
matrix cut into gates (the zero-paddings of each gate's adjoint) comes out as one concatenation.  Offsets
are compared only where the sizes decide the comparison; elsewhere nothing is rewritten.  The transpose
moves by each class's own transpose rule (core)."""
from __future__ import annotations

from ... import core as P
from ...core.offsets import le
from ...core.rules import Rule
from .base import _flat, rule


def _cut(X, axis, a, b):
    return P.cols(X, a, b) if axis == 1 else P.rows(X, a, b)


@rule(Rule("slice of a block matrix", "cols(concat(A, B, axis=1), 0, a) = A (the blocks the slice covers)",
           r"\begin{bmatrix} A & B \end{bmatrix}_{:,\, 0:a} = A"), P.Slice)
def slice_of_concat(e, ctx):
    X = e.args[0]
    axis, a, b = e.params
    if not isinstance(X, P.Concat) or X.axis != axis:
        return None
    o = X.offsets()
    first = next((i for i in range(len(X.args)) if le(o[i + 1], a) is False), None)  # the block a falls in
    last = next((i for i in range(len(X.args)) if le(b, o[i + 1])), None)  # the block b - 1 falls in
    if first is None or last is None or any(le(o[i + 1], a) is None for i in range(first)) or \
            any(le(b, o[i + 1]) is None for i in range(last)):
        return None
    if first == last:
        return _cut(X.args[first], axis, a - o[first], b - o[first])
    if le(o[first], a) and le(a, o[first]) and le(o[last + 1], b):  # whole blocks
        return P.concat(list(X.args[first:last + 1]), axis)
    return None


@rule(Rule("slice of a slice", "cols(cols(X, a, b), c, d) = cols(X, a + c, a + d)",
           r"\left(X_{:,\, a:b}\right)_{:,\, c:d} = X_{:,\, a+c:a+d}"), P.Slice)
def slice_of_slice(e, ctx):
    X = e.args[0]
    if not isinstance(X, P.Slice) or X.axis != e.axis:
        return None
    return _cut(X.args[0], e.axis, X.params[1] + e.params[1], X.params[1] + e.params[2])


@rule(Rule("slice of a product", "cols(A B, a, b) = A cols(B, a, b), rows(A B, a, b) = rows(A, a, b) B",
           r"(A B)_{:,\, a:b} = A\, B_{:,\, a:b}"), P.Slice)
def slice_of_product(e, ctx):
    X = e.args[0]
    if not isinstance(X, P.MatMul):
        return None
    axis, a, b = e.params
    if axis == 1:
        return P.matmul(*X.args[:-1], P.cols(X.args[-1], a, b))
    return P.matmul(P.rows(X.args[0], a, b), *X.args[1:])


@rule(Rule("slice of a constant matrix", "cols(zeros(m, n), a, b) = zeros(m, b - a), and so for ones",
           r"0_{:,\, a:b} = 0"), P.Slice)
def slice_of_constant(e, ctx):
    X = e.args[0]
    if isinstance(X, P.Zero):
        return P.zeros(*e.shape)
    if isinstance(X, P.Ones):
        return P.ones(*e.shape)
    return None


@rule(Rule("consecutive slices side by side", "concat(cols(X, a, b), cols(X, b, c), axis=1) = cols(X, a, c)",
           r"\begin{bmatrix} X_{:,\, a:b} & X_{:,\, b:c} \end{bmatrix} = X_{:,\, a:c}"), P.Concat)
def concat_of_slices(e, ctx):
    out = list(e.args)
    for i in range(len(out) - 1):
        p, q = out[i], out[i + 1]
        if isinstance(p, P.Slice) and isinstance(q, P.Slice) and p.axis == q.axis == e.axis and \
                p.args[0] is q.args[0] and le(p.params[2], q.params[1]) and le(q.params[1], p.params[2]):
            out[i:i + 2] = [_cut(p.args[0], e.axis, p.params[1], q.params[2])]
            return P.concat(out, e.axis)
    return None


@rule(Rule("block matrix of zeros", "concat(zeros, zeros) = zeros", r"\begin{bmatrix} 0 & 0 \end{bmatrix} = 0"),
      P.Concat)
def concat_of_zeros(e, ctx):
    return P.zeros(*e.shape) if all(isinstance(a, P.Zero) for a in e.args) else None


def _split(c, cuts) -> list | None:
    """The blocks of the concatenation c cut at the offsets cuts (a zero block splits into zeros; any other
    block must be whole), or None."""
    axis, o, out = c.axis, c.offsets(), []
    for i, blk in enumerate(c.args):
        inner = [q for q in cuts if le(q, o[i]) is False and le(o[i + 1], q) is False]
        if inner and not isinstance(blk, P.Zero):
            return None
        pts = [o[i]] + inner + [o[i + 1]]
        other = blk.shape[1 - axis]
        out += [blk] if not inner else [P.zeros(*((y - x, other) if axis == 0 else (other, y - x)))
                                        for x, y in zip(pts, pts[1:])]
    return out


def _ordered(points) -> list | None:
    """The distinct offsets in increasing order, or None where the sizes do not decide the order."""
    out: list = []
    for q in points:
        if any(le(q, r) and le(r, q) for r in out):
            continue
        for r in out:
            if le(q, r) is None:
                return None
        out.append(q)
    rank = {q: sum(1 for r in out if le(r, q) and r != q) for q in out}
    return sorted(out, key=rank.__getitem__)


@rule(Rule("sum of block matrices", "concat(A, B) + concat(C, D) = concat(A + C, B + D) for blocks cut alike",
           r"\begin{bmatrix} A & B \end{bmatrix} + \begin{bmatrix} C & D \end{bmatrix} = "
           r"\begin{bmatrix} A + C & B + D \end{bmatrix}"), P.Add)
def add_concats(e, ctx):
    terms = _flat(e)
    blocks = [t for t in terms if isinstance(t, P.Concat) and t.shape == e.shape]
    if len(blocks) < 2 or len({c.axis for c in blocks}) != 1:
        return None
    cuts = _ordered([q for c in blocks for q in c.offsets()])
    if cuts is None:
        return None
    parts = [_split(c, cuts) for c in blocks]
    if any(p is None for p in parts):
        return None
    sums = []
    for column in zip(*parts):
        live = [b for b in column if not isinstance(b, P.Zero)]
        sums.append(P.add(*live) if live else column[0])
    rest = [t for t in terms if not any(t is c for c in blocks)]
    out = P.concat(sums, blocks[0].axis)
    return P.add(out, *rest) if rest else out
