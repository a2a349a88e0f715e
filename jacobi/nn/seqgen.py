"""Generated code for a Sequential: fn(params, X, Y) -> (mean cost, grads), and its initial parameters.

The code is the program's (jacobi.nn.progcode): a line per let, then a line per adjoint the gradients
need, commented with its equation.  This wrapper only arranges the arrays: it flattens params, supplies
the data leaves (the causal mask, a zero initial state) from the input's shape in the input's dtype and
library, and gives the gradients back with params' structure.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..core.display import ShowsSource
from ..core.shapes import JacobiError, ShapeError
from .netgen import seeded


class SequentialFunction(ShowsSource):
    """fn(params, X, Y) -> (mean cost, grads) for a Sequential; ``fn.source`` is the generated code."""

    def __init__(self, net, backend: str = "numpy", compact: bool = False):
        bp = net.backprop()
        self.net = net
        self._xs = net._input_list()
        self._params = net.params()
        self._flat = [p for ps in self._params for p in ps]
        self._data = net.data
        args = [*self._xs, net.target, *self._data, *self._flat]
        outs = [net.loss, *(f"grad:{p.name}" for p in self._flat)]
        self._fn = bp.function(args, outs, backend, compact=compact)
        self.source = self._fn.source
        self.backend = backend

    def _signature(self) -> str:
        return "fn(params, X, Y)"

    def _about(self) -> str:
        kinds = ", ".join(type(l).__name__ for l in self.net.layers)
        return f"the gradient function of Sequential [{kinds}], {self.backend} code returning (mean cost, grads)"

    def _flatten(self, params) -> list:
        if not isinstance(params, (list, tuple)) or len(params) != len(self._params):
            got = len(params) if isinstance(params, (list, tuple)) else repr(params)
            raise ShapeError(f"params must be a list of {len(self._params)} tuples, one per layer, not {got}")
        flat = []
        for layer, want, got in zip(self.net.layers, self._params, params):
            if not isinstance(got, (list, tuple)) or len(got) != len(want):
                n = len(got) if isinstance(got, (list, tuple)) else repr(got)
                names = ", ".join(s.name for s in want) or "none"
                raise ShapeError(f"the layer {layer.kind} ({type(layer).__name__}) takes {len(want)} parameters "
                                 f"({names}), not {n}")
            flat.extend(got)
        return flat

    def _inputs(self, X) -> list:
        if len(self._xs) == 1:
            return [X]
        if not isinstance(X, (list, tuple)) or len(X) != len(self._xs):
            raise ShapeError(f"X must be a list of the {len(self._xs)} inputs "
                             f"{', '.join(s.name for s in self._xs)}")
        return list(X)

    def __call__(self, params, X, Y):
        flat, xs = self._flatten(params), self._inputs(X)
        data = []
        if self._data:
            sizes = _bind([*self._xs, *self._flat], [*xs, *flat])
            for s in self._data:
                rows, cols = (_number(d, sizes, s) for d in s.shape)
                data.append(_like(self.net_maker(s)(rows, cols), xs[0]))
        out = self._fn(*xs, Y, *data, *flat)
        grads, k = [], 1
        for ps in self._params:
            grads.append(tuple(out[k:k + len(ps)]))
            k += len(ps)
        return out[0], grads

    def net_maker(self, s):
        return next(b.makers[s] for b in self.net.built if s in b.makers)


def _bind(symbols, values) -> dict:
    """Size name -> number, read off the arrays given for symbols whose shape is a size name."""
    out = {}
    for s, v in zip(symbols, values):
        shape = tuple(getattr(v, "shape", ()))
        if len(shape) == 1:
            shape = (shape[0], 1)
        for d, k in zip(s.shape, shape):
            d = sp.sympify(d)
            if d.is_Symbol:
                out.setdefault(d, int(k))
    return out


def _number(d, sizes, s) -> int:
    v = sp.sympify(d).subs(sizes)
    if not v.is_Integer:
        raise ShapeError(f"the size {v} of {s.name} is not bound by the arguments")
    return int(v)


def _like(a: np.ndarray, like):
    """a in the library, dtype and device of the array like (a float64 where like holds integers)."""
    mod = type(like).__module__.split(".")[0]
    if mod == "torch":
        import torch

        dtype = like.dtype if like.is_floating_point() else torch.float64
        return torch.as_tensor(a, dtype=dtype, device=like.device)
    dtype = getattr(like, "dtype", np.float64)
    dtype = dtype if np.dtype(dtype).kind == "f" else np.float64
    if mod in ("jax", "jaxlib"):
        import jax.numpy as jnp

        return jnp.asarray(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def init_params(net, seed: int, dtype, sizes: dict) -> list:
    rng, dtype = seeded(seed, dtype)
    if not isinstance(sizes, dict):
        raise JacobiError(f"sizes must be a dict of size names to numbers, not {sizes!r}")
    out = []
    for b in net.built:
        arrays = []
        for p in b.params:
            r, c = _numbers(p, sizes)
            kind = b.init[p]
            if kind == "weight":
                lim = np.sqrt(6.0 / (r + c))
                a = rng.uniform(-lim, lim, size=(r, c))
            elif kind == "table":
                a = rng.standard_normal((r, c))
            else:
                a = np.full((r, c), 1.0 if kind == "scale" else 0.0)
            arrays.append(a.astype(dtype))
        out.append(tuple(arrays))
    return out


def _numbers(p, sizes: dict) -> tuple:
    out = []
    for d in p.shape:
        d = sp.sympify(d)
        v = d.subs({s: sizes[s.name] for s in d.free_symbols if s.name in sizes})
        if not v.is_Integer:
            missing = sorted(s.name for s in v.free_symbols)
            raise JacobiError(f"init_params needs a number for the size {', '.join(missing)} of {p.name}: "
                              f"sizes={{{', '.join(repr(m) + ': ...' for m in missing)}}}")
        out.append(int(v))
    return tuple(out)


__all__ = ["SequentialFunction", "init_params"]
