"""Layers as composites (jacobi.nn.layers, jacobi.nn.seqlayers) and the general network, jc.Sequential.

Each layer's generated gradients are checked against central differences of its generated loss and
against torch autograd of an independent torch forward pass (float64); a Sequential of several layers the
same way; float32 stays float32; large inputs give no NaN, inf or floating-point warning; sizes stay
symbols; bad input is refused with a JacobiError naming it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jacobi as jc
from jacobi.nn.layers import causal_mask

N, D, H, T = 5, 4, 3, 4


def standalone(layer, x):
    """The layer's program closed by L = sum(y * G), G held constant with the data leaves."""
    built = layer.build(x)
    y = built.output
    G = jc.matrix("G", y.shape[0], y.shape[1])
    loss = jc.let("L", jc.sum(y * G))
    bp = jc.backprop(loss, constants=[G, *built.data])
    return built, G, loss, bp


def values(shape_of, rng, sizes, scale=1.0):
    r, c = (int(jc.core.size(d).subs({s: sizes[s.name] for s in jc.core.size(d).free_symbols})) for d in shape_of)
    return rng.standard_normal((r, c)) * scale


def central(f, vals, i, eps=1e-6):
    g = np.zeros_like(vals[i])
    for idx in np.ndindex(*vals[i].shape):
        up = [v.copy() if k == i else v for k, v in enumerate(vals)]
        dn = [v.copy() if k == i else v for k, v in enumerate(vals)]
        up[i][idx] += eps
        dn[i][idx] -= eps
        g[idx] = (float(f(*up)[0]) - float(f(*dn)[0])) / (2 * eps)
    return g


