"""Traces, determinants, log-determinants, inverses and matrix powers (jacobi/core/linalg.py).

The derivative rules themselves are checked against finite differences and SymPy by tests/test_rules.py
(the classes' examples and the table's cases).  Here: the Matrix Cookbook's identities (Petersen and
Pedersen, 2012 edition, numbered as there; SymPy's matrix-derivative tests cite the same numbers), each
as jacobi's gradient against the cookbook's closed form written in jacobi's syntax, at random points;
the printed forms of the main ones; shape refusals and symbolic sizes; the simplifier's identities; and
the generated code on every backend (a solve where an inverse multiplies, slogdet for log|det|).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from registries import installed
from test_cli import jacobi as run_cli

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.simplify import Simplifier
from jacobi.codegen import BACKENDS

N = 3
SHAPES = {"X": "nxn", "A": "nxn", "B": "nxn", "C": "nxn", "a": "n", "b": "n", "s": "scalar"}
SEEDS = (0, 1, 2, 3)

# (cookbook number, f, the variable, the cookbook's closed form of df/dvariable, shapes other than SHAPES).
# A matrix the cookbook assumes symmetric is written symmetric: (C + C.T).
COOKBOOK = [
    ("46", "det(A + s * B)", "s", "det(A + s * B) * trace(inv(A + s * B) @ B)", {}),
    ("49", "det(X)", "X", "det(X) * inv(X).T", {}),
    ("51", "det(A @ X @ B)", "X", "det(A @ X @ B) * inv(X).T", {}),
    ("52", "det(X.T @ A @ X)", "X", "2 * det(X.T @ A @ X) * inv(X).T", {}),
    ("53", "det(X.T @ (A + A.T) @ X)", "X",
     "2 * det(X.T @ (A + A.T) @ X) * (A + A.T) @ X @ inv(X.T @ (A + A.T) @ X)", {"X": "nxm"}),
    ("54", "det(X.T @ A @ X)", "X",
     "det(X.T @ A @ X) * (A @ X @ inv(X.T @ A @ X) + A.T @ X @ inv(X.T @ A.T @ X))", {"X": "nxm"}),
    ("55", "logdet(X.T @ X)", "X", "2 * inv(X).T", {}),  # 2 (X^+)^T, X square and invertible
    ("57", "logdet(X)", "X", "inv(X).T", {}),
    ("58", "det(matrix_power(X, 3))", "X", "3 * det(matrix_power(X, 3)) * inv(X).T", {}),
    ("61", "a.T @ inv(X) @ b", "X", "-inv(X).T @ a @ b.T @ inv(X).T", {}),
    ("62", "det(inv(X))", "X", "-det(inv(X)) * inv(X).T", {}),
    ("63", "trace(A @ inv(X) @ B)", "X", "-(inv(X) @ B @ A @ inv(X)).T", {}),
    ("64", "trace(inv(X + A))", "X", "-(inv(X + A) @ inv(X + A)).T", {}),
    ("99", "trace(X)", "X", "I(n)", {}),
    ("100", "trace(X @ A)", "X", "A.T", {}),
    ("101", "trace(A @ X @ B)", "X", "A.T @ B.T", {}),
    ("102", "trace(A @ X.T @ B)", "X", "B @ A", {}),
    ("103", "trace(X.T @ A)", "X", "A", {}),
    ("104", "trace(A @ X.T)", "X", "A", {}),
    ("106", "trace(X @ X)", "X", "2 * X.T", {}),
    ("106", "trace(matrix_power(X, 2))", "X", "2 * X.T", {}),
    ("107", "trace(X @ X @ B)", "X", "(X @ B + B @ X).T", {}),
    ("108", "trace(X.T @ B @ X)", "X", "B @ X + B.T @ X", {}),
    ("109", "trace(B @ X @ X.T)", "X", "B @ X + B.T @ X", {}),
    ("110", "trace(X @ X.T @ B)", "X", "B @ X + B.T @ X", {}),
    ("111", "trace(X @ B @ X.T)", "X", "X @ B.T + X @ B", {}),
    ("112", "trace(B @ X.T @ X)", "X", "X @ B.T + X @ B", {}),
    ("113", "trace(X.T @ X @ B)", "X", "X @ B.T + X @ B", {}),
    ("114", "trace(A @ X @ B @ X)", "X", "A.T @ X.T @ B.T + B.T @ X.T @ A.T", {}),
    ("115", "trace(X.T @ X)", "X", "2 * X", {}),
    ("115", "trace(X @ X.T)", "X", "2 * X", {}),
    ("116", "trace(B.T @ X.T @ C @ X @ B)", "X", "C.T @ X @ B @ B.T + C @ X @ B @ B.T", {}),
    ("117", "trace(X.T @ B @ X @ C)", "X", "B @ X @ C + B.T @ X @ C.T", {}),
    ("118", "trace(A @ X @ B @ X.T @ C)", "X", "A.T @ C.T @ X @ B.T + C @ A @ X @ B", {}),
    ("119", "trace((A @ X @ B + C) @ (A @ X @ B + C).T)", "X", "2 * A.T @ (A @ X @ B + C) @ B.T", {}),
    ("121", "trace(matrix_power(X, 4))", "X", "4 * matrix_power(X, 3).T", {}),
    ("122", "trace(A @ matrix_power(X, 3))", "X", "(A @ X @ X + X @ A @ X + X @ X @ A).T", {}),
    ("124", "trace(A @ inv(X) @ B)", "X", "-inv(X).T @ A.T @ B.T @ inv(X).T", {}),
    ("125", "trace(inv(X.T @ (C + C.T) @ X) @ A)", "X",
     "-((C + C.T) @ X @ inv(X.T @ (C + C.T) @ X)) @ (A + A.T) @ inv(X.T @ (C + C.T) @ X)", {"X": "nxm", "A": "mxm"}),
    ("126", "trace(inv(X.T @ (C + C.T) @ X) @ (X.T @ (B + B.T) @ X))", "X",
     "-2 * (C + C.T) @ X @ inv(X.T @ (C + C.T) @ X) @ X.T @ (B + B.T) @ X @ inv(X.T @ (C + C.T) @ X)"
     " + 2 * (B + B.T) @ X @ inv(X.T @ (C + C.T) @ X)", {"X": "nxm"}),
    ("127", "trace(inv(A + A.T + X.T @ (C + C.T) @ X) @ (X.T @ (B + B.T) @ X))", "X",
     "-2 * (C + C.T) @ X @ inv(A + A.T + X.T @ (C + C.T) @ X) @ X.T @ (B + B.T) @ X"
     " @ inv(A + A.T + X.T @ (C + C.T) @ X) + 2 * (B + B.T) @ X @ inv(A + A.T + X.T @ (C + C.T) @ X)",
     {"X": "nxm", "A": "mxm"}),
]


def _ids(rows):
    seen: dict = {}
    out = []
    for number, f, *_ in rows:
        seen[number] = seen.get(number, 0) + 1
        out.append(f"cookbook-{number}" + ("" if seen[number] == 1 else f"-{seen[number]}") + f":{f}")
    return out


def _point(symbols, seed, sizes):
    """Normal entries: a random square matrix is almost surely invertible, and well enough conditioned."""
    rng = np.random.default_rng(seed)
    out = []
    for s in symbols:
        r, c = P.concrete(s.shape, sizes)
        out.append(rng.normal(size=()) if s.is_scalar else rng.normal(size=(r, c)))
    return out


@pytest.mark.parametrize("number, text, wrt, closed, shapes", COOKBOOK, ids=_ids(COOKBOOK))
def test_cookbook_identity(number, text, wrt, closed, shapes):
    decl = SHAPES | shapes
    f = jc.parse(text, decl)
    symbols = {s.name: s for s in f.symbols()}
    want = jc.parse(closed, {n: symbols.get(n, v) for n, v in decl.items()})
    g = jc.gradient(f, symbols[wrt])
    assert g.shape == symbols[wrt].shape
    args = sorted(set(f.symbols()) | set(want.symbols()), key=lambda s: s.name)
    sizes = {"n": N, "m": 2}
    got_fn, want_fn = jc.lambdify(args, g), jc.lambdify(args, want)
    for seed in SEEDS:
        vals = _point(args, seed, sizes)
        got, ref = np.asarray(got_fn(*vals), dtype=float), np.asarray(want_fn(*vals), dtype=float)
        assert np.allclose(got, ref, rtol=1e-8, atol=1e-10 * max(1.0, float(np.max(np.abs(ref))))), \
            (number, str(g), seed)


# The textbook forms of the main identities, as jacobi prints them (text and LaTeX).
PRINTED = [
    ("49", "det(X)", "X", "det(X) * inv(X.T)", r"\det\left(X\right) X^{-\top}"),
    ("57", "logdet(X)", "X", "inv(X.T)", r"X^{-\top}"),
    ("61", "a.T @ inv(X) @ b", "X", "-(inv(X.T) @ a @ b.T @ inv(X.T))", r"-X^{-\top} a b^{\top} X^{-\top}"),
    ("64", "trace(inv(X))", "X", "-matrix_power(X.T, -2)", r"-\left(X^{\top}\right)^{-2}"),
    ("99", "trace(X)", "X", "I(n)", "I"),
    ("100", "trace(X @ A)", "X", "A.T", r"A^{\top}"),
    ("101", "trace(A @ X @ B)", "X", "A.T @ B.T", r"A^{\top} B^{\top}"),
    ("103", "trace(X.T @ A)", "X", "A", "A"),
    ("106", "trace(X @ X)", "X", "2 * X.T", r"2 X^{\top}"),
    ("108", "trace(X.T @ B @ X)", "X", "B @ X + B.T @ X", r"B X + B^{\top} X"),
    ("121", "trace(matrix_power(X, 3))", "X", "3 * matrix_power(X.T, 2)", r"3 \left(X^{\top}\right)^{2}"),
    ("124", "trace(A @ inv(X) @ B)", "X", "-(inv(X.T) @ A.T @ B.T @ inv(X.T))",
     r"-X^{-\top} A^{\top} B^{\top} X^{-\top}"),
    ("quadratic form", "x.T @ inv(A) @ x", "x", "inv(A.T) @ x + inv(A) @ x", r"A^{-\top} x + A^{-1} x"),
]


@pytest.mark.parametrize("number, text, wrt, want, want_latex", PRINTED,
                         ids=[f"cookbook-{r[0]}:{r[1]}" for r in PRINTED])
def test_printed_textbook_forms(number, text, wrt, want, want_latex):
    f = jc.parse(text, SHAPES | {"x": "n"})
    g = jc.gradient(f, next(s for s in f.symbols() if s.name == wrt))
    assert str(g) == want
    assert jc.latex(g) == want_latex


def test_the_jacobian_of_the_inverse_is_the_cookbooks_entrywise_rule():
    """(59)/(60): d(X^-1)_kl / dX_ij = -(X^-1)_ki (X^-1)_jl, as a Kronecker block over vec."""
    X = jc.matrix("X", "n", "n")
    J = jc.jacobian(jc.inv(X), X)
    assert str(J) == "-kron(inv(X.T), inv(X))"
    Xv = _point([X], 0, {"n": N})[0]
    Xi = np.linalg.inv(Xv)
    want = np.array([[-Xi[k, i] * Xi[j, l] for i, j in [(i, j) for j in range(N) for i in range(N)]]
                     for k, l in [(k, l) for l in range(N) for k in range(N)]])
    assert np.allclose(jc.lambdify([X], J)(Xv), want, rtol=1e-10)


def test_the_local_jacobians_cite_their_rules():
    X = jc.matrix("X", "n", "n")
    steps = {str(s.rule) for s in jc.derive(jc.logdet(jc.inv(X) @ X.T), X).steps if s.kind == "local"}
    assert any("X^-T kron X^-1" in r for r in steps), steps
    chain = [s for s in jc.derive(jc.det(X), X).steps if s.kind == "chain"]
    assert [str(s.rhs) for s in chain] == ["f * inv(X.T)"]
    assert str(chain[0].rule) == "determinant (Jacobi's formula): d det(X)/dX = det(X) X^-T"


# ---------------------------------------------------------------------------
# Shapes


def test_non_square_operands_are_refused_naming_the_operand_and_its_shape():
    A = jc.matrix("A", 2, 3)
    for fn in (jc.trace, jc.det, jc.logdet, jc.inv):
        with pytest.raises(jc.ShapeError, match=r"takes a square matrix, not A \(2x3\)"):
            fn(A)
    with pytest.raises(jc.ShapeError, match=r"matrix_power of A \(2x3\): the matrix must be square"):
        jc.matrix_power(A, 2)
    W = jc.matrix("W", "m", "n")
    with pytest.raises(jc.ShapeError, match=r"inv takes a square matrix, not W \(mxn\)"):
        jc.inv(W)
    with pytest.raises(jc.ShapeError, match="cannot multiply"):
        jc.inv(jc.matrix("X", 3, 3)) @ jc.vector("x", 2)


def test_the_parser_unifies_the_sides_of_a_square_operand():
    A = jc.parse("det(A)").symbols()[0]
    assert A.shape[0] == A.shape[1]
    r = jc.parse("trace(W @ V)")  # W m x n, V n x m
    W, V = r.symbols()
    assert W.shape == V.shape[::-1]
    with pytest.raises(jc.ParseError, match=r"column 1: det takes a square matrix, not A \(2x3\)"):
        jc.parse("det(A)", {"A": "2x3"})
    with pytest.raises(jc.ParseError, match=r"column 7: logdet takes a square matrix, not W @ x \(mx1\)"):
        jc.parse("1 + 2*logdet(W @ x)", {"x": "n"})
    with pytest.raises(jc.ParseError, match=r"trace takes a square matrix, not x \(nx1\)"):
        jc.parse("trace(x)")
    with pytest.raises(jc.ParseError, match="the power must be an integer"):
        jc.parse("matrix_power(X, x + 1)")


def test_symbolic_sizes_stay_symbolic():
    X = jc.matrix("X", "n", "n")
    g = jc.gradient(jc.logdet(X @ X.T + jc.identity("n")), X)
    assert g.shape == X.shape and str(g) == "2 * (inv(X @ X.T + I) @ X)"
    assert g.count() < 12  # whole matrices: nothing expanded to components
    n = sp.Symbol("n", integer=True, positive=True)
    assert jc.simplify(jc.trace(jc.identity("n"))) == P.Const.make(n)


def test_matrix_power_takes_integers_and_size_names():
    X = jc.matrix("X", "n", "n")
    for k in (0, 1, -1, 3, -2, np.int64(2), sp.Integer(-3)):
        assert jc.matrix_power(X, k).power == int(k)
    assert jc.parse("matrix_power(X, -1)", {"X": X}) is jc.matrix_power(X, -1)
    assert jc.parse(str(jc.matrix_power(X, -2)), {"X": X}) is jc.matrix_power(X, -2)
    e = jc.parse("matrix_power(X, n)", {"X": X})  # n, a size, as the power
    assert e is jc.matrix_power(X, "n") and str(e) == "matrix_power(X, n)"
    for bad in (1.5, "x y", jc.scalar("alpha"), True, 2**40):
        with pytest.raises(jc.JacobiError, match="matrix_power"):
            jc.matrix_power(X, bad)
    with pytest.raises(jc.ParseError, match="integer power"):
        jc.parse("matrix_power(X, 1/2)", {"X": X})
    with pytest.raises(jc.ParseError, match="integer power"):
        jc.parse("matrix_power(X, alpha)", {"X": X, "alpha": "scalar"})
    Xv = _point([X], 1, {"n": 3})[0]
    assert np.allclose(jc.lambdify([X], jc.matrix_power(X, "n"))(Xv), np.linalg.matrix_power(Xv, 3))
    assert np.allclose(jc.lambdify([X], jc.matrix_power(X, 0))(Xv), np.eye(3))


def test_derivatives_of_matrix_powers_past_the_sum_are_one_power_sum():
    X = jc.matrix("X", "n", "n")
    assert str(jc.gradient(jc.trace(jc.matrix_power(X, "n")), X)) == "power_sum(X.T, I(n), X.T, n)"
    assert str(jc.gradient(jc.trace(jc.matrix_power(X, 100)), X)) == "100 * matrix_power(X.T, 99)"
    assert str(jc.gradient(jc.trace(jc.matrix_power(X, 64)), X)) == "64 * matrix_power(X.T, 63)"


# ---------------------------------------------------------------------------
# The simplifier's identities, one rule each


def _simplified(e):
    trace: list = []
    S = Simplifier(trace=trace)
    out = S(e)
    assert S.unfinished == 0
    return out, [r.parts[0][0] for r in trace]


X, Y = jc.matrix("X", "n", "n"), jc.matrix("Y", "n", "n")
a, b = jc.vector("a", "n"), jc.vector("b", "n")
s = jc.scalar("s")


@pytest.mark.parametrize("e, want, rules", [
    (jc.trace(X.T), "trace(X)", ["trace of a transpose"]),
    (jc.trace(a.T @ b), "a.T @ b", ["trace of a scalar"]),
    (jc.trace(a @ b.T), "b.T @ a", ["trace of an outer product"]),
    (jc.trace(a @ b.T @ X), "b.T @ X @ a", ["trace of an outer product"]),
    (jc.trace(jc.identity("n")), "n", ["trace of the identity"]),
    (jc.det(X.T), "det(X)", ["determinant of a transpose"]),
    (jc.det(jc.inv(X)), "1 / det(X)", ["determinant of an inverse"]),
    (jc.det(s), "s", ["determinant of a scalar"]),
    (jc.logdet(X.T), "logdet(X)", ["log-determinant of a transpose"]),
    (jc.inv(X).T, "inv(X.T)", ["transpose of an inverse"]),
    (jc.inv(jc.inv(X)), "X", ["inverse of an inverse"]),
    (jc.inv(s), "1 / s", ["inverse of a scalar"]),
    (jc.inv(X) @ X, "I(n)", ["inverse times its matrix"]),
    (X @ jc.inv(X), "I(n)", ["matrix times its inverse"]),
    (Y @ jc.inv(X) @ X @ a, "Y @ a", ["inverse times its matrix", "identity factor"]),
    (jc.matrix_power(X, 0), "I(n)", ["zeroth matrix power"]),
    (jc.matrix_power(X, 1), "X", ["first matrix power"]),
    (jc.matrix_power(X, -1), "inv(X)", ["matrix power minus one"]),
    (jc.matrix_power(jc.inv(X), 3), "matrix_power(X, -3)", ["power of an inverse"]),
    (jc.matrix_power(X, 2).T, "matrix_power(X.T, 2)", ["transpose of a matrix power"]),
    (X @ jc.matrix_power(X, 2) @ X, "matrix_power(X, 4)", ["product of matrix powers"]),
    (X @ X, "matrix_power(X, 2)", ["product of matrix powers"]),
    (jc.matrix_power(X, "n") @ X, "matrix_power(X, n + 1)", ["product of matrix powers"]),
])
def test_each_identity_fires_and_cites_its_rule(e, want, rules):
    out, fired = _simplified(e)
    assert str(out) == want
    assert fired == rules


def test_the_canonical_transpose_never_comes_back():
    """inv(X)^T moves in as inv(X^T), and nothing moves it out again: no rewrite undoes another."""
    for e in (jc.inv(X.T).T, jc.inv(X @ Y).T, jc.matrix_power(jc.inv(X).T, 2), jc.det(jc.inv(X.T).T)):
        out, _ = _simplified(e)
        assert not any(isinstance(n, P.Transpose) and isinstance(n.args[0], (P.Inv, P.MatrixPower))
                       for n in out.walk()), str(out)


# ---------------------------------------------------------------------------
# Generated code

BACKEND_PARAMS = [pytest.param(be, marks=pytest.mark.skipif(not installed(be), reason=f"{be} is not installed"))
                  for be in BACKENDS]


def _tol(be):
    return 1e-4 if be == "jax" else 1e-10  # jax computes in float32 unless x64 is on


@pytest.mark.parametrize("be", BACKEND_PARAMS)
def test_generated_code_agrees_with_numpy_reference_values(be):
    Xs, xs = jc.matrix("X", "n", "n"), jc.vector("x", "n")
    Bs = jc.matrix("B", "n", "m")
    exprs = [jc.trace(Xs), jc.det(Xs), jc.logdet(Xs), jc.inv(Xs), jc.matrix_power(Xs, 3),
             jc.matrix_power(Xs, -2), jc.inv(Xs) @ xs, xs.T @ jc.inv(Xs), Bs.T @ jc.inv(Xs) @ Bs,
             jc.gradient(jc.logdet(Xs), Xs), jc.gradient(xs.T @ jc.inv(Xs) @ xs, xs)]
    rng = np.random.default_rng(7)
    Xv, xv, Bv = rng.normal(size=(4, 4)), rng.normal(size=(4, 1)), rng.normal(size=(4, 2))
    Xi = np.linalg.inv(Xv)
    want = [np.trace(Xv), np.linalg.det(Xv), np.log(abs(np.linalg.det(Xv))), Xi,
            Xv @ Xv @ Xv, Xi @ Xi, Xi @ xv, xv.T @ Xi, Bv.T @ Xi @ Bv, Xi.T, (Xi + Xi.T) @ xv]
    got = jc.lambdify([Xs, xs, Bs], exprs, backend=be)(Xv, xv, Bv)
    for e, g, w in zip(exprs, got, want):
        g = np.asarray(g, dtype=np.float64)
        assert g.shape == np.shape(w) or g.size == np.size(w) == 1, str(e)
        assert np.allclose(g.reshape(np.shape(w)), w, rtol=_tol(be), atol=_tol(be)), (be, str(e))


@pytest.mark.parametrize("be", BACKEND_PARAMS)
def test_an_inverse_that_multiplies_is_a_solve(be):
    Xs, bs = jc.matrix("X", "n", "n"), jc.vector("b", "n")
    alias = BACKENDS[be].alias
    for e in (jc.inv(Xs) @ bs, bs.T @ jc.inv(Xs), jc.gradient(bs.T @ jc.inv(Xs) @ bs, bs)):
        src = jc.lambdify([Xs, bs], e, backend=be).source
        assert f"{alias}.linalg.solve(" in src and "inv(" not in src, src
    src = jc.lambdify([Xs, bs], bs.T @ jc.inv(Xs), backend=be).source
    assert f"{alias}.linalg.solve(X.T, b).T" in src  # b^T X^-1 = (X^-T b)^T
    # where the inverse stands alone, it is formed
    assert f"{alias}.linalg.inv(X.T)" in jc.lambdify([Xs], jc.gradient(jc.logdet(Xs), Xs), backend=be).source


def test_an_inverse_used_twice_is_formed_once():
    Xs, bs = jc.matrix("X", "n", "n"), jc.vector("b", "n")
    src = jc.lambdify([Xs, bs], [jc.inv(Xs), jc.inv(Xs) @ bs]).source
    assert src.count("np.linalg.inv(") == 1 and "solve" not in src


@pytest.mark.parametrize("be", BACKEND_PARAMS)
def test_logdet_is_computed_by_slogdet_and_does_not_overflow(be):
    Xs = jc.matrix("X", "n", "n")
    fn = jc.lambdify([Xs], jc.logdet(Xs), backend=be)
    assert "slogdet(X)[1]" in fn.source and ".det(" not in fn.source and "log(" not in fn.source
    n = 60
    Xv = np.diag(np.full(n, 1e8)) + np.random.default_rng(0).normal(size=(n, n))  # det(X) is about 1e480
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.linalg.det(Xv))
    got = float(np.asarray(fn(Xv), dtype=np.float64))
    assert got == pytest.approx(np.linalg.slogdet(Xv)[1], rel=1e-6)
    assert got == pytest.approx(n * np.log(1e8), rel=1e-6)


def test_functions_of_a_one_by_one_operand_generate_code_on_every_backend():
    """A 1 x 1 operand may be a 0-d array, which the linalg functions refuse: its own forms are used."""
    u, v = jc.vector("u", "n"), jc.vector("v", "n")
    exprs = [jc.trace(s), jc.det(u.T @ v), jc.logdet(s), jc.inv(s), jc.matrix_power(u.T @ v, -2)]
    sv, uv, vv = np.array(0.7), np.array([[1.0], [2.0]]), np.array([[0.5], [-1.5]])
    uTv = (uv.T @ vv).item()
    want = [0.7, uTv, np.log(0.7), 1 / 0.7, uTv ** -2]
    for be in [b for b in BACKENDS if installed(b)]:
        got = jc.lambdify([s, u, v], exprs, backend=be)(sv, uv, vv)
        for e, g, w in zip(exprs, got, want):
            assert float(np.asarray(g, dtype=np.float64).reshape(())) == pytest.approx(w, rel=_tol(be)), (be, e)


def test_explicit_components():
    Xs = jc.matrix("X", 2, 2)
    x11, x12, x21, x22 = jc.explicit(Xs)
    assert sp.simplify(jc.explicit(jc.det(Xs))[0] - (x11 * x22 - x12 * x21)) == 0
    assert jc.explicit(jc.trace(Xs))[0] == x11 + x22
    assert sp.simplify(jc.explicit(jc.inv(Xs)) * jc.explicit(Xs) - sp.eye(2)) == sp.zeros(2, 2)
    assert sp.simplify(jc.explicit(jc.matrix_power(Xs, -1)) - jc.explicit(jc.inv(Xs))) == sp.zeros(2, 2)


# ---------------------------------------------------------------------------
# The command line


def test_jacobi_diff_logdet_at_the_command_line():
    out = run_cli("diff", "logdet(X)", "--wrt", "X")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["f = logdet(X)", "X: n x n", "df/dX = inv(X.T)"]
    out = run_cli("diff", "det(A)", "--wrt", "A", "--shape", "A=2x3")
    assert out.returncode == 2 and "det takes a square matrix, not A (2x3)" in out.stderr
