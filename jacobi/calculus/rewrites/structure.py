"""Rewrites that use a matrix's declared structure (jacobi.core.structure), one identity each.

A transpose moves inward by its operand's own transpose rule ((A^{-1})^T = (A^T)^{-1}, (A^k)^T = (A^T)^k)
until it reaches a leaf; there a symmetric symbol drops it, A^T = A.  So X^{-T} becomes X^{-1} and
(A^k)^T becomes A^k for a symmetric A by two rules that never undo each other: nothing here puts a
transpose back.  Products with a diagonal symbol stay as they are written."""
from __future__ import annotations

from ... import core as P
from ...core.rules import Rule
from .base import rule


@rule(Rule("transpose of a symmetric matrix", "A^T = A for a symmetric A (positive definite and diagonal ones are)",
           r"A^{\top} = A \text{ for a symmetric } A"), P.Transpose)
def transpose_symmetric(e, ctx):
    x = e.args[0]
    return x if isinstance(x, P.Symbol) and x.symmetric else None


def _det_of_positive_definite(x) -> bool:
    return isinstance(x, P.Det) and P.is_positive_definite(x.args[0])


def _applies(e, name: str) -> bool:
    return isinstance(e, P.Apply) and e.fn.name == name


@rule(Rule("log of a positive determinant", "log(det(A)) = logdet(A) for a positive definite A",
           r"\log(\det A) = \log\det A \text{ for } A \succ 0"), P.Apply)
def log_det_positive_definite(e, ctx):
    x = e.args[0]
    return P.logdet(x.args[0]) if _applies(e, "log") and _det_of_positive_definite(x) else None


@rule(Rule("absolute value of a positive determinant", "abs(det(A)) = det(A) for a positive definite A",
           r"\left|\det A\right| = \det A \text{ for } A \succ 0"), P.Apply)
def abs_det_positive_definite(e, ctx):
    x = e.args[0]
    return x if _applies(e, "abs") and _det_of_positive_definite(x) else None


def _diagonal(e) -> bool:
    """Whether e is known to be a diagonal matrix: a symbol declared so, I, diag(v), 0, or a transpose,
    multiple, inverse or power of one."""
    while isinstance(e, (P.Transpose, P.Inv, P.MatrixPower)) or isinstance(e, P.Scale) and e.args[0].is_scalar:
        e = e.args[-1]
    return isinstance(e, (P.Identity, P.Diag, P.Zero)) or isinstance(e, P.Symbol) and e.diagonal


def _identity_and_other(e):
    """(I, the other factor) of a Hadamard product I * X of two factors, or None."""
    if len(e.args) != 2:
        return None
    a, b = e.args
    return (a, b) if isinstance(a, P.Identity) else (b, a) if isinstance(b, P.Identity) else None


@rule(Rule("diagonal part of a diagonal matrix", "I * D = D for a diagonal D",
           r"I \odot D = D \text{ for a diagonal } D"), P.Hadamard)
def identity_times_diagonal(e, ctx):
    pair = _identity_and_other(e)
    return pair[1] if pair is not None and _diagonal(pair[1]) else None


@rule(Rule("diagonal part of an outer product", "I * (u v^T) = diag(u * v)",
           r"I \odot \left(u v^{\top}\right) = \operatorname{diag}(u \odot v)"), P.Hadamard)
def identity_times_outer(e, ctx):
    pair = _identity_and_other(e)
    if pair is None or not isinstance(pair[1], P.MatMul):
        return None
    *column, row = pair[1].args  # the product's last factor a row, the factors before it a column
    if row.shape[0] != 1 or column[-1].shape[1] != 1:
        return None
    return P.diag(P.hadamard(P.matmul(*column), P.transpose(row)))
