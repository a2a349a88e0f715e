"""Rewrites of Kronecker products, their block contractions and power sums (core/kronecker.py,
core/powersum.py), one identity each.  (A kron B)^T = A^T kron B^T is Kron's own transpose rule; the
scalar operand and the mixed product (A kron B)(C kron D) = (AC) kron (BD) are with the matrix products
(matrix.py).  det(A kron B) is left alone."""
from __future__ import annotations

import sympy as sp

from ... import core as P
from ...core.rules import Rule
from .base import rule
from .matrix import PAIRS


def _square(X) -> bool:
    return X.shape[0] == X.shape[1]


@rule(Rule("trace of a Kronecker product", "tr(A kron B) = tr(A) tr(B)",
           r"\operatorname{tr}(A \otimes B) = \operatorname{tr}(A) \operatorname{tr}(B)"), P.Trace)
def trace_kron(e, ctx):
    X = e.args[0]
    if isinstance(X, P.Kron) and all(_square(a) for a in X.args):
        return P.mul(P.trace(X.args[0]), P.trace(X.args[1]))
    return None


@rule(Rule("inverse of a Kronecker product", "inv(A kron B) = inv(A) kron inv(B)",
           r"(A \otimes B)^{-1} = A^{-1} \otimes B^{-1}"), P.Inv)
def inv_kron(e, ctx):
    X = e.args[0]
    if isinstance(X, P.Kron) and all(_square(a) for a in X.args):
        return P.kron(P.inv(X.args[0]), P.inv(X.args[1]))
    return None


# ---------------------------------------------------------------------------
# Block contractions: block_inner(G, B)_ij = <G_ij, B>, block_sum(G, A) = sum_ij a_ij G_ij


_TR2 = r"\operatorname{tr}_{2}"
_TR1 = r"\operatorname{tr}_{1}"


@rule(Rule("block contraction of zeros", "block_inner(0, B) = 0", _TR2 + r"(0 (I \otimes B^{\top})) = 0"),
      P.BlockInner)
def block_inner_zeros(e, ctx):
    return P.zeros(*e.shape) if any(isinstance(a, P.Zero) for a in e.args) else None


@rule(Rule("block sum of zeros", "block_sum(0, A) = 0", _TR1 + r"((A^{\top} \otimes I) 0) = 0"), P.BlockSum)
def block_sum_zeros(e, ctx):
    return P.zeros(*e.shape) if any(isinstance(a, P.Zero) for a in e.args) else None


@rule(Rule("block contraction of ones", "block_inner(ones, B) = sum(B) ones",
           _TR2 + r"(\mathbf{1} (I \otimes B^{\top})) = \operatorname{sum}(B)\, \mathbf{1}"), P.BlockInner)
def block_inner_ones(e, ctx):
    return P.smul(P.sum_(e.args[1]), P.ones(*e.shape)) if isinstance(e.args[0], P.Ones) else None


@rule(Rule("block sum of ones", "block_sum(ones, A) = sum(A) ones",
           _TR1 + r"((A^{\top} \otimes I) \mathbf{1}) = \operatorname{sum}(A)\, \mathbf{1}"), P.BlockSum)
def block_sum_ones(e, ctx):
    return P.smul(P.sum_(e.args[1]), P.ones(*e.shape)) if isinstance(e.args[0], P.Ones) else None


@rule(Rule("block contraction of a scalar multiple", "block_inner(c G, B) = c block_inner(G, B)",
           _TR2 + r"(c G (I \otimes B^{\top})) = c\, " + _TR2 + r"(G (I \otimes B^{\top}))"), P.BlockInner)
def block_inner_scale(e, ctx):
    G, W = e.args
    return P.smul(G.args[0], P.block_inner(G.args[1], W)) if isinstance(G, P.Scale) else None


@rule(Rule("block sum of a scalar multiple", "block_sum(c G, A) = c block_sum(G, A)",
           _TR1 + r"((A^{\top} \otimes I) c G) = c\, " + _TR1 + r"((A^{\top} \otimes I) G)"), P.BlockSum)
def block_sum_scale(e, ctx):
    G, W = e.args
    return P.smul(G.args[0], P.block_sum(G.args[1], W)) if isinstance(G, P.Scale) else None


@rule(Rule("block contraction of a Kronecker product", "block_inner(C kron D, B) = sum(D * B) C",
           _TR2 + r"((C \otimes D)(I \otimes B^{\top})) = \operatorname{sum}(D \odot B)\, C"), P.BlockInner)
def block_inner_kron(e, ctx):
    G, W = e.args
    if isinstance(G, P.Kron) and G.args[1].shape == W.shape:
        return P.smul(P.sum_(P.hadamard(G.args[1], W)), G.args[0])
    return None


