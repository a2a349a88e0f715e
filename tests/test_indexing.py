"""Index matrices (jc.indices), the embedding gather, its scatter-add and one-hot rows.

The registries' tests differentiate the primitives' examples and tests/test_rules.py's cases against
finite differences and SymPy's explicit components (the index entries substituted as numbers); here the
gradient is checked against a scatter-add written in numpy and against torch autograd, repeated indices
accumulate, the generated code forms no selection or one-hot matrix for a gradient, and bad input is refused.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from oracles import assert_close

import jacobi as jc
from jacobi.codegen import BACKENDS

C = jc.matrix("C", "V", "e")
X = jc.indices("X", "n", "k", "V")
y = jc.indices("y", "n", 1, "V")
W = jc.matrix("W", "h", jc.core.size("k") * jc.core.size("e"))  # k e inputs to h hidden units

BACKEND_NAMES = [b for b in ("numpy", "jax", "torch")
                 if b in BACKENDS and importlib.util.find_spec(BACKENDS[b].library)]


def _data(seed=0, V=5, e=3, n=6, k=4, h=2):
    rng = np.random.default_rng(seed)
    Xv = rng.integers(0, V, size=(n, k))
    Xv[0, :] = 2  # one row of C used k times in one example, and again below
    Xv[1, 0] = 2
    return rng.normal(size=(V, e)), Xv, rng.normal(size=(h, k * e))


def _model():
    """A makemore-style hidden layer: tanh(embedding(C, X) @ W^T), summed."""
    return jc.sum(jc.tanh(jc.embedding(C, X) @ W.T))


def _numpy_gradient(Cv, Xv, Wv):
    """The gradient with respect to C by hand: backprop to the embedding, then a scatter-add with np.add.at."""
    n, k = Xv.shape
    emb = Cv[Xv].reshape(n, -1)
    d_emb = (1 - np.tanh(emb @ Wv.T) ** 2) @ Wv
    dC = np.zeros_like(Cv)
    np.add.at(dC, Xv.reshape(-1), d_emb.reshape(n * k, -1))
    return dC


def test_the_embedding_is_torchs_gather_and_view():
    Cv, Xv, _ = _data()
    got = jc.lambdify([C, X], jc.embedding(C, X))(Cv, Xv)
    assert got.shape == (6, 12)
    assert_close(got, Cv[Xv].reshape(6, -1), 1e-15, "embedding")


def test_the_gradient_is_a_scatter_add_that_accumulates_repeated_rows():
    g = jc.gradient(_model(), C)
    assert g.shape == C.shape  # sizes stay symbols: (V, e)
    assert isinstance(g, jc.core.ScatterAdd), str(g)
    Cv, Xv, Wv = _data()
    got = jc.lambdify([C, X, W], g)(Cv, Xv, Wv)
    want = _numpy_gradient(Cv, Xv, Wv)
    assert_close(got, want, 1e-12, "dC")
    assert np.abs(want[2]).sum() > 0 and all(np.abs(want[v]).sum() == 0 for v in range(5) if v not in Xv)
    # a naive out[X] += G keeps one of the repeated rows' contributions; this one keeps them all
    naive = np.zeros_like(Cv)
    naive[Xv.reshape(-1)] += ((1 - np.tanh(Cv[Xv].reshape(6, -1) @ Wv.T) ** 2) @ Wv).reshape(24, 3)
    assert not np.allclose(naive[2], want[2])


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_the_gradient_agrees_with_torch_autograd():
    import torch

    Cv, Xv, Wv = _data(1)
    Ct = torch.tensor(Cv, requires_grad=True)
    loss = torch.tanh(Ct[torch.tensor(Xv)].view(6, -1) @ torch.tensor(Wv).T).sum()
    loss.backward()
    got = jc.lambdify([C, X, W], jc.gradient(_model(), C))(Cv, Xv, Wv)
    assert_close(got, Ct.grad.numpy(), 1e-12, "dC vs torch")


@pytest.mark.parametrize("be", BACKEND_NAMES)
def test_every_backend_computes_the_gradient_without_a_dense_selection(be):
    f = _model()
    fn = jc.lambdify([C, X, W], [f, jc.gradient(f, C), jc.gradient(f, W)], backend=be)
    Cv, Xv, Wv = _data(2)
    want = jc.lambdify([C, X, W], [f, jc.gradient(f, C), jc.gradient(f, W)])(Cv, Xv, Wv)
    for g, w in zip(fn(Cv, Xv, Wv), want):
        assert np.allclose(np.asarray(g, dtype=np.float64), w, rtol=2e-5, atol=2e-5)
    src = fn.source
    for dense in ("eye(", "einsum(", "arange(", "onehot", "kron(", "diag"):
        assert dense not in src, (dense, src)
    assert _numpy_gradient(Cv, Xv, Wv).shape == (5, 3)


def test_second_derivatives_stay_gathers_and_scatters():
    f = jc.sum(jc.embedding(C, X) ** 3)
    D = jc.matrix("D", "V", "e")
    Hv = jc.hvp(f, C, D)
    Cv, Xv, _ = _data(3)
    Dv = np.random.default_rng(4).normal(size=Cv.shape)
    grad = jc.lambdify([C, X], jc.gradient(f, C))
    eps = 1e-6
    fd = (grad(Cv + eps * Dv, Xv) - grad(Cv - eps * Dv, Xv)) / (2 * eps)
    fn = jc.lambdify([C, X, D], Hv)
    assert_close(fn(Cv, Xv, Dv), fd, 1e-6, "H V")
    assert "einsum(" not in fn.source and "eye(" not in fn.source


def test_the_jacobian_is_the_selection_matrix_where_one_is_asked_for():
    J = jc.jacobian(jc.embedding(C, X), C)
    Cv, Xv, _ = _data(5, V=3, e=2, n=2, k=2)
    Jv = jc.lambdify([C, X], J)(Cv, Xv)
    assert Jv.shape == (8, 6)
    out = lambda c: c.reshape(3, 2, order="F")[Xv].reshape(2, -1).reshape(-1, order="F")  # noqa: E731
    basis = np.eye(6)
    assert_close(Jv, np.stack([out(basis[:, q]) for q in range(6)], axis=1), 1e-15, "E_X")


def test_onehot_rows_and_their_use_as_integer_targets():
    Z = jc.matrix("Z", "n", "V")
    oh = jc.onehot(y, "V")
    yv = np.array([[1], [0], [3], [1]])
    assert_close(jc.lambdify([y, Z], oh + 0 * Z)(yv, np.zeros((4, 4))), np.eye(4)[yv[:, 0]], 0, "onehot")
    # the mean negative log-likelihood of integer targets, through log(sigmoid) here
    loss = -jc.sum(oh * jc.log(jc.sigmoid(Z))) / jc.core.size("n")
    g = jc.gradient(loss, Z)
    Zv = np.random.default_rng(6).normal(size=(4, 4))
    want = -np.eye(4)[yv[:, 0]] * (1 - 1 / (1 + np.exp(-Zv))) / 4
    assert_close(jc.lambdify([y, Z], g)(yv, Zv), want, 1e-12, "d loss / dZ")
    assert str(oh) == "onehot(y, V)" and jc.parse(str(oh), {"y": y}) is oh


@pytest.mark.parametrize("be", BACKEND_NAMES)
def test_the_sum_of_onehot_times_log_probabilities_is_a_gather(be):
    """sum(onehot(y) * L) picks L[i, y_i]: no one-hot array in the code, and a log-probability that underflowed
    to -inf off the targets (0 * -inf) does not make the loss nan, as logprobs[range(n), y] does not."""
    L, Z = jc.matrix("L", "n", "V"), jc.matrix("Z", "n", "V")
    loss = -jc.sum(jc.onehot(y, "V") * L) / jc.core.size("n")
    fn = jc.lambdify([y, L], loss, backend=be)
    assert "== y" not in fn.source and ("arange(_n), y[:, 0]]" in fn.source or "torch.gather" in fn.source)
    tol = 1e-6 if be == "jax" else 1e-12  # jax computes in float32 unless x64 is enabled
    yv = np.array([[1], [0], [3], [1]])
    P = np.array([[0.0, 1, 0, 0], [0.5, 0.5, 0, 0], [0.25, 0.25, 0.25, 0.25], [0, 0.9, 0.1, 0]])
    with np.errstate(divide="ignore"):
        Lv = np.log(P)
    want = -np.mean(Lv[range(4), yv[:, 0]])
    got = float(np.asarray(fn(yv, Lv)))
    assert abs(got - want) < tol
    # a product of three factors, and the gradient beside it (the one-hot array is made where it is the value)
    f = jc.lambdify([y, L, Z], [jc.sum(Z * jc.onehot(y, "V") * L), jc.gradient(loss, L)], backend=be)
    Zv = np.random.default_rng(7).normal(size=(4, 4))
    v, g = (np.asarray(o) for o in f(yv, P, Zv))
    assert abs(float(v) - np.sum(Zv * P * np.eye(4)[yv[:, 0]])) < tol
    assert_close(g, -np.eye(4)[yv[:, 0]] / 4, tol, "d loss / dL")


def test_text_reads_back_with_a_name_in_an_index_position_as_an_index_matrix():
    e = jc.parse("sum(tanh(embedding(C, X)))", {"C": C})
    (Xp,) = [s for s in e.symbols() if jc.core.is_indices(s)]
    assert Xp.name == "X" and jc.core.classes(Xp) == C.shape[0]
    g = jc.gradient(jc.sum(jc.tanh(jc.embedding(C, X))), C)
    assert jc.parse(str(g), {s.name: s for s in g.symbols()}) is g
    assert X.declaration == 'jc.indices("X", "n", "k", "V")'


@pytest.mark.parametrize("bad, match", [
    (np.array([[0, 5], [1, 1]]), r"index argument X has the entry 5, outside \[0, 5\)"),
    (np.array([[0, -1], [1, 1]]), r"index argument X has the entry -1, outside \[0, 5\)"),
    (np.array([[0, -128], [1, 1]], dtype=np.int8), r"index argument X has the entry -128, outside \[0, 5\)"),
    (np.array([[0, 2], [-1, 1]], dtype=np.int32), r"index argument X has the entry -1, outside \[0, 5\)"),
    (np.array([[0, 2], [4, 7]], dtype=np.int16), r"index argument X has the entry 7, outside \[0, 5\)"),
    (np.array([[0, 2], [4, 3]])[:, ::-1] - 4, r"index argument X has the entry -4, outside \[0, 5\)"),
    (np.array([[0.0, 1.0], [1.0, 1.0]]), r"index argument X must be an array of integers.*float64"),
    (np.array([["a", "b"], ["c", "d"]]), r"index argument X (must be|is not) an array of integers"),
])
@pytest.mark.parametrize("be", BACKEND_NAMES)
def test_bad_index_arguments_are_refused_by_name(bad, match, be):
    fn = jc.lambdify([C, X], jc.embedding(C, X), backend=be)
    with pytest.raises(jc.JacobiError, match=match):
        fn(np.zeros((5, 3)), bad)


def test_misuse_is_refused_with_what_was_wrong():
    with pytest.raises(jc.JacobiError, match="X is an index matrix"):
        jc.gradient(jc.sum(jc.embedding(C, X)), X)
    with pytest.raises(jc.JacobiError, match="takes an index matrix"):
        jc.embedding(C, jc.matrix("M", "n", "k"))
    with pytest.raises(jc.ShapeError, match=r"entries in \[0, V\), but m classes"):
        jc.embedding(jc.matrix("A", "m", "e"), X)
    with pytest.raises(jc.ShapeError, match="onehot takes an index column"):
        jc.onehot(X, "V")
    with pytest.raises(jc.ShapeError, match="scatter_add cannot add"):
        jc.scatter_add(jc.matrix("G", "n", 3), X)
    with pytest.raises(jc.JacobiError, match="two different symbols named X"):
        jc.lambdify([C, X], jc.embedding(C, X) + jc.matrix("X", "n", W.shape[1]))
    with pytest.raises(jc.JacobiError, match="size V cannot be read off"):
        jc.lambdify([y], jc.onehot(y, "V"))
    assert jc.lambdify([y], jc.onehot(y, "V"), sizes={"V": 3})(np.array([[2]])).tolist() == [[0.0, 0.0, 1.0]]


def test_the_command_line_writes_a_module_that_checks_its_index_argument(tmp_path, capsys):
    from jacobi.cli import main

    assert main(["diff", "sum(tanh(embedding(C, X)))", "--wrt", "C", "--format", "python"]) == 0
    ns: dict = {}
    exec(compile(capsys.readouterr().out, "generated", "exec"), ns)  # noqa: S102 - jacobi's own output
    Cv, Xv = np.ones((3, 2)), np.array([[0, 2], [2, 2]])
    emb = Cv[Xv].reshape(2, -1)
    want = np.zeros_like(Cv)
    np.add.at(want, Xv.reshape(-1), (1 - np.tanh(emb) ** 2).reshape(4, 2))
    assert_close(ns["f"](Cv, Xv)[0], want, 1e-12, "CLI module")
    with pytest.raises(ValueError, match="entry 3, outside"):
        ns["f"](Cv, np.array([[0, 3]]))
