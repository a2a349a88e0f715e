"""Golden structural tests: the shape of the answers, not only their values."""
from __future__ import annotations

import re

import pytest

import jacobi as jc
from jacobi import core as P

#: nodes that a gradient with respect to a matrix must never contain
FORBIDDEN_IN_MATRIX_GRADIENT = (P.Kron, P.Diag, P.Identity, P.Ones, P.Commutation, P.SoftmaxJacobian, P.Vec)


def layer(m, n):
    W, x, b, y = jc.matrix("W", m, n), jc.vector("x", n), jc.vector("b", m), jc.vector("y", m)
    return W, x, b, y


def test_layer_gradient_golden_text():
    W, x, b, y = layer("m", "n")
    g = jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)
    assert str(g) == "(W @ x + b - y) @ x.T"
    assert g.shape == W.shape


def test_layer_gradient_structure_independent_of_sizes():
    texts = set()
    counts = set()
    for m, n in (("m", "n"), (3, 4), (4, 3), (40, 30)):
        W, x, b, y = layer(m, n)
        g = jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)
        texts.add(str(g))
        counts.add(g.count())
        assert g.shape == W.shape
    assert texts == {"(W @ x + b - y) @ x.T"}
    assert len(counts) == 1


def _nets():
    """Scalar costs over a matrix W (name -> (cost, W))."""
    W, x, b, y = layer("m", "n")
    t = jc.vector("t", "m", distribution=True)
    W2, b2, y2 = jc.matrix("W2", "k", "m"), jc.vector("b2", "k"), jc.vector("y2", "k")
    X, Y = jc.matrix("X", "n", "p"), jc.matrix("Y", "m", "p")
    z = W @ x + b
    return {
        "quadratic": (jc.sum((z - y) ** 2) / 2, W),
        "sigmoid_layer": (jc.sum((jc.sigmoid(z) - y) ** 2) / 2, W),
        "tanh_layer": (jc.sum((jc.tanh(z) - y) ** 2) / 2, W),
        "relu_layer": (jc.sum((jc.relu(z) - y) ** 2) / 2, W),
        "inner_product_cost": ((jc.sigmoid(z) - y).T @ (jc.sigmoid(z) - y) / 2, W),
        "softmax_cross_entropy": (-jc.sum(t * jc.log(jc.softmax(z))), W),
        "two_layer_first": (jc.sum((jc.sigmoid(W2 @ jc.sigmoid(z) + b2) - y2) ** 2) / 2, W),
        "two_layer_second": (jc.sum((jc.sigmoid(W2 @ jc.sigmoid(z) + b2) - y2) ** 2) / 2, W2),
        "batch": (jc.sum((W @ X - Y) ** 2) / 2, W),
        "trace_form": (jc.sum(W * W), W),
        "bilinear": (y.T @ W @ x, W),
    }


@pytest.mark.parametrize("name", sorted(_nets()))
def test_matrix_gradient_is_a_matrix_expression(name):
    C, W = _nets()[name]
    g = jc.gradient(C, W)
    assert g.shape == W.shape
    found = sorted({type(n).__name__ for n in g.walk() if isinstance(n, FORBIDDEN_IN_MATRIX_GRADIENT)})
    assert not found, f"dC/dW = {g} contains {found}"


def test_softmax_cross_entropy_cancels():
    W, x, b, y = layer("m", "n")
    t = jc.vector("t", "m", distribution=True)
    g = jc.gradient(-jc.sum(t * jc.log(jc.softmax(W @ x + b))), W)
    assert str(g) == "(softmax(W @ x + b) - t) @ x.T"


# ---------------------------------------------------------------------------
# The simplifier's rewrites, one by one.

n = "n"


@pytest.fixture
def uv():
    return jc.vector("u", n), jc.vector("v", n)


def test_diag_times_vector_is_hadamard(uv):
    u, v = uv
    s = jc.simplify(jc.diag(u) @ v)
    assert s is jc.simplify(u * v)
    assert isinstance(s, P.Hadamard) and set(s.args) == {u, v}
    assert str(s) == "u * v"


def test_diag_times_diag(uv):
    u, v = uv
    s = jc.simplify(jc.diag(u) @ jc.diag(v))
    assert isinstance(s, P.Diag)
    assert s.args[0] is jc.simplify(u * v)
    assert str(s) == "diag(u * v)"


def test_ones_row_times_diag_is_transpose(uv):
    u, v = uv
    s = jc.simplify(jc.ones(1, n) @ jc.diag(v))
    assert s is v.T
    assert str(s) == "v.T"


