"""Compact forms (jacobi/calculus/compact.py, ``bp.compact``): the backward passes people write by hand.

Each form is checked twice: its structure (the printed text, golden in this file, so that the form a
hand writes is what comes out) and its value (evaluated from the forward and adjoint values of the
program's generated code, against the adjoint jacobi derived, at random points, float64)."""
from __future__ import annotations

import numpy as np
import programs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.compact import STYLES, compact
from jacobi.core.shapes import JacobiError

SIZES = {"n": 7, "d": 5, "c": 3, "V": 6, "T": 4, "k": 3, "h": 4, "e": 2, "H": 5}


def norm_program(axis, ddof=0, rms=False, explicit_var=True):
    """Batch norm (axis 0) or layer norm (axis 1), or RMSNorm, then tanh and a projection."""
    X = jc.matrix("x", "n", "d")
    g, b, W = jc.matrix("gamma", 1, "d"), jc.matrix("beta", 1, "d"), jc.matrix("W", "d", "c")
    if rms:
        ms = jc.let("ms", jc.mean(X * X, axis))
        rstd = jc.let("rstd", (ms + 1e-5) ** -0.5)
        xhat = jc.let("xhat", X * rstd)
    else:
        mu = jc.let("mu", jc.mean(X, axis))
        xc = jc.let("xc", X - mu)
        N = X.shape[axis]
        if explicit_var:
            var = jc.let("var", jc.sum(xc * xc, axis) / (N - ddof))
        else:
            var = jc.let("var", jc.var(X, axis, ddof))
        rstd = jc.let("rstd", (var + 1e-5) ** -0.5)
        xhat = jc.let("xhat", xc * rstd)
    y = jc.let("y", g * xhat + b)
    return jc.backprop(jc.sum(jc.tanh(y) @ W)), [X, g, b, W]


def nll_head(logits, Y):
    """Karpathy's exercise-1 head on lets: max shift, counts, probs, mean negative log-likelihood."""
    logit_maxes = jc.let("logit_maxes", jc.max(logits, 1))
    norm_logits = jc.let("norm_logits", logits - logit_maxes)
    counts = jc.let("counts", jc.exp(norm_logits))
    counts_sum = jc.let("counts_sum", jc.sum(counts, 1))
    counts_sum_inv = jc.let("counts_sum_inv", counts_sum ** -1)
    probs = jc.let("probs", counts * counts_sum_inv)
    logprobs = jc.let("logprobs", jc.log(probs))
    return jc.let("loss", -jc.mean(jc.sum(jc.onehot(Y, "V") * logprobs, 1)))


def ce_program():
    H, W2, b2 = jc.matrix("h", "n", "k"), jc.matrix("W2", "k", "V"), jc.matrix("b2", 1, "V")
    Y = jc.indices("Yb", "n", 1, "V")
    return jc.backprop(nll_head(jc.let("logits", H @ W2 + b2), Y)), [H, W2, b2, Y]


def attention_program(explicit=True):
    S, Vm = jc.matrix("S", "T", "T"), jc.matrix("Vm", "T", "k")
    if explicit:
        E = jc.let("E", jc.exp(S))
        A = jc.let("A", E / jc.sum(E, 1))
    else:
        A = jc.let("A", jc.softmax(S, 1))
    O = jc.let("O", A @ Vm)
    return jc.backprop(jc.sum(jc.tanh(O))), [S, Vm]


def _value(sym, rng):
    sizes = {P.size(k): v for k, v in SIZES.items()}
    r, c = (int(P.Const.make(x).value.subs(sizes)) for x in sym.shape)
    if P.is_indices(sym):
        return rng.integers(0, int(P.Const.make(P.classes(sym)).value.subs(sizes)), size=(r, c))
    return rng.normal(size=(r, c))


def check_value(bp, inputs, form, of, seed=0):
    """form, evaluated at the program's own forward and adjoint values, equals dloss/d(of)."""
    rng = np.random.default_rng(seed)
    vals = [_value(s, rng) for s in inputs]
    free = [s for s in P.program_of(form) if s in bp.lets]  # the lets the form reads
    adjoints = [a for v, a in bp.adjoints.items() if a in form.symbols()]
    names = [v.name for v, a in bp.adjoints.items() if a in adjoints]
    fn = bp.function(inputs, [*free, *[f"grad:{n}" for n in names], f"grad:{of}"])
    got = fn(*vals)
    known = dict(zip([*free, *adjoints], got[:-1]))
    args = [s for s in form.symbols() if s not in known and not P.is_indices(s)] + \
        [s for s in form.symbols() if P.is_indices(s)]
    leaf_vals = dict(zip(inputs, vals))
    f = jc.lambdify([*known, *args], form, sizes=SIZES)
    value = f(*known.values(), *[leaf_vals[a] for a in args])
    np.testing.assert_allclose(np.broadcast_to(value, got[-1].shape), got[-1], rtol=1e-10, atol=1e-12)


# -- golden structures ---------------------------------------------------------------------------

