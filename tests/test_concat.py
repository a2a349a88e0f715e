"""Concatenation and slicing: jc.concat, jc.cols, jc.rows (core/concat.py), and their rewrites.

The registry's rule tests differentiate the primitives' examples against central differences and SymPy
(tests/test_rules.py); here: shapes with size symbols, refusals, the adjoints through programs of lets
(an LSTM-style split of a (n, 4h) matrix into gates, makemore's embcat of two embeddings) against
central differences of the generated forward and against torch autograd, the backends against each
other, the text read back, and the simplifier's identities.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from registries import installed

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.explicit import entries_of
from jacobi.parse import parse_result

n, a, b, h = (P.size(s) for s in "nabh")
A, B = jc.matrix("A", "n", "a"), jc.matrix("B", "n", "b")
X = jc.matrix("X", "m", "d")


def _fd(f, values, k, eps=1e-6):
    """Central differences of the scalar f(*values) with respect to values[k]."""
    g = np.zeros_like(values[k])
    for idx in np.ndindex(values[k].shape):
        up, down = [v.copy() for v in values], [v.copy() for v in values]
        up[k][idx] += eps
        down[k][idx] -= eps
        g[idx] = (float(f(*up)) - float(f(*down))) / (2 * eps)
    return g


# ---------------------------------------------------------------------------
# Shapes, with sizes as symbols


def test_shapes_add_up_along_the_axis_and_stay_symbols():
    assert jc.concat([A, B], axis=1).shape == (n, a + b)
    assert jc.concat([A.T, B.T]).shape == (a + b, n)  # axis 0, numpy's default
    H = jc.matrix("H", "n", 4 * h)
    assert jc.cols(H, "h", "2*h").shape == (n, h)
    assert jc.cols(H, 3 * h, 4 * h).shape == (n, h)
    assert jc.rows(A, 1, 3).shape == (2, a)
    assert jc.cols(A, 0, "a") is A and jc.rows(A, 0, n) is A  # the whole
    assert jc.concat([A]) is A
    assert jc.concat([jc.concat([A, B], axis=1), A], axis=1) is jc.concat([A, B, A], axis=1)  # flattened
    assert str(jc.cols(H, "h", "2*h")) == "cols(H, h, 2*h)"


@pytest.mark.parametrize("build, match", [
    (lambda: jc.concat([A, X], axis=1), r"cannot concatenate A \(nxa\), X \(mxd\) along axis 1.*same number of rows"),
    (lambda: jc.concat([A, B], axis=0), "same number of columns"),
    (lambda: jc.concat([A, B], axis=2), "concat's axis is 0"),
    (lambda: jc.concat([A, B], axis=True), "concat's axis is 0"),
    (lambda: jc.concat(A), r"concat takes a list of blocks"),
    (lambda: jc.concat([]), "at least one block"),
    (lambda: jc.concat([A, "B"], axis=1), "B"),
    (lambda: jc.cols(X, 2, 2), r"cols\(X, 2, 2\) is empty"),
    (lambda: jc.cols(X, 3, 1), r"cols\(X, 3, 1\) is empty"),
    (lambda: jc.cols(X, 1, "d"), r"needs d > 1 whatever the sizes are"),
    (lambda: jc.rows(X, -1, 2), "rows's start must be >= 0"),
    (lambda: jc.cols(X, 0.5, 2), "cols's start is an integer"),
    (lambda: jc.cols(X, 0, True), "cols's stop is an integer"),
    (lambda: jc.cols(X, 0, "2**d"), "an offset is an integer or an expression in sizes"),
    (lambda: jc.cols(X, 0, "d +"), "an offset is an integer or an expression in sizes"),
    (lambda: jc.cols(jc.matrix("Y", 3, 4), 0, 5), r"cols\(Y, 0, 5\) is out of range: Y \(3x4\) has 4 columns"),
    (lambda: jc.rows(jc.matrix("H", "n", 4 * h), 0, n + 1), r"out of range"),
])
def test_refusals_name_what_is_wrong(build, match):
    with pytest.raises(jc.JacobiError, match=match):
        build()


def test_a_stop_the_sizes_do_not_decide_is_checked_where_they_are_known():
    f = jc.lambdify([X], jc.cols(X, 0, 3))
    assert f(np.ones((2, 4))).shape == (2, 3)
    with pytest.raises(jc.ShapeError, match=r"cols\(X, 0, 3\) needs 3 <= d, but 3 > 2 at d = 2"):
        f(np.ones((2, 2)))
    with pytest.raises(jc.JacobiError, match="out of range"):
        jc.explicit(jc.cols(X, 0, 3), {"m": 2, "d": 2})
    x = jc.vector("x", a + b)  # a dimension that is a sum is checked against its parts
    g = jc.lambdify([A, B, x], jc.concat([A, B], axis=1) @ x)
    with pytest.raises(jc.ShapeError, match="the argument x has a \\+ b rows: 5 at a = 2, b = 3, but it got 4"):
        g(np.ones((2, 2)), np.ones((2, 3)), np.ones(4))


# ---------------------------------------------------------------------------
# Derivatives: structured adjoints, programs of lets, backends


def test_adjoints_are_slices_and_paddings_never_a_selection_matrix():
    x = jc.vector("x", a + b)
    f = jc.sum(jc.tanh(jc.concat([A, B], axis=1) @ x))
    for g in (jc.gradient(f, A), jc.gradient(f, B), jc.gradient(f, x)):
        assert not any(isinstance(e, (P.SliceJacobian, P.Kron, P.Identity)) for e in g.walk()), str(g)
    assert str(jc.gradient(f, x)) == "concat(A.T, B.T, axis=0) @ tanh'(concat(A, B, axis=1) @ x)"
    assert str(jc.gradient(f, A)) == "tanh'(concat(A, B, axis=1) @ x) @ cols(x.T, 0, a)"
    H = jc.matrix("H", "n", 4 * h)
    g = jc.gradient(jc.sum(jc.sigmoid(jc.cols(H, h, 2 * h))), H)
    assert str(g) == "concat(zeros(n, h), sigmoid'(cols(H, h, 2*h)), zeros(n, 2*h), axis=1)"


def test_the_jacobian_is_the_selection_matrix_where_one_is_asked_for():
    W = jc.matrix("W", 3, 4)
    for e in (jc.cols(W, 1, 3), jc.rows(W, 0, 2), jc.concat([W, 2 * W], axis=1),
              jc.concat([W, jc.rows(W, 1, 2)], axis=0)):
        E = jc.explicit(e)
        vec_e = sp.Matrix([E[j, k] for k in range(E.cols) for j in range(E.rows)])  # vec: column-major
        want = np.array(vec_e.jacobian(entries_of(W)).tolist(), dtype=float)
        got = jc.lambdify([W], jc.jacobian(e, W))(np.arange(12.0).reshape(3, 4))
        assert np.allclose(got, want), str(e)


def test_second_derivatives_go_through_concat_and_slices():
    x = jc.vector("x", 3)
    f = jc.sum(jc.tanh(jc.concat([x, 2 * jc.rows(x, 1, 3)], axis=0)) ** 2)
    H = jc.lambdify([x], jc.hessian(f, x))
    g = jc.lambdify([x], jc.gradient(f, x))
    x0 = np.array([0.3, -0.2, 0.5])
    fd = np.column_stack([(g(x0 + e) - g(x0 - e)).reshape(-1) / 2e-6 for e in np.eye(3) * 1e-6])
    assert np.allclose(H(x0), fd, atol=1e-6)


def lstm_gates():
    """An LSTM-style cell: H = X W cut into four gates by columns, each a let."""
    hh = P.size("h")
    Xs, W = jc.matrix("X", "n", "d"), jc.matrix("W", "d", 4 * hh)
    c0, Y = jc.matrix("c0", "n", "h"), jc.matrix("Y", "n", "h")
    H = jc.let("H", Xs @ W)
    i, f, g, o = (jc.let(name, fn(jc.cols(H, k * hh, (k + 1) * hh)))
                  for k, (name, fn) in enumerate([("i", jc.sigmoid), ("f", jc.sigmoid), ("g", jc.tanh),
                                                  ("o", jc.sigmoid)]))
    c = jc.let("c", f * c0 + i * g)
    out = jc.let("out", o * jc.tanh(c))
    return jc.sum((out - Y) ** 2), [Xs, W, c0, Y], H


def embcat():
    """makemore's embcat of two tables: two embeddings side by side, a tanh layer, mean cross-entropy."""
    C, D = jc.matrix("C", "V", "e"), jc.matrix("D", "V", "f")
    Xi, y = jc.indices("Xi", "n", "k", "V"), jc.indices("y", "n", 1, "V")
    W = jc.matrix("W", P.size("k") * (P.size("e") + P.size("f")), "V")
    emb = jc.let("emb", jc.concat([jc.embedding(C, Xi), jc.embedding(D, Xi)], axis=1))
    logits = jc.let("logits", jc.tanh(emb) @ W)
    loss = -jc.sum(jc.onehot(y, "V") * jc.log_softmax(logits, axis=1)) / P.size("n")
    return loss, [C, D, W, Xi, y]