def test_row_times_diag(uv):
    u, v = uv
    s = jc.simplify(u.T @ jc.diag(v))
    assert s.shape == u.T.shape
    assert not any(isinstance(k, P.Diag) for k in s.walk()), str(s)


def test_identity_factors_vanish():
    A, x = jc.matrix("A", "m", n), jc.vector("x", n)
    assert jc.simplify(jc.identity(n) @ x) is x
    assert jc.simplify(A @ jc.identity(n)) is A
    assert jc.simplify(jc.identity("m") @ A @ jc.identity(n)) is A
    assert jc.simplify(jc.identity(n) @ jc.identity(n) @ x) is x


def test_identity_products_keep_their_shape():
    """I @ I = I and I @ (-I) = -I: square matrices, never the scalars 1 and -1."""
    I = jc.identity(n)  # noqa: E741
    for e in (I @ I, I @ (-I), (2 * I) @ I):
        s = jc.simplify(e)
        assert s.shape == e.shape, f"simplify({e}) = {s} has shape {s.shape}, not {e.shape}"
        assert not any(isinstance(k, P.Kron) for k in s.walk())


def test_zero_factors_vanish():
    A, x = jc.matrix("A", "m", n), jc.vector("x", n)
    z = jc.simplify(A @ jc.zeros(n, 1))
    assert isinstance(z, P.Zero) and z.shape == (A @ x).shape
    z = jc.simplify(jc.zeros(1, "m") @ A)
    assert isinstance(z, P.Zero) and z.shape == (1, A.shape[1])
    assert jc.simplify(x + jc.zeros(n, 1)) is x
    assert isinstance(jc.simplify(0 * x), P.Zero)
    assert jc.simplify(1 * x) is x
    assert jc.simplify(x * jc.ones(n)) is x


def test_transposes_pushed_to_leaves():
    A, B, C = jc.matrix("A", "m", n), jc.matrix("B", n, "k"), jc.matrix("C", "k", "m")
    s = jc.simplify((A @ B).T)
    assert s is B.T @ A.T
    assert str(s) == "B.T @ A.T"
    assert jc.simplify((A @ B @ C).T) is C.T @ B.T @ A.T
    assert jc.simplify(A.T.T) is A
    assert str(jc.simplify((A + A).T)) == "2 * A.T"
    x = jc.vector("x", n)
    s = jc.simplify((A @ x).T)
    assert s is x.T @ A.T
    for e in ((A @ B).T, ((A @ B).T @ A).T, (A @ x + jc.vector("b", "m")).T):
        s = jc.simplify(e)
        for node in s.walk():
            if isinstance(node, P.Transpose):
                assert isinstance(node.args[0], P.Symbol), f"{e} -> {s}: a transpose of {node.args[0]}"


# ---------------------------------------------------------------------------
# Dimension-free: the size of the derivative does not depend on the sizes.


def network(width, layers=3):
    x, y = jc.vector("x", width), jc.vector("y", width)
    Ws = [jc.matrix(f"W{i}", width, width) for i in range(1, layers + 1)]
    bs = [jc.vector(f"b{i}", width) for i in range(1, layers + 1)]
    a = x
    for W, b in zip(Ws, bs):
        a = jc.sigmoid(W @ a + b)
    return jc.sum((a - y) ** 2) / 2, Ws


def test_dimension_free_three_layer_network():
    C4, W4 = network(4)
    C4000, W4000 = network(4000)
    g4 = jc.gradient(C4, W4[0])
    g4000 = jc.gradient(C4000, W4000[0])
    assert g4.count() == g4000.count()
    assert str(g4) == str(g4000)
    assert g4000.shape == W4000[0].shape
    gn = jc.gradient(network("n")[0], network("n")[1][0])
    assert gn.count() == g4.count()
    found = {type(k).__name__ for k in g4000.walk() if isinstance(k, FORBIDDEN_IN_MATRIX_GRADIENT)}
    assert not found
    # the backpropagated error is shared, not repeated: the graph is small
    assert g4.count() < 60
    assert re.fullmatch(r"\(.*\) @ x\.T", str(g4))


def test_dimension_free_all_layers():
    for k in range(3):
        small = jc.gradient(network(4)[0], network(4)[1][k])
        big = jc.gradient(network(4000)[0], network(4000)[1][k])
        assert small.count() == big.count()
        assert str(small) == str(big)
