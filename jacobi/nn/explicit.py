"""The explicit view of a tiny network: every weight, bias, weighted input and activation as a SymPy scalar."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..calculus.explicit import Evaluator
from ..core.shapes import JacobiError
from .costs import SOFTMAX


@dataclass
class ExplicitNetwork:
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
