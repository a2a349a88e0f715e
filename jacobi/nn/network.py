"""Symbolic feed-forward networks: sizes, activations, cost, and the forward program.

The forward pass is a program of named quantities,

    z^l = W^l a^{l-1} + b^l,   a^l = sigma(z^l),   a^0 = x,   l = 1..L,

and the cost C(a^L, y).  backprop() runs the core's chain rule over that
program from the cost inwards, naming each dC/dz^l as delta^l so that every
layer refers to the next one's error instead of re-expanding it.  The
simplifier then brings each adjoint into textbook form; the cancellations
delta^L = a^L - y (softmax with cross-entropy, sigmoid with binary
cross-entropy) come out of the simplifier's algebra, not from the names.
"""
from __future__ import annotations

import numpy as np

from .. import core as P
from ..calculus.chain import local_jacobian
from ..calculus.derivation import Program
from ..calculus.simplify import Simplifier
from ..core import functions as F
from ..core.display import SympyHooks, aligned, markdown_text, screen, wrap
from ..core.expr import Expr
from ..core.printing import latex
from ..core.shapes import JacobiError, size
from .backprop import Backprop
from .costs import SOFTMAX, cost_of
from .curvature import curvature_function as _curvature_function
from .explicit import ExplicitNetwork
from .netgen import gradient_function as _gradient_function
from .netgen import init_params as _init_params


def _activation(a, where: str):
    if isinstance(a, str) and a == SOFTMAX or a is P.softmax:
        return SOFTMAX
    if isinstance(a, F.ElementwiseFunction):
        return _usable(a, where)
    if callable(a) and isinstance(getattr(a, "fn", None), F.ElementwiseFunction):
        return _usable(a.fn, where)
    if isinstance(a, str):
        if a not in F.FUNCTIONS:
            raise JacobiError(
                f"unknown activation {a!r} for {where}; use one of {', '.join(F.activations())}, 'softmax', "
                "or an element-wise function"
            )
        return _usable(F.get(a), where)
    try:
        return _usable(F.from_sympy_function(a), where)
    except JacobiError:
        raise JacobiError(f"unknown activation {a!r} for {where}") from None


def _name(a) -> str:
    return a if isinstance(a, str) else a.name


def _usable(fn: F.ElementwiseFunction, where: str) -> F.ElementwiseFunction:
    """fn, unless it is a registered derivative (sigmoid', relu') or its derivative is zero (step):
    backpropagation through either gives nothing a network learns from."""
    if fn.activation:
        return fn
    why = None
    if (fn.text or "").endswith("'") or F.primal_of(fn) is not None:
        why = f"it is the derivative {fn.text or fn.name}"
    elif fn.deriv is not None and fn.derivative_sympy() == 0:
        why = "its derivative is zero everywhere, so no gradient flows through it"
    if why:
        raise JacobiError(f"{fn.name} cannot be the activation of {where}: {why}; use one of "
                          f"{', '.join(F.activations())}, 'softmax', or an element-wise function")
    return fn


