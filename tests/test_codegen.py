"""Generated gradient code: values, dtypes, stability, source."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jacobi as jc
from jacobi.calculus.check import rel_error
from jacobi.core import functions as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import reference  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACTS = F.activations()
COSTS = [("mse", None), ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]


def data(net, m, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    n0, nL = int(net.sizes[0]), int(net.sizes[-1])
    X = (rng.normal(size=(m, n0)) * scale).astype(dtype)
    if net.cost == "cross_entropy":
        Y = np.eye(nL, dtype=dtype)[rng.integers(0, nL, size=m)]
    else:
        Y = rng.uniform(0, 1, size=(m, nL)).astype(dtype)
    return X, Y


CASES = [(act, cost, out, depth) for act in ACTS for (cost, out) in COSTS for depth in (1, 2, 3, 5)]


@pytest.mark.parametrize("act,cost,out,depth", CASES)
def test_generated_matches_reference_and_finite_differences(act, cost, out, depth):
    out = out or act
    rng = np.random.default_rng(depth)
    sizes = [int(s) for s in rng.integers(2, 6, size=depth + 1)]
    net = jc.Network(sizes, activation=act, output=out, cost=cost)
    fn = net.gradient_function()
    params = net.init_params(seed=depth)
    params = [(W, b + 0.1) for W, b in params]
    X, Y = data(net, 7, depth)
    C, grads = fn(params, X, Y)
    Cr, gr = reference.backprop(params, X, Y, hidden=act, output=out, cost=cost)
    assert abs(C - Cr) <= 1e-12 * max(1, abs(Cr))
    for (dW, db), (rW, rb) in zip(grads, gr):
        assert dW.shape == rW.shape and db.shape == rb.shape
        assert rel_error(dW, rW) < 1e-12 and rel_error(db, rb) < 1e-12
    if depth <= 3:
        check = jc.check_gradient(fn, params=params, X=X, Y=Y)
        assert check.ok, str(check)


@pytest.mark.parametrize("act,cost,out", [(a, c, o) for a in ACTS for c, o in COSTS])
def test_float32_in_float32_out(act, cost, out):
    net = jc.Network([5, 6, 4, 3], activation=act, output=out or act, cost=cost)
    fn = net.gradient_function()
    p32 = net.init_params(seed=1, dtype=np.float32)
    X, Y = data(net, 9, 2, dtype=np.float32)
    C, grads = fn(p32, X, Y)
    assert np.asarray(C).dtype == np.float32
    for (dW, db), (W, b) in zip(grads, p32):
        assert dW.dtype == np.float32 and db.dtype == np.float32
        assert dW.shape == W.shape and db.shape == b.shape
    p64 = [(W.astype(np.float64), b.astype(np.float64)) for W, b in p32]
    C64, g64 = fn(p64, X.astype(np.float64), Y.astype(np.float64))
    assert abs(C - C64) <= 1e-5 * max(1, abs(C64))
    for (dW, db), (eW, eb) in zip(grads, g64):
        assert rel_error(dW, eW) < 1e-4 and rel_error(db, eb) < 1e-4


@pytest.mark.parametrize("act,cost,out", [("sigmoid", "mse", "sigmoid"), ("sigmoid", "cross_entropy", "softmax"),
                                          ("tanh", "binary_cross_entropy", "sigmoid"),
                                          ("softplus", "cross_entropy", "softmax")])
def test_stable_for_huge_inputs(act, cost, out):
    net = jc.Network([3, 4, 3], activation=act, output=out, cost=cost)
    fn = net.gradient_function()
    params = [(W * 100, b) for W, b in net.init_params(seed=0)]
    X, Y = data(net, 16, 0, scale=1e4 / 3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        C, grads = fn(params, X, Y)
    assert np.isfinite(C)
    for dW, db in grads:
        assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))


def test_sigmoid_alone_has_no_overflow_at_1e4():
    z = jc.vector("z", 5)
    f = jc.lambdify([z], [jc.sigmoid(z), jc.jacobian(jc.sigmoid(z), z)])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, J = f(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]))
    assert np.allclose(s, [0, 0, 0.5, 1, 1]) and np.all(np.isfinite(J))


GOLDEN = ROOT / "tests" / "golden" / "gradient_sigmoid_mse_2_3_2.py"


def test_golden_source():
    src = jc.Network([2, 3, 2]).gradient_function().source
    if os.environ.get("JACOBI_UPDATE_GOLDEN"):
        GOLDEN.write_text(src)
    assert src == GOLDEN.read_text()


def test_source_builds_no_dense_structured_matrix_and_uses_textbook_names():
    for act, cost, out in [("sigmoid", "mse", None), ("relu", "cross_entropy", "softmax")]:
        src = jc.Network([4, 5, 6, 3], activation=act, output=out, cost=cost).gradient_function().source
        for bad in ("np.ones", "np.eye", "diagflat", "kron", "np.zeros", "np.full"):
            assert bad not in src
        for name in ("z1", "a1", "delta3", "delta1", "dW2", "db3", ".sum(axis=0)", "# BP2"):
            assert name in src


def test_source_is_deterministic_across_hash_seeds():
    code = ("import jacobi as jc;print(jc.Network([3,4,2],activation='tanh',output='softmax',"
            "cost='cross_entropy').gradient_function().source)")
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1


def test_standalone_module(tmp_path):
    net = jc.Network([3, 5, 2], output="softmax", cost="cross_entropy")
    fn = net.gradient_function()
    path = tmp_path / "grad_module.py"
    fn.write(path)
    assert "import jacobi" not in path.read_text()
    spec = importlib.util.spec_from_file_location("grad_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    params = net.init_params()
    X, Y = data(net, 4, 0)
    C1, g1 = mod.gradient(params, X, Y)
    C2, g2 = fn(params, X, Y)
    assert C1 == pytest.approx(C2, rel=1e-15)


def test_bad_params_get_a_clear_error():
    net = jc.Network([3, 4, 2])
    fn = net.gradient_function()
    X, Y = np.zeros((5, 3)), np.zeros((5, 2))
    with pytest.raises(jc.ShapeError, match="layers"):
        fn(net.init_params()[:1], X, Y)
    bad = net.init_params()
    bad[0] = (bad[0][0].T, bad[0][1])
    with pytest.raises(jc.ShapeError, match="W1"):
        fn(bad, X, Y)
    with pytest.raises(jc.ShapeError, match="X should have shape"):
        fn(net.init_params(), np.zeros((5, 4)), Y)


def test_symbolic_sizes_generate_too():
    net = jc.Network(["n0", "n1", "n2"], activation="tanh")
    fn = net.gradient_function()
    concrete = jc.Network([3, 4, 2], activation="tanh")
    params = concrete.init_params(seed=3)
    X, Y = data(concrete, 6, 1)
    C, g = fn(params, X, Y)
    Cr, gr = concrete.gradient_function()(params, X, Y)
    assert C == pytest.approx(Cr) and rel_error(g[0][0], gr[0][0]) < 1e-14


def test_init_params():
    net = jc.Network([3, 4, 2])
    p = net.init_params(seed=0, dtype=np.float32)
    assert [(W.shape, b.shape) for W, b in p] == [((4, 3), (4,)), ((2, 4), (2,))]
    assert p[0][0].dtype == np.float32
    assert np.array_equal(p[0][0], net.init_params(seed=0, dtype=np.float32)[0][0])


def test_lambdify_shares_subexpressions_across_outputs():
    W, x, b = jc.matrix("W", 3, 4), jc.vector("x", 4), jc.vector("b", 3)
    a = jc.sigmoid(W @ x + b)
    f = jc.lambdify([W, x, b], [jc.sum(a), a * a])
    assert f.source.count("_sigmoid(") == 2  # the helper's definition and one call
    rng = np.random.default_rng(0)
    s, sq = f(rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3))
    assert s == pytest.approx(np.sum(np.sqrt(sq)))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backends(backend):
    pytest.importorskip(backend, reason=f"{backend} is an optional extra and is not installed")
    net = jc.Network([4, 6, 3], activation="tanh", output="softmax", cost="cross_entropy")
    fn = net.gradient_function(backend=backend)
    params = net.init_params(seed=0)
    X, Y = data(net, 5, 0)
    C, grads = net.gradient_function()(params, X, Y)
    if backend == "torch":
        import torch

        tp = [(torch.tensor(W), torch.tensor(b)) for W, b in params]
        Ct, gt = fn(tp, torch.tensor(X), torch.tensor(Y))
        gt = [(dW.numpy(), db.numpy()) for dW, db in gt]
        Ct = float(Ct)
    else:
        import jax

        jax.config.update("jax_enable_x64", True)
        Ct, gt = jax.jit(fn._f)(params, X, Y)
        gt = [(np.asarray(dW), np.asarray(db)) for dW, db in gt]
        Ct = float(Ct)
    assert Ct == pytest.approx(C, rel=1e-9)
    for (a, b), (c, d) in zip(gt, grads):
        assert rel_error(a, c) < 1e-9 and rel_error(b, d) < 1e-9
