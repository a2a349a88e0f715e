"""Generated code for the layers people backprop by hand (batch norm, layer norm, attention, a makemore
network): the shape of the source (no array built where broadcasting needs none, no one-hot matrix for a
gathered loss, a let's definition computed once, one exp for softmax and log-softmax, sizes under a square
root) and its values, against numpy written independently here.  bench/bench_layers.py times the same
programs."""
from __future__ import annotations

import re

import numpy as np
import pytest

import jacobi as jc
from jacobi.core.shapes import JacobiError

size = jc.core.size
EPS = 1e-5


def _body(fn) -> str:
    """The generated function's code, its comments (the equations) left out."""
    src = fn.source
    return re.sub(r"  # .*$", "", src[src.index("def f("):], flags=re.M)


def batchnorm(var_of_x: bool = False):
    X, G = jc.matrix("X", "n", "d"), jc.matrix("G", "n", "d")
    gamma, beta = jc.matrix("gamma", 1, "d"), jc.matrix("beta", 1, "d")
    mu = jc.let("mu", jc.mean(X, axis=0))
    xc = jc.let("xc", X - mu)
    var = jc.var(X, axis=0, ddof=1) if var_of_x else jc.sum(xc * xc, axis=0) / (size("n") - 1)
    rstd = jc.let("rstd", (var + EPS) ** -0.5)
    xhat = jc.let("xhat", xc * rstd)
    out = jc.let("out", gamma * xhat + beta)
    bp = jc.backprop(jc.sum(out * G))
    return bp.function([X, gamma, beta, G], [bp.loss, "grad:X", "grad:gamma", "grad:beta"])


def batchnorm_numpy(X, gamma, beta, G):
    """The CS231n / Karpathy one-liner, written here independently of jacobi."""
    n = X.shape[0]
    xc = X - X.mean(axis=0, keepdims=True)
    rstd = (xc.var(axis=0, ddof=1, keepdims=True) + EPS) ** -0.5
    xhat = xc * rstd
    dgamma = (G * xhat).sum(axis=0, keepdims=True)
    dbeta = G.sum(axis=0, keepdims=True)
    dX = gamma * rstd / n * (n * G - dbeta - n / (n - 1) * xhat * dgamma)
    return np.sum((gamma * xhat + beta) * G), dX, dgamma, dbeta


def _values(rng, n=7, d=5):
    return [rng.normal(size=(n, d)) * 3 + 1, rng.normal(size=(1, d)), rng.normal(size=(1, d)),
            rng.normal(size=(n, d))]


@pytest.mark.parametrize("var_of_x", [False, True])
def test_batchnorm_code_broadcasts_rows_and_agrees_with_the_one_liner(var_of_x):
    fn = batchnorm(var_of_x)
    body = _body(fn)
    # the spread rows gamma, rstd and the means broadcast in place: no ones array anywhere
    assert "ones(" not in body, body
    # the mean is a sum over the rows divided by n (the sum shared with var(X)'s own mean where it has one)
    assert re.search(r"mu = (X\.sum\(axis=0, keepdims=True\)|_t\d+) / \(_n\)\n", body), body
    # var(X)'s X - mean(X) is the let xc: computed once
    assert body.count("X - mu") == 1, body
    for seed in range(3):
        vals = _values(np.random.default_rng(seed))
        for got, want in zip(fn(*vals), batchnorm_numpy(*vals)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_batchnorm_code_keeps_float32():
    fn = batchnorm()
    vals = [v.astype(np.float32) for v in _values(np.random.default_rng(0))]
    out = fn(*vals)
    assert all(np.asarray(o).dtype == np.float32 for o in out)
    for got, want in zip(out, batchnorm_numpy(*[v.astype(np.float64) for v in vals])):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)