class Network(SympyHooks):
    """A feed-forward network described by its layer sizes.

    >>> net = jc.Network([2, 3, 2], activation="sigmoid", cost="mse")
    >>> bp = net.backprop()
    >>> print(bp.delta(2))       # (a2 - y) * sigmoid'(z2)
    """

    def __init__(self, sizes, activation="sigmoid", output=None, cost="mse"):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise JacobiError(f"sizes must be a list [n_0, ..., n_L], not {sizes!r}")
        if len(sizes) < 2:
            raise JacobiError(f"a network needs at least an input and an output size, got {list(sizes)!r}")
        self.sizes = [size(s) for s in sizes]
        self.L = len(self.sizes) - 1
        hidden = self.L - 1
        if isinstance(activation, (list, tuple)):
            if len(activation) != hidden:
                raise JacobiError(f"{len(activation)} activations given for {hidden} hidden layer(s)")
            acts = [_activation(a, f"hidden layer {i + 1}") for i, a in enumerate(activation)]
            default_out = acts[-1] if acts else _activation("sigmoid", "the output layer")
        else:
            a = _activation(activation, "the hidden layers")
            acts = [a] * hidden
            default_out = a
        if any(a == SOFTMAX for a in acts):
            raise JacobiError("softmax is an output activation; the hidden layers need element-wise functions")
        out = default_out if output is None else _activation(output, "the output layer")
        self.activations = acts + [out]
        self.cost_record = cost_of(cost)  # the registry's record (jacobi.nn.COSTS), or the function's
        self.cost_record.check_output(out, self.sizes[-1])  # a log of what the output can make <= 0: refused
        self.cost = cost

    # -- symbols --------------------------------------------------------------
    def W(self, l: int) -> P.Symbol:
        self._layer(l)
        return P.matrix(f"W{l}", self.sizes[l], self.sizes[l - 1], latex=f"W^{{{l}}}")

    def b(self, l: int) -> P.Symbol:
        self._layer(l)
        return P.vector(f"b{l}", self.sizes[l], latex=f"b^{{{l}}}")

    def z(self, l: int, batch: bool = False) -> P.Symbol:
        self._layer(l)
        return self._act_sym("Z" if batch else "z", l, batch)

    def a(self, l: int, batch: bool = False) -> P.Symbol:
        if l == 0:
            return self.x(batch)
        self._layer(l)
        return self._act_sym("A" if batch else "a", l, batch)

    def delta_symbol(self, l: int, batch: bool = False) -> P.Symbol:
        self._layer(l)
        if batch:
            return P.matrix(f"Delta{l}", self.sizes[l], "m", latex=rf"\Delta^{{{l}}}")
        return P.vector(f"delta{l}", self.sizes[l], latex=rf"\delta^{{{l}}}")

    def x(self, batch: bool = False) -> P.Symbol:
        return P.matrix("X", self.sizes[0], "m") if batch else P.vector("x", self.sizes[0])

    def y(self, batch: bool = False) -> P.Symbol:
        dist = self.cost_record.distribution
        if batch:
            return P.matrix("Y", self.sizes[-1], "m", distribution=dist)
        return P.vector("y", self.sizes[-1], distribution=dist)

    def _act_sym(self, base, l, batch):
        if batch:
            return P.matrix(f"{base}{l}", self.sizes[l], "m", latex=f"{base}^{{{l}}}")
        return P.vector(f"{base}{l}", self.sizes[l], latex=f"{base}^{{{l}}}")

    def _layer(self, l):
        if not isinstance(l, int) or not 1 <= l <= self.L:
            raise JacobiError(f"layer index must be 1..{self.L}, not {l!r}")

    def params(self):
        return [(self.W(l), self.b(l)) for l in range(1, self.L + 1)]

    # -- the forward pass -----------------------------------------------------
    def activate(self, l: int, z: Expr) -> Expr:
        f = self.activations[l - 1]
        return P.softmax(z) if f == SOFTMAX else P.apply(f, z)

    def cost_expr(self, a: Expr, y: Expr) -> Expr:
        """The cost of one example (or the summed cost of a batch's columns)."""
        return self.cost_record.expr(a, y)

    def stable_cost(self, batch: bool = True) -> Expr:
        """The cost computed from the output layer's logits (log-softmax, softplus), as generated code does."""
        L = self.L
        return self.cost_record.stable(self.a(L, batch), self.y(batch), self.z(L, batch), self.activations[-1])

    def program(self, batch: bool = False) -> Program:
        """The forward pass as named definitions, ending in the cost."""
        defs: dict = {}
        prev = self.x(batch)
        for l in range(1, self.L + 1):
            W, b = self.W(l), self.b(l)
            bias = P.matmul(b, P.ones(1, "m")) if batch else b
            defs[self.z(l, batch)] = P.add(P.matmul(W, prev), bias)
            defs[self.a(l, batch)] = self.activate(l, self.z(l, batch))
            prev = self.a(l, batch)
        C = P.scalar("C_sum" if batch else "C", latex=r"\sum_{x} C_{x}" if batch else "C")
        defs[C] = self.cost_expr(prev, self.y(batch))
        return Program(defs, C)

    def forward(self, batch: bool = False) -> list:
        return list(self.program(batch).defs.items())

    # -- derivatives ------------------------------------------------------------
    def backprop(self, batch: bool = False, simplify: bool = True) -> Backprop:
        """Derive dC/dW^l and dC/db^l for every layer: the four equations.

        batch=True gives the mini-batch form: examples are the columns of X
        (n_0 x m) and C is the mean of the per-example costs."""
        return Backprop(self, batch, simplify)

    def brute_force(self, l: int, batch: bool = False):
        """(dC/db^l, dC/dW^l) as the plain product of every layer's Jacobian, unsimplified:
        dC/db^l = diag(sigma'(z^l)) (W^{l+1})^T diag(sigma'(z^{l+1})) ... (W^L)^T diag(sigma'(z^L)) grad_a C
        (the transposed Jacobians, from layer l outwards), and dC/dW^l = (dC/db^l) (a^{l-1})^T."""
        if batch:
            raise JacobiError("the brute-force route is shown for one example; use batch=False")
        self._layer(l)
        prog = self.program()
        S = Simplifier(prog.defs)
        grad_a = S(P.transpose(local_jacobian(prog.defs[prog.output], self.a(self.L))))  # grad_a C, a column
        factors = []
        for k in range(l, self.L + 1):
            J = S(local_jacobian(prog.defs[self.a(k)], self.z(k), out=self.a(k)))  # da^k/dz^k
            factors.append(S(P.transpose(J)))  # symmetric: diag(sigma'(z^k)), or diag(s) - s s^T
            if k < self.L:
                factors.append(P.transpose(self.W(k + 1)))  # (dz^{k+1}/da^k)^T
        g_b = P.matmul(*factors, grad_a)  # the plain product of Jacobians: no rewriting
        g_W = P.matmul(g_b, P.transpose(self.a(l - 1)))
        return g_b, g_W

    def gradient_function(self, backend: str = "numpy"):
        """fn(params, X, Y) -> (mean cost, [(dW, db), ...]), generated code; ``fn.source`` shows it.

        >>> fn = net.gradient_function(); cost, grads = fn(net.init_params(), X, Y)
        """
        return _gradient_function(self, backend)

    def hvp_function(self, backend: str = "numpy", gradient: bool = True):
        """fn(params, X, Y, V) -> (mean cost, [(dW, db), ...], [(HV_W, HV_b), ...]): the Hessian of the mean
        cost times V (a list of (VW, Vb) pairs shaped like params), by Pearlmutter's R-operator, generated
        from the tangent of the backpropagation equations; no Hessian is formed.  gradient=False leaves
        the gradient out: fn returns (mean cost, [(HV_W, HV_b), ...]) and does less work.

        >>> cost, grads, hv = net.hvp_function()(params, X, Y, V)
        """
        return _curvature_function(self, backend, "hvp", gradient)

    def gnvp_function(self, backend: str = "numpy"):
        """fn(params, X, Y, V) -> (mean cost, [(GV_W, GV_b), ...]): the Gauss-Newton matrix J^T H_C J times V,
        split at the logits z^L where the cost is convex in them (softmax or sigmoid with cross-entropy,
        sigmoid with binary cross-entropy, an identity output), else at the output a^L (mse: J^T J).

        >>> cost, gv = net.gnvp_function()(params, X, Y, V)
        """
        return _curvature_function(self, backend, "gnvp")

    def init_params(self, seed: int = 0, dtype=None):
        """A params list [(W1, b1), ...] with Glorot-uniform weights and zero biases."""
        return _init_params(self, seed, np.float64 if dtype is None else dtype)

    # -- display ------------------------------------------------------------------
    def describe(self) -> str:
        """The network in a line: [784, n1, 10]: sigmoid hidden layer, softmax output, cross_entropy cost."""
        hidden = [_name(a) for a in self.activations[:-1]]
        words = (hidden[0] if len(set(hidden)) == 1 else ", ".join(hidden)) if hidden else "no"
        return (f"[{', '.join(str(s) for s in self.sizes)}]: {words} hidden {'layer' if self.L == 2 else 'layers'}, "
                f"{_name(self.activations[-1])} output, {self.cost_record.name} cost")

    def _layers(self):
        """(l, z^l, its definition, a^l, its definition) for every layer, then (C, the cost)."""
        defs = list(self.program().defs.items())
        return [(l, *defs[2 * l - 2], *defs[2 * l - 1]) for l in range(1, self.L + 1)], defs[-1]

    def __repr__(self):
        layers, (C, cost) = self._layers()
        lines = wrap(f"Network {self.describe()}")
        for l, z, zd, a, ad in layers:
            W, b = self.W(l), self.b(l)
            lines.append(f"  layer {l}: {z} = {zd}, {a} = {ad}    {W}: {W.shape[0]} x {W.shape[1]}, {b}: {b.shape[0]}")
        return screen(lines + [f"  cost: {C} = {cost}"])

    def _latex_body(self) -> str:
        """The forward pass: z^l and a^l for every layer, then the cost."""
        layers, (C, cost) = self._layers()
        rows = [f"{latex(z)} &= {latex(zd)}, & {latex(a)} &= {latex(ad)}" for _, z, zd, a, ad in layers]
        return aligned(rows + [f"{latex(C)} &= {latex(cost)}"])

    def _repr_markdown_(self) -> str:
        """A table of the layers (size, weighted input, activation, parameters), then the cost."""
        layers, (C, cost) = self._layers()
        m = lambda e: "$" + latex(e) + "$"  # noqa: E731
        arrow = r" \to ".join(latex(s) for s in self.sizes)
        out = [f"**Network** ${arrow}$: {markdown_text(self.describe().split(': ', 1)[1])}", "",
               "| layer | size | weighted input | activation | parameters |", "|:--|:--|:--|:--|:--|",
               f"| input | {m(self.sizes[0])} | | {m(self.x())} | |"]
        for l, z, zd, a, ad in layers:
            W, b = self.W(l), self.b(l)
            shape = "$" + latex(W.shape[0]) + r" \times " + latex(W.shape[1]) + "$"
            out.append(f"| {l}{' (output)' if l == self.L else ''} | {m(self.sizes[l])} | ${latex(z)} = {latex(zd)}$ "
                       f"| ${latex(a)} = {latex(ad)}$ | {m(W)}: {shape}, {m(b)}: {m(b.shape[0])} |")
        cost_line = f"cost ({markdown_text(self.cost_record.name)}): ${latex(C)} = {latex(cost)}$"
        return "\n".join(out + ["", cost_line]) + "\n"

    def explicit(self, sizes=None) -> ExplicitNetwork:
        """Every w^l_jk, b^l_j, z^l_j and a^l_j as SymPy scalars, for a tiny network."""
        return ExplicitNetwork(self, sizes)