def test_batch_norm_dx_through_dy():
    bp, ins = norm_program(0)
    form = bp.compact("x", through=["y"])
    assert str(form) == ("(ones(n) @ gamma) * (ones(n) @ rstd) * (n * dy - ones(n) @ (ones(n).T @ dy)"
                         " - xhat * (ones(n) @ (ones(n).T @ (dy * xhat)))) / n")
    check_value(bp, ins, form, "x")


def test_batch_norm_bessel_is_karpathys_line():
    # dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
    bp, ins = norm_program(0, ddof=1)
    form = bp.compact("x", through=["y"])
    assert str(form) == ("(ones(n) @ gamma) * (ones(n) @ rstd) * (n * dy - ones(n) @ (ones(n).T @ dy)"
                         " - n/(n - 1) * (xhat * (ones(n) @ (ones(n).T @ (dy * xhat))))) / n")
    check_value(bp, ins, form, "x", seed=1)


@pytest.mark.parametrize("explicit_var", [True, False])
def test_batch_norm_with_var_written_either_way(explicit_var):
    bp, ins = norm_program(0, explicit_var=explicit_var)
    form = bp.compact("x", through=["xhat"], style="mean")
    assert str(form) == ("(ones(n) @ rstd) * (dxhat - ones(n) @ (ones(n).T @ dxhat / n)"
                         " - xhat * (ones(n) @ (ones(n).T @ (dxhat * xhat) / n)))")
    check_value(bp, ins, form, "x", seed=2)


def test_layer_norm_is_llm_c_form():
    # dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
    bp, ins = norm_program(1)
    form = bp.compact("x", through=["xhat"], style="mean")
    assert str(form) == ("(rstd @ ones(d).T) * (dxhat - (dxhat @ ones(d) / d) @ ones(d).T"
                         " - xhat * (((dxhat * xhat) @ ones(d) / d) @ ones(d).T))")
    check_value(bp, ins, form, "x", seed=3)
    # through dy, gamma stays inside the sums along the rows (it varies along them)
    form = bp.compact("x", through=["y"])
    assert "d * (dy * (ones(n) @ gamma))" in str(form)
    check_value(bp, ins, form, "x", seed=4)


def test_rms_norm_drops_the_mean_terms():
    bp, ins = norm_program(1, rms=True)
    form = bp.compact("x", through=["xhat"], style="mean")
    assert str(form) == "(rstd @ ones(d).T) * (dxhat - xhat * (((dxhat * xhat) @ ones(d) / d) @ ones(d).T))"
    check_value(bp, ins, form, "x", seed=5)


def test_cross_entropy_on_integer_targets():
    bp, ins = ce_program()
    for name in ("logits", "norm_logits"):
        form = bp.compact(name)
        assert str(form) == "(probs - onehot(Yb, V)) / n"
        check_value(bp, ins, form, name, seed=6)
    form = bp.compact("b2")
    assert str(form) == "(ones(n).T @ probs - ones(n).T @ onehot(Yb, V)) / n"
    check_value(bp, ins, form, "b2", seed=7)


def test_the_max_shift_has_no_gradient():
    bp, ins = ce_program()
    form = bp.compact("logit_maxes")
    assert isinstance(form, P.Zero) and form.shape == (P.Const.make("n").value, 1) or str(form) == "zeros(n)"
    check_value(bp, ins, form, "logit_maxes", seed=8)


@pytest.mark.parametrize("explicit", [True, False])
def test_row_softmax_ds(explicit):
    bp, ins = attention_program(explicit)
    form = bp.compact("S", through=["A"])
    assert str(form) in ("A * (dA - (dA * A) @ ones(T) @ ones(T).T)", "A * (dA - (A * dA) @ ones(T) @ ones(T).T)")
    check_value(bp, ins, form, "S", seed=9)


def makemore_program():
    """Karpathy's exercise-1 forward pass (makemore part 4), a let per intermediate (tests/programs.py)."""
    m = programs.makemore()
    return jc.backprop(m.loss), m.inputs


def test_makemore_compact_forms():
    bp, ins = makemore_program()
    form = bp.compact("hprebn", through=["hpreact"])
    assert str(form) == ("(ones(n) @ bngain) * (ones(n) @ bnvar_inv) * (n * dhpreact - ones(n) @ (ones(n).T @ "
                         "dhpreact) - n/(n - 1) * (bnraw * (ones(n) @ (ones(n).T @ (dhpreact * bnraw))))) / n")
    assert str(bp.compact("logits")) == "(probs - onehot(Yb, V)) / n"
    assert isinstance(bp.compact("logit_maxes"), P.Zero)
    assert isinstance(bp.compact("b1"), P.Zero)  # batch norm removes the bias before it
    for v in ["hprebn", "logits", "b1", "W1", "C", "bnvar", "logit_maxes"]:
        check_value(bp, ins, bp.compact(v), v, seed=11)
    check_value(bp, ins, form, "hprebn", seed=12)


# -- the pass itself ---------------------------------------------------------------------------

