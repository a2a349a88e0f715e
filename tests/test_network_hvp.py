"""A network's curvature products: H V and the Gauss-Newton G V (net.hvp_function, net.gnvp_function).

Oracles: central differences of the generated gradient function along V, jax.jvp of jax.grad of a
hand-written cost, and J^T H_C J built explicitly with jax.jacfwd and jax.hessian at tiny sizes."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import jacobi as jc
from jacobi.nn.curvature import RPass, split_at_logits

# (sizes, activation, output, cost): depth 1-3, every activation, every named cost, a symbolic size
CASES = [
    ([3, 2], "sigmoid", None, "mse"),
    ([4, 5, 3], "sigmoid", "softmax", "cross_entropy"),
    ([3, 4, 2], "tanh", "sigmoid", "binary_cross_entropy"),
    ([3, 4, 4, 2], ["relu", "softplus"], "identity", "mse"),
    ([3, 4, 5, 2], "softplus", "tanh", "mse"),
    ([3, "n", 3], "tanh", "softmax", "binary_cross_entropy"),
    ([4, 5, 3], "sigmoid", "sigmoid", "cross_entropy"),
    ([2, 4, 3, 3], ["tanh", "relu"], "softmax", "cross_entropy"),
]
IDS = [f"{'-'.join(map(str, s))}-{a if isinstance(a, str) else '+'.join(a)}-{o}-{c}" for s, a, o, c in CASES]
N_SYM = 4  # the number given to a symbolic size


def make(case):
    sizes, act, out, cost = case
    return jc.Network(sizes, activation=act, output=out, cost=cost)


def numbers(net):
    return [int(s) if s.is_Integer else N_SYM for s in net.sizes]


def setup(net, m=6, seed=0):
    """params, X, Y, and two directions U, V, all float64 and random (biases too)."""
    rng = np.random.default_rng(seed)
    ns = numbers(net)

    def pairs(scale):
        return [(rng.normal(0, scale, (ns[l], ns[l - 1])), rng.normal(0, scale, ns[l])) for l in range(1, len(ns))]

    params = pairs(0.8)
    X = rng.normal(size=(m, ns[0]))
    name = net.cost_record.name
    if name == "cross_entropy":
        Y = rng.dirichlet(np.ones(ns[-1]), size=m)
    elif name == "binary_cross_entropy":
        Y = rng.uniform(size=(m, ns[-1]))
    else:
        Y = rng.normal(size=(m, ns[-1]))
    return params, X, Y, pairs(1.0), pairs(1.0)


def flat(pairs):
    return np.concatenate([np.concatenate([np.ravel(W), np.ravel(b)]) for W, b in pairs])


def axpy(params, V, t):
    return [(W + t * VW, b + t * Vb) for (W, b), (VW, Vb) in zip(params, V)]


def rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hvp_against_central_differences_of_the_gradient(case):
    net = make(case)
    params, X, Y, V, _ = setup(net)
    grad = net.gradient_function()
    cost, grads, hv = net.hvp_function()(params, X, Y, V)
    eps = 1e-5
    fd = (flat(grad(axpy(params, V, eps), X, Y)[1]) - flat(grad(axpy(params, V, -eps), X, Y)[1])) / (2 * eps)
    assert rel(flat(hv), fd) < 1e-6
    C, g = grad(params, X, Y)  # the cost and gradient it returns are the gradient function's
    assert cost == pytest.approx(C, rel=1e-12)
    assert rel(flat(grads), flat(g)) < 1e-12
    assert [(a.shape, b.shape) for a, b in hv] == [(W.shape, b.shape) for W, b in params]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hvp_is_symmetric(case):
    net = make(case)
    params, X, Y, U, V = setup(net, seed=1)
    fn = net.hvp_function()
    hu, hv = flat(fn(params, X, Y, U)[2]), flat(fn(params, X, Y, V)[2])
    uHv, vHu = flat(U) @ hv, flat(V) @ hu
    assert abs(uHv - vHu) <= 1e-10 * (abs(uHv) + np.linalg.norm(hv) * np.linalg.norm(flat(U)))


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_forward(params, X, acts, out):
    """The logits z^L and the output a^L of a network, written by hand in jax."""
    import jax
    import jax.numpy as jnp

    f = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu, "softplus": jax.nn.softplus,
         "identity": lambda z: z, "softmax": lambda z: jax.nn.softmax(z, axis=1)}
    a = X
    for l, (W, b) in enumerate(params):
        z = a @ W.T + b
        a = f[acts[l] if l < len(params) - 1 else out](z)
    return z, a


def _jax_cost(name, a, Y):
    import jax.numpy as jnp

    m = Y.shape[0]
    if name == "mse":
        return 0.5 * jnp.sum((a - Y) ** 2) / m
    if name == "cross_entropy":
        return -jnp.sum(Y * jnp.log(a)) / m
    return -jnp.sum(Y * jnp.log(a) + (1 - Y) * jnp.log(1 - a)) / m


def _describe(case):
    sizes, act, out, cost = case
    L = len(sizes) - 1
    acts = list(act) if isinstance(act, list) else [act] * (L - 1)
    return acts, out or (acts[-1] if acts else act), cost


def test_hvp_against_jax_jvp_of_grad():
    jax = _jax()
    case = ([4, 5, 3], "sigmoid", "softmax", "cross_entropy")
    net = make(case)
    params, X, Y, V, _ = setup(net, m=7, seed=3)
    acts, out, cost = _describe(case)

    def loss(p):
        return _jax_cost(cost, _jax_forward(p, X, acts, out)[1], Y)

    ref = jax.jvp(jax.grad(loss), (params,), (V,))[1]
    hv = net.hvp_function()(params, X, Y, V)[2]
    assert rel(flat(hv), flat(ref)) < 1e-10


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gnvp_is_jt_hc_j_built_explicitly(case):
    jax = _jax()
    import jax.numpy as jnp

    net = make(case)
    params, X, Y, V, _ = setup(net, m=3, seed=4)
    acts, out, cost = _describe(case)
    at_logits = split_at_logits(net)
    shapes = [(W.shape, b.shape) for W, b in params]

    def unflat(theta):
        ps, k = [], 0
        for (sw, sb) in shapes:
            nw, nb = int(np.prod(sw)), int(np.prod(sb))
            ps.append((theta[k:k + nw].reshape(sw), theta[k + nw:k + nw + nb]))
            k += nw + nb
        return ps

    def output(theta):  # the network's output at the split: z^L or a^L
        z, a = _jax_forward(unflat(theta), X, acts, out)
        return z if at_logits else a

    def cost_of(o):  # the mean cost as a function of the output at the split
        if at_logits:
            o = _jax_forward([(jnp.eye(o.shape[1]), jnp.zeros(o.shape[1]))], o, [], out)[1]
        return _jax_cost(cost, o, Y)

    theta = jnp.asarray(flat(params))
    J = jax.jacfwd(output)(theta).reshape(-1, theta.size)  # (m n_L) x (number of parameters)
    o = output(theta)
    H = jax.hessian(cost_of)(o).reshape(o.size, o.size)
    G = np.asarray(J.T @ H @ J)
    gv = net.gnvp_function()(params, X, Y, V)[1]
    assert rel(flat(gv), G @ flat(V)) < 1e-9


CONVEX = [c for c in CASES if c[3] != "binary_cross_entropy" or c[2] == "sigmoid"]


@pytest.mark.parametrize("case", CONVEX, ids=[IDS[CASES.index(c)] for c in CONVEX])
def test_gauss_newton_is_positive_semidefinite(case):
    net = make(case)
    fn = net.gnvp_function()
    for seed in range(5):
        params, X, Y, V, _ = setup(net, seed=10 + seed)
        gv = flat(fn(params, X, Y, V)[1])
        v = flat(V)
        assert v @ gv >= -1e-12 * np.linalg.norm(v) * np.linalg.norm(gv)


def test_gauss_newton_is_symmetric_and_differs_from_the_hessian():
    net = make(CASES[1])
    params, X, Y, U, V = setup(net, seed=2)
    g = net.gnvp_function()
    gu, gv = flat(g(params, X, Y, U)[1]), flat(g(params, X, Y, V)[1])
    assert flat(U) @ gv == pytest.approx(flat(V) @ gu, rel=1e-10)
    hv = flat(net.hvp_function()(params, X, Y, V)[2])
    assert rel(gv, hv) > 1e-3  # the hidden layer's sigma'' and the W^T delta terms are dropped


def test_split_point_of_each_pair():
    assert split_at_logits(jc.Network([2, 3], output="softmax", cost="cross_entropy"))
    assert split_at_logits(jc.Network([2, 3], output="sigmoid", cost="binary_cross_entropy"))
    assert split_at_logits(jc.Network([2, 3], output="sigmoid", cost="cross_entropy"))
    assert split_at_logits(jc.Network([2, 3], output="identity", cost="mse"))
    assert not split_at_logits(jc.Network([2, 3], output="sigmoid", cost="mse"))
    assert not split_at_logits(jc.Network([2, 3], output="softmax", cost="binary_cross_entropy"))
    # mse on a sigmoid output: H_C = I at a^L, so G = J^T J with J = da^L/dtheta
    text = str(RPass(jc.Network([2, 3], output="sigmoid", cost="mse"), "gnvp"))
    assert "R{delta1} = R{a1} * sigmoid'(z1)" in text


def test_second_derivatives_come_from_the_registry():
    sig = str(RPass(jc.Network([2, 3, 2], activation="sigmoid", cost="mse")))
    assert "(1 - 2 * sigmoid(z1))" in sig  # sigmoid'' = sigmoid' (1 - 2 sigmoid)
    tanh = str(RPass(jc.Network([2, 3, 2], activation="tanh", cost="mse")))
    assert "tanh(z1)" in tanh.split("R{delta1} =")[1]  # tanh'' = -2 tanh tanh'
    relu = str(RPass(jc.Network([2, 3, 2], activation="relu", output="identity", cost="mse")))
    assert "R{z1}" not in relu.split("R{delta1} =")[1]  # relu'' = 0: no curvature term from the hidden layer


@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize("kind", ["hvp", "gnvp"])
@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[3], CASES[5]], ids=[IDS[1], IDS[2], IDS[3], IDS[5]])
def test_every_backend_agrees_with_numpy(case, kind, backend):
    pytest.importorskip(backend)
    if backend == "jax":
        _jax()
    net = make(case)
    params, X, Y, V, _ = setup(net, seed=5)
    ref = getattr(net, f"{kind}_function")()(params, X, Y, V)
    fn = getattr(net, f"{kind}_function")(backend=backend)
    if backend == "torch":
        import torch

        t = [(torch.tensor(W), torch.tensor(b)) for W, b in params]
        tv = [(torch.tensor(W), torch.tensor(b)) for W, b in V]
        got = fn(t, torch.tensor(X), torch.tensor(Y), tv)
    else:
        import jax

        got = jax.jit(fn._f)(params, X, Y, V)
    assert float(got[0]) == pytest.approx(float(ref[0]), rel=1e-10)
    for a, b in zip(got[1:], ref[1:]):
        assert rel(flat([(np.asarray(u), np.asarray(w)) for u, w in a]), flat(b)) < 1e-10


def test_float32_stays_float32():
    net = make(CASES[1])
    params, X, Y, V, _ = setup(net)
    f32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    v32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in V]
    _, _, hv = net.hvp_function()(f32, X.astype(np.float32), Y.astype(np.float32), v32)
    _, gv = net.gnvp_function()(f32, X.astype(np.float32), Y.astype(np.float32), v32)
    assert all(a.dtype == np.float32 and b.dtype == np.float32 for a, b in hv + gv)


def test_bad_directions_are_refused_naming_the_layer_and_shape():
    net = jc.Network([4, 5, 3], activation="sigmoid", output="softmax", cost="cross_entropy")
    params, X, Y, V, _ = setup(net)
    fn = net.hvp_function()
    with pytest.raises(jc.ShapeError, match=r"V has 1 layer\(s\); params has 2"):
        fn(params, X, Y, V[:1])
    bad = [V[0], (V[1][0].T, V[1][1])]
    with pytest.raises(jc.ShapeError, match=r"VW2, the direction for layer 2's weights, should have shape \(3, 5\)"):
        fn(params, X, Y, bad)
    bad = [(V[0][0], V[0][1][:2]), V[1]]
    with pytest.raises(jc.ShapeError, match=r"Vb1, the direction for layer 1's biases, should have shape \(5,\)"):
        net.gnvp_function()(params, X, Y, bad)
    with pytest.raises(jc.ShapeError, match=r"layer 2\) must be a pair"):
        fn(params, X, Y, [V[0], V[1][0]])
    with pytest.raises(jc.JacobiError, match="list of \\(VW, Vb\\) pairs"):
        fn(params, X, Y, 3.0)
    with pytest.raises(jc.ShapeError, match="rows? of Y"):  # the gradient function's checks still apply
        fn(params, X, Y * 2, V)


def test_source_and_written_module(tmp_path):
    net = make(CASES[1])
    params, X, Y, V, _ = setup(net)
    for kind in ("hvp", "gnvp"):
        fn = getattr(net, f"{kind}_function")()
        assert f"def {kind}(params, X, Y, V):" in fn.source and "R{delta1}" in fn.source
        assert "np.eye" not in fn.source and "np.kron" not in fn.source and "diagflat" not in fn.source
        path = tmp_path / f"{kind}.py"
        fn.write(path)
        spec = importlib.util.spec_from_file_location(kind, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        got, want = getattr(mod, kind)(params, X, Y, V), fn(params, X, Y, V)
        assert rel(flat(got[-1]), flat(want[-1])) == 0.0


def test_unknown_kind_is_refused():
    with pytest.raises(jc.JacobiError, match="kind must be"):
        RPass(make(CASES[0]), "hessian")


def test_hand_written_reference_agrees():
    """bench/reference.py's hand-written R-operator (the benchmark's baseline) computes the same."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import reference

    for sizes in ([6, 5, 3], [6, 5, 4, 3]):
        net = jc.Network(sizes, activation="sigmoid", output="softmax", cost="cross_entropy")
        params, X, Y, V, _ = setup(net, seed=7)
        C, g, hv = net.hvp_function()(params, X, Y, V)
        Cr, gr, hr = reference.softmax_ce_hvp(params, X, Y, V)
        assert C == pytest.approx(Cr, rel=1e-12)
        assert rel(flat(g), flat(gr)) < 1e-12 and rel(flat(hv), flat(hr)) < 1e-12


@pytest.mark.parametrize("backend", ["numpy", "jax"])  # jax takes numpy arrays as they are
def test_the_hvp_alone_leaves_the_gradient_out(backend):
    pytest.importorskip(backend)
    net = jc.Network([5, 4, 3], activation="tanh", output="softmax", cost="cross_entropy")
    params = net.init_params(seed=1)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 5))
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    V = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in params]
    cost, _, hv = net.hvp_function()(params, X, Y, V)
    only = net.hvp_function(backend=backend, gradient=False)
    cost2, hv2 = only(params, X, Y, V)
    assert abs(float(cost2) - float(cost)) < 1e-5
    for (a, b), (c, d) in zip(hv, hv2):
        tol = 1e-10 if backend == "numpy" else 1e-5  # jax computes in float32 unless told otherwise
        assert np.allclose(np.asarray(c), a, rtol=tol, atol=tol) and np.allclose(np.asarray(d), b, atol=tol)
    assert "dW1" not in only.source and "(cost, H V)" in only.source
    with pytest.raises(jc.JacobiError, match="True or False"):
        net.hvp_function(gradient="no")
