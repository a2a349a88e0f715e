"""Symbolic networks: the four equations, checked in form and in value."""
import numpy as np
import pytest
import sympy as sp

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.check import numeric_jacobian, rel_error
from jacobi.core import functions as F

ACTS = F.activations()


def prime(name, z):
    """sigma'(z) as the registry writes it (sigmoid -> sigmoid', softplus -> sigmoid ...)."""
    fn = F.get(name)
    return jc.simplify(P.apply(fn, z).local_jacobian(0, None)[0].args[0]) if name != "identity" else None


def expected_bp1(net, act, cost):
    L = net.L
    a, y, z = net.a(L), net.y(), net.z(L)
    if cost in ("cross_entropy", "binary_cross_entropy"):
        return a - y
    p = prime(act, z)
    return a - y if p is None else jc.hadamard(a - y, p)


def expected_bp2(net, act, l):
    back = net.W(l + 1).T @ net.delta_symbol(l + 1)
    p = prime(act, net.z(l))
    return back if p is None else jc.hadamard(back, p)


COMBOS = [(act, act, "mse") for act in ACTS] + [(act, "softmax", "cross_entropy") for act in ACTS] + [
    (act, "sigmoid", "binary_cross_entropy") for act in ACTS
]


@pytest.mark.parametrize("act,out,cost", COMBOS)
def test_equations_have_textbook_form(act, out, cost):
    net = jc.Network([3, 4, 5, 2], activation=act, output=out, cost=cost)
    bp = net.backprop()
    L = net.L
    assert bp.delta(L) is expected_bp1(net, out, cost), str(bp.delta(L))
    for l in range(1, L):
        assert bp.delta(l) is expected_bp2(net, act, l), str(bp.delta(l))
    for l in range(1, L + 1):
        assert bp.grad_b(l) is net.delta_symbol(l)
        assert bp.grad_W(l) is net.delta_symbol(l) @ net.a(l - 1).T
    names = [e.name for e in bp.equations]
    assert names == ["BP1"] + ["BP2"] * (L - 1) + ["BP3"] * L + ["BP4"] * L


def test_textbook_strings_sigmoid_mse():
    bp = jc.Network([2, 3, 2]).backprop()
    assert str(bp.delta(2)) == "(a2 - y) * sigmoid'(z2)"
    assert str(bp.delta(1)) == "(W2.T @ delta2) * sigmoid'(z1)"
    assert str(bp.grad_W(1)) == "delta1 @ x.T"
    assert str(bp.grad_W(2)) == "delta2 @ a1.T"
    bp4 = [e for e in bp.equations if e.name == "BP4"][1]
    assert bp4.index_text == "dC/dw^2_jk = a^1_k delta^2_j"


def test_cancellations_are_found_by_the_simplifier_not_by_names():
    # the same costs written by hand, through a custom cost function, cancel the same way
    ce = jc.Network([3, 4], output="softmax", cost=lambda a, y: -jc.sum(y * jc.log(a)))
    with pytest.raises(AssertionError):  # without y summing to one there is no cancellation
        assert ce.backprop().delta(1) is ce.a(1) - ce.y()
    bce = jc.Network([3, 4], output="sigmoid",
                     cost=lambda a, y: -jc.sum(y * jc.log(a) + (1 - y) * jc.log(1 - a)))
    assert bce.backprop().delta(1) is bce.a(1) - bce.y()


def test_symbolic_sizes_give_the_same_equations():
    a = jc.Network(["n0", "n1", "n2", "n3"], activation="tanh").backprop()
    b = jc.Network([5, 7, 6, 3], activation="tanh").backprop()
    assert [str(e) for e in a.equations] == [str(e) for e in b.equations]


def test_node_count_linear_in_depth_and_free_of_width():
    counts = [jc.Network([4] * (L + 1)).backprop().count() for L in (2, 4, 8, 16)]
    steps = np.diff(counts) / np.diff([2, 4, 8, 16])
    assert len(set(steps)) == 1, counts
    assert jc.Network([4, 4, 4, 4]).backprop().count() == jc.Network([4000, 4000, 4000, 4000]).backprop().count()


# ---------------------------------------------------------------------------
# Values


def _values(net, rng, batch=None):
    ns = [int(s) for s in net.sizes]
    shape = (lambda n: (n, batch)) if batch else (lambda n: (n, 1))
    x = rng.normal(size=shape(ns[0]))
    if net.cost == "cross_entropy":
        y = rng.uniform(0.1, 1, size=shape(ns[-1]))
        y /= y.sum(axis=0, keepdims=True)
    else:
        y = rng.uniform(0.05, 0.95, size=shape(ns[-1]))
    params = []
    for l in range(1, net.L + 1):
        params += [rng.normal(size=(ns[l], ns[l - 1])) * 0.8, rng.normal(size=(ns[l], 1)) * 0.5]
    return [x, y] + params


