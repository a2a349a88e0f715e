"""A general network: layers in sequence (jacobi.nn.layers, jacobi.nn.seqlayers) ending in a named cost.

``jc.Sequential(layers, input=..., cost=...)`` builds the forward pass as one program of lets (each
layer tagged with its position: W1, b1, z1, a1, mu2, ...), with the mean cost over the rows,

    C = cost(a, y) / n,

written from the logits where the last layer is a softmax (along rows) or a sigmoid (log-softmax,
softplus), as the dense network's code is.  ``backprop()`` is ``jc.backprop`` of that program, the
targets and data leaves (masks) held constant: its equations, steps, LaTeX and markdown.
``gradient_function()`` mirrors ``Network.gradient_function``: fn(params, X, Y) -> (cost, grads), params
a list with one tuple of arrays per layer (in the layer's order: W, b; gamma, beta; ...).  It is a
separate class from the dense ``Network``, whose examples are columns and whose derivation is the four
equations; here examples are rows, as in numpy and torch code.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from .. import core as P
from ..core import functions as F
from ..core.display import markdown_text, screen, wrap
from ..core.expr import Expr
from ..core.lets import Let
from ..core.shapes import JacobiError, size
from .costs import SOFTMAX, LogitLog, cost_of
from .layers import Layer, tagged
from .program import ProgramBackprop


def _output_of(a: Expr):
    """(the output activation, its logits) of the last let: SOFTMAX along rows, a function record, or the
    identity where the last step is no activation (its values may be any real)."""
    d = a.definition if isinstance(a, Let) else None
    if isinstance(d, P.Softmax) and d.params[0] == 1:
        return SOFTMAX, d.args[0]
    if isinstance(d, P.Apply):
        return d.fn, d.args[0]
    return F.get("identity"), a


class Sequential:
    """Layers in sequence with a cost, rows are examples.

    >>> net = jc.Sequential([Dense("h", "tanh"), BatchNorm(), Dense(3, "softmax")], input="d",
    ...                     cost="cross_entropy")       # integer targets y (n x 1) in [0, 3)
    >>> print(net.backprop())                           # dC ... dz3 = ... dgamma2 = ... dW1 = ...
    >>> cost, grads = net.gradient_function()(net.init_params(sizes={"d": 4, "h": 5}), X, y)
    """

    def __init__(self, layers, *, input, cost="mse", targets=None):
        if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)) or not layers:
            raise JacobiError(f"Sequential takes a non-empty list of layers, not {layers!r}")
        bad = next((l for l in layers if not isinstance(l, Layer)), None)
        if bad is not None:
            raise JacobiError(f"Sequential's layers must be layers (jacobi.nn.layers: Dense, BatchNorm, ...), "
                              f"not {bad!r}")
        self.layers = [l if l.name else tagged(l, str(k)) for k, l in enumerate(layers, start=1)]
        names = [l.name for l in self.layers]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise JacobiError(f"two layers are named {dup!r}; their symbols would clash")
        first = self.layers[0]
        if isinstance(input, (Expr, list, tuple)):
            self.inputs = input
        else:
            self.inputs = first.input_leaves(size(input))
        x, built = self.inputs, []
        for layer in self.layers:
            b = layer.build(x)
            built.append(b)
            x = b.output
        self.built = built
        self.output = x
        self._cost(cost, targets)
        self._bp = None

    def _cost(self, cost, targets):
        a = self.output
        rec = cost_of(cost)
        output, z = _output_of(a)
        width = a.shape[1]
        rec.check_output(output, width)
        if targets is None:
            targets = "indices" if rec.distribution else "dense"
        if targets not in ("indices", "dense"):
            raise JacobiError(f"targets is 'indices' (one class per row, for cross-entropy) or 'dense', not "
                              f"{targets!r}")
        if targets == "indices":
            if not rec.distribution:
                raise JacobiError(f"integer targets go with cross_entropy; the cost {rec.name} takes dense "
                                  "targets (targets='dense')")
            self.target = P.indices("y", a.shape[0], 1, width)
            y = P.onehot(self.target, width)
        else:
            self.target = P.matrix("Y", a.shape[0], width)
            y = self.target
        if output == SOFTMAX and rec.name == "binary_cross_entropy":
            raise JacobiError("binary_cross_entropy on a softmax along rows has no stable form here; use a "
                              "sigmoid output, or cross_entropy")
        log = LogitLog(a, z, output, axis=1)
        C = rec.formula(a, y, log)
        if not isinstance(C, Expr) or not C.is_scalar:
            raise JacobiError(f"the cost function must return a scalar jacobi expression, got {C!r}")
        self.cost_record = rec
        self.loss = P.let("C", C / P.Const.make(a.shape[0]), latex="C")

    # -- symbols ------------------------------------------------------------------
    def params(self) -> list:
        """One list of parameter symbols per layer, in the layer's order (W, b; gamma, beta; ...)."""
        return [list(b.params) for b in self.built]

    @property
    def data(self) -> list:
        """The data leaves (a causal mask, an initial state) the generated code supplies from the input."""
        return [s for b in self.built for s in b.data]

    def _input_list(self) -> list:
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]

    # -- derivatives ----------------------------------------------------------------
    def backprop(self, simplify: bool = True) -> ProgramBackprop:
        """The reverse chain rule over the network's program: an adjoint per let and per leaf (the targets
        and data leaves held constant), as ``jc.backprop`` gives."""
        if self._bp is None or not simplify:
            const = [s for s in [self.target, *self.data] if not P.is_indices(s)]
            bp = ProgramBackprop(self.loss, simplify, const)
            if not simplify:
                return bp
            self._bp = bp
        return self._bp

    def gradient_function(self, backend: str = "numpy", compact: bool = False):
        """fn(params, X, Y) -> (mean cost, grads), generated code; grads has params' structure.
        compact=True computes each gradient from its compact form (``bp.compact``), not the chain of adjoints.

        X is (n, d) (an integer array for an Embedding input, a list of T arrays for an ElmanRNN); Y is (n, k)
        or, for cross-entropy, the integer classes (n,) or (n, 1).  ``fn.source`` is the code.
        """
        from .seqgen import SequentialFunction

        return SequentialFunction(self, backend, compact)

    def init_params(self, seed: int = 0, dtype=None, sizes=None) -> list:
        """One tuple of arrays per layer: Glorot-uniform weights, zero biases, unit scales, N(0, 1) tables;
        sizes gives numbers for size names ({"h": 64}) where the parameters have them."""
        from .seqgen import init_params

        return init_params(self, seed, np.float64 if dtype is None else dtype, sizes or {})

    # -- display ----------------------------------------------------------------------
    def _rows(self) -> list:
        """(the layer's settings as written, its output let, its parameters) for every layer."""
        return [(_settings(l), b.output, b.params) for l, b in zip(self.layers, self.built)]

    def __repr__(self):
        xs = ", ".join(f"{x} ({_shape(x)})" for x in self._input_list())
        lines = wrap(f"Sequential: {xs} through {len(self.layers)} layers, cost {self.cost_record.name} "
                     f"(targets {self.target}, {_shape(self.target)})")
        for k, (settings, out, params) in enumerate(self._rows(), start=1):
            ps = ", ".join(f"{p} ({_shape(p)})" for p in params)
            lines.append(f"  {k}. {settings}: {out} ({_shape(out)})" + (f"; {ps}" if ps else ""))
        return screen(lines + [f"  {self.loss} = {self.loss.definition}"])

    def _repr_markdown_(self) -> str:
        """A table of the layers (settings, output and its shape, parameters), then the cost."""
        m = lambda e: "$" + P.latex(e) + "$"  # noqa: E731
        dims = lambda e: "$" + P.latex(e.shape[0]) + r" \times " + P.latex(e.shape[1]) + "$"  # noqa: E731
        xs = ", ".join(f"{m(x)} ({dims(x)})" for x in self._input_list())
        out = [f"**Sequential**: {xs} through {len(self.layers)} layers, cost "
               f"{markdown_text(self.cost_record.name)}", "",
               "| | layer | output | shape | parameters |", "|:--|:--|:--|:--|:--|"]
        for k, (settings, o, params) in enumerate(self._rows(), start=1):
            ps = ", ".join(f"{m(p)} ({dims(p)})" for p in params)
            out.append(f"| {k} | `{settings}` | {m(o)} | {dims(o)} | {ps} |")
        return "\n".join(out + ["", f"cost: ${P.latex(self.loss)} = {P.latex(self.loss.definition)}$"]) + "\n"


def _settings(layer) -> str:
    """A layer as it is written, without the tag a Sequential gave it: Dense(out='h', activation='tanh')."""
    args = ", ".join(f"{f.name}={getattr(layer, f.name)!r}" for f in fields(layer) if f.name != "name")
    return f"{type(layer).__name__}({args})"


def _shape(e) -> str:
    return f"{e.shape[0]} x {e.shape[1]}"


__all__ = ["Sequential"]
