"""Layers as composites: each is a small record of its settings whose ``build(x)`` writes its forward
pass as a chain of ``jc.let``s over the primitives, with no derivative rule of its own.

Rows are examples (X is n x d); every size may be a name.  A layer's parameters are symbols named
after it: standalone a layer's names are plain (``mu``, ``xhat``, ``gamma``); inside a ``Sequential``
the layer at position l has tag l, so BatchNorm's become ``mu2``, ``xhat2``, ``gamma2`` (LaTeX
``\\mu^{2}``, ``\\hat{x}^{2}``), and two layers never clash.  ``jc.backprop`` differentiates the program
the lets make, so every derivation step and adjoint equation comes from the primitives' own rules.

    >>> bn = BatchNorm(); y = bn(X)          # y = gamma * (X - mu) * rstd + beta, each step a let
    >>> bn.build(X).params                    # [gamma, beta]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr, describe
from ..core.shapes import JacobiError, ShapeError, fmt_shape, size
from .costs import SOFTMAX

BATCH = "n"  # the rows of an input a layer makes for itself (Sequential(input=width))


def tag_text(tag: str) -> str:
    """The suffix a tag gives a name: "2" -> "2", "bn" -> "_bn"."""
    return "" if not tag else tag if tag[0].isdigit() else "_" + tag


def tag_latex(tag: str) -> str:
    """The superscript a tag gives a LaTeX name: "2" -> ^{2}, "2_1" -> ^{2,1}, "bn" -> ^{\\mathrm{bn}}."""
    if not tag:
        return ""
    return "^{" + (tag.replace("_", ",") if tag[0].isdigit() else r"\mathrm{" + tag.replace("_", r"\_") + "}") + "}"


@dataclass
class Built:
    """What a layer's build writes: its output (a let), its parameters (symbols, each with how it is
    initialised: "weight", "bias", "scale", "table") and its data leaves (symbols the code supplies, each
    with a function (rows, cols) -> numpy array: a causal mask, a zero initial state)."""

    output: Expr
    params: list = field(default_factory=list)
    init: dict = field(default_factory=dict)
    data: list = field(default_factory=list)
    makers: dict = field(default_factory=dict)


class _Builder:
    """Names a layer's symbols and lets with its tag and collects what the layer makes."""

    def __init__(self, layer: "Layer"):
        self.tag = layer.name
        self.built = Built(None)

    def names(self, base: str, tex: str, sub=None) -> tuple:
        text = base + tag_text(self.tag) + ("" if sub is None else f"_{sub}")
        return text, tex + tag_latex(self.tag) + ("" if sub is None else f"_{{{sub}}}")

    def param(self, base: str, tex: str, rows, cols, init: str) -> P.Symbol:
        text, latex = self.names(base, tex)
        s = P.matrix(text, rows, cols, latex=latex)
        self.built.params.append(s)
        self.built.init[s] = init
        return s

    def data(self, base: str, tex: str, rows, cols, maker: Callable, sub=None) -> P.Symbol:
        text, latex = self.names(base, tex, sub)
        s = P.matrix(text, rows, cols, latex=latex)
        self.built.data.append(s)
        self.built.makers[s] = maker
        return s

    def let(self, base: str, tex: str, e: Expr, sub=None) -> Expr:
        text, latex = self.names(base, tex, sub)
        return P.let(text, e, latex=latex)

    def merge(self, inner: Built) -> None:
        b = self.built
        b.params += inner.params
        b.init.update(inner.init)
        b.data += inner.data
        b.makers.update(inner.makers)


