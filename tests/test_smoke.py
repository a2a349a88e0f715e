import sympy as sp

import jacobi as jc


def test_layer_gradient_golden():
    W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((W @ x + b - y) ** 2) / 2
    assert str(jc.gradient(C, W)) == "(W @ x + b - y) @ x.T"
    assert str(jc.gradient(C, b)) == "W @ x + b - y"
    assert str(jc.gradient(C, x)) == "W.T @ (W @ x + b - y)"


def test_lecture_examples():
    x, y = sp.symbols("x y")
    assert jc.gradient(x**2 + sp.cos(y), [x, y]) == sp.Matrix([2 * x, -sp.sin(y)])
    assert jc.jacobian([2 * x + y**3, -13 * x + sp.exp(y)], [x, y]) == sp.Matrix([[2, 3 * y**2], [-13, sp.exp(y)]])