def test_compact_keeps_value_on_every_let_and_leaf():
    for make in (lambda: norm_program(0, ddof=1), lambda: norm_program(1), ce_program, attention_program):
        bp, ins = make()
        for v in [*bp.lets, *bp.leaves]:
            check_value(bp, ins, bp.compact(v), v.name, seed=10)


def test_compact_refuses_bad_input():
    bp, _ = norm_program(0)
    with pytest.raises(JacobiError, match="style"):
        bp.compact("x", style="median")
    with pytest.raises(JacobiError, match="not a let or leaf"):
        bp.compact("nope")
    with pytest.raises(JacobiError, match="not a let or leaf"):
        bp.compact("x", through=["nope"])
    with pytest.raises(JacobiError, match="jacobi expression"):
        compact("x + 1")


def test_compact_output_is_deterministic():
    outs = {str(norm_program(0, ddof=1)[0].compact("x", through=["y"])) for _ in range(3)}
    assert len(outs) == 1


def test_compact_of_an_expression_without_lets():
    x = jc.matrix("X", "n", "d")
    e = jc.mean(x - jc.mean(x, 0), 0)  # the mean of a centred matrix is zero: no let needed to see it
    assert str(compact(e)) == "zeros(1, d)" or isinstance(compact(e), P.Zero)


# -- random programs (hypothesis) ---------------------------------------------------------------

STEPS = ("center", "scale_row", "rsqrt", "exp_norm", "tanh", "mul_leaf", "square_mean")


def _random_program(steps, axis):
    """A chain of lets over X (n, d) built from the batch operations the compact pass knows about."""
    X = jc.matrix("x", "n", "d")
    R = jc.matrix("R", "n", "d")
    g = jc.matrix("g", 1, "d") if axis == 0 else jc.matrix("g", "n", 1)
    cur, k = X, 0
    for s in steps:
        k += 1
        if s == "center":
            mu = jc.let(f"mu{k}", jc.mean(cur, axis))
            cur = jc.let(f"c{k}", cur - mu)
        elif s == "scale_row":
            cur = jc.let(f"s{k}", cur * g)
        elif s == "rsqrt":
            v = jc.let(f"v{k}", jc.mean(cur * cur, axis))
            r = jc.let(f"r{k}", (v + 1e-3) ** -0.5)
            cur = jc.let(f"n{k}", cur * r)
        elif s == "exp_norm":
            e = jc.let(f"e{k}", jc.exp(cur))
            cur = jc.let(f"p{k}", e / jc.sum(e, axis))
        elif s == "tanh":
            cur = jc.let(f"t{k}", jc.tanh(cur))
        elif s == "mul_leaf":
            cur = jc.let(f"m{k}", cur * R)
        else:
            cur = jc.let(f"q{k}", cur - jc.mean(cur * cur, axis))
    return jc.backprop(jc.sum(jc.tanh(cur) * R)), [X, R, g]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=4), axis=st.sampled_from([0, 1]),
       pick=st.integers(0, 10 ** 6), style=st.sampled_from(STYLES), seed=st.integers(0, 2 ** 16))
def test_compact_of_random_programs_keeps_the_value(steps, axis, pick, style, seed):
    bp, ins = _random_program(steps, axis)
    names = [v for v in [*bp.lets, *bp.leaves]]
    v = names[pick % len(names)]
    later = [u for u in bp.lets if u is not v]
    through = [u for j, u in enumerate(later) if (pick >> j) & 1]
    check_value(bp, ins, bp.compact(v, through=through, style=style), v.name, seed=seed)


def test_a_row_times_a_column_is_spread_first():
    # layer norm's statistics are columns and its gamma a row: dgamma-like products of both lower cleanly
    X = jc.matrix("x", "n", "d")
    g = jc.matrix("gamma", 1, "d")
    r = jc.let("r", (jc.mean(X * X, 1) + 1e-3) ** -0.5)
    bp = jc.backprop(jc.sum(jc.tanh(g * (r * X))))
    for v in ("r", "gamma", "x"):
        check_value(bp, [X, g], bp.compact(v), v, seed=13)
    e = compact(g * (jc.mean(X, 1) * jc.exp(X - X)))  # exp(0) = 1 is folded: a column times a row is left
    assert e.shape == (P.size("n"), P.size("d"))


def test_function_with_compact_outputs_computes_the_same_gradients():
    bp, ins = norm_program(0, ddof=1)
    names = ["grad:x", "grad:gamma", "grad:beta", "grad:W"]
    chain = bp.function(ins, [bp.loss, *names])
    short = bp.function(ins, [bp.loss, *names], compact=True)
    assert "dxc" in chain.source and "dxc" not in short.source  # no chain of adjoints: the line by hand
    rng = np.random.default_rng(14)
    vals = [_value(s, rng) for s in ins]
    for a, b in zip(chain(*vals), short(*vals)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    with pytest.raises(JacobiError, match="compact is True or False"):
        bp.function(ins, names, compact="yes")