@dataclass
class Layer:
    """A layer: settings, and ``build(x)``, its forward pass over the input x as lets.  ``name`` is the
    tag its symbols carry (a Sequential gives the layer's position where it is empty)."""

    name: str = field(default="", kw_only=True)

    def build(self, x) -> Built:
        if not isinstance(self.name, str) or (self.name and not self.name.replace("_", "").isalnum()):
            raise JacobiError(f"a layer's name is letters, digits and _, not {self.name!r}")
        b = _Builder(self)
        b.built.output = self._build(b, self._input(x))
        return b.built

    def __call__(self, x) -> Expr:
        """The layer's output for the input x: the last let of its forward pass."""
        return self.build(x).output

    def _input(self, x) -> Expr:
        x = P.as_expr(x, f"the input of {self.kind}")
        if P.is_indices(x):
            raise JacobiError(f"{self.kind} takes a matrix of numbers (rows are examples), not the index "
                              f"matrix {x.name}; an Embedding layer reads index matrices")
        return x

    def input_leaves(self, width):
        """The input leaf this layer reads when it comes first in a Sequential of the given input width."""
        return P.matrix("X", BATCH, width)

    @property
    def kind(self) -> str:
        return type(self).__name__ + (f" {self.name}" if self.name else "")

    def _build(self, b: _Builder, x: Expr) -> Expr:  # pragma: no cover - every layer defines it
        raise NotImplementedError(f"{type(self).__name__} does not define its forward pass")


def activation_fn(act, where: str):
    """An activation given by name or function, as the network takes it: an element-wise function record,
    or SOFTMAX (along each row here); None for the identity."""
    from .network import _activation

    f = _activation(act, where)
    return None if f is F.get("identity") else f


def activate(f, z: Expr) -> Expr:
    return P.softmax(z, axis=1) if f == SOFTMAX else P.apply(f, z)


@dataclass
class Dense(Layer):
    """z = x W + b (b a row spread over the examples), then a = f(z) unless the activation is the identity.
    W is d_in x out; ``Dense(10, activation="softmax")`` takes the softmax along each row."""

    out: object
    activation: object = "identity"

    def _build(self, b, x):
        f = activation_fn(self.activation, f"the {self.kind} layer")
        W = b.param("W", "W", x.shape[1], size(self.out), "weight")
        bias = b.param("b", "b", 1, size(self.out), "bias")
        z = b.let("z", "z", x @ W + bias)
        return z if f is None else b.let("a", "a", activate(f, z))


@dataclass
class Activation(Layer):
    """a = f(x), f an element-wise function (by name, jc.tanh, ...) or "softmax" (along each row)."""

    fn: object

    def _build(self, b, x):
        f = activation_fn(self.fn, f"the {self.kind} layer")
        return x if f is None else b.let("a", "a", activate(f, x))


def _eps(eps) -> Expr:
    """eps as an exact constant (1e-5 prints as 1/100000, not 1.00000000000000e-5)."""
    if isinstance(eps, float) and np.isfinite(eps):
        eps = sp.Rational(repr(eps))
    e = P.as_expr(eps, "eps") if not isinstance(eps, (str, bool)) else None
    if not isinstance(e, P.Const) or not (e.value.is_positive or e.value.is_zero):
        raise JacobiError(f"eps must be a number >= 0, not {eps!r}")
    return e


def _normalize(b, x: Expr, axis: int, eps, ddof: int = 0, center: bool = True) -> Expr:
    """xhat = (x - mu) * rstd with the statistics along axis, each a let; rstd = 1/sqrt(var + eps)."""
    N = x.shape[axis]
    if sp.sympify(N - ddof).is_positive is False:
        raise ShapeError(f"the {'variance' if center else 'mean square'} with ddof={ddof} needs more than {ddof} "
                         f"entries along axis {axis}; the input {describe(x)} has {N}")
    if center:
        mu = b.let("mu", r"\mu", P.mean(x, axis=axis))
        xc = b.let("xc", r"x_{c}", x - mu)
        var = b.let("var", r"\mathrm{var}", P.sum_(xc ** 2, axis=axis) / (N - ddof))
    else:
        xc = x
        var = b.let("ms", r"\mathrm{ms}", P.mean(x ** 2, axis=axis))
    rstd = b.let("rstd", r"\mathrm{rstd}", 1 / P.sqrt(var + _eps(eps)))
    return b.let("xhat", r"\hat{x}", xc * rstd)


def _ddof(ddof) -> int:
    if isinstance(ddof, bool) or ddof not in (0, 1):
        raise JacobiError(f"ddof is 0 (the biased variance, as torch's training mode) or 1 (Bessel's correction), "
                          f"not {ddof!r}")
    return int(ddof)