def test_the_gates_adjoint_is_one_concatenation_as_written_by_hand():
    loss, leaves, H = lstm_gates()
    bp = jc.backprop(loss)
    assert str(bp.grad(H)) == ("concat(di * sigmoid'(cols(H, 0, h)), df * sigmoid'(cols(H, h, 2*h)), "
                               "dg * tanh'(cols(H, 2*h, 3*h)), do * sigmoid'(cols(H, 3*h, 4*h)), axis=1)")
    src = bp.function(leaves, [loss, "grad:W"]).source
    assert "np.concatenate([di * (i * (1 - i)), df * (f * (1 - f)), dg * (1 - (g * g)), do * (o * (1 - o))]" in src
    assert "H[:, 0:_h]" in src and "zeros" not in src


@pytest.mark.parametrize("be", [pytest.param(b, marks=pytest.mark.skipif(not installed(b), reason=f"no {b}"))
                                for b in ("numpy", "jax", "torch")])
def test_programs_with_concat_and_slices_against_central_differences(be):
    loss, leaves, _ = lstm_gates()
    rng = np.random.default_rng(0)
    vals = [rng.normal(size=s) for s in [(3, 2), (2, 8), (3, 2), (3, 2)]]
    fn = jc.backprop(loss).function(leaves, [loss, "grad:X", "grad:W", "grad:c0"], backend=be)
    ref = jc.backprop(loss).function(leaves, [loss])
    got = [np.asarray(v, dtype=float) for v in fn(*vals)]
    tol = 2e-4 if be == "jax" else 1e-6
    for k in range(3):
        assert np.allclose(got[1 + k], _fd(lambda *v: ref(*v)[0], vals, k), atol=tol, rtol=tol), (be, k)
    loss, leaves = embcat()
    V, e, f, nn, kk = 5, 2, 3, 4, 2
    Xv, yv = rng.integers(0, V, size=(nn, kk)), rng.integers(0, V, size=(nn, 1))
    vals = [rng.normal(size=(V, e)), rng.normal(size=(V, f)), rng.normal(size=(kk * (e + f), V)) / 2, Xv, yv]
    fn = jc.backprop(loss).function(leaves, [loss, "grad:C", "grad:D", "grad:W"], backend=be)
    ref = jc.backprop(loss).function(leaves, [loss])
    got = [np.asarray(v, dtype=float) for v in fn(*vals)]
    for k in range(3):
        assert np.allclose(got[1 + k], _fd(lambda *v: ref(*v)[0], vals, k), atol=tol, rtol=tol), (be, k)


