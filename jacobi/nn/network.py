"""Symbolic feed-forward networks and the four equations of backpropagation.

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

from dataclasses import dataclass, field

import sympy as sp

from .. import core as P
from ..calculus.chain import inline, local_jacobian, reverse, substitute
from ..calculus.derivation import Derivation, Program, Step, partial
from ..calculus.simplify import Simplifier
from ..core import functions as F
from ..core.expr import Expr
from ..core.lift import Leaves, from_sympy
from ..core.rules import Rule
from ..core.shapes import JacobiError, size
from .netgen import gradient_function as _gradient_function
from .netgen import init_params as _init_params

SOFTMAX = "softmax"
COSTS = ("mse", "cross_entropy", "binary_cross_entropy")


def _activation(a, where: str):
    if isinstance(a, str) and a == SOFTMAX or a is P.softmax:
        return SOFTMAX
    if isinstance(a, F.ElementwiseFunction):
        return a
    if callable(a) and isinstance(getattr(a, "fn", None), F.ElementwiseFunction):
        return a.fn
    if isinstance(a, str):
        if a not in F.ACTIVATIONS and a not in F.FUNCTIONS:
            raise JacobiError(
                f"unknown activation {a!r} for {where}; use one of {', '.join(F.ACTIVATIONS)}, 'softmax', "
                "or an element-wise function"
            )
        return F.get(a)
    try:
        return F.from_sympy_function(a)
    except JacobiError:
        raise JacobiError(f"unknown activation {a!r} for {where}") from None


@dataclass
class Equation:
    """A named equation lhs = rhs (and, where it applies, its index form)."""

    name: str
    lhs: Expr
    rhs: Expr
    layer: int
    index_text: str | None = None  # the index form in words; render writes its LaTeX from the step's tag

    def __str__(self):
        s = f"{self.name}: {self.lhs} = {self.rhs}"
        if self.index_text:
            s += f"    ({self.index_text})"
        return s


class Network:
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
        if isinstance(cost, str) and cost not in COSTS:
            raise JacobiError(f"unknown cost {cost!r}; use one of {', '.join(COSTS)} or a function (a, y) -> C")
        if not isinstance(cost, str) and not callable(cost):
            raise JacobiError(f"cost must be a name or a function (a, y) -> scalar expression, not {cost!r}")
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
        dist = self.cost == "cross_entropy"
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
        c = self.cost
        if c == "mse":
            return P.div(P.sum_(P.power(P.sub(a, y), 2)), 2)
        if c == "cross_entropy":
            return P.neg(P.sum_(P.mul(y, P.log(a))))
        if c == "binary_cross_entropy":
            return P.neg(P.sum_(P.add(P.mul(y, P.log(a)), P.mul(P.sub(1, y), P.log(P.sub(1, a))))))
        out = c(a, y)
        if not isinstance(out, Expr) or not out.is_scalar:
            raise JacobiError(f"the cost function must return a scalar jacobi expression, got {out!r}")
        stray = [s for s in out.symbols() if s is not a and s is not y]
        if stray:
            raise JacobiError(f"the cost may use only a^L and y; it uses {stray[0]}")
        return out

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
    def backprop(self, batch: bool = False, simplify: bool = True) -> "Backprop":
        """Derive dC/dW^l and dC/db^l for every layer: the four equations.

        batch=True gives the mini-batch form: examples are the columns of X
        (n_0 x m) and C is the mean of the per-example costs."""
        return Backprop(self, batch, simplify)

    def brute_force(self, l: int, batch: bool = False):
        """dC/db^l and dC/dW^l as the plain product of every layer's Jacobian,
        diag(sigma'(z^l)) (W^{l+1})^T ... diag(sigma'(z^L)) grad_a C, unsimplified."""
        if batch:
            raise JacobiError("the brute-force route is shown for one example; use batch=False")
        self._layer(l)
        prog = self.program()
        S = Simplifier(prog.defs)
        aL = self.a(self.L)
        gradC = S(local_jacobian(prog.defs[prog.output], aL))  # a row: (grad_a C)^T
        jacs = []
        for k in range(self.L, l - 1, -1):
            jacs.append(S(local_jacobian(prog.defs[self.a(k)], self.z(k), out=self.a(k))))  # da^k/dz^k
            if k > l:
                jacs.append(self.W(k))  # dz^k/da^{k-1}
        row = P.matmul(gradC, *jacs)  # dC/dz^l as a row: the plain product of Jacobians
        g_b = P.transpose(row)
        g_W = P.matmul(g_b, P.transpose(self.a(l - 1)))
        return g_b, g_W

    def gradient_function(self, backend: str = "numpy"):
        """fn(params, X, Y) -> (mean cost, [(dW, db), ...]), generated code; ``fn.source`` shows it.

        >>> fn = net.gradient_function(); cost, grads = fn(net.init_params(), X, Y)
        """
        return _gradient_function(self, backend)

    def init_params(self, seed: int = 0, dtype=None):
        """A params list [(W1, b1), ...] with Glorot-uniform weights and zero biases."""
        import numpy as np

        return _init_params(self, seed, np.float64 if dtype is None else dtype)

    def explicit(self, sizes=None) -> "ExplicitNetwork":
        """Every w^l_jk, b^l_j, z^l_j and a^l_j as SymPy scalars, for a tiny network."""
        return ExplicitNetwork(self, sizes)


class Backprop:
    """The derived backpropagation equations of a network."""

    def __init__(self, net: Network, batch: bool, simplify: bool = True):
        self.net = net
        self.batch = batch
        L = net.L
        prog = net.program(batch)
        self.program = prog
        names = {net.z(l, batch): net.delta_symbol(l, batch) for l in range(1, L + 1)}
        wrt = [s for l in range(1, L + 1) for s in (net.W(l), net.b(l))]
        steps = [Step("define", v, d, _define_rule(v, d)) for v, d in prog.defs.items()]
        adj, ref, named, steps = reverse(prog, wrt, simplify=simplify, adjoint_names=names, steps=steps)
        self._adj = adj
        self._named = dict(named)
        m = P.Const.make(1 / sp.Symbol("m", integer=True, positive=True)) if batch else None
        self._grads = {}
        for l in range(1, L + 1):
            gW, gb = adj[net.W(l)], adj[net.b(l)]
            if batch:
                gW, gb = P.Scale._new((), (m, gW)), P.Scale._new((), (m, gb))
            self._grads[l] = (gW, gb)
        if batch:
            steps.append(Step("chain", partial(P.scalar("C"), P.scalar("C_sum", latex=r"\sum_{x} C_{x}")),
                              m, "C is the mean of the per-example costs: C = (1/m) sum_x C_x"))
        for eq in self.equations:
            steps.append(Step("result", eq.lhs, eq.rhs, Rule(eq.name, _BP_WORDS[eq.name]),
                              tag=(eq.name, eq.layer, batch)))
        self.derivation = Derivation(prog.defs[prog.output], wrt, [g for l in range(1, L + 1)
                                                                    for g in self._grads[l]],
                                     steps, list(prog.defs.items()) + named, "gradient")

    @property
    def steps(self):
        return self.derivation.steps

    def _check(self, l):
        self.net._layer(l)

    def delta(self, l: int) -> Expr:
        """The right side of delta^l = dC/dz^l (it refers to delta^{l+1} by name)."""
        self._check(l)
        return self._named[self.net.delta_symbol(l, self.batch)]

    def grad_W(self, l: int) -> Expr:
        """dC/dW^l = delta^l (a^{l-1})^T  (batch: (1/m) Delta^l (A^{l-1})^T)."""
        self._check(l)
        return self._grads[l][0]

    def grad_b(self, l: int) -> Expr:
        """dC/db^l = delta^l  (batch: (1/m) Delta^l 1)."""
        self._check(l)
        return self._grads[l][1]

    def grad_a(self) -> Expr:
        """grad_a C, the cost's own gradient with respect to the output activation."""
        return self._adj[self.net.a(self.net.L, self.batch)]

    def sigma_prime(self, l: int, form: str = "z") -> Expr:
        """sigma'(z^l), or (form="output") through the layer's own output:
        a (1 - a) for sigmoid, 1 - a^2 for tanh, step(z) for relu."""
        self._check(l)
        f = self.net.activations[l - 1]
        if f == SOFTMAX:
            raise JacobiError("softmax is not element-wise: its Jacobian is diag(a) - a a^T")
        z, a = self.net.z(l, self.batch), self.net.a(l, self.batch)
        if form == "z":
            return Simplifier()(from_sympy(f.derivative_sympy(), {F.t: z}, z.shape))
        if form == "output":
            if f.prime_in_output is None:
                raise JacobiError(f"{f.name} has no form through its output")
            leaves = Leaves()
            sa, sz = leaves.sym(a), leaves.sym(z)
            expr = f.prime_in_output.subs({F.a: sa, F.t: sz})
            return Simplifier()(from_sympy(expr, leaves.by_sym, a.shape))
        raise JacobiError(f"form must be 'z' or 'output', not {form!r}")

    @property
    def equations(self) -> list:
        """BP1 (output error), BP2 (for each hidden layer), BP3 and BP4 (each layer)."""
        net, batch, L = self.net, self.batch, self.net.L
        eqs = []
        D = net.delta_symbol
        C = P.scalar("C")
        eqs.append(Equation("BP1", D(L, batch), self.delta(L), L))
        for l in range(L - 1, 0, -1):
            eqs.append(Equation("BP2", D(l, batch), self.delta(l), l))
        for l in range(1, L + 1):
            eqs.append(Equation("BP3", partial(C, net.b(l), "gradient"), self.grad_b(l), l, _bp3_index(l, batch)))
        for l in range(1, L + 1):
            eqs.append(Equation("BP4", partial(C, net.W(l), "gradient"), self.grad_W(l), l, _bp4_index(l, batch)))
        return eqs

    def resolved(self, inputs: bool = False) -> dict:
        """Every gradient with delta^l substituted away (in terms of z, a, W, x, y);
        inputs=True also substitutes the forward pass (in terms of W, b, x, y alone)."""
        full: dict = dict(inline({v: d for v, d in self.program.defs.items()})) if inputs else {}
        for l in range(self.net.L, 0, -1):
            d = self.net.delta_symbol(l, self.batch)
            full[d] = substitute(self._named[d], full)
        out = {}
        for l in range(1, self.net.L + 1):
            gW, gb = self._grads[l]
            out[self.net.W(l)] = substitute(gW, full)
            out[self.net.b(l)] = substitute(gb, full)
        return out

    def count(self) -> int:
        """Distinct nodes in all the equations together: linear in depth, free of widths."""
        roots = [e.rhs for e in self.equations]
        seen = set()
        for r in roots:
            for n in r.walk():
                seen.add(id(n))
        return len(seen)

    def __str__(self):
        return "\n".join(str(e) for e in self.equations)


