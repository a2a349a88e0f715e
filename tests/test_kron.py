"""The Kronecker product, its block contractions, and the matrix power with a size for its power
(jacobi/core/kronecker.py, jacobi/core/powersum.py, the rewrites in calculus/rewrites/kron.py).

The registries' examples are differentiated against finite differences and SymPy by tests/test_rules.py.
Here: the Matrix Cookbook's Kronecker identities (section 10.2: distributivity, associativity, scalars,
transpose, mixed product, inverse, trace, vec(A X B) = (B^T kron A) vec(X)) numerically and as the
simplifier's rules; gradients of Kronecker expressions against central differences at several seeds and
sizes, symbolic sizes included, and second derivatives through the block contractions; generated code on
every backend against numpy; shape refusals; the printed forms; the symbolic matrix power's closed form.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from registries import installed

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.simplify import Simplifier
from jacobi.codegen import BACKENDS

SEEDS = (0, 1, 2)


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def _value(e, syms, vals, backend="numpy", sizes=None):
    return np.asarray(jc.lambdify(list(syms), e, backend=backend, sizes=sizes)(*vals), dtype=np.float64)


def _simplified(e):
    trace: list = []
    out = Simplifier(trace=trace)(e)
    return out, [r.parts[0][0] for r in trace]


# ---------------------------------------------------------------------------
# The cookbook's identities (section 10.2), at random points, and the rules the simplifier cites

A, B, C, D = jc.matrix("A", 2, 3), jc.matrix("B", 3, 2), jc.matrix("C", 3, 2), jc.matrix("D", 2, 4)
S2, S3 = jc.matrix("S", 2, 2), jc.matrix("T", 3, 3)
a, b = jc.scalar("a"), jc.scalar("b")

IDENTITIES = [
    ("distributivity", jc.kron(A, B + C), jc.kron(A, B) + jc.kron(A, C)),
    ("associativity", jc.kron(A, jc.kron(B, D)), jc.kron(jc.kron(A, B), D)),
    ("scalars", jc.kron(a * A, b * B), a * b * jc.kron(A, B)),
    ("transpose", jc.kron(A, B).T, jc.kron(A.T, B.T)),
    ("mixed product", jc.kron(A, B) @ jc.kron(B, D), jc.kron(A @ B, B @ D)),
    ("inverse", jc.inv(jc.kron(S2, S3)), jc.kron(jc.inv(S2), jc.inv(S3))),
    ("trace", jc.trace(jc.kron(S2, S3)), jc.trace(S2) * jc.trace(S3)),
    ("vec of a product", P.vec(A @ B @ D), jc.kron(D.T, A) @ P.vec(B)),
    ("determinant", jc.det(jc.kron(S2, S3)), jc.det(S2) ** 3 * jc.det(S3) ** 2),
]


@pytest.mark.parametrize("name, lhs, rhs", IDENTITIES, ids=[i[0] for i in IDENTITIES])
def test_the_cookbooks_identities_hold_numerically(name, lhs, rhs):
    syms = list(dict.fromkeys(list(lhs.symbols()) + list(rhs.symbols())))
    for seed in SEEDS:
        vals = [_rand(P.concrete(s.shape), seed + 10 * k) for k, s in enumerate(syms)]
        assert np.allclose(_value(lhs, syms, vals), _value(rhs, syms, vals), rtol=1e-10, atol=1e-12), name


@pytest.mark.parametrize("e, want, rule", [
    (jc.kron(A, B).T, "kron(A.T, B.T)", "transpose of a Kronecker product"),
    (jc.kron(A, B) @ jc.kron(B, D), "kron(A @ B, B @ D)", "mixed product of Kronecker products"),
    (jc.trace(jc.kron(S2, S3)), "trace(S) * trace(T)", "trace of a Kronecker product"),
    (jc.inv(jc.kron(S2, S3)), "kron(inv(S), inv(T))", "inverse of a Kronecker product"),
    (jc.kron(a, A), "a * A", "Kronecker product with a scalar"),
    (jc.kron(A, a), "a * A", "Kronecker product with a scalar"),
    (jc.block_inner(jc.kron(A, B), B), "sum(B * B) * A", "block contraction of a Kronecker product"),
    (jc.block_sum(jc.kron(A, B), A), "sum(A * A) * B", "block sum of a Kronecker product"),
    (jc.block_inner(P.ones(6, 6), B), "sum(B) * ones(2, 3)", "block contraction of ones"),
    (jc.block_inner(jc.identity(6), S3), "trace(T) * I(2)", "block contraction of the identity"),
    (jc.block_sum(jc.identity(6), S2), "trace(S) * I(3)", "block sum of the identity"),
    (jc.block_sum(P.zeros(6, 6), S2), "zeros(3, 3)", "block sum of zeros"),
    (jc.block_inner(3 * jc.matrix("H", 6, 4), B), "3 * block_inner(H, B)", "block contraction of a scalar multiple"),
    (jc.power_sum(S3, jc.identity(3), S3, 70), "70 * matrix_power(T, 69)", "power sum of one matrix"),
])
def test_the_simplifier_cites_one_identity_per_rule(e, want, rule):
    out, fired = _simplified(e)
    assert str(out) == want and rule in fired, (str(out), fired)
    syms = list(e.symbols())
    vals = [_rand(P.concrete(s.shape), 3 + k) for k, s in enumerate(syms)]
    assert np.allclose(_value(out, syms, vals), _value(e, syms, vals), rtol=1e-10, atol=1e-12)


def test_the_determinant_of_a_kronecker_product_is_left_alone():
    assert str(jc.simplify(jc.det(jc.kron(S2, S3)))) == "det(kron(S, T))"


# ---------------------------------------------------------------------------
# Gradients against central differences: several seeds, numeric and symbolic sizes


def _kron_costs(m, n, p, q):
    A, B = jc.matrix("A", m, n), jc.matrix("B", p, q)
    K = jc.kron(A, B)
    G = jc.matrix("G", K.shape[0], K.shape[1])
    x, y = jc.vector("x", n), jc.vector("y", q)
    return [
        (jc.sum(K * G), [A, B, G]),
        (jc.sum(jc.sin(K) * G) + jc.norm2(K) ** 2, [A, B]),
        (jc.sum(jc.kron(A @ x, B @ y) ** 3), [A, B, x, y]),
        (jc.sum(jc.kron(A, B.T) @ jc.kron(A.T, B)), [A, B]),
        (jc.sum(jc.tanh(jc.kron(A, A))), [A]),
    ]


@pytest.mark.parametrize("dims", [(2, 3, 2, 2), (1, 3, 2, 1), (3, 1, 1, 2)])
def test_gradients_of_kron_expressions_match_central_differences(dims):
    for f, wrt in _kron_costs(*dims):
        for seed in SEEDS:
            r = jc.check_gradient(f, wrt, seed=seed)
            assert r.ok, (str(f), r)


def test_gradients_with_symbolic_sizes_stay_whole_and_check():
    A, B = jc.matrix("A", "m", "n"), jc.matrix("B", "p", "q")
    K = jc.kron(A, B)
    G = jc.matrix("G", K.shape[0], K.shape[1])
    f = jc.sum(K * G)
    assert str(jc.gradient(f, A)) == "block_inner(G, B)"
    assert str(jc.gradient(f, B)) == "block_sum(G, A)"
    assert str(jc.gradient(jc.sum(K), A)) == "sum(B) * ones(m, n)"
    assert jc.gradient(jc.sum(jc.sin(K)), B).count() < 12  # nothing expanded to components
    for sizes in ({"m": 2, "n": 3, "p": 2, "q": 2}, {"m": 3, "n": 1, "p": 1, "q": 4}):
        for seed in SEEDS:
            assert jc.check_gradient(jc.sum(jc.sin(K) * G), [A, B], sizes=sizes, seed=seed).ok


def test_second_derivatives_go_through_the_block_contractions():
    A, B = jc.matrix("A", 2, 3), jc.matrix("B", 2, 2)
    H = jc.matrix("H", 2, 3)
    f = jc.sum(jc.sin(jc.kron(A, B)))
    for g, w in ((jc.sum(jc.gradient(f, A) * H), B), (jc.sum(jc.gradient(f, B) * jc.sin(B)), A),
                 (jc.sum(jc.gradient(f, A) * H), A)):
        for seed in SEEDS:
            assert jc.check_gradient(g, [w], seed=seed).ok, str(g)


def test_the_forward_jacobians_are_the_textbooks():
    A, x, y = jc.matrix("A", 2, 3), jc.vector("x", 3), jc.vector("y", 2)
    B = jc.matrix("B", 2, 2)
    assert str(jc.jacobian(jc.kron(x, y), y)) == "kron(x, I(2))"
    assert str(jc.jacobian(jc.kron(x, y), x)) == "kron(I(3), y)"
    assert str(jc.jacobian(jc.kron(A, B), A)) == "kron(I(3), kron(K(2, 2), I(2))) @ kron(I(6), vec(B))"
    assert str(jc.jacobian(jc.kron(A, B), B)) == "kron(I(3), kron(K(2, 2), I(2))) @ kron(vec(A), I(4))"
    Av, Bv = _rand((2, 3), 0), _rand((2, 2), 1)
    JA = _value(jc.jacobian(jc.kron(A, B), A), [A, B], [Av, Bv])
    JB = _value(jc.jacobian(jc.kron(A, B), B), [A, B], [Av, Bv])
    vecF = lambda M: M.reshape(-1, order="F")  # noqa: E731
    for j in range(6):  # column j: vec(E_j kron B), E_j the j-th unit matrix of A's shape
        E = np.zeros(6)
        E[j] = 1
        assert np.allclose(JA[:, j], vecF(np.kron(E.reshape(2, 3, order="F"), Bv)))
    for j in range(4):
        E = np.zeros(4)
        E[j] = 1
        assert np.allclose(JB[:, j], vecF(np.kron(Av, E.reshape(2, 2, order="F"))))


# ---------------------------------------------------------------------------
# Generated code on every backend, against numpy


@pytest.mark.parametrize("backend", [b for b in BACKENDS if installed(b)])
def test_generated_code_on_every_backend_matches_numpy(backend):
    A, B = jc.matrix("A", "m", "n"), jc.matrix("B", "p", "q")
    K = jc.kron(A, B)
    G = jc.matrix("G", K.shape[0], K.shape[1])
    X = jc.matrix("X", "r", "r")
    Av, Bv, Xv = _rand((2, 3), 0), _rand((3, 2), 1), _rand((3, 3), 2) / 2
    Gv = _rand((6, 6), 3)
    syms, vals = [A, B, G, X], [Av, Bv, Gv, Xv]
    G4 = Gv.reshape(2, 3, 3, 2)
    R = np.stack([Gv[i * 3:(i + 1) * 3, j * 2:(j + 1) * 2].reshape(-1, order="F") for j in range(3) for i in range(2)])
    cases = [
        (K, np.kron(Av, Bv)),
        (jc.gradient(jc.sum(K * G), A), np.einsum("ikjl,kl->ij", G4, Bv)),
        (jc.gradient(jc.sum(K * G), B), np.einsum("ikjl,ij->kl", G4, Av)),
        (jc.rearrange(G, "p", "q"), R),
        (jc.power_sum(X.T, X, X.T, 5), sum(np.linalg.matrix_power(Xv.T, i) @ Xv @ np.linalg.matrix_power(Xv.T, 4 - i)
                                          for i in range(5))),
        (jc.gradient(jc.trace(jc.matrix_power(X, "k")), X), 4 * np.linalg.matrix_power(Xv.T, 3)),
    ]
    tol = 1e-5 if backend == "jax" else 1e-9  # jax computes in float32 unless told otherwise
    for e, want in cases:
        got = _value(e, syms, vals, backend, sizes={"k": 4})
        assert np.allclose(got, want, rtol=tol, atol=tol), (backend, str(e))


# ---------------------------------------------------------------------------
# Shape refusals


def test_shapes_that_do_not_fit_are_refused_with_the_operands():
    G, B = jc.matrix("G", 5, 4), jc.matrix("B", 2, 2)
    with pytest.raises(jc.ShapeError, match=r"block_inner cannot cut G \(5x4\) into blocks the shape of B \(2x2\)"):
        jc.block_inner(G, B)
    with pytest.raises(jc.ShapeError, match=r"block_sum cannot cut G \(5x4\) into blocks weighted by"):
        jc.block_sum(G, B)
    with pytest.raises(jc.ShapeError, match=r"rearrange cannot cut G \(5x4\) into 2x2 blocks"):
        jc.rearrange(G, 2, 2)
    with pytest.raises(jc.ShapeError, match=r"block_inner cannot cut"):
        jc.block_inner(jc.matrix("H", "m", "n"), jc.matrix("W", "p", "q"))
    with pytest.raises(jc.ParseError, match=r"column 1: block_inner cannot cut G \(5x4\)"):
        jc.parse("block_inner(G, B)", {"G": "5x4", "B": "2x2"})
    with pytest.raises(jc.ShapeError, match=r"power_sum\(A, G, B, k\) takes a square A"):
        jc.power_sum(jc.matrix("A", 2, 3), G, B, 2)
    with pytest.raises(jc.JacobiError, match="power_sum takes a positive power"):
        jc.power_sum(B, B, B, 0)
    with pytest.raises(jc.JacobiError, match="kron"):
        jc.kron("A", B)


def test_the_parser_infers_block_shapes():
    f = jc.parse("block_inner(G, B)", {"B": "2x3"})
    G = next(s for s in f.symbols() if s.name == "G")
    assert f.shape[0] * 2 == G.shape[0] and f.shape[1] * 3 == G.shape[1]
    assert jc.parse("block_sum(G, A)", {"G": "6x4", "A": "3x2"}).shape == (2, 2)


# ---------------------------------------------------------------------------
# Printed forms

A_, B_ = jc.matrix("A", "m", "n"), jc.matrix("B", "p", "q")
K_ = jc.kron(A_, B_)
G_ = jc.matrix("G", K_.shape[0], K_.shape[1])
X_ = jc.matrix("X", "n", "n")


@pytest.mark.parametrize("e, tex", [
    (K_, r"A \otimes B"),
    (jc.kron(A_, jc.kron(B_, A_)).T, r"\left(A \otimes B \otimes A\right)^{\top}"),
    (jc.gradient(jc.sum(K_ * G_), A_), r"\operatorname{tr}_{2}\left(G \left(I \otimes B^{\top}\right)\right)"),
    (jc.gradient(jc.sum(K_ * G_), B_), r"\operatorname{tr}_{1}\left(\left(A^{\top} \otimes I\right) G\right)"),
    (jc.jacobian(K_, A_), r"\left(I \otimes K_{q,m} \otimes I\right) "
                          r"\left(I \otimes \operatorname{vec}\left(B\right)\right)"),
    (jc.gradient(jc.trace(jc.matrix_power(X_, "k")), X_), r"\sum_{i=0}^{k - 1} \left(X^{\top}\right)^{i} I "
                                                           r"\left(X^{\top}\right)^{k - 1 - i}"),
    (jc.gradient(jc.trace(jc.matrix_power(X_, 3)), X_), r"3 \left(X^{\top}\right)^{2}"),
])
def test_latex_golden_strings(e, tex):
    assert jc.latex(e) == tex


# ---------------------------------------------------------------------------
# The matrix power with a size for its power, and past 64 terms


def test_symbolic_matrix_powers_have_a_closed_form_derivative():
    X = jc.matrix("X", "n", "n")
    k = sp.Symbol("k", integer=True, positive=True)
    assert str(jc.gradient(jc.trace(jc.matrix_power(X, "k")), X)) == "power_sum(X.T, I(n), X.T, k)"
    assert str(jc.gradient(jc.sum(jc.matrix_power(X, "k")), X)) == "power_sum(X.T, ones(n, n), X.T, k)"
    assert str(jc.jacobian(jc.matrix_power(X, "k"), X)) == "power_sum(kron(I(n), X), I(n**2), kron(X.T, I(n)), k)"
    assert jc.matrix_power(X, k - 1).power == k - 1  # a size minus one is a whole number
    for n, kk in ((2, 1), (3, 4), (2, 7)):
        for seed in SEEDS:
            for f in (jc.trace(jc.matrix_power(X, "k")), jc.sum(jc.sin(jc.matrix_power(X, "k")))):
                assert jc.check_gradient(f, [X], sizes={"n": n, "k": kk}, seed=seed).ok, (str(f), n, kk)


@pytest.mark.parametrize("k", [65, 100, -70])
def test_large_integer_powers_use_the_closed_form(k):
    X = jc.matrix("X", 3, 3)
    Xv = np.eye(3) + _rand((3, 3), 0) / 50  # powers stay near the identity
    C = jc.matrix("C", 3, 3)
    f = jc.sum(jc.matrix_power(X, k) * C)
    Cv = _rand((3, 3), 1)
    assert jc.check_gradient(f, [X], values={X: Xv, C: Cv}).ok
    if k > 0:
        assert str(jc.gradient(jc.trace(jc.matrix_power(X, k)), X)) == f"{k} * matrix_power(X.T, {k - 1})"


def test_differentiating_a_power_sum_again_is_refused_clearly():
    X = jc.matrix("X", "n", "n")
    g = jc.gradient(jc.sum(jc.matrix_power(X, "k")), X)
    with pytest.raises(jc.JacobiError, match="no derivative rule for powersum"):
        jc.gradient(jc.sum(g), X)
