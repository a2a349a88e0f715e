"""Printed text reads back: for every expression jacobi prints as text,
``jc.parse(text, shapes)`` with the symbols' shapes declared gives an
expression of the same value (and, where the text allows, the very same
expression).

A property test prints random expressions (tests/test_properties.py's
generators, with SymPy constants mixed in), their gradients, a Jacobian and
the right-hand sides of a derivation's steps, parses each back and compares
the two at a seeded random point.  Regression tests pin the defects this
fixed: a quotient by a matrix product, a constant that is a sum, and the forms
the grammar could not read (ones, I, kron, vec, unvec, K, zeros).  Every
registered callable name has a case.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import sympy as sp
import test_properties as TP
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from oracles import evaluate, sample, vec

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.explicit import entries_of
from jacobi.core import callables as C
from jacobi.core import functions as F
from jacobi.parse import parse_result


def readback(e, symbols=()):
    """e printed, and the text parsed with e's symbols (and those given) declared."""
    text = str(e)
    return text, jc.parse(text, {s.name: s for s in list(symbols) + list(e.symbols())})


def value(e, syms, vals, sizes=None) -> np.ndarray:
    """e at the point: through jc.lambdify, or, where a size is not the size of an argument (ones(n)
    alone), through the component view with the sizes given."""
    try:
        return evaluate(e, syms, vals)
    except jc.JacobiError:
        if sizes is None:
            raise
    at = {entry: float(x) for s, v in zip(syms, vals) for entry, x in zip(entries_of(s, sizes), vec(v))}
    return np.array(jc.explicit(e, sizes, elementary=True).subs(at).evalf(), dtype=np.float64)


def assert_same_value(e, back, text="", seed=0, sizes=None):
    assert back.shape == e.shape, f"{text}: shape {back.shape} read back, {e.shape} printed"
    syms = list(e.symbols())
    assert set(back.symbols()) <= set(syms), text
    vals = sample(syms, sizes, seed)
    with np.errstate(all="ignore"):
        want, got = value(e, syms, vals, sizes), value(back, syms, vals, sizes)
    scale = 1.0 + np.max(np.abs(np.where(np.isfinite(want), want, 0)), initial=0)
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12 * scale, equal_nan=True), (text, str(back), got, want)


def reads_back(e, seed=0, sizes=None, symbols=()) -> str:
    text, back = readback(e, symbols)
    assert_same_value(e, back, text, seed, sizes)
    return text


# ---------------------------------------------------------------------------
# The property: random expressions and their derivatives

CONSTANTS = [sp.Rational(-1, 3), sp.Integer(-2), 6 + 6 * sp.exp(-2), -6 - 6 * sp.exp(-2), sp.sqrt(2), sp.E,
             1 / sp.sqrt(3), sp.exp(-2), sp.log(2), sp.Float(0.25), sp.Float(-1.5), sp.Rational(7, 2)]
WITH_CONSTANT = {
    "c * f": lambda c, f: c * f,
    "f - c": lambda c, f: f - c,
    "c - f": lambda c, f: c - f,
    "-c * f": lambda c, f: -(c * f),
    "f / c": lambda c, f: f / c,
    "(1 + f ** 2) ** c": lambda c, f: (1 + f ** 2) ** c,
}


@st.composite
def expressions(draw):
    """A random expression of test_properties, sometimes combined with a SymPy constant."""
    f = draw(TP.exprs())
    if draw(st.booleans()):
        c = P.Const.make(draw(st.sampled_from(CONSTANTS)))
        f = WITH_CONSTANT[draw(st.sampled_from(sorted(WITH_CONSTANT)))](c, f)
    return f


#: examples of the property test (JACOBI_READBACK_EXAMPLES=500 for a longer run)
EXAMPLES = int(os.environ.get("JACOBI_READBACK_EXAMPLES", "40"))


def printed_forms(f, seed) -> list:
    """f, the gradients of f (or of sum(f)), a Jacobian, and every step of a derivation."""
    C_ = f if f.is_scalar else jc.sum(f)
    syms = list(C_.symbols())
    out = [f]
    if syms:
        out += jc.gradient(C_, syms)
        if not f.is_scalar:
            out.append(jc.jacobian(f, syms[seed % len(syms)]))
        out += [step.rhs for step in jc.derive(C_, syms[0]).steps]
    return out


