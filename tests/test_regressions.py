"""SymPy's matrix-derivative failures, each turned into a regression test with
the right answer, checked numerically (central differences, closed forms) and
structurally (shapes, node types)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from oracles import FD_TOL, assert_close, evaluate, fd_jacobian, sample, vec

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.check import numeric_jacobian
from jacobi.core.shapes import concrete

# third-order objects and Jacobian blocks that must never reach a gradient
JACOBIAN_BLOCKS = (P.Kron, P.Diag, P.Commutation, P.SoftmaxJacobian, P.Vec)

SIZES = {"m": 3, "n": 4}


def nodes(e):
    return {type(n) for n in e.walk()}


def assert_matrix_expression(g):
    bad = sorted(t.__name__ for t in nodes(g) & set(JACOBIAN_BLOCKS))
    assert not bad, f"{g} contains Jacobian blocks {bad}"


def gradient_matches_fd(C, wrt, sizes=SIZES, seeds=(0, 1, 2), domain=(-1.0, 1.0)):
    g = jc.gradient(C, wrt)
    assert g.shape == wrt.shape, f"dC/d{wrt} has shape {g.shape}, not {wrt.shape}"
    syms = list(C.symbols())
    for seed in seeds:
        vals = sample(syms, sizes, seed, domain)
        got = evaluate(g, syms, vals)
        assert got.shape == concrete(wrt.shape, sizes) or (wrt.is_scalar and got.shape == ())
        assert_close(vec(got), fd_jacobian(C, syms, vals, wrt).reshape(-1), FD_TOL, f"dC/d{wrt}")
    return g


# ---------------------------------------------------------------------------
# One layer: a = sigmoid(W x + b), C = (a - y)^T (a - y) / 2.


@pytest.fixture
def layer():
    W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    a = jc.sigmoid(W @ x + b)
    C = (a - y).T @ (a - y) / 2
    return W, x, b, y, a, C


def test_layer_cost_is_scalar(layer):
    *_, C = layer
    assert C.is_scalar


def test_layer_gradient_wrt_input(layer):
    """dC/da0 with a0 = x: a vector of x's shape (SymPy gave a wrongly shaped or unevaluated result)."""
    W, x, b, y, a, C = layer
    g = gradient_matches_fd(C, x)
    assert g.shape == x.shape
    assert_matrix_expression(g)


def test_layer_gradient_wrt_bias(layer):
    W, x, b, y, a, C = layer
    g = gradient_matches_fd(C, b)
    assert g.shape == b.shape
    assert_matrix_expression(g)
    # and it is the textbook delta = (a - y) * sigma'(z)
    syms = list(C.symbols())
    vals = sample(syms, SIZES, 7)
    Wv, xv, bv, yv = (vals[syms.index(s)] for s in (W, x, b, y))
    av = 1 / (1 + np.exp(-(Wv @ xv + bv)))
    assert_close(evaluate(g, syms, vals), (av - yv) * av * (1 - av), 1e-10, "delta")


def test_layer_gradient_wrt_weights(layer):
    W, x, b, y, a, C = layer
    g = gradient_matches_fd(C, W)
    assert g.shape == W.shape
    assert_matrix_expression(g)
    outer = g.args[1] if isinstance(g, P.Scale) and isinstance(g.args[0], P.Const) else g
    assert isinstance(outer, P.MatMul) and outer.args[-1] is x.T, f"dC/dW should be delta @ x.T, got {g}"


def test_layer_derivation_has_steps(layer):
    W, *_, C = layer
    d = jc.derive(C, W)
    assert d.steps and d.result.shape == W.shape
    assert d.steps[-1].rhs is d.result


def test_two_layer_network():
    W1, b1 = jc.matrix("W1", "h", "n"), jc.vector("b1", "h")
    W2, b2 = jc.matrix("W2", "m", "h"), jc.vector("b2", "m")
    x, y = jc.vector("x", "n"), jc.vector("y", "m")
    a1 = jc.sigmoid(W1 @ x + b1)
    a2 = jc.sigmoid(W2 @ a1 + b2)
    C = jc.sum((a2 - y) ** 2) / 2
    sizes = {"n": 4, "h": 5, "m": 3}
    for w in (W1, b1, W2, b2, x):
        g = gradient_matches_fd(C, w, sizes)
        assert_matrix_expression(g)
    g1 = jc.gradient(C, W1)
    assert isinstance(g1, P.MatMul) and g1.args[-1] is x.T, f"dC/dW1 should be delta1 @ x.T, got {g1}"


