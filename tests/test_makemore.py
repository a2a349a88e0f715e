"""Karpathy's "Becoming a Backprop Ninja" (makemore part 4), exercise 1, as a test.

His forward pass is written with a jc.let per intermediate (tests/programs.py, sizes as symbols:
n, V, k, e, H get numbers only when the code runs), and the 26 gradients he derives by hand, from
dlogprobs down to dC, come from ``bp.function(..., outputs=["grad:NAME", ...])``.  They are checked in
float64 to 1e-10 against two oracles that share nothing with jacobi: his own manual backward pass,
written here in numpy, and torch autograd over his forward pass (retain_grad on every intermediate).
The generated jax and torch functions agree with the numpy one, float32 stays float32, and each
adjoint equation, evaluated on its own at the oracle's values, gives the oracle's gradient.

``python tests/test_makemore.py`` prints the 26 gradients' largest differences.
"""
from __future__ import annotations

import contextlib
import importlib.util

import numpy as np
import pytest
from programs import MAKEMORE_SIZES, makemore
from registries import installed

import jacobi as jc

#: the 26 gradients of exercise 1 in his order; emb is embcat seen as (n, k, e)
GRADS = ("logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes", "logits", "h",
         "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani",
         "hprebn", "embcat", "W1", "b1", "emb", "C")
OURS = tuple(g for g in GRADS if g != "emb")  # the lets and leaves of the program: "grad:NAME"
SEEDS = (0, 1)
TOL = 1e-10


def as_karpathy(vals):
    """The leaves as his code has them: b1 and b2 are 1-D, the index matrices integer, Yb a vector."""
    C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2 = vals
    return dict(C=C, Xb=Xb, Yb=Yb[:, 0], W1=W1, b1=b1[0], bngain=bngain, bnbias=bnbias, W2=W2, b2=b2[0])


def numpy_backprop(vals) -> tuple[dict, dict]:
    """His forward pass and his manual backward pass (the exercise's solution), in numpy: the forward
    values and the 26 gradients by name."""
    p = as_karpathy(vals)
    C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2 = (p[k] for k in ("C", "Xb", "Yb", "W1", "b1", "bngain", "bnbias",
                                                                "W2", "b2"))
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.reshape(n, -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdims=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdims=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = np.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[range(n), Yb].mean()
    fwd = dict(loss=loss, emb=emb, embcat=embcat, hprebn=hprebn, bnmeani=bnmeani, bndiff=bndiff, bndiff2=bndiff2,
               bnvar=bnvar, bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact, h=h, logits=logits,
               logit_maxes=logit_maxes, norm_logits=norm_logits, counts=counts, counts_sum=counts_sum,
               counts_sum_inv=counts_sum_inv, probs=probs, logprobs=logprobs)

    d = {}
    d["logprobs"] = np.zeros_like(logprobs)
    d["logprobs"][range(n), Yb] = -1.0 / n
    d["probs"] = (1.0 / probs) * d["logprobs"]
    d["counts_sum_inv"] = (counts * d["probs"]).sum(1, keepdims=True)
    d["counts"] = counts_sum_inv * d["probs"]
    d["counts_sum"] = (-counts_sum ** -2) * d["counts_sum_inv"]
    d["counts"] = d["counts"] + np.ones_like(counts) * d["counts_sum"]
    d["norm_logits"] = counts * d["counts"]
    d["logits"] = d["norm_logits"].copy()
    d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdims=True)
    d["logits"] += np.eye(logits.shape[1])[logits.argmax(1)] * d["logit_maxes"]
    d["h"] = d["logits"] @ W2.T
    d["W2"] = h.T @ d["logits"]
    d["b2"] = d["logits"].sum(0)
    d["hpreact"] = (1.0 - h ** 2) * d["h"]
    d["bngain"] = (bnraw * d["hpreact"]).sum(0, keepdims=True)
    d["bnraw"] = bngain * d["hpreact"]
    d["bnbias"] = d["hpreact"].sum(0, keepdims=True)
    d["bndiff"] = bnvar_inv * d["bnraw"]
    d["bnvar_inv"] = (bndiff * d["bnraw"]).sum(0, keepdims=True)
    d["bnvar"] = (-0.5 * (bnvar + 1e-5) ** -1.5) * d["bnvar_inv"]
    d["bndiff2"] = (1.0 / (n - 1)) * np.ones_like(bndiff2) * d["bnvar"]
    d["bndiff"] = d["bndiff"] + (2 * bndiff) * d["bndiff2"]
    d["hprebn"] = d["bndiff"].copy()
    d["bnmeani"] = (-d["bndiff"]).sum(0, keepdims=True)
    d["hprebn"] += 1.0 / n * (np.ones_like(hprebn) * d["bnmeani"])
    d["embcat"] = d["hprebn"] @ W1.T
    d["W1"] = embcat.T @ d["hprebn"]
    d["b1"] = d["hprebn"].sum(0)
    d["emb"] = d["embcat"].reshape(emb.shape)
    d["C"] = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            d["C"][Xb[k, j]] += d["emb"][k, j]
    return fwd, d