@dataclass
class BatchNorm(Layer):
    """Batch normalisation in training mode: the statistics of each column over the batch (axis 0),
    mu = mean(x, 0), var = sum((x - mu)^2, 0) / (n - ddof), xhat = (x - mu) / sqrt(var + eps),
    y = gamma * xhat + beta with gamma, beta rows.  ddof=1 is Bessel's correction (Karpathy's makemore)."""

    eps: float = 1e-5
    ddof: int = 0

    def _build(self, b, x):
        xhat = _normalize(b, x, 0, self.eps, _ddof(self.ddof))
        gamma = b.param("gamma", r"\gamma", 1, x.shape[1], "scale")
        beta = b.param("beta", r"\beta", 1, x.shape[1], "bias")
        return b.let("y", "y", gamma * xhat + beta)


@dataclass
class LayerNorm(Layer):
    """Layer normalisation (llm.c): the statistics of each row (axis 1), biased variance,
    y = gamma * (x - mu) * rstd + beta with gamma, beta rows."""

    eps: float = 1e-5

    def _build(self, b, x):
        xhat = _normalize(b, x, 1, self.eps)
        gamma = b.param("gamma", r"\gamma", 1, x.shape[1], "scale")
        beta = b.param("beta", r"\beta", 1, x.shape[1], "bias")
        return b.let("y", "y", gamma * xhat + beta)


@dataclass
class RMSNorm(Layer):
    """RMS normalisation: no centring, ms = mean(x^2, 1), y = gamma * x / sqrt(ms + eps), gamma a row."""

    eps: float = 1e-5

    def _build(self, b, x):
        xhat = _normalize(b, x, 1, self.eps, center=False)
        gamma = b.param("gamma", r"\gamma", 1, x.shape[1], "scale")
        return b.let("y", "y", gamma * xhat)


@dataclass(init=False)
class Residual(Layer):
    """r = x + f(x), f the layers given in order (``Residual(Dense("d", "tanh"), LayerNorm())``); f must keep
    the width.  The inner layers are tagged with the block's tag and their position (W2_1, W^{2,1})."""

    layers: tuple

    def __init__(self, *layers, name: str = ""):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers or not all(isinstance(l, Layer) for l in layers):
            raise JacobiError(f"Residual takes one or more layers, not {layers!r}")
        self.layers, self.name = tuple(layers), name

    def _build(self, b, x):
        h = x
        for k, layer in enumerate(self.layers, start=1):
            inner = layer if layer.name else tagged(layer, f"{self.name}_{k}" if self.name else str(k))
            built = inner.build(h)
            b.merge(built)
            h = built.output
        if h.shape != x.shape:
            raise ShapeError(f"the residual block's layers map {describe(x)} to the shape {fmt_shape(h.shape)}; "
                             "x + f(x) needs f to keep the shape")
        return b.let("r", "r", x + h)


def tagged(layer: Layer, tag: str) -> Layer:
    """A copy of the layer with the tag its names carry."""
    import copy

    out = copy.copy(layer)
    out.name = tag
    return out


@dataclass
class Embedding(Layer):
    """emb = C[X] as torch's C[X].view(n, -1): X an (n, k) index matrix into the V rows of the (V, e)
    table C; the result is (n, k e).  Its gradient is a scatter-add into C."""

    V: object
    e: object

    def _input(self, x):
        if not P.is_indices(x):
            what = describe(x) if isinstance(x, Expr) else repr(x)
            raise JacobiError(f"the {self.kind} layer reads an index matrix (jc.indices(name, n, k, V)), not {what}")
        return x

    def input_leaves(self, width):
        return P.indices("X", BATCH, width, size(self.V))

    def _build(self, b, x):
        C = b.param("C", "C", size(self.V), size(self.e), "table")
        return b.let("emb", r"\mathrm{emb}", P.embedding(C, x))


def causal_mask(rows: int, cols: int) -> np.ndarray:
    """The additive causal mask: 0 on and below the diagonal, -inf above (position i attends to j <= i)."""
    return np.triu(np.full((rows, cols), -np.inf), 1)


def zeros(rows: int, cols: int) -> np.ndarray:
    return np.zeros((rows, cols))


__all__ = ["Activation", "BatchNorm", "Built", "Dense", "Embedding", "Layer", "LayerNorm", "RMSNorm", "Residual",
           "causal_mask", "tag_latex", "tag_text", "tagged"]