def test_two_layer_network_jointly():
    """All gradients at once (one derivation) agree with one-at-a-time gradients."""
    W1, b1 = jc.matrix("W1", "h", "n"), jc.vector("b1", "h")
    W2, b2 = jc.matrix("W2", "m", "h"), jc.vector("b2", "m")
    x, y = jc.vector("x", "n"), jc.vector("y", "m")
    C = jc.sum((jc.sigmoid(W2 @ jc.tanh(W1 @ x + b1) + b2) - y) ** 2) / 2
    ws = [W1, b1, W2, b2]
    together = jc.gradient(C, ws)
    assert isinstance(together, list) and len(together) == 4
    syms = list(C.symbols())
    vals = sample(syms, {"n": 3, "h": 4, "m": 2}, 3)
    for w, g in zip(ws, together):
        assert g.shape == w.shape
        assert_close(evaluate(g, syms, vals), evaluate(jc.gradient(C, w), syms, vals), 1e-10, f"dC/d{w}")
        assert_close(vec(evaluate(g, syms, vals)), fd_jacobian(C, syms, vals, w).reshape(-1), FD_TOL, f"dC/d{w}")


# ---------------------------------------------------------------------------
# log-sum-exp: SymPy differentiated log(sum(exp(x))) to zero.


@pytest.mark.parametrize("n", ["n", 4])
def test_logsumexp_gradient_is_softmax(n):
    x = jc.vector("x", n)
    f = jc.log(jc.sum(jc.exp(x)))
    g = jc.gradient(f, x)
    assert not isinstance(g, P.Zero), "d log(sum(exp(x)))/dx came out as zero"
    assert g.shape == x.shape
    for seed in range(3):
        (xv,) = sample([x], {"n": 4}, seed, (-3, 3))
        got = evaluate(g, [x], [xv])
        assert np.max(np.abs(got)) > 0.01
        e = np.exp(xv)
        assert_close(got, e / e.sum(), 1e-10, "exp(x) / sum(exp(x))")
        assert_close(got, evaluate(jc.softmax(x), [x], [xv]), 1e-10, "softmax(x)")
        assert_close(vec(got), fd_jacobian(f, [x], [xv], x).reshape(-1), FD_TOL, "finite differences")


def test_logsumexp_of_affine():
    W, x = jc.matrix("W", "m", "n"), jc.vector("x", "n")
    f = jc.log(jc.sum(jc.exp(W @ x)))
    g = gradient_matches_fd(f, W)
    assert_matrix_expression(g)


# ---------------------------------------------------------------------------
# A sum of squared norms: SymPy returned 0.


def test_sum_of_two_squared_norms_is_not_zero():
    x, y = jc.vector("x", "n"), jc.vector("y", "n")
    for f in (x.T @ x + y.T @ y, jc.sum(x**2) + jc.sum(y**2), jc.dot(x, x) + jc.dot(y, y)):
        for w in (x, y):
            g = jc.gradient(f, w)
            assert not isinstance(g, P.Zero), f"d({f})/d{w} came out as zero"
            assert g.shape == w.shape
            syms = [x, y]
            vals = sample(syms, {"n": 3}, 1)
            assert_close(evaluate(g, syms, vals), 2 * vals[syms.index(w)], 1e-10, f"d({f})/d{w} = 2 {w}")