@pytest.mark.skipif(not installed("torch"), reason="torch is not installed")
def test_embcat_against_torch_autograd():
    import torch

    loss, leaves = embcat()
    rng = np.random.default_rng(1)
    V, e, f, nn, kk = 6, 2, 3, 5, 3
    Xv, yv = rng.integers(0, V, size=(nn, kk)), rng.integers(0, V, size=(nn, 1))
    vals = [rng.normal(size=(V, e)), rng.normal(size=(V, f)), rng.normal(size=(kk * (e + f), V)), Xv, yv]
    out = jc.backprop(loss).function(leaves, [loss, "grad:C", "grad:D", "grad:W"])(*vals)
    C, D, W = (torch.tensor(v, requires_grad=True) for v in vals[:3])
    Xt, yt = torch.tensor(Xv), torch.tensor(yv[:, 0])
    embc = torch.cat([C[Xt].view(nn, -1), D[Xt].view(nn, -1)], dim=1)
    tl = torch.nn.functional.cross_entropy(torch.tanh(embc) @ W, yt)
    tl.backward()
    assert abs(float(out[0]) - tl.item()) < 1e-12
    for got, t in zip(out[1:], (C, D, W)):
        assert np.allclose(got, t.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("be", [pytest.param(b, marks=pytest.mark.skipif(not installed(b), reason=f"no {b}"))
                                for b in ("jax", "torch")])
def test_the_backends_agree_with_numpy(be):
    W, x, s = jc.matrix("W", "m", "d"), jc.vector("x", "d"), jc.scalar("s")
    exprs = [jc.concat([W, jc.rows(W, 0, 1) * s], axis=0), jc.concat([s, x.T, s * 2], axis=1),
             jc.cols(W @ jc.concat([x, x], axis=1), 1, 2), jc.gradient(jc.sum(jc.cols(jc.exp(W), 1, 3) ** 2), W)]
    rng = np.random.default_rng(2)
    vals = [rng.normal(size=(3, 4)), rng.normal(size=(4, 1)), np.array(0.7)]
    want = jc.lambdify([W, x, s], exprs)(*vals)
    got = jc.lambdify([W, x, s], exprs, backend=be)(*vals)
    for g, w in zip(got, want):
        assert np.allclose(np.asarray(g, dtype=float), w, atol=2e-6)


# ---------------------------------------------------------------------------
# Text: printed, read back; keyword arguments


@pytest.mark.parametrize("text", ["concat(A, B, axis=1)", "concat(A, B, C, axis=0)", "cols(X, 0, 3)",
                                  "rows(X, 1, 3)", "cols(H, d, 2*d)", "sum(concat(A, B, axis=1) @ x)",
                                  "cols(concat(A, B, axis=1), 1, 2) * 2", "concat(x.T, y.T, axis=0).T"])
def test_text_reads_back_to_the_same_expression(text):
    e = jc.parse(text)
    assert jc.parse(str(e), {s.name: s for s in e.symbols()}) is e


def test_parsed_sizes_add_up_and_unify():
    r = parse_result("concat(A, B, axis=1) @ x + y", {"A": "3x2", "B": "3 x k"})
    assert r.symbols["x"].shape == (2 + P.size("k"), 1) and r.symbols["y"].shape == (3, 1)
    r = parse_result("concat(A, B, axis=1) + Z", {"A": "3x2", "Z": "3x5"})
    assert r.symbols["B"].shape == (3, 3)  # 2 + b is 5
    r = parse_result("concat(A, B, axis=1) + concat(C, D, axis=1)")
    assert r.symbols["C"].shape == r.symbols["A"].shape and r.symbols["D"].shape == r.symbols["B"].shape


@pytest.mark.parametrize("text, column, match", [
    ("concat(A, axis=1)", 1, "concat takes 2 or more arguments"),
    ("concat(X, x, axis=0)", 1, "same number of columns"),
    ("concat(A, B, axis=3)", 1, "its axis is 0"),
    ("cols(X, 0, x)", 12, "x is a variable, not a size"),
    ("cols(X, 3, 1)", 1, "needs stop > start"),
    ("cols(X, 0, 9)", 1, "out of range"),
    ("cols(X, 0, 1.5)", 12, "expected an offset"),
    ("rows(X, 0, 2, 3)", 1, "rows takes 3 arguments"),
])
def test_parser_refusals_have_a_column(text, column, match):
    with pytest.raises(jc.ParseError, match=match) as err:
        jc.parse(text, {"X": "4x5", "x": 4})
    assert err.value.column == column, str(err.value)


# ---------------------------------------------------------------------------
# The simplifier's identities


def test_slices_of_a_block_matrix_are_its_blocks():
    AB = jc.concat([A, B, A], axis=1)
    assert jc.simplify(jc.cols(AB, 0, "a")) is A
    assert jc.simplify(jc.cols(AB, "a", a + b)) is B
    assert jc.simplify(jc.cols(AB, a, 2 * a + b)) is jc.concat([B, A], axis=1)
    assert jc.simplify(jc.cols(AB, a, a + 1)) is jc.cols(B, 0, 1)
    assert jc.simplify(jc.cols(AB, a + 1, a + 2)) is jc.cols(AB, a + 1, a + 2)  # in B only where b >= 2
    assert jc.simplify(jc.rows(jc.concat([A, B], axis=1), 0, 1)) is jc.rows(jc.concat([A, B], axis=1), 0, 1)


def test_consecutive_slices_side_by_side_are_the_whole():
    Y = jc.matrix("Y", "m", 5)
    assert jc.simplify(jc.concat([jc.cols(Y, 0, 2), jc.cols(Y, 2, 5)], axis=1)) is Y
    assert jc.simplify(jc.concat([jc.cols(Y, 0, 2), jc.cols(Y, 2, 4)], axis=1)) is jc.cols(Y, 0, 4)
    H = jc.matrix("H", "n", 4 * h)
    parts = [jc.cols(H, k * h, (k + 1) * h) for k in range(4)]
    assert jc.simplify(jc.concat(parts, axis=1)) is H


def test_slices_move_inward_and_transposes_through():
    Y, M = jc.matrix("Y", "m", 5), jc.matrix("M", "k", "m")
    assert jc.simplify(jc.cols(jc.cols(Y, 1, 5), 1, 3)) is jc.cols(Y, 2, 4)
    assert jc.simplify(jc.cols(M @ Y, 1, 3)) is M @ jc.cols(Y, 1, 3)
    assert jc.simplify(jc.rows(M @ Y, 0, 1)) is jc.rows(M, 0, 1) @ Y
    assert jc.simplify(jc.cols(jc.zeros("m", 5), 1, 3)) is jc.zeros("m", 2)
    assert jc.simplify(jc.concat([A, B], axis=1).T) is jc.concat([A.T, B.T], axis=0)
    assert jc.simplify(jc.cols(Y, 1, 3).T) is jc.rows(Y.T, 1, 3)


def test_a_sum_of_block_matrices_cut_alike_is_blockwise():
    G1, G2 = jc.matrix("G1", "n", "a"), jc.matrix("G2", "n", "b")
    pad1 = jc.concat([G1, jc.zeros("n", "b")], axis=1)
    pad2 = jc.concat([jc.zeros("n", "a"), G2], axis=1)
    assert jc.simplify(pad1 + pad2) is jc.concat([G1, G2], axis=1)
    H1 = jc.matrix("H1", "n", "a")
    assert jc.simplify(pad1 + jc.concat([H1, G2], axis=1)) is jc.concat([G1 + H1, G2], axis=1)
    # cut at b, where the others are cut at a: the sizes do not order the cuts, left alone
    odd = jc.concat([jc.matrix("R1", "n", "b"), jc.matrix("R2", "n", "a")], axis=1)
    assert isinstance(jc.simplify(pad1 + odd), P.Add)


def test_values_do_not_change_under_the_rewrites():
    W = jc.matrix("W", 3, 6)
    e = jc.cols(jc.concat([W, 2 * W], axis=1), 4, 9) + jc.concat([jc.cols(W, 4, 6), jc.cols(W, 0, 3)], axis=1)
    v = np.arange(18.0).reshape(3, 6)
    assert np.allclose(jc.lambdify([W], jc.simplify(e))(v), jc.lambdify([W], e)(v))
    assert sp.Matrix(jc.explicit(jc.simplify(e))) == sp.Matrix(jc.explicit(e))


@pytest.mark.parametrize("start, stop", [(1, 3), ("d - 1", "d"), (0, 2)])
def test_a_padding_whose_widths_the_sizes_do_not_decide_is_right_at_every_size(start, stop):
    """cols(X, 1, 3) of an m x d X pads its adjoint by d - 3 zeros after it, which may be none; cols(X, d - 1,
    d) by d - 1 before it.  Each adjoint is checked against central differences at sizes that make the
    widths zero and nonzero."""
    f = jc.sum(jc.sin(jc.cols(X, start, stop)) * jc.cols(X, start, stop))
    g = jc.lambdify([X], [f, jc.gradient(f, X)])
    rng = np.random.default_rng(3)
    for d in (3, 5) if start == 1 else (2, 4) if start == 0 else (1, 3):
        v = rng.normal(size=(2, d))
        _, got = g(v)
        assert np.allclose(got, _fd(lambda w: g(w)[0], [v], 0), atol=1e-7), (start, stop, d)
