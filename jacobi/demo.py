"""`make demo`: the worked examples of the course, derived by jacobi."""
from __future__ import annotations

import numpy as np
import sympy as sp

import jacobi as jc


def show(title, value):
    print(f"\n== {title}\n{value}")


def main() -> int:
    x, y = sp.symbols("x y", real=True)
    show("Gradient of f(x, y) = x^2 + cos(y)", jc.gradient(x**2 + sp.cos(y), [x, y]))
    show("Jacobian of (2x + y^3, -13x + e^y)", jc.jacobian([2 * x + y**3, -13 * x + sp.exp(y)], [x, y]))
    g1, g2 = sp.symbols("g1 g2", real=True)
    d = jc.derive([sp.sin(g1), sp.log(g2)], [x, y], via={g1: x**2 + y, g2: y**3})
    show("The Jacobian chain rule with intermediate variables g1 = x^2 + y, g2 = y^3", d)

    W, xv, b, yv = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((jc.sigmoid(W @ xv + b) - yv) ** 2) / 2
    show("A layer with quadratic cost, sizes m and n left as names", f"C = {C}")
    for v in (W, b, xv):
        show(f"dC/d{v}", jc.gradient(C, v))
    show("Every step of dC/dW", jc.derive(C, W))

    t = jc.vector("t", "k", distribution=True)
    z = jc.vector("z", "k")
    show("Softmax with cross-entropy: the gradient cancels to", jc.gradient(-jc.sum(t * jc.log(jc.softmax(z))), z))

    sizes = {"m": 3, "n": 4}
    show("Numeric check against central differences, m=3, n=4", jc.check_gradient(C, [W, b], sizes=sizes))
    f = jc.lambdify([W, xv, b, yv], jc.gradient(C, W))
    rng = np.random.default_rng(0)
    show("dC/dW evaluated by generated numpy code",
         f(rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3), rng.normal(size=3)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
