"""The objects a student displays in a notebook, built as the README's code blocks build them.

``objects()`` is a list of (name, object); tests/test_notebook_math.py renders every _repr_latex_,
_repr_markdown_ and to_markdown() of each with MathJax 3 and KaTeX.  Add an object here when the README
shows a new one."""
from __future__ import annotations

import sympy as sp

import jacobi as jc


def api_tour() -> list:
    W, x = jc.matrix("W", "m", "n"), jc.vector("x", "n")
    b, y = jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((W @ x + b - y) ** 2) / 2
    z = jc.vector("z", "k")
    t = jc.vector("t", "k", distribution=True)
    A = jc.matrix("A", "n", "n", symmetric=True)
    xs, ys, g1, g2 = sp.symbols("x y g1 g2")
    return [
        ("gradient(C, W)", jc.gradient(C, W)),
        ("gradient(C, x)", jc.gradient(C, x)),
        ("jacobian(sigmoid(W x), x)", jc.jacobian(jc.sigmoid(W @ x), x)),
        ("gradient of cross-entropy on softmax", jc.gradient(-jc.sum(t * jc.log(jc.softmax(z))), z)),
        ("gradient of log-sum-exp", jc.gradient(jc.log(jc.sum(jc.exp(z))), z)),
        ("derive(C, W)", jc.derive(C, W)),
        ("derive(C, W, name='C')", jc.derive(C, W, name="C")),
        ("derive(sigmoid(W x + b), x)", jc.derive(jc.sigmoid(W @ x + b), x)),
        ("gradient(x^T A x, x), A symmetric", jc.gradient(x.T @ A @ x, x)),
        ("gradient(logdet(A), A)", jc.gradient(jc.logdet(A), A)),
        ("derive(logdet(A), A)", jc.derive(jc.logdet(A), A)),
        ("lecture route: derive with via", jc.derive([sp.sin(g1), sp.log(g2)], [xs, ys],
                                                     via={g1: xs**2 + ys, g2: ys**3})),
        ("lecture route: derive a gradient", jc.derive(xs**2 + sp.cos(ys), [xs, ys])),
    ]


def functions_and_matrices() -> list:
    A, b = jc.matrix("A", "m", "n"), jc.vector("b", "m")
    x = jc.vector("x", "n")
    X, B, Am = jc.matrix("X", "n", "n"), jc.matrix("B", "n", "p"), jc.matrix("A", "p", "n")
    return [
        ("gradient(norm2(A x - b), x)", jc.gradient(jc.norm2(A @ x - b), x)),
        ("derive(sum(sqrt(x * x + 1)), x)", jc.derive(jc.sum(jc.sqrt(x * x + 1)), x)),
        ("gradient(det(X), X)", jc.gradient(jc.det(X), X)),
        ("gradient(trace(A X B), X)", jc.gradient(jc.trace(Am @ X @ B), X)),
        ("jacobian(inv(X), X)", jc.jacobian(jc.inv(X), X)),
        ("derive(trace(matrix_power(X, 3)), X)", jc.derive(jc.trace(jc.matrix_power(X, 3)), X)),
    ]


def second_derivatives() -> list:
    X, w = jc.matrix("X", "m", "n"), jc.vector("w", "n")
    y = jc.vector("y", "m")
    f = jc.sum(jc.softplus(X @ w) - y * (X @ w))
    x = jc.vector("x", "n")
    return [
        ("hessian of logistic regression", jc.hessian(f, w)),
        ("hessian of log-sum-exp", jc.hessian(jc.log(jc.sum(jc.exp(x))), x)),
    ]


def networks() -> list:
    net = jc.Network([784, "n1", 10], activation="sigmoid", output="softmax", cost="cross_entropy")
    bp = net.backprop()
    batch = jc.Network([2, 3, 2], activation="sigmoid", cost="mse").backprop(batch=True)
    return [
        ("Network backprop derivation (784-n1-10, softmax, cross-entropy)", bp.derivation),
        ("Network backprop, a mini-batch (2-3-2)", batch.derivation),
        ("BP1 of the network", bp.steps[-1].rhs),
        ("sigma'(z1) from the output", bp.sigma_prime(1, "output")),
    ]


def programs() -> list:
    W1, b1, x = jc.matrix("W1", "m", "n"), jc.vector("b1", "m"), jc.vector("x", "n")
    W2, y = jc.matrix("W2", "k", "m"), jc.vector("y", "k")
    h = jc.let("h", jc.tanh(W1 @ x + b1))
    bp = jc.backprop(jc.sum((W2 @ h - y) ** 2))
    X, G = jc.matrix("X", "n", "d"), jc.matrix("G", "n", "d")
    bn = jc.backprop(jc.sum(jc.BatchNorm(eps=1e-5, ddof=0)(X) * G), constants=[G])
    seq = jc.Sequential([jc.Dense("h", "tanh"), jc.BatchNorm(ddof=1),
                         jc.Residual(jc.Dense("h", "relu"), jc.LayerNorm()), jc.Dense(10, "softmax")],
                        input="d", cost="cross_entropy").backprop()
    return [
        ("jc.backprop of a two-layer program", bp),
        ("its derivation", bp.derivation),
        ("bp.grad(W1)", bp.grad(W1)),
        ("bp.resolved(W1)", bp.resolved(W1)),
        ("batch norm's backprop", bn),
        ("batch norm's compact form", bn.compact(X, through=["y"])),
        ("Sequential backprop (dense, batch norm, residual, softmax)", seq),
    ]


def objects() -> list:
    """(name, object) for every object the README's code blocks display, and every output of the tour
    notebook (derivations/tour.ipynb: networks, Backprop, equations, checks, generated functions)."""
    from jacobi.notebook import tour_objects

    return (api_tour() + functions_and_matrices() + second_derivatives() + networks() + programs()
            + [("tour: " + name, obj) for name, obj in tour_objects()])
