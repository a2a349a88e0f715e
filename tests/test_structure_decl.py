"""Declared structure on matrix symbols: symmetric, positive definite, diagonal.

The gradient with respect to a structured matrix is the gradient on its space under the Frobenius inner
product (sym(G) for a symmetric one, I * G for a diagonal one).  It is checked here against two oracles
that do not read jacobi's convention: SymPy's derivative of the explicit components over the independent
entries (a_jk = a_kj is one SymPy symbol, so d f/d a_jk = 2 grad_jk off the diagonal), and central
differences of the function along random admissible directions E (df[E] = <grad, E>).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import jacobi as jc
from jacobi import cli
from jacobi.calculus.admissible import numeric_gradient_on
from jacobi.calculus.check import random_values
from jacobi.calculus.rewrites import structure as R
from jacobi.calculus.simplify import Simplifier
from jacobi.core.shapes import JacobiError, ShapeError
from jacobi.parse import parse_result

n = "n"
SIZES = {"n": 3, "m": 3}  # the parser names the size of a matrix alone in its text m


def mats():
    A = jc.matrix("A", n, n, symmetric=True)
    S = jc.matrix("S", n, n, positive_definite=True)
    D = jc.matrix("D", n, n, diagonal=True)
    B, C = jc.matrix("B", n, n), jc.matrix("C", n, n)
    return A, S, D, B, C


# ---------------------------------------------------------------------------
# Declarations


def test_a_declaration_is_normalised_into_the_assumptions_and_read_by_the_properties():
    A, S, D, B, _ = mats()
    assert A.assumptions == frozenset({"symmetric"}) and A.symmetric and not A.positive_definite
    assert S.assumptions == frozenset({"symmetric", "positive_definite"}) and S.symmetric and S.positive_definite
    assert D.assumptions == frozenset({"symmetric", "diagonal"}) and D.symmetric and D.diagonal
    assert not (B.symmetric or B.positive_definite or B.diagonal) and B.assumptions == frozenset()
    # the implied symmetric=True names the same symbol
    assert jc.matrix("S", n, n, positive_definite=True, symmetric=True) is S
    assert jc.matrix("A", n, n, symmetric=True) is A and A is not jc.matrix("A", n, n)


def test_a_declared_symbol_prints_by_its_name_and_its_declaration_reads_back():
    A, S, D, B, _ = mats()
    assert str(A) == repr(A) == "A" and jc.latex(S) == "S"
    assert A.declaration == 'jc.matrix("A", "n", "n", symmetric=True)'
    assert S.declaration == 'jc.matrix("S", "n", "n", positive_definite=True)'
    assert jc.matrix("D", 3, 3, diagonal=True).declaration == 'jc.matrix("D", 3, 3, diagonal=True)'
    assert B.declaration == 'jc.matrix("B", "n", "n")' and jc.vector("x", n).declaration == 'jc.vector("x", "n")'
    for s in (A, S, D, jc.matrix("P", 4, 4, diagonal=True, positive_definite=True)):
        assert eval(s.declaration, {"jc": jc}) is s  # noqa: S307 - our own text, read back


@pytest.mark.parametrize("make, error, words", [
    (lambda: jc.matrix("A", "m", "n", symmetric=True), ShapeError, "A is declared symmetric but is m x n"),
    (lambda: jc.matrix("A", 2, 3, positive_definite=True), ShapeError, "positive definite matrix is square"),
    (lambda: jc.matrix("D", "n", 3, diagonal=True), ShapeError, "D is declared diagonal but is n x 3"),
    (lambda: jc.vector("x", n, symmetric=True), JacobiError, "x is a vector"),
    (lambda: jc.scalar("a", diagonal=True), JacobiError, "a is a scalar"),
    (lambda: jc.matrix("A", n, n, symmetric=1), JacobiError, "symmetric= must be True or False"),
    (lambda: jc.vector("x", n, hermitian=True), JacobiError, "jc.vector takes no keyword hermitian="),
])
def test_a_bad_declaration_is_refused_by_name(make, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        make()


def test_two_symbols_of_one_name_declared_differently_are_refused_together():
    A, *_ = mats()
    plain = jc.matrix("A", n, n)
    f = jc.sum(A) + jc.sum(plain)
    for use in (lambda: jc.gradient(f, A), lambda: jc.lambdify([A, plain], f), lambda: jc.derive(f, plain)):
        with pytest.raises(JacobiError, match=r'two different symbols named A.*symmetric=True.*jc.matrix\("A", "n", '
                                              r'"n"\)'):
            use()
    assert str(jc.gradient(jc.sum(A) + jc.sum(A.T), A)) == "2 * ones(n, n)"  # one symbol twice is fine


def test_the_jacobian_with_respect_to_a_structured_matrix_is_refused():
    A, S, D, *_ = mats()
    x = jc.vector("x", n)
    for f, w in ((A @ x, A), (jc.logdet(S), S), (D @ x, D)):
        with pytest.raises(JacobiError, match=f"Jacobian.*matrix {w.name} is not defined.*gradient of a scalar"):
            jc.jacobian(f, w)
    with pytest.raises(JacobiError, match="Jacobian of A @ x"):
        jc.derive(A @ x, A)
    assert str(jc.jacobian(A @ x, x)) == "A"  # with respect to another variable, as always


# ---------------------------------------------------------------------------
# The simplifier and the printers use the structure


STRUCTURE_RULES = {fn.rule.parts[0][0] for fn in (R.transpose_symmetric, R.log_det_positive_definite,
                                                  R.abs_det_positive_definite, R.identity_times_diagonal,
                                                  R.identity_times_outer)}


def _trace(e):
    trace = []
    return Simplifier(trace=trace).run(e), [r.parts[0][0] for r in trace]


def test_the_textbook_forms():
    A, S, D, B, _ = mats()
    x = jc.vector("x", n)
    X = jc.matrix("X", n, n, symmetric=True)
    g = jc.gradient(x.T @ A @ x, x)
    assert str(g) == "2 * (A @ x)" and jc.latex(g) == "2 A x"
    assert str(jc.gradient(x.T @ jc.matrix("A", n, n) @ x, x)) == "A.T @ x + A @ x"  # undeclared: as before
    g = jc.gradient(jc.logdet(X), X)
    assert str(g) == "inv(X)" and jc.latex(g) == "X^{-1}"
    assert jc.latex(jc.gradient(jc.logdet(B), B)) == r"X^{-\top}".replace("X", "B")
    assert jc.latex(jc.logdet(S)) == r"\log\det\left(S\right)"
    assert jc.latex(jc.logdet(X)) == r"\log\left|\det\left(X\right)\right|"  # symmetric, det of either sign
    assert jc.latex(jc.logdet(jc.inv(S))) == r"\log\det\left(S^{-1}\right)"
    assert str(jc.gradient(jc.logdet(S) + jc.trace(B @ S), S)) == "1/2 * (B.T + B) + inv(S)"
    assert str(jc.gradient(x.T @ D @ x, D)) == "diag(x * x)"
    assert str(jc.gradient(jc.sum(D * D) / 2, D)) == "D"
    assert str(jc.gradient(jc.trace(jc.matrix_power(A, 3)), A)) == "3 * matrix_power(A, 2)"


@pytest.mark.parametrize("build, out, fired", [
    (lambda A, S, D, B: A.T, "A", ["transpose of a symmetric matrix"]),
    (lambda A, S, D, B: D.T @ B, "D @ B", ["transpose of a symmetric matrix"]),
    (lambda A, S, D, B: jc.inv(A).T, "inv(A)", ["transpose of an inverse", "transpose of a symmetric matrix"]),
    (lambda A, S, D, B: jc.matrix_power(A, 3).T, "matrix_power(A, 3)",
     ["transpose of a matrix power", "transpose of a symmetric matrix"]),
    (lambda A, S, D, B: jc.log(jc.det(S)), "logdet(S)", ["log of a positive determinant"]),
    (lambda A, S, D, B: jc.abs(jc.det(S)), "det(S)", ["absolute value of a positive determinant"]),
    (lambda A, S, D, B: jc.identity(n) * D, "D", ["diagonal part of a diagonal matrix"]),
    (lambda A, S, D, B: jc.identity(n) * (B @ jc.vector("u", n) @ jc.vector("v", n).T), "diag(v * (B @ u))",
     ["diagonal part of an outer product"]),
])
def test_each_structural_identity_fires_alone(build, out, fired):
    A, S, D, B, _ = mats()
    got, names = _trace(build(A, S, D, B))
    assert str(got) == out and [m for m in names if m in STRUCTURE_RULES or m in fired] == fired


@pytest.mark.parametrize("build", [
    lambda A, S, D, B: B.T,                       # no declaration
    lambda A, S, D, B: jc.log(jc.det(A)),         # symmetric: det(A) may be negative
    lambda A, S, D, B: jc.abs(jc.det(B)),
    lambda A, S, D, B: jc.identity(n) * B,        # the diagonal part of a full matrix stays as written
    lambda A, S, D, B: D @ B @ D,                 # products with a diagonal symbol stay
])
def test_the_structural_identities_need_the_declaration(build):
    A, S, D, B, _ = mats()
    _, names = _trace(build(A, S, D, B))
    assert not STRUCTURE_RULES & set(names)


def test_structural_rewrites_and_transpose_movement_reach_a_fixed_point():
    A, S, D, B, C = mats()
    e = (jc.inv(A @ B).T @ jc.matrix_power(S.T, 2).T + (D @ C.T).T) @ A.T
    once = Simplifier().run(e)
    assert Simplifier().run(once) is once and "A.T" not in str(once) and "D.T" not in str(once)


def test_the_derivation_states_the_convention_as_its_last_step():
    X = jc.matrix("X", n, n, symmetric=True)
    d = jc.derive(jc.logdet(X), X)
    last = d.steps[-1]
    assert last.kind == "result" and last.rule.parts[0][0] == "gradient on the symmetric matrices"
    assert [s.kind for s in d.steps].count("result") == 1
    tex = d.to_latex()
    assert r"\boxed{X^{-1}}" in tex and r"\nabla_{A} f = \tfrac{1}{2}\left(G + G^{\top}\right)" in tex
    D = jc.matrix("D", n, n, diagonal=True)
    assert jc.derive(jc.trace(D), D).steps[-1].rule.parts[0][0] == "gradient on the diagonal matrices"


# ---------------------------------------------------------------------------
# Gradients against the oracles

CASES = [  # (text, declarations for jc.parse, the variable)
    ("x.T @ A @ x", {"symmetric": ["A"]}, "A"),
    ("trace(B @ A)", {"symmetric": ["A"]}, "A"),
    ("trace(B @ A.T @ C)", {"symmetric": ["A"]}, "A"),
    ("sum(sin(B @ A @ x))", {"symmetric": ["A"]}, "A"),
    ("logdet(X)", {"symmetric": ["X"]}, "X"),
    ("logdet(S)", {"positive_definite": ["S"]}, "S"),
    ("det(S)", {"positive_definite": ["S"]}, "S"),
    ("x.T @ inv(S) @ x", {"positive_definite": ["S"]}, "S"),
    ("trace(B @ inv(S)) + logdet(S)", {"positive_definite": ["S"]}, "S"),
    ("trace(matrix_power(A, 3) @ B)", {"symmetric": ["A"]}, "A"),
    ("x.T @ D @ x", {"diagonal": ["D"]}, "D"),
    ("trace(B @ D)", {"diagonal": ["D"]}, "D"),
    ("sum(tanh(D @ B @ x))", {"diagonal": ["D"]}, "D"),
    ("logdet(P) + sum(P @ x)", {"diagonal": ["P"], "positive_definite": ["P"]}, "P"),
    ("x.T @ A @ x", {"symmetric": ["A"]}, "x"),
    ("x.T @ inv(S) @ y", {"positive_definite": ["S"]}, "y"),
]


def _case(text, decl, wrt, seed=0):
    res = parse_result(text, {"x": n, "y": n, "B": "nxn", "C": "nxn"}, **decl)
    f, syms = res.expr, list(res.symbols.values())
    w = res.symbols[wrt]
    vals = random_values(syms, SIZES, seed)
    g = np.asarray(jc.lambdify(syms, jc.gradient(f, w))(*vals), dtype=np.float64).reshape(vals[syms.index(w)].shape)
    return f, syms, w, vals, g


def _sympy_gradient(f, syms, w, vals):
    """SymPy's derivative of the explicit f over w's independent entries, mapped to the gradient on w's space:
    d f/d a_jk (one symbol for a_jk and a_kj) is 2 grad_jk off the diagonal and grad_jj on it."""
    E = jc.explicit(f, SIZES, elementary=True)[0, 0]
    point = {}
    for s, v in zip(syms, vals):
        M = jc.explicit(s, SIZES)
        for j in range(M.rows):
            for k in range(M.cols):
                if isinstance(M[j, k], sp.Symbol):
                    point[M[j, k]] = float(v[j, k])
    W = jc.explicit(w, SIZES)
    G = np.zeros((W.rows, W.cols))
    for j in range(W.rows):
        for k in range(W.cols):
            a = W[j, k]
            if isinstance(a, sp.Symbol):
                d = float(sp.diff(E, a).subs(point).evalf())
                G[j, k] = d / 2 if (w.symmetric and j != k) else d
    return G


@pytest.mark.parametrize("text, decl, wrt", CASES)
def test_the_gradient_matches_sympy_over_the_independent_entries(text, decl, wrt):
    f, syms, w, vals, g = _case(text, decl, wrt)
    want = _sympy_gradient(f, syms, w, vals)
    assert np.max(np.abs(g - want)) <= 1e-8 * max(1.0, np.max(np.abs(want))), (str(jc.gradient(f, w)), g, want)


def _admissible(w, rng, r):
    E = rng.normal(size=(r, r))
    if w.diagonal:
        return np.diag(np.diag(E))
    return E + E.T if w.symmetric else E


@pytest.mark.parametrize("text, decl, wrt", CASES)
def test_the_gradient_lies_in_the_space_and_gives_the_directional_derivative(text, decl, wrt):
    f, syms, w, vals, g = _case(text, decl, wrt, seed=3)
    if w.symmetric:
        assert np.allclose(g, g.T, rtol=0, atol=1e-12)
    if w.diagonal:
        assert np.all(g[~np.eye(g.shape[0], dtype=bool)] == 0)
    fn = jc.lambdify(syms, f)
    k, rng, eps = syms.index(w), np.random.default_rng(7), 1e-6
    for _ in range(3):
        E = _admissible(w, rng, vals[k].shape[0]) if w.kind == "matrix" else rng.normal(size=vals[k].shape)
        plus, minus = list(vals), list(vals)
        plus[k], minus[k] = vals[k] + eps * E, vals[k] - eps * E
        fd = (float(fn(*plus)) - float(fn(*minus))) / (2 * eps)
        assert abs(fd - float(np.sum(g * E))) <= 1e-6 * max(1.0, abs(fd))


def test_the_gradient_does_not_depend_on_how_f_writes_the_matrix():
    A, _, _, B, C = mats()
    vals = random_values([A, B, C], SIZES, 1)
    fns = [jc.lambdify([A, B, C], jc.gradient(f, A)) for f in (jc.trace(B @ A @ C), jc.trace(B @ A.T @ C),
                                                               jc.trace(B @ (A + A.T) @ C) / 2)]
    got = [np.asarray(fn(*vals)) for fn in fns]
    assert np.allclose(got[0], got[1]) and np.allclose(got[0], got[2])


def test_check_gradient_uses_the_admissible_directions_and_would_see_the_unconstrained_gradient():
    A, S, D, B, C = mats()
    x = jc.vector("x", n)
    for f, ws in ((jc.trace(B @ A @ C), [A]), (jc.logdet(S) + x.T @ S @ x, [S, x]), (jc.sum(jc.abs(D @ x)), [D])):
        r = jc.check_gradient(f, ws, sizes={"n": 4})
        assert r.ok and set(r.errors) == {w.name for w in ws}, str(r)
    # the numeric side measures the convention: it matches sym(G), not the unconstrained G = B^T
    vals = random_values([A, B], {"n": 4}, 0)
    fn = jc.lambdify([A, B], jc.trace(B @ A))
    N = numeric_gradient_on(fn, vals, 0, A, 1e-6)
    Bv = vals[1]
    assert np.allclose(N, (Bv + Bv.T) / 2, atol=1e-8) and not np.allclose(N, Bv.T, atol=1e-3)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**20), size=st.integers(2, 5), which=st.sampled_from(["A", "S", "D"]))
def test_property_the_structured_gradient_passes_the_numeric_check(seed, size, which):
    A, S, D, B, _ = mats()
    x = jc.vector("x", n)
    w = {"A": A, "S": S, "D": D}[which]
    f = jc.sum(jc.tanh(B @ w @ x)) + (jc.logdet(w) if which != "A" else jc.trace(w @ w) / 4)
    assert jc.check_gradient(f, [w], sizes={"n": size}, seed=seed).ok


# ---------------------------------------------------------------------------
# Values


def test_random_values_have_the_declared_structure():
    A, S, D, B, _ = mats()
    a, s, d, b = random_values([A, S, D, B], {"n": 5}, 0)
    assert np.array_equal(a, a.T) and np.array_equal(s, s.T) and np.all(np.linalg.eigvalsh(s) > 0)
    assert np.array_equal(d, np.diag(np.diag(d))) and np.all(np.diag(d) != 0) and not np.allclose(b, b.T)


def test_explicit_components_share_or_drop_entries():
    A, S, D, *_ = mats()
    E = jc.explicit(A, SIZES)
    assert E == E.T and E[0, 1] is E[1, 0] and len(E.free_symbols) == 6
    Z = jc.explicit(D, SIZES)
    assert Z == sp.diag(*[Z[j, j] for j in range(3)]) and len(Z.free_symbols) == 3


def test_generated_code_checks_a_symmetric_or_diagonal_argument():
    A, S, D, *_ = mats()
    x = jc.vector("x", n)
    M = np.arange(9.0).reshape(3, 3)
    for w, good in ((A, M + M.T), (S, M @ M.T + 3 * np.eye(3)), (D, np.diag([1.0, 2.0, 3.0]))):
        fn = jc.lambdify([w, x], w @ x)
        assert np.allclose(fn(good, np.ones(3)), good @ np.ones(3))
        kind = "diagonal" if w.diagonal else "symmetric"  # a positive definite argument is checked symmetric
        with pytest.raises(JacobiError, match=f"the argument {w.name} is declared {kind} but is not"):
            fn(M, np.ones(3))
    # to rounding: a product that is symmetric up to the last bits passes
    X = np.random.default_rng(0).normal(size=(6, 3))
    near = X.T @ X + np.triu(np.full((3, 3), 1e-15), 1)
    assert not np.array_equal(near, near.T) and np.isfinite(jc.lambdify([A], jc.sum(A))(near))
    torch = pytest.importorskip("torch")
    with pytest.raises(JacobiError, match="declared symmetric"):
        jc.lambdify([A, x], A @ x, backend="torch")(torch.tensor(M), torch.ones(3, dtype=torch.float64))
    pytest.importorskip("jax")
    # jax's code is traced: no value checks (documented); the structure is trusted
    assert "'symmetric'" not in jc.lambdify([A, x], A @ x, backend="jax").source


def test_check_gradient_refuses_given_values_without_the_structure():
    A, *_ = mats()
    with pytest.raises(JacobiError, match="declared symmetric but is not"):
        jc.check_gradient(jc.sum(A @ A), [A], sizes={"n": 3}, values={A: np.arange(9.0).reshape(3, 3)})


# ---------------------------------------------------------------------------
# Text: the parser's keywords and the command line


def test_parse_declares_structure_by_keyword():
    f = jc.parse("x.T @ A @ x + logdet(S) + trace(D)", symmetric=["A"], positive_definite=["S"], diagonal=["D"])
    syms = {s.name: s for s in f.symbols()}
    assert syms["A"].symmetric and syms["S"].positive_definite and syms["D"].diagonal
    assert syms["A"].shape == (sp.Symbol("n", integer=True, positive=True),) * 2  # made square by inference
    A = jc.matrix("A", 3, 3, symmetric=True)
    assert jc.parse("x.T @ A @ x", {"A": A}).symbols()[1] is A  # a declared symbol is used as it is


@pytest.mark.parametrize("kw, words", [
    (dict(symmetric="A"), "symmetric= names the matrices declared so, as a list"),
    (dict(symmetric=[3]), "as strings such as 'A', not 3"),
    (dict(symmetric=["Q"]), "Q is declared symmetric, but the expression has no variable Q"),
    (dict(symmetric=["x"]), "x is declared symmetric, but it is a vector by the naming rule"),
    (dict(diagonal=["A"], shapes={"A": "2x3"}), "A is declared diagonal but its shape is 2 x 3"),
    (dict(symmetric=["A"], shapes={"A": jc.matrix("A", n, n)}), "the symbol given for it is jc.matrix"),
])
def test_parse_refuses_a_bad_declaration(kw, words):
    with pytest.raises(JacobiError, match=words):
        jc.parse("x.T @ A @ x", kw.pop("shapes", None), **kw)


def _cli(capsys, *args):
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_command_line_declares_structure(capsys):
    code, out, _ = _cli(capsys, "diff", "x.T @ A @ x", "--wrt", "x,A", "--symmetric", "A")
    assert code == 0 and out.splitlines() == ["f = x.T @ A @ x", "x: n, A: n x n symmetric", "df/dx = 2 * (A @ x)",
                                              "df/dA = x @ x.T"]
    code, out, _ = _cli(capsys, "diff", "logdet(S)", "--wrt", "S", "--positive-definite", "S", "--format", "latex")
    assert code == 0 and r"f &= \log\det\left(S\right)" in out and r"&= S^{-1}" in out
    code, out, _ = _cli(capsys, "diff", "x.T @ D @ x", "--wrt", "D", "--diagonal", "D")
    assert code == 0 and out.splitlines()[-1] == "df/dD = diag(x * x)"
    code, out, _ = _cli(capsys, "check", "trace(B @ A) + logdet(A)", "--wrt", "A", "--positive-definite", "A")
    assert code == 0 and "A: n x n positive definite" in out and "gradient check passed" in out


@pytest.mark.parametrize("args, words", [
    (("diff", "A @ x", "--wrt", "A", "--symmetric", "A"), "Jacobian of A @ x"),
    (("diff", "x.T @ A @ x", "--wrt", "x", "--symmetric", "B"), "has no variable B"),
    (("diff", "x.T @ A @ x", "--wrt", "x", "--diagonal", "A", "--shape", "A=2x3"), "is square"),
    (("check", "--module", "m.py", "--symmetric", "A"), "go with an expression, not --module"),
])
def test_the_command_line_refuses_a_bad_declaration(capsys, args, words):
    code, _, err = _cli(capsys, *args)
    assert code == 2 and words in err and "Traceback" not in err


def test_the_python_format_writes_a_module_that_checks_the_structure(capsys):
    code, src, _ = _cli(capsys, "diff", "x.T @ A @ x", "--wrt", "x", "--symmetric", "A", "--format", "python")
    assert code == 0 and "A (n x n symmetric)" in src
    ns: dict = {}
    exec(compile(src, "<module>", "exec"), ns)  # noqa: S102 - jacobi's own output
    M = np.arange(9.0).reshape(3, 3)
    (g,) = ns["f"](np.ones(3), M + M.T)
    assert np.allclose(g.reshape(-1), 2 * (M + M.T) @ np.ones(3))
    with pytest.raises(ValueError, match="declared symmetric but is not"):
        ns["f"](np.ones(3), M)


def test_the_rewrites_module_registers_each_identity_once():
    fns = [R.transpose_symmetric, R.log_det_positive_definite, R.abs_det_positive_definite,
           R.identity_times_diagonal, R.identity_times_outer]
    assert len({fn.rule.parts[0][0] for fn in fns}) == len(fns)