def _check_network(net, seed, batch=None):
    bp = net.backprop(batch=bool(batch))
    res = bp.resolved(inputs=True)
    X, Y = net.x(bool(batch)), net.y(bool(batch))
    syms = [X, Y] + [s for l in range(1, net.L + 1) for s in (net.W(l), net.b(l))]
    prog = net.program(bool(batch))
    from jacobi.calculus import inline

    cost = inline(prog.defs)[prog.output]
    if batch:
        cost = cost / batch
    fC = jc.lambdify(syms, cost)
    grads = [res[s] for s in syms[2:]]
    fG = jc.lambdify(syms, grads)
    vals = _values(net, np.random.default_rng(seed), batch)
    got = fG(*vals)
    for k, g in enumerate(got):
        J = numeric_jacobian(fC, vals, k + 2)
        err = rel_error(np.asarray(g).reshape(-1, order="F"), J.reshape(-1))
        assert err < 1e-6, (syms[k + 2], err)


CASES = []
rng0 = np.random.default_rng(1)
for depth in range(1, 6):
    for cost, out in [("mse", None), ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]:
        hidden = [ACTS[int(i)] for i in rng0.integers(0, len(ACTS), size=depth - 1)]
        sizes = [int(s) for s in rng0.integers(2, 5, size=depth + 1)]
        o = out or ACTS[int(rng0.integers(0, len(ACTS)))]
        CASES.append((sizes, hidden, o, cost))


@pytest.mark.parametrize("sizes,hidden,out,cost", CASES)
def test_gradients_match_finite_differences(sizes, hidden, out, cost):
    net = jc.Network(sizes, activation=hidden, output=out, cost=cost)
    _check_network(net, seed=len(sizes))


@pytest.mark.parametrize("sizes,hidden,out,cost", CASES[::3])
def test_minibatch_gradients_match_finite_differences(sizes, hidden, out, cost):
    net = jc.Network(sizes, activation=hidden, output=out, cost=cost)
    _check_network(net, seed=7, batch=4)


def test_minibatch_form():
    net = jc.Network([3, 4, 2], output="softmax", cost="cross_entropy")
    bp = net.backprop(batch=True)
    m = sp.Symbol("m", integer=True, positive=True)
    assert bp.delta(2) is net.a(2, True) - net.y(True)
    D1 = net.delta_symbol(1, True)
    assert bp.grad_W(1) is P.Scale._new((), (P.Const.make(1 / m), D1 @ net.x(True).T))
    assert bp.grad_b(1) is P.Scale._new((), (P.Const.make(1 / m), D1 @ jc.ones("m")))


@pytest.mark.parametrize("act,out,cost", [("sigmoid", "sigmoid", "mse"), ("tanh", "softmax", "cross_entropy"),
                                          ("softplus", "sigmoid", "binary_cross_entropy")])
def test_tiny_network_against_sympy(act, out, cost):
    net = jc.Network([2, 3, 2], activation=act, output=out, cost=cost)
    ex = net.explicit()
    C = ex.cost(elementary=True)
    rng = np.random.default_rng(3)
    point = {s: float(rng.uniform(0.1, 0.9)) for s in ex.symbols()}
    if cost == "cross_entropy":
        tot = point[ex.y[0]] + point[ex.y[1]]
        point[ex.y[0]] /= tot
        point[ex.y[1]] /= tot
    bp = net.backprop()
    res = bp.resolved(inputs=True)
    syms = [net.x(), net.y()] + [s for l in (1, 2) for s in (net.W(l), net.b(l))]
    vals = [np.array([[point[e]] for e in ex.x]), np.array([[point[e]] for e in ex.y])]
    for l in (1, 2):
        vals += [np.array(ex.W[l].subs(point), dtype=float), np.array(ex.b[l].subs(point), dtype=float)]
    for l in (1, 2):
        for sym, entries in ((net.W(l), ex.W[l]), (net.b(l), ex.b[l])):
            got = jc.lambdify(syms, res[sym])(*vals)
            want = np.array(entries.applyfunc(lambda w: sp.diff(C, w)).subs(point), dtype=float)
            assert rel_error(got, want) < 1e-9