def test_sum_of_squared_norms_with_a_matrix():
    A, x, b = jc.matrix("A", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m")
    r = A @ x - b
    f = x.T @ x + r.T @ r
    g = gradient_matches_fd(f, x)
    syms = list(f.symbols())
    vals = sample(syms, SIZES, 2)
    Av, xv, bv = (vals[syms.index(s)] for s in (A, x, b))
    assert_close(evaluate(g, syms, vals), 2 * xv + 2 * Av.T @ (Av @ xv - bv), 1e-10, "2x + 2A^T(Ax - b)")
    gA = gradient_matches_fd(f, A)
    assert_close(evaluate(gA, syms, vals), 2 * (Av @ xv - bv) @ xv.T, 1e-10, "2 (Ax - b) x^T")


# ---------------------------------------------------------------------------
# lambdify evaluates element-wise functions (SymPy's lambdify could not).

_t = sp.Symbol("t")

REFERENCE = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "exp": np.exp,
    "softplus": lambda z: np.log1p(np.exp(z)),
    "step": lambda z: (z > 0).astype(float),
    "identity": lambda z: z,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_lambdify_evaluates_registered_functions(name):
    X = jc.matrix("X", 3, 2)
    f = jc.lambdify([X], jc.elementwise(name, X))
    Xv = np.array([[-2.0, -0.5], [0.3, 1.5], [2.5, -1.25]])
    out = f(Xv)
    assert isinstance(out, np.ndarray) and out.shape == (3, 2) and out.dtype.kind == "f"
    assert_close(out, REFERENCE[name](Xv), 1e-12, name)


def test_lambdify_evaluates_log():
    x = jc.vector("x", 3)
    assert_close(jc.lambdify([x], jc.log(x))(np.array([0.5, 1.0, 3.0])), np.log([0.5, 1.0, 3.0]), 1e-12, "log")


def test_lambdify_sigmoid_is_stable():
    x = jc.vector("x", 4)
    with np.errstate(over="raise", invalid="raise"):
        out = jc.lambdify([x], jc.sigmoid(x))(np.array([-1000.0, -30.0, 30.0, 1000.0]))
    assert_close(out, [0.0, 1 / (1 + np.exp(30.0)), 1 / (1 + np.exp(-30.0)), 1.0], 1e-12, "sigmoid")


@pytest.mark.parametrize("fn,ref", [
    (sp.sin, np.sin),
    (sp.cos, np.cos),
    (sp.Lambda(_t, _t**3 / (1 + _t**2)), lambda z: z**3 / (1 + z**2)),
    (sp.Lambda(_t, sp.sin(_t) * sp.exp(-_t**2)), lambda z: np.sin(z) * np.exp(-z**2)),
], ids=["sin", "cos", "rational_lambda", "lambda_with_functions"])
def test_lambdify_evaluates_user_functions(fn, ref):
    x = jc.vector("x", 3)
    e = jc.elementwise(fn, x)
    xv = np.array([-1.0, 0.25, 2.0])
    assert_close(jc.lambdify([x], e)(xv), ref(xv), 1e-12, str(e))
    # and their derivatives, which SymPy derives
    J = jc.jacobian(e, x)
    assert_close(evaluate(J, [x], [xv.reshape(-1, 1)]), fd_jacobian(e, [x], [xv.reshape(-1, 1)], x), FD_TOL, str(J))


def test_lambdify_gradient_is_a_float_array():
    """Generated derivative code returns float arrays, constant results included."""
    x, s = jc.vector("x", 3), jc.scalar("s")
    A = jc.matrix("A", 2, 3)
    cases = [
        (jc.gradient(jc.sum(jc.sigmoid(A @ x)), A), (2, 3)),
        (jc.jacobian(x - s, s), (3, 1)),  # d(x - s)/ds = -1, a constant
        (jc.jacobian(x + s, s), (3, 1)),  # = 1
        (jc.gradient(jc.sum(A), A), (2, 3)),  # ones
        (jc.jacobian(3 * x, x), (3, 3)),
    ]
    for expr, shape in cases:
        out = jc.lambdify([A, x, s], expr)(np.ones((2, 3)), np.ones((3, 1)), 0.5)
        assert isinstance(out, np.ndarray), f"{expr} gave {type(out)}"
        assert out.shape == shape, f"{expr} gave shape {out.shape}"
        assert out.dtype == np.float64, f"{expr} evaluated to dtype {out.dtype}"


def test_lambdify_result_does_not_alias_argument():
    """A result is a new array, never a view of an argument (mutating it must
    not change the caller's data)."""
    x = jc.vector("x", 3)
    A = jc.matrix("A", 2, 3)
    for args, e, val in (([x], x.T, np.ones((3, 1))), ([A], A.T, np.ones((2, 3))), ([x], jc.elementwise("identity", x),
                                                                                   np.ones((3, 1)))):
        out = jc.lambdify(args, e)(val)
        assert not np.shares_memory(out, val), f"lambdify({e}) returned a view of its argument"


def test_numeric_jacobian_of_a_function_returning_its_argument():
    """jacobi.check.numeric_jacobian must not be fooled by a function whose
    result shares memory with its (perturbed in place) argument."""
    x0 = np.array([[0.5], [-1.0], [2.0]])
    J = numeric_jacobian(lambda v: v, [x0], 0)
    assert_close(J, np.eye(3), 1e-8, "d x / d x")
    J = numeric_jacobian(lambda v: v.T, [x0], 0)
    assert_close(J, np.eye(3), 1e-8, "d x.T / d x")


def test_check_gradient_passes_on_a_network():
    W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((jc.tanh(W @ x + b) - y) ** 2) / 2
    res = jc.check_gradient(C, [W, b, x], sizes=SIZES)
    assert res.ok, str(res)


# ---------------------------------------------------------------------------
# Second derivatives: a derivative is an expression like any other.


def test_gradient_of_a_jacobian_row():
    """jc.jacobian of a scalar is a row vec(G).T; differentiating it again
    (a Hessian-vector style computation) must work."""
    A = jc.matrix("A", 2, 3)
    row = jc.jacobian(jc.sum(A * A), A)  # vec(2 A).T
    g = jc.gradient(jc.sum(row), A)  # d sum(2 A)/dA = 2 * ones
    assert g.shape == A.shape
    (Av,) = sample([A], None, 0)
    assert_close(evaluate(g, [A], [Av]), 2 * np.ones((2, 3)), 1e-12, str(g))


def test_subtraction_jacobian_has_full_shape():
    """d(x - y)/dy = -I (an n x n matrix), not the scalar -1."""
    x, y = jc.vector("x", "n"), jc.vector("y", "n")
    J = jc.jacobian(x - y, y)
    n = sp.Symbol("n", integer=True, positive=True)
    assert J.shape == (n, n), f"d(x - y)/dy = {J} with shape {J.shape}"
    (xv, yv) = sample([x, y], {"n": 3}, 0)
    assert_close(evaluate(J, [x, y], [xv, yv]), -np.eye(3), 1e-12, str(J))


def test_derivative_of_a_symbol_with_respect_to_itself():
    """f = x itself: the Jacobian is the identity, the gradient of s is 1."""
    s, x, A = jc.scalar("s"), jc.vector("x", 3), jc.matrix("A", 2, 3)
    vals = sample([s, x, A], None, 0)
    assert_close(evaluate(jc.gradient(s, s), [s, x, A], vals), 1.0, 1e-12, "ds/ds")
    assert_close(evaluate(jc.jacobian(x, x), [s, x, A], vals), np.eye(3), 1e-12, "dx/dx")
    assert_close(evaluate(jc.jacobian(A, A), [s, x, A], vals), np.eye(6), 1e-12, "dA/dA")
    assert_close(evaluate(jc.jacobian(x, [x])[0], [s, x, A], vals), np.eye(3), 1e-12, "dx/dx (list)")


def test_unsimplified_derivatives_evaluate():
    """simplify=False gives the raw chain rule; it must still be valid code."""
    x, A = jc.vector("x", 3), jc.matrix("A", 3, 3)
    f = x.T @ A @ x
    vals = sample([x, A], None, 0)
    for w in (x, A):
        g = jc.gradient(f, w, simplify=False)
        assert_close(vec(evaluate(g, [x, A], vals)), fd_jacobian(f, [x, A], vals, w).reshape(-1), FD_TOL, str(g))
    J = jc.jacobian(A @ x, A, simplify=False)
    assert_close(evaluate(J, [x, A], vals), fd_jacobian(A @ x, [x, A], vals, A), FD_TOL, str(J))


def test_lambdify_product_with_a_scalar_first_factor():
    """a @ v.T @ v is a 1x1 @ 1x2 @ 2x1 product: a scalar, a * (v . v)."""
    a, v = jc.scalar("a"), jc.vector("v", 2)
    A = jc.matrix("A", 2, 2)
    av, vv, Av = 1.5, np.array([[1.0], [2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_close(jc.lambdify([a, v], a @ v.T @ v)(av, vv), av * 5.0, 1e-12, "a @ v.T @ v")
    assert_close(jc.lambdify([a, v, A], a @ v.T @ A)(av, vv, Av), av * vv.T @ Av, 1e-12, "a @ v.T @ A")
    assert_close(jc.lambdify([a, v, A], v.T @ A @ v @ a)(av, vv, Av), (vv.T @ Av @ vv).item() * av, 1e-12,
                 "v.T @ A @ v @ a")