def torch_autograd(vals) -> dict:
    """His forward pass in torch, every intermediate's .grad kept: loss.backward()'s 26 gradients."""
    torch = pytest.importorskip("torch")
    p = {k: torch.tensor(v) for k, v in as_karpathy(vals).items()}
    params = [p[k] for k in ("C", "W1", "b1", "bngain", "bnbias", "W2", "b2")]
    for t in params:
        t.requires_grad_(True)
    C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2 = (p[k] for k in ("C", "Xb", "Yb", "W1", "b1", "bngain", "bnbias",
                                                                "W2", "b2"))
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    inter = dict(logprobs=logprobs, probs=probs, counts_sum_inv=counts_sum_inv, counts_sum=counts_sum, counts=counts,
                 norm_logits=norm_logits, logit_maxes=logit_maxes, logits=logits, h=h, hpreact=hpreact, bnraw=bnraw,
                 bnvar_inv=bnvar_inv, bnvar=bnvar, bndiff2=bndiff2, bndiff=bndiff, bnmeani=bnmeani, hprebn=hprebn,
                 embcat=embcat, emb=emb)
    for t in inter.values():
        t.retain_grad()
    loss.backward()
    out = {k: t.grad.numpy() for k, t in inter.items()}
    out.update(C=C.grad.numpy(), W1=W1.grad.numpy(), b1=b1.grad.numpy(), bngain=bngain.grad.numpy(),
               bnbias=bnbias.grad.numpy(), W2=W2.grad.numpy(), b2=b2.grad.numpy())
    out["loss"] = float(loss.detach())
    return out


@pytest.fixture(scope="module")
def model():
    return makemore()


@pytest.fixture(scope="module")
def bp(model):
    return jc.backprop(model.loss)


def function(model, bp, backend="numpy", compact=False):
    return bp.function(model.inputs, [model.loss] + ["grad:" + g for g in OURS], backend=backend, compact=compact)


def ours(fn, vals) -> dict:
    """The generated function's loss and 26 gradients by name (emb: dembcat as (n, k, e))."""
    out = [np.asarray(o.detach().cpu() if hasattr(o, "detach") else o) for o in fn(*vals)]
    got = dict(zip(OURS, out[1:]))
    got["loss"] = out[0]
    S = MAKEMORE_SIZES
    assert got["embcat"].shape == (S["n"], S["k"] * S["e"])
    got["emb"] = got["embcat"].reshape(S["n"], S["k"], S["e"])
    return got


def max_differences(got: dict, want: dict) -> dict:
    """name -> the largest difference of the two gradients, shapes matched first (his b1 and b2 are
    1-D, ours (1, H) and (1, V): the only difference allowed)."""
    out = {}
    for g in GRADS:
        a, b = np.asarray(got[g], dtype=np.float64), np.asarray(want[g], dtype=np.float64)
        if a.shape != b.shape:
            assert g in ("b1", "b2") and a.shape == (1, b.size), (g, a.shape, b.shape)
            a = a.reshape(b.shape)
        out[g] = float(np.max(np.abs(a - b)))
    return out


def assert_all_close(got: dict, want: dict, tol=TOL):
    diffs = max_differences(got, want)
    bad = {g: v for g, v in diffs.items() if not v <= tol}  # a NaN fails too
    assert not bad, bad
    assert abs(float(got["loss"]) - float(want["loss"])) <= tol