def test_explicit_view_names():
    ex = jc.Network([2, 3, 2]).explicit()
    assert str(ex.W[1][1, 0]) == "w^1_21"
    assert str(ex.z[1][0]) == "b^1_1 + w^1_11*x_1 + w^1_12*x_2"
    assert ex.W[2].shape == (2, 3)
    with pytest.raises(jc.JacobiError, match="numbers"):
        jc.Network(["n", "k"]).explicit()


def test_brute_force_route_equals_delta_route():
    for sizes, act in [([2, 3, 2], "sigmoid"), ([3, 4, 4, 2], "tanh"), ([2, 3, 3, 3, 2], "relu")]:
        net = jc.Network(sizes, activation=act)
        res = net.backprop().resolved()
        for l in range(1, net.L + 1):
            gb, gW = net.brute_force(l)
            assert any(isinstance(n, P.Diag) for n in gb.walk())  # the plain product of Jacobians
            assert jc.simplify(gb) is res[net.b(l)]
            assert jc.simplify(gW) is res[net.W(l)]


def test_sigma_prime_through_the_output():
    bp = jc.Network([2, 3, 3, 2], activation=["sigmoid", "tanh"], output="relu").backprop()
    assert str(bp.sigma_prime(1, "output")) == "a1 * (1 - a1)"
    assert str(bp.sigma_prime(2, "output")) == "1 - a2 ** 2"
    assert str(bp.sigma_prime(3, "output")) == "step(z3)"
    assert str(bp.sigma_prime(1)) == "sigmoid'(z1)"
    # the convention at 0: relu'(0) = step(0) = 0
    z = jc.vector("z", 3)
    f = jc.lambdify([z], [jc.jacobian(jc.relu(z), z), jc.step(z)])
    J, s = f(np.array([-1.0, 0.0, 2.0]))
    assert np.allclose(np.diag(J), [0, 0, 1]) and np.allclose(s, [0, 0, 1])


def test_output_forms_agree_numerically():
    for name in ("sigmoid", "tanh", "relu", "softplus"):
        fn = F.get(name)
        zz = np.linspace(-3, 3, 13) + 0.01
        a_ = jc.lambdify([jc.vector("z", 13)], jc.elementwise(name, jc.vector("z", 13)))(zz)
        d = jc.lambdify([jc.vector("z", 13)], jc.simplify(jc.jacobian(jc.elementwise(name, jc.vector("z", 13)),
                                                                      jc.vector("z", 13))))(zz)
        out = sp.lambdify([F.a, F.t], fn.prime_in_output.rewrite("elementary").subs(
            {F.FUNCTIONS["step"].sympy(F.t): sp.Heaviside(F.t, 0)}), "numpy")(a_, zz)
        assert np.allclose(np.diag(d), out * np.ones_like(zz), atol=1e-12), name


def test_bad_networks():
    with pytest.raises(jc.JacobiError, match="unknown activation"):
        jc.Network([2, 2], activation="nope")
    with pytest.raises(jc.JacobiError, match="hidden layer"):
        jc.Network([2, 3, 4, 2], activation=["sigmoid"])
    with pytest.raises(jc.JacobiError, match="output activation"):
        jc.Network([2, 3, 2], activation="softmax")
    with pytest.raises(jc.JacobiError, match="unknown cost"):
        jc.Network([2, 2], cost="hinge")
    with pytest.raises(jc.JacobiError, match="layer index"):
        jc.Network([2, 2]).backprop().delta(3)
    with pytest.raises(jc.JacobiError):
        jc.Network([2])
    with pytest.raises(jc.JacobiError):
        jc.Network([2, 0])


def test_activation_functions_from_the_core():
    net = jc.Network([2, 3, 2], activation=jc.tanh, output=sp.Lambda(F.t, F.t**3 + F.t))
    bp = net.backprop()
    assert "tanh'(z1)" in str(bp.delta(1))
    _check_network(net, seed=2)


def test_steps_record_the_chain_rule():
    bp = jc.Network([2, 3, 2]).backprop()
    kinds = [s.kind for s in bp.steps]
    assert kinds.count("define") == 5 and "chain" in kinds and "local" in kinds and "name" in kinds
    assert [s.rule.split(":")[0] for s in bp.steps if s.kind == "result"][:2] == ["BP1", "BP2"]


def test_softmax_jacobian_is_not_diagonal_in_the_brute_force():
    net = jc.Network([2, 3], output="softmax", cost="cross_entropy")
    gb, _ = net.brute_force(1)
    assert "a1 @ a1.T" in str(gb)
