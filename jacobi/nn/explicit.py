"""The explicit view of a tiny network: every weight, bias, weighted input and activation as a SymPy scalar."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from ..calculus.explicit import Evaluator
from ..core.display import Shown, aligned, screen, wrap
from ..core.shapes import JacobiError
from .costs import SOFTMAX

#: the rows of a layer that the notebook form writes out (the first ones and the last, a vdots between)
SHOWN_ROWS = 4


@dataclass(repr=False)
class ExplicitNetwork(Shown):
    """The teaching view of a tiny network: every weight, bias, weighted input
    and activation as a SymPy scalar.  W[l][j, k] is w^l_jk (1-based in names)."""

    net: object  # the Network
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
        """C as one SymPy scalar, the network's own cost expression evaluated on the entries;
        elementary=True writes sigma through exp (the oracle's form)."""
        net = self.net
        a = self.x
        for l in range(1, net.L + 1):
            a = self._act(l, self.W[l] * a + self.b[l], elementary)
        ae, ye = net.a(net.L), net.y()
        named = {str(s): n for s, n in zip(net.sizes, self.sizes) if not s.is_Integer}
        ev = Evaluator(named, elementary)
        ev.memo[ae] = a
        ev.memo[ye] = self.y
        return ev(net.cost_expr(ae, ye))[0, 0]

    def symbols(self) -> list:
        """x, y and every parameter, in a fixed order."""
        out = list(self.x) + list(self.y)
        for l in range(1, self.net.L + 1):
            out += list(self.W[l]) + list(self.b[l])
        return out

    # -- display: each layer through the previous one's activations, as a textbook writes it -----------
    def _display(self) -> tuple:
        """(layers, cost): per layer (l, the terms of each z^l_j = sum_k w^l_jk a^{l-1}_k + b^l_j, the
        symbols z^l_j, the activation), and C through the symbols a^L_j and y_j."""
        net, R = self.net, lambda name: sp.Symbol(name, real=True)
        prev = self.x
        layers = []
        for l in range(1, net.L + 1):
            W, b = self.W[l], self.b[l]
            terms = [[sp.Mul(W[j, k], prev[k], evaluate=False) for k in range(W.cols)] + [b[j]]
                     for j in range(W.rows)]
            layers.append((l, terms, [R(f"z^{l}_{j + 1}") for j in range(W.rows)], net.activations[l - 1]))
            prev = sp.Matrix([R(f"a^{l}_{j + 1}") for j in range(W.rows)])
        ae, ye = net.a(net.L), net.y()
        ev = Evaluator({str(s): n for s, n in zip(net.sizes, self.sizes) if not s.is_Integer}, False)
        ev.memo[ae], ev.memo[ye] = prev, self.y
        return layers, ev(net.cost_expr(ae, ye))[0, 0]

    def __repr__(self):
        layers, cost = self._display()
        sizes = ", ".join(str(n) for n in self.sizes)
        lines = wrap(f"ExplicitNetwork of the network [{sizes}]: every w^l_jk, b^l_j, z^l_j, a^l_j a SymPy scalar "
                     "(.W[l], .b[l], .z[l], .a[l], .x, .y, .cost())")
        for l, terms, zs, f in layers:
            lines += [f"  {z} = {_sum(t, sp.sstr, '...')}" for z, t in zip(zs, terms)]
            lines.append(f"  a^{l}_j = " + ("exp(z^{0}_j) / sum_k exp(z^{0}_k)".format(l) if f == SOFTMAX
                                           else f"{f.name}(z^{l}_j)"))
        return screen(lines + [f"  C = {sp.sstr(cost)}"])

    def _latex_body(self) -> str:
        layers, cost = self._display()
        rows = []
        for l, terms, zs, f in layers:
            n = len(zs)
            for j in range(n) if n <= SHOWN_ROWS else [*range(SHOWN_ROWS - 1), None, n - 1]:
                rows.append(r"& \vdots" if j is None
                            else sp.latex(zs[j]) + " &= " + _sum(terms[j], sp.latex, r"\cdots"))
            zj = sp.Symbol(f"z^{l}_j")
            act = (r"\frac{e^{%s}}{\sum_{k} e^{%s}}" % (sp.latex(zj), sp.latex(sp.Symbol(f"z^{l}_k"))) if f == SOFTMAX
                   else sp.latex(f.sympy(zj)))
            rows.append(f"{sp.latex(sp.Symbol(f'a^{l}_j'))} &= {act}")
        return aligned(rows + ["C &= " + sp.latex(cost)])


def _sum(terms: list, show, dots: str) -> str:
    """w_j1 a_1 + w_j2 a_2 + ... + b_j: each term by SymPy's printer (show), the middle of a long sum elided."""
    show = functools.partial(show, order="none")  # w_jk a_k as written, not sorted
    if len(terms) > SHOWN_ROWS + 1:
        return " + ".join([show(t) for t in terms[:2]] + [dots] + [show(t) for t in terms[-2:]])
    return " + ".join(show(t) for t in terms)