def test_the_program_is_his_forward_pass_with_symbolic_sizes(model, bp):
    assert [v.name for v in bp.lets] == list(model.lets)
    assert [s.name for s in bp.leaves] == ["C", "W1", "b1", "bngain", "bnbias", "W2", "b2"]  # Xb, Yb are data
    n, V, H = (jc.core.size(s) for s in ("n", "V", "H"))
    assert model.lets["hprebn"].shape == (n, H) and model.lets["logits"].shape == (n, V)
    assert model.lets["bnmeani"].shape == (1, H) and model.lets["counts_sum"].shape == (n, 1)
    for g in OURS:  # each adjoint has its quantity's shape; dC is the (V, e) scatter-add
        v = model.lets.get(g) or model.leaves[g]
        assert bp.adjoint(g).shape == v.shape and bp.grad(g).shape == v.shape, g
    assert str(bp.grad("C")) == "scatter_add(dembcat, Xb, V)"
    assert str(bp.grad("hprebn")) == "1/n * (ones(n) @ dbnmeani) + dbndiff"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_26_gradients_against_his_manual_backprop(model, bp, seed):
    vals = model.values(seed)
    fwd, want = numpy_backprop(vals)
    want["loss"] = fwd["loss"]
    got = ours(function(model, bp), vals)
    assert_all_close(got, want)
    assert want["C"].shape == (MAKEMORE_SIZES["V"], MAKEMORE_SIZES["e"])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_26_compact_forms_against_his_manual_backprop_and_torch(model, bp, seed):
    # bp.compact writes each gradient as the line by hand (dlogits = (probs - onehot) / n, dhprebn his
    # Bessel line): the same 26 numbers as his backward pass and torch's
    vals = model.values(seed)
    fwd, want = numpy_backprop(vals)
    want["loss"] = fwd["loss"]
    got = ours(function(model, bp, compact=True), vals)
    assert_all_close(got, want)
    if importlib.util.find_spec("torch") is not None:
        assert_all_close(got, torch_autograd(vals))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_26_gradients_against_torch_autograd(model, bp, seed):
    pytest.importorskip("torch")
    vals = model.values(seed)
    assert_all_close(ours(function(model, bp), vals), torch_autograd(vals))


def _x64(be):
    if be != "jax":
        return contextlib.nullcontext()
    import jax

    return jax.enable_x64(True)  # jax computes in float32 unless x64 is enabled


@pytest.mark.parametrize("be", [b for b in ("jax", "torch") if installed(b)])
def test_the_jax_and_torch_functions_agree(model, bp, be):
    vals = model.values(2)
    want = ours(function(model, bp), vals)
    with _x64(be):
        fn = function(model, bp, be)
        got = ours(fn, vals)
    assert_all_close(got, want)
    assert all(np.asarray(got[g]).dtype == np.float64 for g in GRADS)


@pytest.mark.parametrize("be", [b for b in ("numpy", "jax", "torch") if installed(b)])
def test_float32_stays_float32(model, bp, be):
    vals64 = model.values(3)
    want = ours(function(model, bp), vals64)
    vals32 = [v if v.dtype.kind == "i" else v.astype(np.float32) for v in vals64]
    got = ours(function(model, bp, be), vals32)
    for g in GRADS:
        assert np.asarray(got[g]).dtype == np.float32, g
    scale = {g: 1 + float(np.max(np.abs(want[g]))) for g in GRADS}
    diffs = max_differences(got, want)
    assert all(diffs[g] <= 1e-4 * scale[g] for g in GRADS), diffs


def _binding(model, bp, vals, fwd, want) -> dict:
    """Every symbol an adjoint equation may use, bound to the oracle's value: leaves, lets (forward values),
    adjoints (his gradients)."""
    bound = dict(zip(model.inputs, vals))
    for name, v in model.lets.items():
        bound[v] = fwd[name]
    for g in OURS:
        w = want[g]
        bound[bp.adjoint(g)] = w.reshape(1, -1) if g in ("b1", "b2") else w
    return bound


def test_each_adjoint_equation_on_its_own(model, bp):
    """dv = rhs for every let and leaf, rhs lambdified over the symbols it uses and evaluated at his values:
    each equation is right by itself, not only the chain of them."""
    vals = model.values(4)
    fwd, want = numpy_backprop(vals)
    bound = _binding(model, bp, vals, fwd, want)
    for g in OURS:
        rhs = bp.grad(g)
        # the leaves too, unused ones among them: V, the classes of Yb, is read off C's shape
        args = model.inputs + sorted((s for s in rhs.symbols() if s not in model.inputs), key=lambda s: s.name)
        got = jc.lambdify(args, rhs)(*[bound[s] for s in args])
        w = want[g].reshape(1, -1) if g in ("b1", "b2") else want[g]
        assert np.max(np.abs(np.asarray(got) - w)) <= TOL, g


@pytest.mark.parametrize("name", ["logits", "bnvar_inv", "bnraw", "hprebn", "W1", "bngain", "C"])
def test_resolved_gradients_lambdified(model, bp, name):
    """bp.resolved(v), every let and adjoint substituted back down to the leaves, lambdified."""
    vals = model.values(5)
    _, want = numpy_backprop(vals)
    r = bp.resolved(name)
    assert all(not isinstance(s, jc.core.Let) for s in r.symbols())
    got = jc.lambdify(model.inputs, r)(*vals)
    assert np.max(np.abs(np.asarray(got) - want[name])) <= TOL