def close(a, b, tol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.max(np.abs(a - b)) <= tol * (1 + np.max(np.abs(b))), np.max(np.abs(a - b))


def _t_norm(x, axis, ddof, eps, center=True):
    import torch

    if center:
        xc = x - x.mean(axis, keepdim=True)
        var = (xc * xc).sum(axis, keepdim=True) / (x.shape[axis] - ddof)
    else:
        xc, var = x, (x * x).mean(axis, keepdim=True)
    return xc / torch.sqrt(var + eps)


def _t_attention(x, Wq, Wk, Wv, causal):
    import torch

    S = (x @ Wq) @ (x @ Wk).T / np.sqrt(Wq.shape[1])
    if causal:
        S = S.masked_fill(torch.triu(torch.ones_like(S, dtype=torch.bool), 1), float("-inf"))
    return torch.softmax(S, dim=1) @ (x @ Wv)


# name -> (layer, torch forward (xs, params) -> y); the input is X (N x D) unless the layer says otherwise
CASES = {
    "dense_tanh": (jc.Dense("h", "tanh"), lambda x, p: (x @ p[0] + p[1]).tanh()),
    "dense_softmax": (jc.Dense("h", "softmax"), lambda x, p: (x @ p[0] + p[1]).softmax(1)),
    "activation_sigmoid": (jc.Activation("sigmoid"), lambda x, p: x.sigmoid()),
    "batch_norm": (jc.BatchNorm(), lambda x, p: p[0] * _t_norm(x, 0, 0, 1e-5) + p[1]),
    "batch_norm_bessel": (jc.BatchNorm(ddof=1, eps=1e-3), lambda x, p: p[0] * _t_norm(x, 0, 1, 1e-3) + p[1]),
    "layer_norm": (jc.LayerNorm(), lambda x, p: p[0] * _t_norm(x, 1, 0, 1e-5) + p[1]),
    "rms_norm": (jc.RMSNorm(eps=1e-6), lambda x, p: p[0] * _t_norm(x, 1, 0, 1e-6, center=False)),
    "residual": (jc.Residual(jc.Dense("d", "tanh"), jc.LayerNorm()),
                 lambda x, p: x + p[2] * _t_norm((x @ p[0] + p[1]).tanh(), 1, 0, 1e-5) + p[3]),
    "attention": (jc.Attention("k"), lambda x, p: _t_attention(x, *p, False)),
    "attention_causal_projected": (jc.Attention("k", causal=True, project=True),
                                   lambda x, p: _t_attention(x, *p[:3], True) @ p[3]),
}
SIZES = {"n": N, "d": D, "h": H, "k": 3, "V": 6, "e": 2}


def run_case(layer, rng, sizes=SIZES, x=None, xvals=None, dtype=np.float64, scale=1.0):
    x = jc.matrix("X", "n", "d") if x is None else x
    built, G, loss, bp = standalone(layer, x)
    xs = x if isinstance(x, list) else [x]
    xvals = [values(v.shape, rng, sizes, scale) for v in xs] if xvals is None else xvals
    pvals = [values(p.shape, rng, sizes) for p in built.params]
    gval = values(G.shape, rng, sizes)
    dvals = [built.makers[s](*(int(d.subs({q: sizes[q.name] for q in d.free_symbols})) for d in s.shape))
             for s in built.data]
    wrt = [v for v in xs if not jc.core.is_indices(v)] + built.params
    fn = bp.function([*xs, G, *built.data, *built.params], [loss, *(f"grad:{w.name}" for w in wrt)])
    args = [a.astype(dtype) if a.dtype.kind == "f" else a for a in [*xvals, gval, *dvals, *pvals]]
    return fn, args, built, wrt, fn(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_each_layer_against_central_differences_and_torch(name):
    layer, torch_forward = CASES[name]
    rng = np.random.default_rng(0)
    fn, args, built, wrt, out = run_case(layer, rng)
    nx = 1
    positions = [0] + [nx + 1 + len(built.data) + k for k in range(len(built.params))]
    for pos, got in zip(positions, out[1:]):
        close(got, central(fn, args, pos), 1e-6)
    torch = pytest.importorskip("torch")
    X = torch.tensor(args[0], requires_grad=True)
    ps = [torch.tensor(a, requires_grad=True) for a in args[nx + 1 + len(built.data):]]
    y = torch_forward(X, ps)
    loss = (y * torch.tensor(args[nx])).sum()
    loss.backward()
    close(out[0], loss.item(), 1e-12)
    for got, ref in zip(out[1:], [X, *ps]):
        close(got, ref.grad.numpy(), 1e-10)


def test_embedding_against_torch_and_central_differences():
    layer = jc.Embedding("V", "e")
    I = jc.indices("I", "n", "k", "V")
    rng = np.random.default_rng(1)
    idx = rng.integers(0, SIZES["V"], size=(N, 3))
    idx[0, :] = 2  # repeated indices accumulate
    fn, args, built, wrt, out = run_case(layer, rng, x=I, xvals=[idx])
    assert [w.name for w in wrt] == ["C"]
    close(out[1], central(fn, args, 2), 1e-6)
    torch = pytest.importorskip("torch")
    C = torch.tensor(args[2], requires_grad=True)
    (C[torch.tensor(idx)].reshape(N, -1) * torch.tensor(args[1])).sum().backward()
    close(out[1], C.grad.numpy(), 1e-12)


def _t_rnn(xs, Wxh, Whh, bh, h0=None):
    h = h0
    for x in xs:
        z = x @ Wxh + bh if h is None else x @ Wxh + h @ Whh + bh
        h = z.tanh()
    return h


@pytest.mark.parametrize("h0", [False, True])
def test_elman_rnn_through_time_against_torch(h0):
    torch = pytest.importorskip("torch")
    xs = [jc.matrix(f"x_{t}", "n", "d") for t in range(1, T + 1)]
    rng = np.random.default_rng(2)
    fn, args, built, wrt, out = run_case(jc.ElmanRNN("h", T, h0=h0), rng, x=xs)
    if h0:
        args[T + 1] = rng.standard_normal((N, H))  # a nonzero initial state, through the same code
        out = fn(*args)
    tx = [torch.tensor(a, requires_grad=True) for a in args[:T]]
    tp = [torch.tensor(a, requires_grad=True) for a in args[T + 1 + len(built.data):]]
    h0v = torch.tensor(args[T + 1]) if h0 else None
    (_t_rnn(tx, *tp, h0v) * torch.tensor(args[T])).sum().backward()
    for got, ref in zip(out[1:], [*tx, *tp]):
        close(got, ref.grad.numpy(), 1e-10)
    # the delta recursion through time: dh_t is written through dz_{t+1} alone
    _, _, _, bp = standalone(jc.ElmanRNN("h", T), xs)
    for t in range(1, T):
        assert str(bp.grad(f"h_{t}")) == f"dz_{t + 1} @ Whh.T"


def network():
    return jc.Sequential([jc.Dense("h", "tanh"), jc.BatchNorm(ddof=1),
                          jc.Residual(jc.Dense("h", "relu"), jc.LayerNorm()), jc.Dense(3, "softmax")],
                         input="d", cost="cross_entropy")


def test_sequential_against_central_differences_and_torch():
    net = network()
    params = net.init_params(seed=1, sizes={"d": D, "h": H})
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((N, D)), rng.integers(0, 3, N)
    fn = net.gradient_function()
    cost, grads = fn(params, X, y)
    assert [len(g) for g in grads] == [2, 2, 4, 2]
    for l, (ps, gs) in enumerate(zip(params, grads)):
        for k, (p, g) in enumerate(zip(ps, gs)):
            def f(v, l=l, k=k):
                q = [list(t) for t in params]
                q[l][k] = v
                return [fn(q, X, y)[0]]
            close(g, central(f, [p.copy()], 0), 1e-6)
    torch = pytest.importorskip("torch")
    tp = [[torch.tensor(a, requires_grad=True) for a in ps] for ps in params]
    (W1, b1), (g2, be2), (W3, b3, g3, be3), (W4, b4) = tp
    a1 = (torch.tensor(X) @ W1 + b1).tanh()
    y2 = g2 * _t_norm(a1, 0, 1, 1e-5) + be2
    r3 = y2 + g3 * _t_norm(torch.relu(y2 @ W3 + b3), 1, 0, 1e-5) + be3
    C = torch.nn.functional.cross_entropy(r3 @ W4 + b4, torch.tensor(y))
    C.backward()
    close(cost, C.item(), 1e-12)
    for gs, ts in zip(grads, tp):
        for g, t in zip(gs, ts):
            close(g, t.grad.numpy(), 1e-10)


def test_sequential_compact_gradients_agree_with_the_chain():
    net = network()
    params = net.init_params(seed=2, sizes={"d": D, "h": H})
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((N, D)), rng.integers(0, 3, N)
    chain, short = net.gradient_function(), net.gradient_function(compact=True)
    assert short.source != chain.source
    (c1, g1), (c2, g2) = chain(params, X, y), short(params, X, y)
    close(c1, c2, 1e-12)
    for a, b in zip(g1, g2):
        for u, v in zip(a, b):
            close(u, v, 1e-10)


def test_sequential_mse_with_attention_and_rnn_inputs():
    torch = pytest.importorskip("torch")
    net = jc.Sequential([jc.Attention("k", causal=True, project=True), jc.LayerNorm(), jc.Dense(2)],
                        input="d", cost="mse")
    params = net.init_params(sizes={"d": D, "k": 3})
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((T, D)), rng.standard_normal((T, 2))
    cost, grads = net.gradient_function()(params, X, Y)
    tp = [[torch.tensor(a, requires_grad=True) for a in ps] for ps in params]
    (Wq, Wk, Wv, Wo), (g, b), (W, c) = tp
    h = _t_attention(torch.tensor(X), Wq, Wk, Wv, True) @ Wo
    out = (g * _t_norm(h, 1, 0, 1e-5) + b) @ W + c
    C = ((out - torch.tensor(Y)) ** 2).sum() / 2 / T
    C.backward()
    close(cost, C.item(), 1e-12)
    for gs, ts in zip(grads, tp):
        for gv, t in zip(gs, ts):
            close(gv, t.grad.numpy(), 1e-10)
    rnn = jc.Sequential([jc.ElmanRNN("h", 3), jc.Dense(2, "sigmoid")], input="d", cost="binary_cross_entropy")
    xs = [rng.standard_normal((N, D)) for _ in range(3)]
    Yb = rng.uniform(0, 1, (N, 2))
    params = rnn.init_params(sizes={"d": D, "h": H})
    cost, grads = rnn.gradient_function()(params, xs, Yb)
    tp = [[torch.tensor(a, requires_grad=True) for a in ps] for ps in params]
    p = torch.sigmoid(_t_rnn([torch.tensor(x) for x in xs], *tp[0]) @ tp[1][0] + tp[1][1])
    C = torch.nn.functional.binary_cross_entropy(p, torch.tensor(Yb), reduction="sum") / N
    C.backward()
    close(cost, C.item(), 1e-12)
    for gs, ts in zip(grads, tp):
        for gv, t in zip(gs, ts):
            close(gv, t.grad.numpy(), 1e-10)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_float32_is_kept_on_every_backend(backend):
    if backend != "numpy":
        pytest.importorskip(backend)
    net = jc.Sequential([jc.Attention("k", causal=True, project=True), jc.BatchNorm(), jc.Dense(3, "softmax")],
                        input="d", cost="cross_entropy")
    params = net.init_params(sizes={"d": D, "k": 3}, dtype=np.float32)
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((T, D)).astype(np.float32), rng.integers(0, 3, T)
    ref_cost, ref = net.gradient_function()(net.init_params(sizes={"d": D, "k": 3}), X.astype(np.float64), y)
    if backend == "torch":
        import torch

        conv = torch.as_tensor
    elif backend == "jax":
        import jax.numpy as jnp

        conv = jnp.asarray
    else:
        conv = np.asarray
    cost, grads = net.gradient_function(backend)([tuple(conv(a) for a in ps) for ps in params], conv(X), conv(y))
    for gs, rs in zip(grads, ref):
        for g, r in zip(gs, rs):
            a = np.asarray(g.detach() if hasattr(g, "detach") else g)
            assert a.dtype == np.float32
            close(a, r, 1e-4)
    assert abs(float(cost) - float(ref_cost)) < 1e-4


def _quiet(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is exp's job
            return f(*args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_inputs_stay_finite(dtype):
    rng = np.random.default_rng(6)
    # attention and softmax at logits about 1e3
    att = jc.Sequential([jc.Attention("k", causal=True), jc.Dense(3, "softmax")], input="d", cost="cross_entropy")
    params = att.init_params(sizes={"d": D, "k": 3}, dtype=dtype)
    X = (rng.standard_normal((T, D)) * 40).astype(dtype)
    params[1] = (params[1][0] * 300, params[1][1])
    cost, grads = _quiet(att.gradient_function(), params, X, rng.integers(0, 3, T))
    assert np.isfinite(cost) and all(np.isfinite(g).all() for gs in grads for g in gs)
    # batch norm and layer norm at inputs about 1e6
    bn = jc.Sequential([jc.BatchNorm(), jc.LayerNorm(), jc.Dense(2, "sigmoid")], input="d",
                       cost="binary_cross_entropy")
    X = (1e6 + rng.standard_normal((N, D)) * 1e6).astype(dtype)
    cost, grads = _quiet(bn.gradient_function(), bn.init_params(sizes={"d": D}, dtype=dtype), X,
                         rng.uniform(0, 1, (N, 2)).astype(dtype))
    assert np.isfinite(cost) and all(np.isfinite(g).all() for gs in grads for g in gs)


def test_causal_mask_is_a_constant_data_leaf_with_a_symbolic_size():
    built = jc.Attention("k", causal=True).build(jc.matrix("X", "T", "d"))
    (M,) = built.data
    assert M.name == "M" and str(M.shape) == "(T, T)"
    m = causal_mask(3, 3)
    assert m[0, 1] == -np.inf and m[1, 0] == 0 and m[2, 2] == 0
    bp = jc.Sequential([jc.Attention("k", causal=True), jc.Dense(2)], input="d", cost="mse").backprop()
    assert "M1" not in {e.of.name for e in bp.equations}  # held constant: no adjoint
    assert "Y" not in {e.of.name for e in bp.equations}


def test_sizes_stay_symbols_and_no_batch_by_batch_matrix_is_formed():
    net = network()
    for ps in net.params():
        for p in ps:
            assert all(not jc.core.size(d).is_Integer or d == 1 or d == 3 for d in p.shape)
    bp = net.backprop()
    n = jc.core.size("n")
    for eq in bp.equations:
        for node in eq.rhs.walk():
            assert tuple(node.shape) != (n, n), (eq, node)
    assert "n" in net.gradient_function().source  # the batch is read off X at run time
    assert str(bp.grad("xhat2")) == "dy2 * (ones(n) @ gamma2)"


def test_names_carry_the_layer_position_and_do_not_clash():
    net = jc.Sequential([jc.Dense("h", "tanh"), jc.Dense("h", "tanh"), jc.LayerNorm(name="ln"), jc.Dense(1)],
                        input="d", cost="mse")
    names = [p.name for ps in net.params() for p in ps]
    assert names == ["W1", "b1", "W2", "b2", "gamma_ln", "beta_ln", "W4", "b4"]
    assert jc.latex(net.params()[2][0]) == r"\gamma^{\mathrm{ln}}"
    assert jc.latex(net.params()[0][0]) == "W^{1}"
    tex = net.backprop().to_latex()
    assert r"\overline{z^{2}}" in tex and r"\overline{\gamma^{\mathrm{ln}}}" in tex


def test_backprop_document_and_markdown():
    bp = network().backprop()
    assert bp.to_document().startswith("\\documentclass") and "$$" in bp.to_markdown()
    assert "dz4 = 1/n * (softmax(z4, axis=1) - onehot(y, 3))" in str(bp)


def test_clear_errors():
    X = jc.matrix("X", "n", "d")
    with pytest.raises(jc.JacobiError, match="unknown activation 'tanhh'"):
        jc.Dense(3, "tanhh")(X)
    with pytest.raises(jc.ShapeError, match="x \\+ f\\(x\\) needs f to keep the shape"):
        jc.Residual(jc.Dense(3))(X)
    with pytest.raises(jc.JacobiError, match="reads an index matrix"):
        jc.Embedding("V", "e")(X)
    with pytest.raises(jc.JacobiError, match="takes a matrix of numbers"):
        jc.BatchNorm()(jc.indices("I", "n", 2, "V"))
    with pytest.raises(jc.ShapeError, match="unrolled over T = 3 steps but got 2 inputs"):
        jc.ElmanRNN("h", 3)([X, X])
    with pytest.raises(jc.JacobiError, match="ddof is 0"):
        jc.BatchNorm(ddof=2)(X)
    with pytest.raises(jc.JacobiError, match="eps must be a number >= 0"):
        jc.LayerNorm(eps=-1.0)(X)
    with pytest.raises(jc.ShapeError, match="needs more than 1 entries"):
        jc.BatchNorm(ddof=1)(jc.matrix("X", 1, "d"))
    with pytest.raises(jc.JacobiError, match="not defined for the output activation identity"):
        jc.Sequential([jc.Dense(3)], input="d", cost="cross_entropy")
    with pytest.raises(jc.JacobiError, match="non-empty list of layers"):
        jc.Sequential([], input="d")
    with pytest.raises(jc.JacobiError, match="two layers are named 'a'"):
        jc.Sequential([jc.Dense(2, name="a"), jc.Dense(2, name="a")], input="d")
    net = jc.Sequential([jc.Dense("h", "tanh"), jc.Dense(2)], input="d", cost="mse")
    with pytest.raises(jc.JacobiError, match="needs a number for the size d of W1"):
        net.init_params(sizes={"h": 3})
    params = net.init_params(sizes={"d": 4, "h": 3})
    fn = net.gradient_function()
    rng = np.random.default_rng(0)
    with pytest.raises(jc.ShapeError, match="X"):  # wrong input width: 5 columns for W1's 4 rows
        fn(params, rng.standard_normal((6, 5)), rng.standard_normal((6, 2)))
    with pytest.raises(jc.ShapeError, match=r"Dense 2 \(Dense\) takes 2 parameters \(W2, b2\), not 1"):
        fn([params[0], params[1][:1]], rng.standard_normal((6, 4)), rng.standard_normal((6, 2)))
    with pytest.raises(jc.JacobiError, match="constants must be leaf symbols"):
        jc.backprop(jc.sum(X), constants=[jc.sum(X)])