@settings(max_examples=EXAMPLES, deadline=None, phases=TP._PHASES, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(f=expressions(), seed=st.integers(0, 2**16))
@example(f=jc.sum(jc.log(TP.A @ TP.x + 2)), seed=0)
@example(f=TP.a * 3 / jc.sigmoid(2) * TP.a, seed=0)
@example(f=jc.softmax(TP.B @ TP.A.T), seed=1)  # Jacobian blocks: kron, K, the softmax Jacobian
def test_printed_expressions_and_their_derivatives_read_back(f, seed):
    syms = list(f.symbols())
    with np.errstate(all="ignore"):
        value = evaluate(f, syms, sample(syms, None, seed))
    assume(np.all(np.isfinite(value)) and np.max(np.abs(value), initial=0) < 1e6)
    for e in printed_forms(f, seed):
        reads_back(e, seed)


# ---------------------------------------------------------------------------
# The defects this fixed

n, m = sp.Symbol("n", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True)
x, y = jc.vector("x", "n"), jc.vector("y", "n")
v = jc.vector("v", "m")
W, X = jc.matrix("W", "m", "n"), jc.matrix("X", "m", "n")
A = jc.matrix("A", "n", "n")
alpha = jc.scalar("alpha")
SIZES = {"n": 3, "m": 2}


def test_a_quotient_by_a_matrix_product_keeps_its_parentheses():
    g = jc.gradient(jc.sum(jc.log(W @ x)), x)
    assert str(g) == "W.T @ (1 / (W @ x))"  # was W.T @ (1 / W @ x), which reads as W.T @ (1 / W) @ x
    reads_back(g, sizes=SIZES)  # the ones vector, printed 1, reads back as the scalar 1 expanded


def test_a_constant_that_is_a_sum_multiplies_as_a_whole():
    r = parse_result("alpha*3/sigmoid(2)*alpha")
    g = jc.gradient(r.expr, r.symbols["alpha"])
    assert str(g) == "(6*exp(-2) + 6) * alpha"  # was 6*exp(-2) + 6 * alpha
    reads_back(g)


@pytest.mark.parametrize("value", [-2, sp.Rational(-1, 3), -6 - 6 * sp.exp(-2), sp.Float(-1.5), -1 / sp.sqrt(2)])
def test_negative_constants_read_back_without_a_double_minus(value):
    c = P.Const.make(value)
    for e in (c * x, -(c * x), x - c, c - x, -c, x ** c, P.neg(c), c * alpha, alpha - c, c / alpha):
        text = reads_back(e if not e.is_scalar or e.symbols() else e + alpha, sizes=SIZES)
        assert "--" not in text.replace(" ", ""), text


@pytest.mark.parametrize("value", [sp.sqrt(2), sp.E, 1 / sp.sqrt(3), sp.exp(-2) + sp.log(3), 1 / m, -1 / m,
                                   sp.Rational(1, 2) / (m * n), m * n])
def test_constants_in_sympy_and_in_sizes_read_back(value):
    e = P.Const.make(value) * X + W
    text = reads_back(e, sizes=SIZES)
    assert "sqrt" not in text and "E" not in text.replace("exp", ""), text


@pytest.mark.parametrize("make,text,same", [
    (lambda: P.ones("n"), "ones(n)", True),
    (lambda: P.ones("m", "n"), "ones(m, n)", True),
    (lambda: P.ones(1, "n"), "ones(n).T", True),
    (lambda: P.zeros("m", "n"), "zeros(m, n)", True),
    (lambda: P.zeros(1, "n") + x.T, "0 + x.T", False),  # 0 beside x.T is the scalar 0, expanded
    (lambda: jc.identity("n"), "I(n)", True),
    (lambda: jc.identity("n") @ x, "I @ x", True),
    (lambda: A + jc.identity("n"), "A + I", True),
    (lambda: P.kron(x.T, jc.identity("m")), "kron(x.T, I(m))", True),
    (lambda: P.kron(x.T, jc.identity("m")) @ P.vec(X), "kron(x.T, I) @ vec(X)", True),
    (lambda: P.vec(X), "vec(X)", True),
    (lambda: P.unvec(P.vec(X), "m", "n"), "unvec(vec(X), m, n)", True),
    (lambda: P.commutation("m", "n") @ P.vec(X), "K(m, n) @ vec(X)", True),
    (lambda: P.softmax_jacobian(jc.softmax(X)), "softmax_jacobian(softmax(X))", True),
    (lambda: P.Softmax._new((1,), (X,)), "softmax(X, axis=1)", True),  # the row-wise softmax
    (lambda: P.log_softmax(X, axis=1), "log_softmax(X, axis=1)", True),
    (lambda: jc.gradient(jc.sum(W), W), "ones(m, n)", True),
    (lambda: P.broadcast(alpha, (n, P.ONE)) @ v.T, "(alpha * ones(n)) @ v.T", False),  # reads as alpha 1
    (lambda: P.broadcast(alpha, (n, P.ONE)) + P.broadcast(alpha * 2, (n, P.ONE)), "alpha * ones(n) + alpha * 2",
     False),
])
def test_forms_the_grammar_could_not_read(make, text, same):
    e = make()
    assert str(e) == text
    back = readback(e)[1]
    assert (back is e) == same, str(back)
    assert_same_value(e, back, text, sizes=SIZES)


def test_the_identity_is_sized_where_nothing_around_it_gives_its_size():
    I3 = jc.identity(3)
    assert [str(e) for e in (I3, 2 * I3, I3 + I3, -I3, I3.T)] == ["I(3)", "2 * I(3)", "I(3) + I(3)", "-I(3)",
                                                                 "I(3).T"]
    u = jc.vector("u", 3)
    assert str(I3 @ u) == "I @ u" and str(u.T @ I3) == "u.T @ I" and str(u @ u.T + I3) == "u @ u.T + I"
    A3 = jc.matrix("A", 3, 3)
    for e in (I3, 2 * I3, I3 + I3, -I3, I3.T, I3 @ u, u @ u.T + I3, P.kron(u, I3), P.kron(u.T, I3) @ P.vec(A3)):
        reads_back(e, sizes=SIZES)


def test_a_function_prints_the_name_the_parser_finds_it_by():
    t = sp.Symbol("t")
    mine = jc.elementwise(sp.Lambda(t, t ** 3 - t), x, name="tanh")  # named like a built-in
    assert str(mine).startswith("tanh_(") and readback(mine)[1] is mine
    assert str(P.apply(F.FUNCTIONS["sigmoid_prime"], x)) == "sigmoid'(x)"


def test_a_batch_networks_derivation_reads_back():
    net = jc.Network(["n0", "n1", "n2"], activation="sigmoid", output="softmax", cost="cross_entropy")
    steps = net.backprop(batch=True).derivation.steps
    sizes = {"n0": 3, "n1": 4, "n2": 2, "m": 5}
    symbols = {s for step in steps for s in step.rhs.symbols()}  # 1/m alone needs m declared: Delta1 is n1 x m
    texts = [reads_back(s.rhs, sizes=sizes, symbols=symbols) for s in steps]
    assert "1/m * (Delta1 @ X.T)" in texts and "kron(I(m), W2)" in texts


# ---------------------------------------------------------------------------
# Every callable name: called by its name, and printed, it reads back

CASES = {  # name -> (the text that calls it, the expression jacobi's API builds)
    "sum": ("sum(W, 0)", lambda: jc.sum(W, axis=0)),
    "softmax": ("softmax(W, 1)", lambda: jc.softmax(W, axis=1)),
    "mean": ("mean(W, 0)", lambda: jc.mean(W, axis=0)),
    "var": ("var(W, 1, 1)", lambda: jc.var(W, axis=1, ddof=1)),
    "max": ("max(W, 1)", lambda: jc.max(W, axis=1)),
    "argmax_mask": ("argmax_mask(W, 0)", lambda: P.argmax_mask(W, 0)),
    "log_softmax": ("log_softmax(x)", lambda: P.log_softmax(x)),
    "dot": ("dot(x, y)", lambda: jc.dot(x, y)),
    "hadamard": ("hadamard(W, X)", lambda: jc.hadamard(W, X)),
    "diag": ("diag(W)", lambda: jc.diag(W)),
    "transpose": ("transpose(W)", lambda: W.T),
    "kron": ("kron(W, A)", lambda: P.kron(W, A)),
    "vec": ("vec(W)", lambda: P.vec(W)),
    "unvec": ("unvec(vec(W), m, n)", lambda: P.unvec(P.vec(W), "m", "n")),
    "ones": ("ones(m, n)", lambda: P.ones("m", "n")),
    "zeros": ("zeros(n)", lambda: P.zeros("n")),
    "K": ("K(m, n)", lambda: P.commutation("m", "n")),
    "softmax_jacobian": ("softmax_jacobian(softmax(W))", lambda: P.softmax_jacobian(jc.softmax(W))),
    "I": ("I(n)", lambda: jc.identity("n")),
    "eye": ("eye(n)", lambda: jc.eye("n")),  # one node: I(n)
    "sqrt": ("sqrt(W)", lambda: jc.sqrt(W)),  # the power W ** (1/2)
    "norm1": ("norm1(W)", lambda: jc.norm1(W)),
    "norm2": ("norm2(x)", lambda: jc.norm2(x)),
    "trace": ("trace(A)", lambda: jc.trace(A)),
    "det": ("det(W @ W.T)", lambda: jc.det(W @ W.T)),
    "logdet": ("logdet(A)", lambda: jc.logdet(A)),
    "inv": ("inv(A.T)", lambda: jc.inv(A.T)),
    "matrix_power": ("matrix_power(A, -2)", lambda: jc.matrix_power(A, -2)),
    "power_sum": ("power_sum(A.T, A, A, n)", lambda: jc.power_sum(A.T, A, A, "n")),
    "block_inner": ("block_inner(kron(W, A), A)", lambda: jc.block_inner(P.kron(W, A), A)),
    "block_sum": ("block_sum(kron(W, A), W)", lambda: jc.block_sum(P.kron(W, A), W)),
    "rearrange": ("rearrange(kron(W, A), n, n)", lambda: jc.rearrange(P.kron(W, A), "n", "n")),
    # a name in an index position reads as an index matrix with the classes it indexes
    "embedding": ("embedding(W, J)", lambda: jc.embedding(W, jc.indices("J", "n", 2, "m"))),
    "scatter_add": ("scatter_add(G, J, m)", lambda: jc.scatter_add(jc.matrix("G", "n", 2),
                                                                     jc.indices("J", "n", 2, "m"))),
    "onehot": ("onehot(t, m)", lambda: jc.onehot(jc.indices("t", "n", 1, "m"), "m")),
    "concat": ("concat(W, A, axis=0)", lambda: jc.concat([W, A], axis=0)),
    "cols": ("cols(W, 0, 1)", lambda: jc.cols(W, 0, 1)),  # n's columns: checked where the sizes are known
    "rows": ("rows(A, 1, 2)", lambda: jc.rows(A, 1, 2)),
}


def test_every_callable_name_has_a_readback_case():
    assert set(CASES) == set(C.CALLABLES), "a callable name without a case in CASES"
    declared = {"x": x, "y": y, "W": W, "A": A, "J": jc.indices("J", "n", 2, "m"), "t": jc.indices("t", "n", 1, "m"),
                "G": jc.matrix("G", "n", 2)}
    cases = [(name, call, make()) for name, (call, make) in CASES.items()]
    cases += [(name, f"{name}(x)", P.apply(fn, x)) for name, fn in sorted(F.FUNCTIONS.items())]
    assert {name for name, _, _ in cases} == set(C.names())
    for name, call, e in cases:
        assert jc.parse(call, declared) is e, name
        text, back = readback(e)
        assert back is e, (name, text, str(back))
        assert_same_value(e, back, text, sizes=SIZES)


def test_the_registry_gives_the_parser_and_the_constructors_one_rule():
    for name in C.names():
        rec = C.lookup(name)
        assert rec.name == name and rec.shape.rule is not None and rec.arity
    for rec in C.OPERATORS.values():
        assert rec.arity == (2,) and rec.shape.message
    # one message, whether the API or the parser meets the mismatch
    u3, u4 = jc.vector("u", 3), jc.vector("w", 4)
    for op, build in [("+", lambda: u3 + u4), ("*", lambda: u3 * u4), ("/", lambda: u3 / u4),
                      ("**", lambda: u3 ** u4), ("@", lambda: u3 @ u4)]:
        with pytest.raises(jc.ShapeError) as api:
            build()
        with pytest.raises(jc.ParseError) as parsed:
            jc.parse(f"u {op} w", {"u": 3, "w": 4})
        assert str(parsed.value).split(": ", 1)[1] == str(api.value), op