_BP_WORDS = {
    "BP1": "the error of the output layer",
    "BP2": "the error of a layer from the next one's",
    "BP3": "the gradient of the biases",
    "BP4": "the gradient of the weights",
}


def _bp3_index(l, batch):
    if batch:
        return f"dC/db^{l}_j = (1/m) sum_x delta^{l}_j(x)"
    return f"dC/db^{l}_j = delta^{l}_j"


def _bp4_index(l, batch):
    prev = "x" if l == 1 else f"a^{l - 1}"
    if batch:
        return f"dC/dw^{l}_jk = (1/m) sum_x {prev}_k(x) delta^{l}_j(x)"
    return f"dC/dw^{l}_jk = {prev}_k delta^{l}_j"


def _define_rule(v, d):
    if v.name.startswith(("z", "Z")):
        return "weighted input of the layer"
    if v.name.startswith(("a", "A")):
        return "activation of the layer"
    return "cost"


# ---------------------------------------------------------------------------


@dataclass
class ExplicitNetwork:
    """The teaching view of a tiny network: every weight, bias, weighted input
    and activation as a SymPy scalar.  W[l][j, k] is w^l_jk (1-based in names)."""

    net: Network
    sizes: list | None = None
    W: dict = field(default_factory=dict)
    b: dict = field(default_factory=dict)
    z: dict = field(default_factory=dict)
    a: dict = field(default_factory=dict)

    def __post_init__(self):
        net = self.net
        sizes = self.sizes if self.sizes is not None else net.sizes
        try:
            ns = [int(s) for s in sizes]
        except TypeError:
            raise JacobiError("explicit() needs numbers for every layer size, e.g. net.explicit([2, 3, 2])") from None
        if len(ns) != len(net.sizes):
            raise JacobiError(f"explicit() needs {len(net.sizes)} sizes, got {len(ns)}")
        if sum(ns) > 64:
            raise JacobiError("the explicit view is for tiny networks (64 neurons at most)")
        self.sizes = ns
        R = lambda name: sp.Symbol(name, real=True)  # noqa: E731
        self.x = sp.Matrix([R(f"x_{k + 1}") for k in range(ns[0])])
        self.y = sp.Matrix([R(f"y_{j + 1}") for j in range(ns[-1])])
        self.a[0] = self.x
        for l in range(1, net.L + 1):
            n, p = ns[l], ns[l - 1]
            self.W[l] = sp.Matrix(n, p, lambda j, k: R(f"w^{l}_{j + 1}{k + 1}"))
            self.b[l] = sp.Matrix([R(f"b^{l}_{j + 1}") for j in range(n)])
            self.z[l] = self.W[l] * self.a[l - 1] + self.b[l]
            self.a[l] = self._act(l, self.z[l], elementary=False)

    def _act(self, l, z, elementary):
        f = self.net.activations[l - 1]
        if f == SOFTMAX:
            e = [sp.exp(v) for v in z]
            return sp.Matrix([v / sum(e) for v in e])
        fn = f.definition if elementary else f.sympy
        return z.applyfunc(fn)

    def cost(self, elementary: bool = True) -> sp.Expr:
        """C as one SymPy scalar; elementary=True writes sigma through exp (the oracle's form)."""
        a = self.x
        for l in range(1, self.net.L + 1):
            a = self._act(l, self.W[l] * a + self.b[l], elementary)
        c = self.net.cost
        y = self.y
        if c == "mse":
            return sum((ai - yi) ** 2 for ai, yi in zip(a, y)) / 2
        if c == "cross_entropy":
            return -sum(yi * sp.log(ai) for ai, yi in zip(a, y))
        if c == "binary_cross_entropy":
            return -sum(yi * sp.log(ai) + (1 - yi) * sp.log(1 - ai) for ai, yi in zip(a, y))
        net = self.net
        ae, ye = net.a(net.L), net.y()
        from ..calculus.explicit import Evaluator

        ev = Evaluator({}, elementary)
        ev.memo[ae] = a
        ev.memo[ye] = y
        return ev(net.cost_expr(ae, ye))[0, 0]

    def symbols(self) -> list:
        """x, y and every parameter, in a fixed order."""
        out = list(self.x) + list(self.y)
        for l in range(1, self.net.L + 1):
            out += list(self.W[l]) + list(self.b[l])
        return out