@rule(Rule("block sum of a Kronecker product", "block_sum(C kron D, A) = sum(C * A) D",
           _TR1 + r"((A^{\top} \otimes I)(C \otimes D)) = \operatorname{sum}(C \odot A)\, D"), P.BlockSum)
def block_sum_kron(e, ctx):
    G, W = e.args
    if isinstance(G, P.Kron) and G.args[0].shape == W.shape:
        return P.smul(P.sum_(P.hadamard(G.args[0], W)), G.args[1])
    return None


@PAIRS.rule(Rule("Jacobian of a Kronecker product applied", "(d vec(A kron B)/d vec(A)) vec(H) = vec(H kron B)",
                 r"\frac{\partial \operatorname{vec}(A \otimes B)}{\partial \operatorname{vec}(A)} "
                 r"\operatorname{vec}(H) = \operatorname{vec}(H \otimes B)"))
def kron_jacobian_applied(a, b, n, ctx):
    if isinstance(a, P.KronJacobian) and b.shape[1] == 1:
        H = P.reshape_like(b, a.params[1:])
        return P.vec(P.kron(H, a.args[0]) if a.side == 0 else P.kron(a.args[0], H))
    return None


@PAIRS.rule(Rule("rearrangement applied", "R(G) vec(B) = vec(block_inner(G, B))",
                 r"\mathcal{R}(G) \operatorname{vec}(B) = \operatorname{vec}(" + _TR2 + r"(G (I \otimes B^{\top})))"))
def rearrange_applied(a, b, n, ctx):
    if isinstance(a, P.Rearrange) and b.shape[1] == 1:
        return P.vec(P.block_inner(a.args[0], P.reshape_like(b, a.params)))
    return None


@PAIRS.rule(Rule("transposed rearrangement applied", "R(G)^T vec(A) = vec(block_sum(G, A))",
                 r"\mathcal{R}(G)^{\top} \operatorname{vec}(A) = \operatorname{vec}(" + _TR1
                 + r"((A^{\top} \otimes I) G))"))
def rearrange_transposed_applied(a, b, n, ctx):
    if not (isinstance(a, P.Transpose) and isinstance(a.args[0], P.Rearrange) and b.shape[1] == 1):
        return None
    R = a.args[0]
    G = R.args[0]
    shape = (sp.cancel(G.shape[0] / R.params[0]), sp.cancel(G.shape[1] / R.params[1]))
    return P.vec(P.block_sum(G, P.reshape_like(b, shape)))


# ---------------------------------------------------------------------------
# Power sums: sum_{i=0}^{k-1} A^i G B^(k-1-i)


@rule(Rule("power sum of one matrix", "sum_{i<k} A^i A^(k-1-i) = k A^(k-1)",
           r"\sum_{i=0}^{k-1} A^{i} A^{k-1-i} = k A^{k-1}"), P.PowerSum)
def power_sum_one_matrix(e, ctx):
    # for a number k: k X^(k-1) for a size k would print matrix_power(X, k - 1), which the text syntax cannot read
    A, G, B = e.args
    if A is not B or not isinstance(G, P.Identity) or not e.power.is_Integer:
        return None
    return P.smul(P.Const.make(e.power), P.matrix_power(A, e.power - 1))


@rule(Rule("power sum of a scalar multiple", "sum_{i<k} A^i (c G) B^(k-1-i) = c sum_{i<k} A^i G B^(k-1-i)",
           r"\sum_{i} A^{i} (c G) B^{k-1-i} = c \sum_{i} A^{i} G B^{k-1-i}"), P.PowerSum)
def power_sum_scale(e, ctx):
    A, G, B = e.args
    if isinstance(G, P.Scale):
        return P.smul(G.args[0], P.PowerSum._new(e.params, (A, G.args[1], B)))
    return None


@rule(Rule("block contraction of the identity", "block_inner(I, B) = tr(B) I",
           _TR2 + r"(I (I \otimes B^{\top})) = \operatorname{tr}(B)\, I"), P.BlockInner)
def block_inner_identity(e, ctx):
    # I_mp = I_m kron I_p: its blocks are I_p on the diagonal, 0 elsewhere
    return _identity_blocks(e)


@rule(Rule("block sum of the identity", "block_sum(I, A) = tr(A) I",
           _TR1 + r"((A^{\top} \otimes I) I) = \operatorname{tr}(A)\, I"), P.BlockSum)
def block_sum_identity(e, ctx):
    return _identity_blocks(e)


def _identity_blocks(e):
    G, W = e.args
    if not isinstance(G, P.Identity) or not _square(W) or not _square(e):
        return None
    return P.smul(P.trace(W), P.identity(e.shape[0]))
