"""Layers over sequences, as composites like those of jacobi.nn.layers: single-head scaled dot-product
self-attention (with an optional causal mask) and an Elman RNN unrolled over T steps.

The causal mask is a data leaf M (T x T, T the rows of the input, a size name or a number): the code is
given 0 on and below the diagonal and -inf above it (torch's ``masked_fill(..., -inf)``), added to the
scores before the row-wise softmax, so exp gives exactly 0 there and the pullback
dS = A * (dA - rowsum(A * dA)) is exactly 0 there too.  jacobi's constants are finite reals, so the mask
cannot be a constant of the expression; as a leaf it keeps T symbolic, and a ``Sequential`` holds it
constant (no adjoint) and supplies its value from the input's shape (``causal_mask``).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import core as P
from ..core.expr import describe
from ..core.shapes import JacobiError, ShapeError, size
from .layers import BATCH, Layer, causal_mask, zeros


@dataclass
class Attention(Layer):
    """Single-head scaled dot-product self-attention over a sequence X (T x d_model, rows are positions):
    Q = X Wq, K = X Wk, V = X Wv (d_model x d each), S = Q K^T / sqrt(d) (+ M, the causal mask),
    A = softmax(S, axis=1), O = A V; with ``project=True`` also H = O Wo (Wo d x d_model), which keeps the
    width so that the block can sit in a residual connection."""

    d: object
    causal: bool = False
    project: bool = False

    def _build(self, b, x):
        d = size(self.d)
        dm = x.shape[1]
        Wq = b.param("Wq", "W_{Q}", dm, d, "weight")
        Wk = b.param("Wk", "W_{K}", dm, d, "weight")
        Wv = b.param("Wv", "W_{V}", dm, d, "weight")
        Q = b.let("Q", "Q", x @ Wq)
        K = b.let("K", "K", x @ Wk)
        V = b.let("V", "V", x @ Wv)
        scores = Q @ K.T / P.Const.make(sp.sqrt(d))
        if self.causal:
            scores = scores + b.data("M", "M", x.shape[0], x.shape[0], causal_mask)
        S = b.let("S", "S", scores)
        A = b.let("A", "A", P.softmax(S, axis=1))
        O = b.let("O", "O", A @ V)
        if not self.project:
            return O
        Wo = b.param("Wo", "W_{O}", d, dm, "weight")
        return b.let("H", "H", O @ Wo)


@dataclass
class ElmanRNN(Layer):
    """z_t = x_t W_xh + h_{t-1} W_hh + b_h, h_t = tanh(z_t) for t = 1..T, unrolled: the inputs x_1..x_T are T
    matrices (n x d, one row per sequence), h_0 is zero (or, with ``h0=True``, a data leaf h_0 of zeros
    by default); the output is h_T.  Each z_t and h_t is a let, so the adjoint equations give dh_t through dz_{t+1}:
    backpropagation through time."""

    hidden: object
    T: int
    h0: bool = False

    def _input(self, x):
        if isinstance(self.T, bool) or not isinstance(self.T, int) or self.T < 1:
            raise JacobiError(f"the {self.kind} layer is unrolled over T >= 1 steps (a number), not {self.T!r}")
        if not isinstance(x, (list, tuple)):
            raise JacobiError(f"the {self.kind} layer reads a list of its T = {self.T} inputs x_1..x_T, not "
                              f"{describe(x) if isinstance(x, P.Expr) else repr(x)}")
        if len(x) != self.T:
            raise ShapeError(f"the {self.kind} layer is unrolled over T = {self.T} steps but got {len(x)} inputs")
        xs = [Layer._input(self, v) for v in x]
        bad = next((v for v in xs if v.shape != xs[0].shape), None)
        if bad is not None:
            raise ShapeError(f"the inputs of the {self.kind} layer must share one shape: {describe(xs[0])} and "
                             f"{describe(bad)}")
        return xs

    def input_leaves(self, width):
        return [P.matrix(f"x_{t}", BATCH, width, latex=f"x_{{{t}}}") for t in range(1, self.T + 1)]

    def _build(self, b, xs):
        n, d = xs[0].shape
        hid = size(self.hidden)
        Wxh = b.param("Wxh", "W_{xh}", d, hid, "weight")
        Whh = b.param("Whh", "W_{hh}", hid, hid, "weight")
        bh = b.param("bh", "b_{h}", 1, hid, "bias")
        h = b.data("h", "h", n, hid, zeros, sub=0) if self.h0 else None
        for t, x in enumerate(xs, start=1):
            z = b.let("z", "z", x @ Wxh + bh if h is None else x @ Wxh + h @ Whh + bh, sub=t)
            h = b.let("h", "h", P.tanh(z), sub=t)
        return h


__all__ = ["Attention", "ElmanRNN"]