def test_large_logits_stay_finite(model, bp):
    """The maximum subtracted before exp: logits near 1000, spread over tens, give his gradients, with no
    overflow (numpy raises on any), in float64 and float32."""
    vals = model.values(6)
    vals[-1] = vals[-1] + 1000.0  # b2: every logit shifted by 1000
    vals[-2] = vals[-2] * 30.0  # W2: logits spread over tens
    fwd, want = numpy_backprop(vals)
    want["loss"] = fwd["loss"]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = ours(function(model, bp), vals)
    assert_all_close(got, want, 1e-9)
    vals32 = [v if v.dtype.kind == "i" else v.astype(np.float32) for v in vals]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got32 = ours(function(model, bp), vals32)
    assert all(np.all(np.isfinite(got32[g])) for g in GRADS)


def test_underflowing_probabilities_keep_his_loss(model, bp):
    """Logits thousands apart: probabilities off the targets underflow to 0 and their logs to -inf.  His
    loss picks logprobs[range(n), Yb], so it stays finite, and so does ours (a gather, not 0 * -inf).  The
    gradients of his program are 0 / 0 there (dprobs = dlogprobs / probs, torch's too): that is the program,
    which his exercise 2 fuses into cross-entropy (below)."""
    vals = model.values(7)
    vals[-2] = vals[-2] * 3000.0  # W2
    with np.errstate(all="ignore"):
        probs = numpy_backprop(vals)[0]["probs"]
        # Yb: in each row the least probable class that has not underflowed (a loss far from 0, and finite)
        vals[2] = np.where(probs > 1e-250, probs, np.inf).argmin(1)[:, None]
        fwd, _ = numpy_backprop(vals)
    assert np.isfinite(fwd["loss"]) and fwd["loss"] > 1 and np.any(fwd["probs"] == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        got = bp.function(model.inputs, [model.loss])(*vals)[0]
    assert abs(float(got) - fwd["loss"]) <= 1e-9 * abs(fwd["loss"])


@pytest.mark.parametrize("be", [b for b in ("numpy", "jax", "torch") if installed(b)])
def test_his_exercise_2_cross_entropy_is_stable_at_any_logits(model, be):
    """Exercise 2: the loss fused, -sum(onehot(Yb) * log_softmax(logits, 1)) / n; dlogits is (softmax -
    onehot) / n, finite where the logits are thousands apart, in float32 too."""
    L = model.lets
    Yb, n = model.leaves["Yb"], jc.core.size("n")
    bp2 = jc.backprop(-jc.sum(jc.onehot(Yb, "V") * jc.log_softmax(L["logits"], 1)) / n)
    assert str(bp2.grad("logits")) == "1/n * (softmax(logits, axis=1) - onehot(Yb, V))"
    fn = bp2.function(model.inputs, [bp2.loss, "grad:logits", "grad:W2", "grad:C"], backend=be)
    for dtype in (np.float64, np.float32):
        vals = [v if v.dtype.kind == "i" else v.astype(dtype) for v in model.values(8)]
        vals[-2] = (vals[-2] * 3000.0).astype(dtype)
        with np.errstate(all="ignore"):  # his forward pass takes log(0) here
            fwd, _ = numpy_backprop([v.astype(np.float64) if v.dtype.kind == "f" else v for v in vals])
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = [np.asarray(o.detach() if hasattr(o, "detach") else o) for o in fn(*vals)]
        assert all(np.all(np.isfinite(o)) for o in out)
        z = fwd["logits"]
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        onehot = np.eye(z.shape[1])[vals[2][:, 0]]
        tol = 1e-9 if dtype == np.float64 and be != "jax" else 1e-3
        assert np.max(np.abs(out[1] - (p - onehot) / z.shape[0])) <= tol


def figures(seed: int = 0) -> list:
    """The 26 gradients' largest differences from his manual backprop and from torch autograd."""
    model = makemore()
    bp = jc.backprop(model.loss)
    vals = model.values(seed)
    got = ours(function(model, bp), vals)
    fwd, want = numpy_backprop(vals)
    num = max_differences(got, want)
    try:
        tor = max_differences(got, torch_autograd(vals))
    except pytest.skip.Exception:
        tor = {}
    return [(g, num[g], tor.get(g)) for g in GRADS]


if __name__ == "__main__":
    print(f"{'gradient':16} {'vs numpy':>10} {'vs torch':>10}")
    for g, a, b in figures():
        print(f"{g:16} {a:10.2e} {'-' if b is None else f'{b:10.2e}':>10}")