def test_a_shared_spread_row_is_not_built_but_its_row_is_named_once():
    X, Y = jc.matrix("X", "n", "d"), jc.matrix("Y", "n", "d")
    r = jc.exp(jc.sum(X, axis=0))  # a row that is work to compute, spread twice
    f = jc.lambdify([X, Y], [X * r, Y * r])
    body = _body(f)
    assert "ones(" not in body and body.count("np.exp(") == 1, body
    rng = np.random.default_rng(0)
    Xv, Yv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    a, b = f(Xv, Yv)
    np.testing.assert_allclose(a, Xv * np.exp(Xv.sum(0)), rtol=1e-12)
    np.testing.assert_allclose(b, Yv * np.exp(Xv.sum(0)), rtol=1e-12)


def test_a_reduction_beside_a_constant_divides_by_the_number():
    X = jc.matrix("X", "n", "d")
    f = jc.lambdify([X], [jc.mean(X, axis=0), jc.mean(X, axis=1), 1 / jc.sqrt(jc.mean(X * X, axis=1) + EPS)])
    body = _body(f)
    assert "ones(" not in body, body
    Xv = np.random.default_rng(1).normal(size=(5, 4))
    m0, m1, r = f(Xv)
    np.testing.assert_allclose(m0, Xv.mean(0, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(m1, Xv.mean(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(r, 1 / np.sqrt((Xv * Xv).mean(1, keepdims=True) + EPS), rtol=1e-12)


def _built(make, backend):
    """The function make(backend) builds and its body; a backend that is not installed skips."""
    if backend != "numpy":
        pytest.importorskip(backend)
    f = make(backend)
    return f, _body(f)


def _nll(backend="numpy"):
    L, W = jc.matrix("L", "n", "V"), jc.matrix("W", "n", "V")
    y = jc.indices("y", "n", 1, "V")
    oh = jc.onehot(y, "V")
    return jc.lambdify([L, W, y], [jc.sum(oh * L), jc.sum(oh * L * W), -jc.sum(oh * jc.log_softmax(L, 1))],
                       backend=backend)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_a_sum_against_a_onehot_is_a_gather(backend):
    f, body = _built(_nll, backend)
    assert ("arange(_n), y[:, 0]]" in body or "gather" in body) and "onehot" not in body and "== y" not in body, body
    rng = np.random.default_rng(2)
    Lv, Wv, yv = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.integers(0, 4, size=(6, 1))
    rows = np.arange(6)
    picked = Lv[rows, yv[:, 0]]
    s = Lv - Lv.max(1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(1, keepdims=True))
    got = [float(np.asarray(v)) for v in f(Lv, Wv, yv)]
    np.testing.assert_allclose(got, [picked.sum(), (picked * Wv[rows, yv[:, 0]]).sum(),
                                     -logp[rows, yv[:, 0]].sum()], rtol=1e-5 if backend == "jax" else 1e-12)
    # jax computes in float32 unless x64 is enabled


def _targets(backend):
    """softmax - onehot written several ways: afresh (the target subtracted in place), scaled, the softmax a
    named temporary also returned and an argument (their memory must not change: a copy is written into), and
    a spread row minus the one-hot matrix (built, to broadcast against)."""
    L, r = jc.matrix("L", "n", "V"), jc.matrix("r", 1, "V")
    y = jc.indices("y", "n", 1, "V")
    oh, n = jc.onehot(y, "V"), size("n")
    A = jc.softmax(L, 1)
    return jc.lambdify([L, r, y], [A - oh, (jc.exp(L) - oh) / n, 2 * oh - jc.exp(L), A, r - oh, L * L - oh, L - oh],
                       backend=backend)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_softmax_minus_onehot_subtracts_at_the_targets(backend):
    f, body = _built(_targets, backend)
    assert body.count("== y[:, 0]") <= 1 and ("_add_at_targets(" in body or ".at[" in body), body
    rng = np.random.default_rng(5)
    Lv, rv, yv = rng.normal(size=(6, 4)), rng.normal(size=(1, 4)), rng.integers(0, 4, size=(6, 1))
    L0 = Lv.copy()
    oh = np.eye(4)[yv[:, 0]]
    A = np.exp(Lv) / np.exp(Lv).sum(1, keepdims=True)
    want = [A - oh, (np.exp(Lv) - oh) / 6, 2 * oh - np.exp(Lv), A, rv - oh, Lv * Lv - oh, Lv - oh]
    for _ in range(2):  # the second call takes the path for arguments already checked
        got = [np.asarray(v) for v in f(Lv, rv, yv)]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5 if backend == "jax" else 1e-12)
    np.testing.assert_array_equal(Lv, L0)  # the argument is never written into


def test_a_temporary_that_dies_where_the_targets_are_subtracted_is_written_into():
    """probs = counts / sum(counts) is made by the code and read last by dlogits: the target subtraction
    writes into it (no copy), as hand-written backprop does; an argument or a temporary read later is copied."""
    L = jc.matrix("L", "n", "V")
    y = jc.indices("y", "n", 1, "V")
    counts = jc.let("counts", jc.exp(L))
    probs = jc.let("probs", counts / jc.sum(counts, axis=1))
    bp = jc.backprop(-jc.sum(jc.onehot(y, "V") * jc.log(probs)) / size("n"))
    fn = bp.function([L, y], [bp.loss, "grad:L"], compact=True)
    body = _body(fn)
    assert "_add_at_targets(probs, y, -1)" in body and ".copy()" not in body, body
    rng = np.random.default_rng(6)
    Lv, yv = rng.normal(size=(5, 4)), rng.integers(0, 4, size=(5, 1))
    P = np.exp(Lv) / np.exp(Lv).sum(1, keepdims=True)
    loss, dL = fn(Lv, yv)
    np.testing.assert_allclose(loss, -np.log(P[np.arange(5), yv[:, 0]]).mean(), rtol=1e-12)
    np.testing.assert_allclose(dL, (P - np.eye(4)[yv[:, 0]]) / 5, rtol=1e-12, atol=1e-15)


def makemore():
    """Karpathy's makemore part 4 network; the loss the cross-entropy of log_softmax(logits)."""
    n = size("n")
    C, Xb, Yb = jc.matrix("C", "V", "e"), jc.indices("Xb", "n", "k", "V"), jc.indices("Yb", "n", 1, "V")
    W1, W2 = jc.matrix("W1", size("k") * size("e"), "h"), jc.matrix("W2", "h", "V")
    g, b = jc.matrix("g", 1, "h"), jc.matrix("b", 1, "h")
    hprebn = jc.let("hprebn", jc.embedding(C, Xb) @ W1)
    bndiff = jc.let("bndiff", hprebn - jc.mean(hprebn, axis=0))
    bnraw = jc.let("bnraw", bndiff * (jc.sum(bndiff * bndiff, axis=0) / (n - 1) + EPS) ** -0.5)
    h = jc.let("h", jc.tanh(g * bnraw + b))
    logits = jc.let("logits", h @ W2)
    bp = jc.backprop(-jc.sum(jc.onehot(Yb, "V") * jc.log_softmax(logits, axis=1)) / n)
    return bp.function([C, Xb, Yb, W1, g, b, W2], [bp.loss, "grad:C", "grad:W1", "grad:g", "grad:b", "grad:W2"])


def makemore_numpy(C, Xb, Yb, W1, g, b, W2):
    n, y = Xb.shape[0], Yb[:, 0]
    emb = C[Xb].reshape(n, -1)
    hprebn = emb @ W1
    bndiff = hprebn - hprebn.mean(0, keepdims=True)
    rstd = (bndiff.var(0, ddof=1, keepdims=True) + EPS) ** -0.5
    bnraw = bndiff * rstd
    h = np.tanh(g * bnraw + b)
    logits = h @ W2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dlogits = (p - np.eye(W2.shape[1])[y]) / n
    dhpre = (1 - h * h) * (dlogits @ W2.T)
    dg, db = (bnraw * dhpre).sum(0, keepdims=True), dhpre.sum(0, keepdims=True)
    dhprebn = g * rstd / n * (n * dhpre - db - n / (n - 1) * bnraw * dg)
    dC = np.zeros_like(C)
    np.add.at(dC, Xb.reshape(-1), (dhprebn @ W1.T).reshape(-1, C.shape[1]))
    return loss, dC, emb.T @ dhprebn, dg, db, h.T @ dlogits


def test_makemore_code_computes_one_log_softmax_and_agrees_with_hand_backprop():
    fn = makemore()
    body = _body(fn)
    assert body.count("_log_softmax(") == 1 and "_softmax(" not in body.replace("_log_softmax(", ""), body
    assert "ones(" not in body, body
    rng = np.random.default_rng(3)
    V, e, k, h, n = 7, 3, 2, 5, 9
    vals = [rng.normal(size=(V, e)), rng.integers(0, V, size=(n, k)), rng.integers(0, V, size=(n, 1)),
            rng.normal(size=(k * e, h)), 1 + rng.normal(size=(1, h)) * 0.1, rng.normal(size=(1, h)) * 0.1,
            rng.normal(size=(h, V))]
    for _ in range(2):  # the second call takes the path for arguments already checked
        for got, want in zip(fn(*vals), makemore_numpy(*vals)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    bad = list(vals)
    bad[1] = vals[1].copy()
    bad[1][0, 0] = -1  # a negative index wraps around in numpy: still refused after the fast path was taken
    with pytest.raises(JacobiError, match="Xb has the entry -1"):
        fn(*bad)


def test_attention_code_with_a_size_under_a_square_root_runs():
    Q, K, V, dO = (jc.matrix(name, "T", "d") for name in ("Q", "K", "V", "dO"))
    M = jc.matrix("M", "T", "T")
    A = jc.let("A", jc.softmax(Q @ K.T / jc.sqrt(size("d")) + M, axis=1))
    O = jc.let("O", A @ V)
    bp = jc.backprop(jc.sum(O * dO))
    fn = bp.function([Q, K, V, M, dO], [bp.loss, "grad:Q", "grad:K", "grad:V"])
    assert "math." not in fn.source  # sqrt(d) of a size is plain arithmetic: no module to import
    rng = np.random.default_rng(4)
    T, d = 6, 4
    Qv, Kv, Vv, dOv = (rng.normal(size=(T, d)) for _ in range(4))
    Mv = np.where(np.tril(np.ones((T, T), dtype=bool)), 0.0, -np.inf)
    S = Qv @ Kv.T / np.sqrt(d) + Mv
    Av = np.exp(S - S.max(1, keepdims=True))
    Av /= Av.sum(1, keepdims=True)
    dA = dOv @ Vv.T
    dS = Av * (dA - (Av * dA).sum(1, keepdims=True))
    want = [np.sum(Av @ Vv * dOv), dS @ Kv / np.sqrt(d), dS.T @ Qv / np.sqrt(d), Av.T @ dOv]
    for got, w in zip(fn(Qv, Kv, Vv, Mv, dOv), want):
        np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-12)


def test_outputs_that_are_arguments_or_each_other_come_back_as_copies():
    x = jc.matrix("x", 3, 2)
    f = jc.lambdify([x], [x, x * 2, x * 2])
    xv = np.ones((3, 2))
    for _ in range(2):  # the checking call, then the fast path
        a, b, c = f(xv)
        assert a is not xv and b is not c and not np.shares_memory(b, c)
        b[0, 0] = 7.0
        assert c[0, 0] == 2.0 and xv[0, 0] == 1.0


def test_a_product_that_holds_another_is_written_through_it():
    """layer norm's dx reads dnorm = dout * w twice, once inside (dout * w * norm): the code multiplies the full
    arrays three times, as llm.c does, not four (the larger product is written through the smaller)."""
    a, b, c = (jc.matrix(s, "n", "d") for s in "abc")
    f = jc.lambdify([a, b, c], [jc.sum(a * b, axis=1), jc.sum(c * a * b, axis=1), jc.sum(a * c)])
    body = _body(f)
    assert body.count(" * ") == 3 and "a * b" in body and "c * a * b" not in body, body
    rng = np.random.default_rng(7)
    A, B, Cv = (rng.normal(size=(4, 3)) for _ in range(3))
    got = f(A, B, Cv)
    np.testing.assert_allclose(got[0], (A * B).sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(got[1], (A * B * Cv).sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(got[2], (A * Cv).sum(), rtol=1e-12)
