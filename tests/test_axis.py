"""Batches: broadcasting a row or a column, reductions along an axis, max with its tie rule, softmax and
log-softmax along either axis (the rule tests differentiate the primitives' examples and the cases of
tests/test_rules.py; these check the shapes, the refusals, the compact forms and the generated code)."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import jacobi as jc
from jacobi.core import ShapeError

X, G = jc.matrix("X", "m", "n"), jc.matrix("G", "m", "n")
r, c = jc.matrix("r", 1, "n"), jc.vector("c", "m")
SIZES = {"m": 4, "n": 3}
BACKENDS = [b for b in ("numpy", "jax", "torch") if importlib.util.find_spec(b if b != "jax" else "jax")]


def test_a_row_and_a_column_broadcast_in_both_orders():
    for e in (X + r, r + X, X - c, c - X, X * r, c * X, X / r, r / X, c / X):
        assert e.shape == X.shape
    assert str(X + r) == "X + ones(m) @ r"
    assert str(X - c) == "X - c @ ones(n).T"
    assert jc.latex(X + r) == r"X + \mathbf{1} r"
    f = jc.lambdify([X, r, c], (X - c) / r * 2)
    rng = np.random.default_rng(0)
    Xv, rv, cv = rng.normal(size=(4, 3)), rng.uniform(1, 2, size=(1, 3)), rng.normal(size=(4, 1))
    np.testing.assert_allclose(f(Xv, rv, cv), (Xv - cv) / rv * 2, rtol=1e-12)
    assert "ones" not in f.source  # plain broadcasting


@pytest.mark.parametrize("a,b,op", [(c, c.T, "add"), (c.T, c, "subtract"), (X, jc.vector("y", "n"), "multiply"),
                                    (X, jc.matrix("R", 1, "m"), "divide"), (X, X.T, "add")])
def test_shapes_that_do_not_broadcast_are_refused_naming_both(a, b, op):
    fn = {"add": lambda: a + b, "subtract": lambda: a - b, "multiply": lambda: a * b, "divide": lambda: a / b}[op]
    with pytest.raises(ShapeError, match=rf"cannot {op}.*{a} \(.*\).*{b} \(.*\).*differ") as err:
        fn()
    if a.shape[1] == 1 and b.shape[0] == 1:
        assert "outer" in str(err.value)


def test_the_parser_broadcasts_and_reads_axes():
    e = jc.parse("X - mean(X, 0)", {"X": "m x n"})
    assert e is X - jc.mean(X, axis=0)
    assert jc.parse("sum(X, 1)", {"X": "mxn"}).shape == (X.shape[0], 1)
    assert jc.parse("var(X, 0, 1)", {"X": "mxn"}) is jc.var(X, axis=0, ddof=1)
    with pytest.raises(jc.ParseError, match="axis"):
        jc.parse("sum(X, 2)", {"X": "mxn"})
    with pytest.raises(jc.ParseError, match="outer"):
        jc.parse("x + y.T", {"x": "3", "y": "4"})


def test_reductions_keep_dimensions_and_read_like_a_textbook():
    assert jc.sum(X, axis=0).shape == (1, X.shape[1]) and jc.sum(X, axis=1).shape == (X.shape[0], 1)
    assert jc.sum(X).shape == (1, 1) and jc.sum(X, axis=-1) is jc.sum(X, axis=1)
    assert jc.latex(jc.mean(X, axis=0)) == r"\frac{\mathbf{1}^{\top} X}{m}"
    for bad in (2, True, "0", 0.5):
        with pytest.raises(jc.JacobiError, match="axis"):
            jc.sum(X, axis=bad)
    with pytest.raises(jc.JacobiError, match="ddof"):
        jc.var(X, axis=0, ddof=-1)
    with pytest.raises(ShapeError, match="ddof=1"):
        jc.var(jc.matrix("Y", 1, 3), axis=0, ddof=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reductions_agree_with_numpy(backend):
    rng = np.random.default_rng(1)
    Xv = rng.normal(size=(5, 3))
    outs = [jc.sum(X, axis=0), jc.sum(X, axis=1), jc.mean(X, axis=1), jc.var(X, axis=0), jc.var(X, axis=1, ddof=1),
            jc.var(X, ddof=1), jc.max(X, axis=0), jc.max(X, axis=1), jc.max(X), jc.softmax(X, axis=1),
            jc.log_softmax(X, axis=1)]
    got = jc.lambdify([X], outs, backend=backend)(Xv)
    e = np.exp(Xv - Xv.max(1, keepdims=True))
    want = [Xv.sum(0, keepdims=True), Xv.sum(1, keepdims=True), Xv.mean(1, keepdims=True),
            Xv.var(0, keepdims=True), Xv.var(1, ddof=1, keepdims=True), Xv.var(ddof=1), Xv.max(0, keepdims=True),
            Xv.max(1, keepdims=True), Xv.max(), e / e.sum(1, keepdims=True),
            np.log(e / e.sum(1, keepdims=True))]
    tol = 1e-5 if backend == "jax" else 1e-10  # jax computes in float32 unless x64 is enabled
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, dtype=float).reshape(np.shape(w)), w, rtol=tol, atol=tol)


def test_the_maximum_goes_to_the_first_entry_that_attains_it():
    Y = jc.matrix("Y", 3, 2)
    grad0 = jc.lambdify([Y], jc.gradient(jc.sum(jc.max(Y, axis=0)), Y))
    grad1 = jc.lambdify([Y], jc.gradient(jc.sum(jc.max(Y, axis=1)), Y))
    gall = jc.lambdify([Y], jc.gradient(jc.max(Y), Y))
    tie = np.array([[1.0, 5.0], [2.0, 5.0], [2.0, 0.0]])  # ties: column 0 rows 1, 2; column 1 rows 0, 1
    np.testing.assert_array_equal(grad0(tie), [[0, 1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(grad1(np.array([[3.0, 3.0], [1.0, 2.0], [0.0, 0.0]])), [[1, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(gall(tie), [[0, 1], [0, 0], [0, 0]])  # row-major first, as numpy's argmax
    # away from ties, central differences
    assert jc.check_gradient(jc.sum(jc.max(X @ jc.matrix("W", "n", "n"), axis=1) * c), [X], sizes=SIZES).ok


def test_row_softmax_pulls_back_in_compact_form():
    A = jc.softmax(X, axis=1)
    # the row sums spread over the columns, (G S 1) 1^T, never G S times an n x n ones matrix
    assert str(jc.gradient(jc.sum(A * G), X)) == \
        "(G - (G * softmax(X, axis=1)) @ ones(n) @ ones(n).T) * softmax(X, axis=1)"
    assert str(jc.gradient(jc.sum(jc.log_softmax(X, axis=1) * G), X)) == \
        "G - (G @ ones(n) @ ones(n).T) * softmax(X, axis=1)"
    assert str(jc.gradient(jc.sum(jc.log_softmax(X, axis=0) * G), X)) == "G - (ones(m) @ (ones(m).T @ G)) * softmax(X)"
    for f in (jc.sum(A * G), jc.sum(jc.log_softmax(X, axis=1) * G), jc.sum(jc.softmax(X.T, axis=0) * G.T)):
        assert jc.check_gradient(f, [X], sizes=SIZES).ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_square_matrix_in_the_code_of_a_row_softmax_gradient(backend):
    f = jc.sum(jc.softmax(X, axis=1) * G) + jc.sum(jc.log_softmax(X @ jc.matrix("W", "n", "n"), axis=1) * G)
    fn = jc.lambdify([X, G, jc.matrix("W", "n", "n")], jc.gradient(f, X), backend=backend)
    for bad in ("diagflat", "_softmax_jacobian", "kron", "ones(", "eye("):
        assert bad not in fn.source, bad
    rng = np.random.default_rng(2)
    Xv, Gv, Wv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    assert np.all(np.isfinite(np.asarray(fn(Xv * 1e3, Gv, Wv), dtype=float)))  # stable at large inputs


def test_the_forward_jacobian_of_softmax_along_rows():
    Y = jc.matrix("Y", 2, 3)
    J = jc.jacobian(jc.softmax(Y, axis=1), Y)
    Yv = np.random.default_rng(3).normal(size=(2, 3))
    Jv = jc.lambdify([Y], J)(Yv)
    h, base = 1e-6, np.exp(Yv) / np.exp(Yv).sum(1, keepdims=True)
    for k in range(6):
        d = np.zeros(6)
        d[k] = h
        Yp = Yv + d.reshape(3, 2).T
        fd = (np.exp(Yp) / np.exp(Yp).sum(1, keepdims=True) - base) / h
        np.testing.assert_allclose(Jv[:, k], fd.reshape(-1, order="F"), atol=1e-5)
