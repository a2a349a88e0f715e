"""Second derivatives: jc.hessian (vector, vec(X), mixed blocks), jc.hvp, jc.derive_hessian's steps,
their generated code, and jc.is_convex.

Oracles: second-order central differences (of jacobi's own lambdified f, not of its gradient, so the
first derivative is not trusted either), SymPy's hessian of the explicit components, H v against the
Hessian, and for is_convex numeric positive semidefiniteness and midpoint convexity at random points.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles import ExplicitOracle, assert_close, evaluate, sample, vec

import jacobi as jc

X = jc.matrix("X", "n", "d")
w, u = jc.vector("w", "d"), jc.vector("u", "d")
y = jc.vector("y", "n")
x, v, b = jc.vector("x", "n"), jc.vector("v", "n"), jc.vector("b", "n")
A, B = jc.matrix("A", "n", "n"), jc.matrix("B", "n", "n")
S, V = jc.matrix("S", "n", "n"), jc.matrix("V", "n", "n")
a = jc.scalar("a")
SIZES = {sp.Symbol("n"): 3, sp.Symbol("d"): 2}
LOGISTIC = jc.sum(jc.softplus(X @ w) - y * (X @ w))
LSE = jc.log(jc.sum(jc.exp(x)))

# (id, f, variable, domain of the samples)
CASES = [
    ("logistic", LOGISTIC, w, (-1, 1)),
    ("least squares", jc.sum((X @ w - y) ** 2) / 2, w, (-1, 1)),
    ("x^T A x", x.T @ A @ x, x, (-1, 1)),
    ("log-sum-exp", LSE, x, (-1, 1)),
    ("sum sigmoid(A x + b)", jc.sum(jc.sigmoid(A @ x + b)), x, (-1, 1)),
    ("tanh cubed", jc.sum(jc.tanh(x) ** 3) + a * jc.dot(x, x), x, (-1, 1)),
    ("log of positive", jc.sum(jc.log(x)) * a, x, (0.5, 2)),
    ("trace(S^T A S)", jc.trace(S.T @ A @ S), S, (-1, 1)),
    ("logdet", jc.logdet(S), S, (-1, 1)),
    ("trace(S^3)", jc.trace(S @ S @ S), S, (-1, 1)),
    ("sum(inv(S) @ b)", jc.sum(jc.inv(S) @ b), S, (-1, 1)),
    ("norm2 squared", jc.norm2(A @ x - b) ** 2, x, (-1, 1)),
    ("scalar", a ** 3 * jc.sum(x), a, (-1, 1)),
]


def _values(f, seed, domain):
    syms = list(f.symbols())
    vals = sample(syms, SIZES, seed, domain)
    for i, s in enumerate(syms):  # square matrices that are far from singular, for inv and logdet
        if s.shape[0] == s.shape[1] and not s.is_scalar and s.shape[0] == sp.Symbol("n"):
            vals[i] = vals[i] + 3 * np.eye(vals[i].shape[0])
    return syms, vals


def fd_hessian(f, syms, vals, wrt, eps=1e-4):
    """Second-order central differences of f itself over vec(wrt)."""
    fn = jc.lambdify(syms, f)
    k = syms.index(wrt)
    base = np.array(vals[k], dtype=np.float64)
    n = base.size
    H = np.zeros((n, n))

    def at(di, dj):
        p = list(vals)
        z = base.reshape(-1, order="F").copy()
        for idx, dd in ((di[0], di[1]), (dj[0], dj[1])):
            if idx is not None:
                z[idx] += dd
        p[k] = z.reshape(base.shape, order="F")
        return float(fn(*p))

    for i in range(n):
        for j in range(n):
            H[i, j] = (at((i, eps), (j, eps)) - at((i, eps), (j, -eps)) - at((i, -eps), (j, eps))
                       + at((i, -eps), (j, -eps))) / (4 * eps * eps)
    return H


def _numeric(e, syms, vals, rows, cols):
    out = np.asarray(evaluate(e, syms, vals), dtype=np.float64)
    return out.reshape(rows, cols)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_against_second_differences_and_sympy(case, seed):
    _, f, wrt, domain = case
    syms, vals = _values(f, seed, domain)
    H = jc.hessian(f, wrt)
    k = syms.index(wrt)
    n = np.asarray(vals[k]).size
    assert tuple(H.shape) == tuple(sp.sympify(wrt.shape[0] * wrt.shape[1]) for _ in range(2))
    Hv = _numeric(H, syms, vals, n, n)
    assert_close(Hv, fd_hessian(f, syms, vals, wrt), 1e-5, f"Hessian of {f} vs second differences")
    oracle = ExplicitOracle(f, syms, SIZES)
    xs = oracle.entries[wrt]
    Hsym = sp.hessian(oracle.fvec[0], xs).replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
    Hs = sp.lambdify(oracle.args, Hsym, modules="numpy")
    flat = np.concatenate([vec(val) for val in vals])
    assert_close(Hv, np.asarray(Hs(*flat), dtype=np.float64), 1e-8, f"Hessian of {f} vs SymPy's hessian")


@pytest.mark.parametrize("case", [c for c in CASES if not c[2].is_scalar], ids=lambda c: c[0])
def test_hvp_is_the_hessian_times_v_and_never_forms_it(case):
    _, f, wrt, domain = case
    dirn = jc.matrix("Dir", *wrt.shape) if wrt.shape[1] != 1 else jc.vector("dir", wrt.shape[0])
    hv = jc.hvp(f, wrt, dirn)
    assert hv.shape == wrt.shape
    syms, vals = _values(f, 3, domain)
    rng = np.random.default_rng(7)
    dv = rng.standard_normal(np.asarray(vals[syms.index(wrt)]).shape)
    n = dv.size
    H = _numeric(jc.hessian(f, wrt), syms, vals, n, n)
    got = np.asarray(evaluate(hv, syms + [dirn], vals + [dv]), dtype=np.float64)
    assert_close(vec(got), H @ vec(dv), 1e-9, f"hvp of {f}")
    src = jc.lambdify(syms + [dirn], hv).source
    for dense in ("diagflat", "np.eye", "_commutation", "kron"):
        assert dense not in src, f"the HVP of {f} forms a matrix ({dense}):\n{src}"


def test_the_printed_forms_are_the_textbook_ones():
    assert str(jc.hessian(LOGISTIC, w)) == "X.T @ diag(sigmoid'(X @ w)) @ X"
    assert str(jc.hvp(LOGISTIC, w, u)) == "X.T @ ((X @ u) * sigmoid'(X @ w))"
    assert str(jc.gradient(LSE, x)) == "softmax(x)"
    assert str(jc.hessian(LSE, x)) == "diag(softmax(x)) - softmax(x) @ softmax(x).T"
    assert str(jc.hvp(LSE, x, v)) == "(v - softmax(x).T @ v) * softmax(x)"
    assert str(jc.hessian(x.T @ A @ x, x)) == "A.T + A"
    assert str(jc.hessian(jc.sum((X @ w - y) ** 2), w)) == "2 * (X.T @ X)"
    assert str(jc.hessian(jc.trace(S.T @ A @ S), S)) == "kron(I(n), A) + kron(I(n), A.T)"
    assert str(jc.hvp(jc.trace(S.T @ A @ S), S, V)) == "A.T @ V + A @ V"
    assert str(jc.hvp(jc.logdet(S), S, V)) == "-(inv(S.T) @ V.T @ inv(S.T))"


def test_mixed_blocks():
    f = jc.sum(jc.sigmoid(X @ w)) + jc.dot(w, w) * a
    syms, vals = _values(f, 0, (-1, 1))
    Hwa = jc.hessian(f, w, a)  # d(grad_w f)/da: a column (2 w)
    assert str(Hwa.shape) == "(d, 1)"
    assert_close(vec(evaluate(Hwa, syms, vals)), 2 * vec(vals[syms.index(w)]), 1e-12, "mixed block w, a")
    Haw = jc.hessian(f, a, w)  # one row
    assert str(Haw.shape) == "(1, d)"
    HwX = jc.hessian(f, w, X)
    n, d = 3, 2
    got = _numeric(HwX, syms, vals, d, n * d)
    # central differences of the gradient in w along each entry of X
    gfn = jc.lambdify(syms, jc.gradient(f, w))
    k = syms.index(X)
    want = np.zeros((d, n * d))
    for j in range(n * d):
        for sgn in (1, -1):
            p = list(vals)
            z = vec(vals[k]).copy()
            z[j] += sgn * 1e-6
            p[k] = z.reshape(n, d, order="F")
            want[:, j] += sgn * vec(gfn(*p)) / 2e-6
    assert_close(got, want, 1e-6, "mixed block w, X")
    assert str(jc.hessian(jc.sum(x) * a, x)) in ("zeros(n, n)", "0")


def test_derive_hessian_shows_the_gradient_then_its_jacobian():
    d = jc.derive_hessian(LOGISTIC, w)
    assert d.kind == "hessian" and d.result is jc.hessian(LOGISTIC, w)
    text = str(d)
    assert "df/dw = X.T @ (sigmoid(X @ w) - y)" in text
    assert "g = X.T @ (sigmoid(X @ w) - y)    [the gradient, named]" in text
    assert text.splitlines()[-1].startswith("d2f/dwdw = X.T @ diag(sigmoid'(X @ w)) @ X")
    assert "v1 = X @ w" in text  # the second derivation's variables do not reuse u1, u2, ...
    assert d.to_latex().count(r"\boxed") >= 1


def test_hessian_refusals():
    with pytest.raises(jc.ShapeError, match="scalar function"):
        jc.hessian(X @ w, w)
    with pytest.raises(jc.JacobiError, match="one variable"):
        jc.hessian(LOGISTIC, [w, X])
    with pytest.raises(jc.JacobiError, match="symbol"):
        jc.hessian(LOGISTIC, X @ w)
    with pytest.raises(jc.ShapeError, match="shape of w"):
        jc.hvp(LOGISTIC, w, v)
    with pytest.raises(jc.JacobiError, match="depends on w"):
        jc.hvp(LOGISTIC, w, 2 * w)


# ---------------------------------------------------------------------------
# Generated code


def test_generated_hessian_code_broadcasts_diagonals_and_outer_products():
    src = jc.lambdify([X, w, y], jc.hessian(LOGISTIC, w)).source
    assert "diagflat" not in src and "_gram(X, " in src
    src = jc.lambdify([x], jc.hessian(LSE, x)).source
    assert "_t0 * _t0.T" in src and "@ _t0.T" not in src
    M = jc.matrix("M", "n", "d")
    src = jc.lambdify([M, x], jc.diag(x) @ M).source
    assert "diagflat" not in src and "x * M" in src
    src = jc.lambdify([M, w], M @ jc.diag(w)).source
    assert "diagflat" not in src and "(M) * w.T" in src


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_generated_second_derivatives_agree_on_every_backend(backend):
    pytest.importorskip({"numpy": "numpy", "jax": "jax", "torch": "torch"}[backend])
    rng = np.random.default_rng(0)
    tol = 1e-10 if backend != "jax" else 1e-5  # jax computes in float32 unless told otherwise
    for n, d in ((5, 3), (400, 300)):  # both sides of the Gram product's size switch
        Xv, wv, yv, uv = rng.standard_normal((n, d)), rng.standard_normal(d), rng.random(n), rng.standard_normal(d)
        p = 1 / (1 + np.exp(-(Xv @ wv)))
        want_H = (Xv.T * (p * (1 - p))) @ Xv
        H = jc.lambdify([X, w, y], jc.hessian(LOGISTIC, w), backend=backend)(Xv, wv, yv)
        assert_close(np.asarray(H), want_H, tol, f"logistic Hessian on {backend}")
        hv = jc.lambdify([X, w, y, u], jc.hvp(LOGISTIC, w, u), backend=backend)(Xv, wv, yv, uv)
        assert_close(np.asarray(hv).reshape(-1), want_H @ uv, tol, f"logistic HVP on {backend}")


def test_log_sum_exp_and_its_derivatives_are_stable():
    xv = np.array([1000.0, 999.0, -1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        val = jc.lambdify([x], LSE)(xv)
        g = jc.lambdify([x], jc.gradient(LSE, x))(xv)
        H = jc.lambdify([x], jc.hessian(LSE, x))(xv)
    assert abs(val - (1000 + np.log1p(np.exp(-1.0)))) < 1e-9
    assert np.all(np.isfinite(g)) and abs(g.sum() - 1) < 1e-12
    assert np.all(np.isfinite(H)) and np.allclose(H, np.diag(g) - np.outer(g, g))


def test_lambdify_returns_fresh_arrays_and_copies_what_may_be_an_argument():
    xv = np.arange(3.0)
    out = jc.lambdify([x], x)(xv)
    out[0] = 42
    assert xv[0] == 0
    Av = np.eye(3)
    t = jc.lambdify([A], A.T)(Av)
    t[0, 1] = 5
    assert Av[1, 0] == 0
    r1, r2 = jc.lambdify([x], [x + 1, x + 1])(xv)
    r1[0] = 7
    assert r2[0] == 1
    # a second call with other sizes is checked again
    f = jc.lambdify([A, x], A @ x)
    f(np.eye(3), np.ones(3))
    with pytest.raises(jc.ShapeError, match="size n"):
        f(np.eye(3), np.ones(4))


# ---------------------------------------------------------------------------
# Convexity


@pytest.mark.parametrize("f, var", [
    (LOGISTIC, w), (jc.sum((X @ w - y) ** 2), w), (LSE, x), (jc.sum(jc.exp(A @ x + b)), x),
    (jc.sum((X @ w - y) ** 2) + 3 * jc.sum(w ** 2), w), (-jc.sum(jc.log(x)), x), (jc.sum(x ** 4), x),
    (jc.sum(jc.softplus(x)), x), (a ** 2, a), (-jc.sum(jc.log(jc.sigmoid(X @ w))), w),
    (2 * LSE + jc.dot(x, x), x),
    (x.T @ jc.matrix("P", "n", "n", positive_definite=True) @ x - jc.dot(b, x), x),
    (x.T @ jc.inv(jc.matrix("P", "n", "n", positive_definite=True)) @ x, x),
], ids=lambda e: str(e)[:40] if isinstance(e, jc.Expr) else None)
def test_known_convex_functions_are_certified(f, var):
    r = jc.is_convex(f, var)
    assert r.verdict == "convex" and bool(r), str(r)
    assert "positive semidefinite" in str(r)


@pytest.mark.parametrize("f, var, why", [
    (x.T @ A @ x, x, "no certificate"),
    (x.T @ jc.matrix("A", "n", "n", symmetric=True) @ x, x, "no certificate"),  # symmetric, not PSD
    (-LSE, x, "no certificate"),
    (-jc.sum(jc.abs(x)), x, "kink"),
    (jc.sum(jc.relu(x)) * -1, x, "kink"),
    (jc.sum(x ** -2), x, "negative power"),
    (jc.sum(1 / x), x, "quotient"),
    (jc.sum(jc.sin(x)), x, "no certificate"),
    (jc.sum(x ** 3), x, "no certificate"),
    (jc.sum(jc.tanh(x)), x, "no certificate"),
    (-jc.logdet(S), S, "invertible"),
    (-jc.norm2(x), x, "kink"),
    (jc.sum(jc.log(jc.sin(x) + 2)), x, "log"),
])
def test_others_are_unknown_with_the_reason(f, var, why):
    r = jc.is_convex(f, var)
    assert r.verdict == "unknown" and not r, str(r)
    assert why in str(r)


# random functions of x (3 entries): convex ones often, nonconvex ones as often
_M = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 1.0], [0.0, 1.0, 3.0]])
_C = jc.matrix("C", 3, 3)
_z = jc.vector("z", 3)
ATOMS = {
    "x": lambda: _z, "Cx": lambda: _C @ _z, "Cx+1": lambda: _C @ _z + 1, "-x": lambda: -_z,
}
OUTER = {
    "exp": jc.exp, "softplus": jc.softplus, "sq": lambda e: e ** 2, "quartic": lambda e: e ** 4,
    "sigmoid": jc.sigmoid, "tanh": jc.tanh, "sin": jc.sin, "cube": lambda e: e ** 3, "log": jc.log,
    "neglog": lambda e: -jc.log(e), "sqrt": lambda e: e ** sp.Rational(1, 2), "inv": lambda e: 1 / e,
    "abs": jc.abs, "relu": jc.relu, "cos": jc.cos, "negsq": lambda e: -(e ** 2), "id": lambda e: e,
    "arctan": jc.arctan, "lse": lambda e: jc.log(jc.sum(jc.exp(e))) * jc.ones(3),
}


@st.composite
def candidate(draw):
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        inner = ATOMS[draw(st.sampled_from(sorted(ATOMS)))]()
        if draw(st.booleans()):
            inner = OUTER[draw(st.sampled_from(sorted(OUTER)))](inner)
        e = OUTER[draw(st.sampled_from(sorted(OUTER)))](inner)
        c = draw(st.sampled_from([1, 2, -1, sp.Rational(1, 2)]))
        terms.append(c * jc.sum(e))
    f = terms[0]
    for t in terms[1:]:
        f = f + t
    return f


def _fv(fn, zv):
    with np.errstate(all="ignore"):
        return float(fn(_M, zv))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(f=candidate(), seed=st.integers(0, 10**6))
def test_no_false_convex_across_random_functions(f, seed):
    try:
        r = jc.is_convex(f, _z)
    except jc.JacobiError:
        return
    if not r:
        return
    fn = jc.lambdify([_C, _z], f)
    rng = np.random.default_rng(seed)
    for _ in range(20):  # midpoint convexity wherever both ends are defined
        p, q = rng.uniform(-3, 3, 3), rng.uniform(-3, 3, 3)
        fp, fq = _fv(fn, p), _fv(fn, q)
        if not (np.isfinite(fp) and np.isfinite(fq)):
            continue
        fm = _fv(fn, (p + q) / 2)
        assert np.isfinite(fm), f"{f}: certified convex, but undefined between two points of its domain"
        assert fm <= (fp + fq) / 2 + 1e-9 * (1 + abs(fp) + abs(fq)), f"{f}: certified convex, but not: {r}"
    Hfn = jc.lambdify([_C, _z], r.hessian)
    for _ in range(5):
        p = rng.uniform(-3, 3, 3)
        if not np.isfinite(_fv(fn, p)):
            continue
        with np.errstate(all="ignore"):
            H = np.asarray(Hfn(_M, p), dtype=np.float64)
        if np.all(np.isfinite(H)):
            lo = np.linalg.eigvalsh((H + H.T) / 2)[0]
            assert lo >= -1e-9 * (1 + np.abs(H).max()), f"{f}: certified convex, Hessian eigenvalue {lo}"


# ---------------------------------------------------------------------------
# jacobi hessian


def test_the_hessian_command_in_every_format():
    from test_cli import jacobi as run

    r = run("hessian", "sum(softplus(X @ w) - y * (X @ w))", "--wrt", "w")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "d2f/dwdw = X.T @ diag(sigmoid'(X @ w)) @ X"
    r = run("hessian", "x'*A*x", "--wrt", "x", "--syntax", "matrixcalculus", "--format", "latex")
    assert r.returncode == 0 and r"\frac{\partial^{2} f}{\partial x \, \partial x^{\top}} &= A^{\top} + A" in r.stdout
    r = run("hessian", "log(sum(exp(x)))", "--wrt", "x", "--steps", "--format", "markdown")
    assert r.returncode == 0 and "the gradient, named" in r.stdout and r"\operatorname{softmax}" in r.stdout
    r = run("hessian", "sum(sigmoid(W @ x))", "--wrt", "x,W")
    assert r.returncode == 0 and r.stdout.splitlines()[-1].startswith("d2f/dxdW = ")
    r = run("hessian", "x.T @ A @ x", "--wrt", "x", "--format", "python")
    assert r.returncode == 0
    ns: dict = {}
    exec(compile(r.stdout, "<hessian module>", "exec"), ns)  # noqa: S102 - the command's own output
    Av = np.arange(9.0).reshape(3, 3)
    (H,) = ns["f"](np.ones(3), Av)
    assert np.allclose(H, Av + Av.T)
    with pytest.raises(ValueError, match="not an array of numbers"):  # the written module raises its own errors
        ns["f"](None, Av)
    for bad, words in ((["W @ x", "--wrt", "x"], "needs a scalar"), (["sum(x)", "--wrt", "x,y"], "no variable y"),
                       (["sum(x * y * z)", "--wrt", "x,y,z"], "one variable")):
        r = run("hessian", *bad)
        assert r.returncode == 2 and r.stderr.startswith("jacobi: error:") and words in r.stderr, r.stderr


def test_a_diagonal_term_is_added_in_place_and_never_into_an_argument():
    src = jc.lambdify([x], jc.hessian(LSE, x)).source
    assert "_plus_diagonal(-(_t0 * _t0.T), _t0)" in src and "diagflat" not in src
    Av, xv = np.ones((3, 3)), np.arange(3.0)
    for e, want in ((A + jc.diag(x), np.ones((3, 3)) + np.diag(xv)), (2 * A - jc.diag(x), 2 - np.diag(xv)),
                    (A.T + jc.diag(x), np.ones((3, 3)) + np.diag(xv))):
        for backend in ("numpy", "jax", "torch"):
            pytest.importorskip(backend)
            got = np.asarray(jc.lambdify([x, A], e, backend=backend)(xv, Av))
            assert_close(got, want, 1e-6, f"{e} on {backend}")
            assert np.all(Av == 1), f"{e} on {backend} wrote into its argument"


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_lambdify_fast_path_takes_only_what_the_argument_lines_would_pass_unchanged():
    M = jc.matrix("M", "n", "n")
    f = jc.lambdify([M, x], jc.sigmoid(M @ x) * 2)
    Mv, xv = np.eye(3) * 0.5, np.ones((3, 1))
    first = f(Mv, xv)
    assert f._plain, "float 2-D arrays are taken as they are from the second call on"
    assert_close(f(Mv, xv), first, 1e-15, "fast path")
    ints = (Mv * 2).astype(np.int64)
    assert_close(f(ints, xv), f(ints.astype(np.float64), xv), 1e-15, "integers become floats")
    assert f(Mv, np.ones(3)).shape == (3,)  # a 1-D vector still gives a 1-D result
    mat = np.asmatrix(Mv)
    assert_close(np.asarray(f(mat, xv)), first, 1e-15, "a numpy matrix is an array, not a product")
    with pytest.raises(jc.ShapeError):
        f(np.eye(4), xv)
    s = jc.scalar("s")
    g = jc.lambdify([s, x], s * x)
    assert_close(g(np.float64(2.0), xv), 2 * xv, 1e-15, "scalar")
    assert_close(g(np.array(2.0), xv), 2 * xv, 1e-15, "0-d scalar")
    assert_close(g(np.array(3.0), xv), 3 * xv, 1e-15, "0-d scalar, second call")
