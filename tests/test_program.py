"""Models written as a program: jc.let and jc.backprop.

Every adjoint is checked against two oracles that share nothing with the program's reverse sweep:
jc.gradient of the loss with the lets inlined (for a let v: inlined down to v, v held as a leaf), and
central differences of the lambdified loss.  The generated function is checked against both, on
every installed backend.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import jacobi as jc
from jacobi.calculus.chain import substitute
from jacobi.core.lets import program_of

SIZES = {"n": 3, "m": 4, "k": 2, "B": 5}
SEEDS = (0, 1, 2)


def mlp():
    """A 2-layer tanh MLP over a batch (examples as columns), each intermediate a let."""
    W1, b1 = jc.matrix("W1", "m", "n"), jc.vector("b1", "m")
    W2, b2 = jc.matrix("W2", "k", "m"), jc.vector("b2", "k")
    X, Y = jc.matrix("X", "n", "B"), jc.matrix("Y", "k", "B")
    one = jc.ones(1, "B")
    Z1 = jc.let("Z1", W1 @ X + b1 @ one)
    H = jc.let("H", jc.tanh(Z1))
    O = jc.let("O", W2 @ H + b2 @ one)
    R = jc.let("R", O - Y)
    loss = jc.let("loss", jc.sum(R * R) / 2 + jc.sum(W1 * W1) / 10)
    return loss, [W1, b1, W2, b2, X, Y], [Z1, H, O, R]


def softmax_program():
    """One example through a sigmoid layer, a softmax and cross-entropy; the loss is not a let."""
    W, b, x = jc.matrix("W", "k", "n"), jc.vector("b", "k"), jc.vector("x", "n")
    y = jc.vector("y", "k")
    a = jc.let("a", jc.sigmoid(W @ x + b))
    p = jc.let("p", jc.softmax(a))
    return -jc.sum(y * jc.log(p)) + jc.norm2(a), [W, b, x, y], [a, p]


def values(leaves, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in leaves:
        r, c = (int(d.subs({f: SIZES[f.name] for f in d.free_symbols})) for d in s.shape)
        out.append(rng.uniform(-1, 1, size=(r, c)))
    return out


def held(loss, v):
    """The loss with every let but v inlined: v a leaf, the lets that use v written out."""
    full: dict = {}
    for u in program_of(loss):
        if u is not v:
            full[u] = substitute(u.definition, full)
    return substitute(loss, full)


def oracle(loss, v):
    """dloss/dv by jc.gradient, then in terms of the leaves."""
    return jc.inline(jc.gradient(held(loss, v), v))


def central(loss, v, leaves, vals, eps=1e-6):
    """dloss/dv by central differences of the lambdified loss (v's value perturbed)."""
    f = jc.lambdify([*leaves, v], held(loss, v)) if v not in leaves else jc.lambdify(leaves, jc.inline(loss))
    if v in leaves:
        i = leaves.index(v)
        base, call = vals[i], (lambda t: f(*vals[:i], t, *vals[i + 1:]))
    else:
        base = np.asarray(jc.lambdify(leaves, jc.inline(v))(*vals))
        call = (lambda t: f(*vals, t))
    g = np.zeros_like(base)
    for idx in np.ndindex(*base.shape):
        up, dn = base.copy(), base.copy()
        up[idx] += eps
        dn[idx] -= eps
        g[idx] = (float(call(up)) - float(call(dn))) / (2 * eps)
    return g


def close(a, b, tol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape or a.size == b.size, (a.shape, b.shape)
    a = a.reshape(b.shape)
    assert np.max(np.abs(a - b)) <= tol * (1 + np.max(np.abs(b))), np.max(np.abs(a - b))


PROGRAMS = {"mlp": mlp, "softmax": softmax_program}


@pytest.mark.parametrize("which", list(PROGRAMS))
def test_every_adjoint_against_gradient_and_central_differences(which):
    loss, leaves, lets = PROGRAMS[which]()
    bp = jc.backprop(loss)
    assert [v.name for v in bp.lets] == [v.name for v in lets]
    for v in [*lets, *leaves]:
        res = jc.lambdify(leaves, bp.resolved(v))
        orc = jc.lambdify(leaves, oracle(loss, v))
        for seed in SEEDS:
            vals = values(leaves, seed)
            got = res(*vals)
            close(got, orc(*vals), 1e-10)
            if seed == 0:
                close(got, central(loss, v, leaves, vals), 1e-6)


@pytest.mark.parametrize("which", list(PROGRAMS))
def test_resolved_is_jc_gradient_of_the_inlined_loss(which):
    """For a leaf, the adjoint substituted back is jc.gradient's own result, node for node."""
    loss, leaves, _ = PROGRAMS[which]()
    bp = jc.backprop(loss)
    flat = jc.inline(loss)
    for w in leaves:
        assert bp.resolved(w) is jc.gradient(flat, w), w


def test_each_adjoint_is_written_through_the_adjoints_of_its_users():
    loss, leaves, (Z1, H, O, R) = mlp()
    bp = jc.backprop(loss)
    dR, dO, dH, dZ1 = (bp.adjoint(v) for v in (R, O, H, Z1))
    assert str(dR) == "dR" and jc.latex(dH) == r"\overline{H}"
    assert set(bp.grad(O).symbols()) == {dR}
    assert dO in bp.grad(H).symbols() and dR not in bp.grad(H).symbols()
    assert dH in bp.grad(Z1).symbols()
    W1, b1, W2, b2, X, Y = leaves
    assert dZ1 in bp.grad(W1).symbols() and dO in bp.grad(W2).symbols()
    assert bp.grad("W1") is bp.grad(W1)
    assert str(bp.grad(W2)) == "dO @ H.T"
    assert bp.grad(loss) == jc.parse("1")
    # compact: no Jacobian block (diag, kron) in any equation, only pullbacks
    for eq in bp.equations:
        kinds = {type(n).__name__ for n in eq.rhs.walk()}
        assert not kinds & {"Diag", "Kron", "KronJacobian", "Identity", "SoftmaxJacobian"}, (eq, kinds)


GOLDEN = """\
dh = 2 * (W2.T @ (W2 @ h - y))    (dloss/dh)
dW1 = (dh * tanh'(W1 @ x + b1)) @ x.T    (dloss/dW1)
dx = W1.T @ (dh * tanh'(W1 @ x + b1))    (dloss/dx)
db1 = dh * tanh'(W1 @ x + b1)    (dloss/db1)
dW2 = 2 * ((W2 @ h - y) @ h.T)    (dloss/dW2)
dy = -2 * (W2 @ h - y)    (dloss/dy)"""


def small():
    W1, x, b1 = jc.matrix("W1", "m", "n"), jc.vector("x", "n"), jc.vector("b1", "m")
    W2, y = jc.matrix("W2", "k", "m"), jc.vector("y", "k")
    h = jc.let("h", jc.tanh(W1 @ x + b1))
    return jc.sum((W2 @ h - y) ** 2), [W1, x, b1, W2, y], h


def test_equations_golden_for_a_small_program():
    loss, leaves, h = small()
    bp = jc.backprop(loss)
    assert str(bp) == GOLDEN
    assert [eq.kind for eq in bp.equations] == ["adjoint"] + ["gradient"] * 5
    assert [eq.of for eq in bp.equations] == [h, *leaves]
    eq = bp.equations[1]
    assert eq.users == (h,) and str(eq.lhs) == "dW1"
    tex = bp.to_latex()
    assert r"\overline{h} &\mathrel{:=} 2 W_{2}^{\top} \left(W_{2} h - y\right)" in tex
    assert (r"\overline{W_{1}} &= \boxed{\left(\overline{h} \odot \tanh'\left(W_{1} x + b_{1}\right)\right) "
            r"x^{\top}}") in tex
    # the chain rule's product as a textbook prints it: no I^T from the Kronecker block's pullback
    assert (r"\frac{\partial \mathrm{loss}}{\partial W_{1}} &= \left(\overline{h} \odot \tanh'\left(W_{1} x + "
            r"b_{1}\right)\right) x^{\top} \\*" + "\n" + r"\steprule{chain rule") in tex and "I^{\\top}" not in tex
    md = bp.to_markdown()
    assert md.count("$$") >= 2 * len(bp.equations) and r"\overline{h}" in md
    assert "name: dloss/dh" in str(bp.derivation)
    assert bp.to_document().startswith(r"\documentclass")


def test_let_is_a_symbol_with_its_definition():
    x = jc.vector("x", "n")
    h = jc.let("h", jc.tanh(x))
    assert str(h) == "h" and jc.latex(h) == "h" and h.shape == x.shape and isinstance(h, jc.Expr)
    assert h is jc.let("h", jc.tanh(x))  # one node per name and definition
    assert jc.latex(jc.let("h", jc.tanh(x), latex=r"h^{1}")) == r"h^{1}"
    g = jc.let("g", h * h)
    assert jc.inline(g + x) is jc.tanh(x) * jc.tanh(x) + x
    assert h.definition is jc.tanh(x) and "jc.let('h'" in h.declaration
    assert jc.gradient(jc.sum(g), g) is jc.ones("n")  # to jc.gradient a let is a symbol ...
    assert jc.gradient(jc.sum(h * h), h) is 2 * h
    with pytest.raises(jc.JacobiError, match="uses the let g, whose definition depends on h"):
        jc.gradient(jc.sum(g), h)  # ... and a dependence it would miss is refused
    with pytest.raises(jc.JacobiError, match="uses the let g, whose definition depends on x"):
        jc.jacobian(g + x, x)
    assert jc.let("s", jc.sum(x)).is_scalar and jc.let("M", x @ x.T).kind == "matrix"


def test_refusals():
    loss, leaves, h = small()
    W1, x, b1, W2, y = leaves
    with pytest.raises(jc.ShapeError, match="scalar loss"):
        jc.backprop(W2 @ h)
    with pytest.raises(jc.JacobiError, match="a jacobi expression"):
        jc.backprop(3.0)
    h2 = jc.let("h", jc.sigmoid(W1 @ x))
    with pytest.raises(jc.JacobiError, match="two different definitions of h"):
        jc.backprop(jc.sum(h) + jc.sum(h2))
    with pytest.raises(jc.JacobiError, match="two different definitions of h"):  # one inside another let
        jc.backprop(jc.sum(jc.let("g", h * 2)) + jc.sum(h2))
    with pytest.raises(jc.JacobiError, match="two different symbols named h"):
        jc.lambdify([W1, x, b1], h + h2)
    with pytest.raises(jc.JacobiError, match="same name"):
        jc.backprop(jc.sum(h) + jc.sum(jc.vector("h", "m")))
    with pytest.raises(jc.JacobiError, match="a symbol of the same name"):
        jc.let("x", x + 1)
    with pytest.raises(jc.JacobiError, match="identifier"):
        jc.let("no name", x)
    bp = jc.backprop(loss)
    with pytest.raises(jc.JacobiError, match="'grad:z' names no let or leaf.*W1"):
        bp.function(leaves, ["grad:z"])
    with pytest.raises(jc.JacobiError, match="not a let or leaf"):
        bp.grad(jc.vector("q", "n"))
    with pytest.raises(jc.JacobiError, match=r"need W2 \(kxm\), y \(kx1\), which are not among the inputs"):
        bp.function([W1, x, b1], ["grad:W1"])
    with pytest.raises(jc.JacobiError, match="is a let"):
        bp.function([h, W2, y], ["grad:W2"])
    with pytest.raises(jc.JacobiError, match="given twice"):
        bp.function([W1, W1], ["grad:h"])
    with pytest.raises(jc.JacobiError, match="non-empty list"):
        bp.function(leaves, "grad:W1")
    with pytest.raises(jc.JacobiError, match="does not have"):
        bp.function(leaves, [jc.let("u", x * 2)])
    with pytest.raises(jc.JacobiError, match="'grad:NAME'"):
        bp.function(leaves, ["W1"])
    fn = bp.function(leaves, ["grad:W1"])
    with pytest.raises(jc.ShapeError, match="W1"):
        fn(np.ones((2, 2)), np.ones(3), np.ones(4), np.ones((2, 4)), np.ones(2))


def test_only_the_lines_the_outputs_need_and_the_inputs_they_need():
    loss, leaves, h = small()
    W1, x, b1, W2, y = leaves
    bp = jc.backprop(loss)
    fn = bp.function([W1, x, b1], [h])  # the forward part alone needs no W2, y
    assert "dh" not in fn.source
    vals = values([W1, x, b1], 0)
    close(fn(*vals)[0], np.tanh(vals[0] @ vals[1] + vals[2]), 1e-12)
    assert bp.function([W1, x, b1, W2, y], ["grad:W2"]).source.count("np.tanh") == 1


def numpy_mlp(W1, b1, W2, b2, X, Y):
    """The MLP's backward pass written by hand."""
    H = np.tanh(W1 @ X + b1)
    R = W2 @ H + b2 - Y
    loss = 0.5 * (R * R).sum() + (W1 * W1).sum() / 10
    dH = W2.T @ R
    dZ1 = dH * (1 - H**2)
    return loss, dZ1 @ X.T + W1 / 5, dZ1.sum(1, keepdims=True), R @ H.T, R.sum(1, keepdims=True), W1.T @ dZ1, -R, dH


def installed(be):
    try:
        jc.BACKENDS[be].load()
    except jc.JacobiError:
        return False
    return True


@pytest.mark.parametrize("be", ["numpy", "jax", "torch"])
def test_generated_function_against_hand_written_numpy(be):
    if not installed(be):
        pytest.skip(f"{be} is not installed")
    loss, leaves, (Z1, H, O, R) = mlp()
    bp = jc.backprop(loss)
    outs = [loss, "grad:W1", "grad:b1", "grad:W2", "grad:b2", "grad:X", "grad:Y", "grad:H"]
    fn = bp.function(leaves, outs, backend=be)
    tol = 1e-5 if be == "jax" else 1e-12  # jax computes in float32 unless x64 is enabled
    for seed in SEEDS:
        vals = values(leaves, seed)
        got = fn(*vals)
        assert isinstance(got, list) and len(got) == len(outs)
        for g, w in zip(got, numpy_mlp(*vals)):
            close(np.asarray(g), w, tol)


def test_generated_source_reads_like_the_network_code():
    loss, leaves, _ = mlp()
    bp = jc.backprop(loss)
    src = bp.function(leaves, [loss, "grad:W1", "grad:W2"]).source
    lines = [ln.strip() for ln in src.splitlines()]
    targets = [ln.split(" = ")[0] for ln in lines if " = " in ln and not ln.startswith(("_", "#"))]
    for name in ("Z1", "H", "O", "R", "loss", "dR", "dO", "dH", "dZ1", "dW1", "dW2"):
        assert targets.count(name) == 1, (name, src)
    assert targets.index("H") < targets.index("loss") < targets.index("dR") < targets.index("dW1")
    assert "# dloss/dW2 = dO @ H.T" in src
    assert "(1 - (H * H))" in src  # tanh' through the let H = tanh(Z1), as in the network code
    assert "np.tanh" in src and src.count("np.tanh") == 1
    # deterministic
    assert bp.function(leaves, [loss, "grad:W1", "grad:W2"]).source == src
    assert jc.backprop(mlp()[0]).function(leaves, [loss, "grad:W1", "grad:W2"]).source == src


def test_adjoint_names_stay_clear_of_the_programs_names():
    x, dh = jc.vector("x", "n"), jc.vector("dh", "n")
    h = jc.let("h", jc.sin(x))
    bp = jc.backprop(jc.sum(h * dh))
    assert str(bp.adjoint(h)) == "dh_" and str(bp.adjoint(dh)) == "ddh"
    loss = jc.vector("loss", "n")
    bp = jc.backprop(jc.sum(h * loss))
    assert str(bp.output) == "loss_"
    fn = bp.function([x, dh, loss], [bp.loss, "grad:h", "grad:loss_"])
    v = fn(np.ones(3), np.ones(3), np.full(3, 2.0))
    close(v[0], 6 * np.sin(1.0), 1e-12)
    close(v[1], np.full(3, 2.0), 1e-12)
    close(v[2], 1.0, 1e-12)  # dloss/dloss


def test_a_deep_chain_of_lets_stays_linear():
    """200 lets in a chain: the equations' size and the time grow linearly with the depth."""
    def chain(depth):
        W, x = jc.matrix("W", "n", "n"), jc.vector("x", "n")
        h = x
        for i in range(depth):
            h = jc.let(f"h{i}", jc.tanh(W @ h))
        return jc.sum(h * h), W, x

    def run(depth):
        loss, W, x = chain(depth)
        t = time.perf_counter()
        bp = jc.backprop(loss)
        src = bp.function([W, x], ["grad:W", "grad:x"]).source
        t = time.perf_counter() - t
        nodes = len({id(n) for eq in bp.equations for n in eq.rhs.walk()})
        return bp, src, nodes, t

    _, _, n50, t50 = run(50)
    bp, src, n200, t200 = run(200)
    assert len(bp.equations) == 202 and src.count("np.tanh") == 200
    assert n200 <= 4.5 * n50
    assert t200 <= 10 * t50 + 2.0, (t50, t200)  # linear: 4x; quadratic would be 16x
    W, x = values(bp.leaves, 0)
    assert [s.name for s in bp.leaves] == ["W", "x"]
    W = W / 3
    got = bp.function(bp.leaves, ["grad:x"])(W, x)[0]
    hs = [x]
    for _ in range(200):
        hs.append(np.tanh(W @ hs[-1]))
    g = 2 * hs[-1]
    for k in range(200, 0, -1):
        g = W.T @ (g * (1 - hs[k] ** 2))
    close(got, g, 1e-10)


def test_cross_entropy_with_integer_targets_over_a_program():
    """Index matrices are data: backprop gives them no adjoint, and the function takes them as integers."""
    X, W, b = jc.matrix("X", "n", "d"), jc.matrix("W", "d", "V"), jc.matrix("b", 1, "V")
    y = jc.indices("y", "n", 1, "V")
    logits = jc.let("logits", X @ W + b)
    loss = -jc.sum(jc.onehot(y, "V") * jc.log_softmax(logits, 1))
    bp = jc.backprop(loss)
    assert [s.name for s in bp.leaves] == ["X", "W", "b"]
    # the compact form, as written by hand: each row of a one-hot sums to one
    assert str(bp.grad(logits)) == "softmax(logits, axis=1) - onehot(y, V)"
    assert str(bp.grad(W)) == "X.T @ dlogits"
    fn = bp.function([X, W, b, y], [loss, "grad:logits", "grad:W", "grad:b"])
    rng = np.random.default_rng(3)
    Xv, Wv, bv = rng.normal(size=(6, 3)), rng.normal(size=(3, 5)), rng.normal(size=(1, 5))
    yv = rng.integers(0, 5, size=(6, 1))
    L, dl, dW, db = fn(Xv, Wv, bv, yv)
    z = Xv @ Wv + bv
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(5)[yv[:, 0]]
    assert abs(L + np.sum(onehot * np.log(p))) < 1e-12
    assert np.allclose(dl, p - onehot, atol=1e-12)
    assert np.allclose(dW, Xv.T @ (p - onehot), atol=1e-12)
    assert np.allclose(db, (p - onehot).sum(axis=0, keepdims=True), atol=1e-12)
