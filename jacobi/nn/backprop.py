"""The four equations of backpropagation, derived for a network.

backprop() runs the core's chain rule over the network's forward program
from the cost inwards, naming each dC/dz^l as delta^l so that every layer
refers to the next one's error instead of re-expanding it.  The simplifier
then brings each adjoint into textbook form.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import core as P
from ..calculus.chain import inline, reverse, substitute
from ..calculus.derivation import Derivation, Step, partial, render
from ..calculus.simplify import Simplifier
from ..core import functions as F
from ..core.display import Shown, screen
from ..core.expr import Expr
from ..core.lift import Leaves, from_sympy
from ..core.rules import Rule
from ..core.shapes import JacobiError
from .costs import SOFTMAX


@dataclass(repr=False)
class Equation(Shown):
    """A named equation lhs = rhs (and, where it applies, its index form)."""

    name: str
    lhs: Expr
    rhs: Expr
    layer: int
    index_text: str | None = None  # the index form in words; render writes its LaTeX from the step's tag
    batch: bool = False  # the mini-batch form

    def __str__(self):
        s = f"{self.name}: {self.lhs} = {self.rhs}"
        if self.index_text:
            s += f"    ({self.index_text})"
        return s

    def __repr__(self):
        return screen([str(self)])

    def step(self) -> Step:
        """The equation as its derivation's result step (its rule the equation's name)."""
        return Step("result", self.lhs, self.rhs, Rule(self.name, _BP_WORDS[self.name]),
                    tag=(self.name, self.layer, self.batch))

    def _latex_body(self) -> str:  # the equation, its name beneath, then its index form
        return render(self.step(), "step")


class Backprop(Shown):
    """The derived backpropagation equations of a network."""

    def __init__(self, net, batch: bool, simplify: bool = True):
        self.net = net
        self.batch = batch
        L = net.L
        prog = net.program(batch)
        self.program = prog
        names = {net.z(l, batch): net.delta_symbol(l, batch) for l in range(1, L + 1)}
        wrt = [s for l in range(1, L + 1) for s in (net.W(l), net.b(l))]
        steps = [Step("define", v, d, _define_rule(v, d)) for v, d in prog.defs.items()]
        adj, named, steps = reverse(prog, wrt, simplify=simplify, adjoint_names=names, steps=steps)
        self._adj = adj
        self._named = dict(named)
        m = P.Const.make(1 / sp.Symbol("m", integer=True, positive=True)) if batch else None
        self._grads = {}
        for l in range(1, L + 1):
            gW, gb = adj[net.W(l)], adj[net.b(l)]
            if batch:
                gW, gb = P.Scale._new((), (m, gW)), P.Scale._new((), (m, gb))
            self._grads[l] = (gW, gb)
        mean = []  # the batch's cost C is the mean of the summed cost C_sum
        if batch:
            steps.append(Step("chain", partial(P.scalar("C"), prog.output), m,
                              "C is the mean of the per-example costs: C = (1/m) sum_x C_x"))
            mean = [(P.scalar("C"), P.Scale._new((), (m, prog.output)))]
        steps += [eq.step() for eq in self.equations]
        self.derivation = Derivation(prog.defs[prog.output], wrt, [g for l in range(1, L + 1)
                                                                    for g in self._grads[l]],
                                     steps, list(prog.defs.items()) + mean + named, "gradient",
                                     adjoints={d: (prog.output, z) for z, d in names.items()})

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
        C = P.scalar("C") if batch else self.program.output  # the batch's C is the mean of the examples' costs
        eqs.append(Equation("BP1", D(L, batch), self.delta(L), L, batch=batch))
        for l in range(L - 1, 0, -1):
            eqs.append(Equation("BP2", D(l, batch), self.delta(l), l, batch=batch))
        for l in range(1, L + 1):
            eqs.append(Equation("BP3", partial(C, net.b(l), "gradient"), self.grad_b(l), l, _bp3_index(l, batch),
                                batch))
        for l in range(1, L + 1):
            eqs.append(Equation("BP4", partial(C, net.W(l), "gradient"), self.grad_W(l), l, _bp4_index(l, batch),
                                batch))
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

    def __repr__(self):
        sizes = ", ".join(str(s) for s in self.net.sizes)
        form = "a mini-batch of m examples, the columns of X" if self.batch else "one example"
        return screen([f"Backprop of the network [{sizes}], {form}:", *(str(e) for e in self.equations)])

    def _latex_body(self) -> str:  # BP1 ... BP4, each beside its index form (jacobi.render.stepforms)
        return render(self.derivation, "results")


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
