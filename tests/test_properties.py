"""Property tests: random well-shaped compositions of the primitives.

Expressions up to depth 6 are drawn over a fixed set of symbols (two scalars,
vectors of size 3 and 2, a 3x3 and a 2x3 matrix), with values kept in safe
domains: logarithms only of positive things (softplus, exp, 1 + e^2),
quotients only by 1 + e^2, fractional powers only of positive bases.
Gradients (of sum(f), or of f when it is a scalar) and Jacobians are checked
against central finite differences of the function itself.
"""
from __future__ import annotations

import os

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from oracles import FD_TOL, assert_close, evaluate, fd_jacobian, sample, vec

import jacobi as jc
from jacobi.calculus.simplify import Simplifier

MAX_DEPTH = 6

a, c = jc.scalar("a"), jc.scalar("c")
x, y = jc.vector("x", 3), jc.vector("y", 3)
v = jc.vector("v", 2)
A = jc.matrix("A", 3, 3)
B = jc.matrix("B", 2, 3)
SYMBOLS = [a, c, x, y, v, A, B]

SCALAR = (1, 1)
LEAVES = {
    SCALAR: [a, c],
    (3, 1): [x, y],
    (2, 1): [v],
    (1, 3): [x.T, y.T],
    (1, 2): [v.T],
    (3, 3): [A, A.T],
    (2, 3): [B],
    (3, 2): [B.T],
}
SHAPES = list(LEAVES)
_t = sp.Symbol("t")
BUMP = sp.Lambda(_t, _t / (1 + _t**2))


def _shape_of(e):
    return tuple(int(d) for d in e.shape)


UNARY = {
    "sigmoid": jc.sigmoid,
    "tanh": jc.tanh,
    "softplus": jc.softplus,
    "exp": jc.exp,
    "neg": lambda e: -e,
    "square": lambda e: e**2,
    "cube": lambda e: e**3,
    "sin": lambda e: jc.elementwise(sp.sin, e),
    "bump": lambda e: jc.elementwise(BUMP, e),
    "log1p_sq": lambda e: jc.log(1 + e**2),
    "log_softplus": lambda e: jc.log(jc.softplus(e)),
    "log_exp": lambda e: jc.log(jc.exp(e)),
    "sqrt_pos": lambda e: (1 + e**2) ** 0.5,
    "const_scale": lambda e: 0.5 * e,
    "const_shift": lambda e: 1 - e,
}

BINARY = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "hadamard": lambda p, q: jc.hadamard(p, q),
    "div": lambda p, q: p / (1 + q**2),
    "pow": lambda p, q: (1 + p**2) ** q,
}

SCALAR_EXPANSION = {
    "s_mul": lambda s, e: s * e,
    "mul_s": lambda s, e: e * s,
    "s_add": lambda s, e: s + e,
    "sub_s": lambda s, e: e - s,
    "div_s": lambda s, e: e / (1 + s**2),
    "s_div": lambda s, e: s / (1 + e**2),
    "pow_s": lambda s, e: (1 + e**2) ** s,
}


@st.composite
def exprs(draw, shape=None, depth=MAX_DEPTH):
    """A random expression of the given shape (drawn if None)."""
    if shape is None:
        shape = draw(st.sampled_from(SHAPES))
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES[shape]))
    sub = lambda s: exprs(s, depth - 1)  # noqa: E731
    kinds = ["unary", "binary", "matmul"]
    if shape != SCALAR:
        kinds += ["expand", "softmax"]
    else:
        kinds += ["sum", "dot", "quadratic"]
    if (shape[1], shape[0]) in LEAVES:
        kinds.append("transpose")
    kind = draw(st.sampled_from(kinds))
    if kind == "unary":
        op = draw(st.sampled_from(sorted(UNARY)))
        return UNARY[op](draw(sub(shape)))
    if kind == "binary":
        op = draw(st.sampled_from(sorted(BINARY)))
        return BINARY[op](draw(sub(shape)), draw(sub(shape)))
    if kind == "expand":
        op = draw(st.sampled_from(sorted(SCALAR_EXPANSION)))
        return SCALAR_EXPANSION[op](draw(sub(SCALAR)), draw(sub(shape)))
    if kind == "softmax":
        return jc.softmax(draw(sub(shape)))
    if kind == "transpose":
        return draw(sub((shape[1], shape[0]))).T
    if kind == "matmul":
        inner = [d for d in (1, 2, 3) if (shape[0], d) in LEAVES and (d, shape[1]) in LEAVES]
        d = draw(st.sampled_from(inner))
        return draw(sub((shape[0], d))) @ draw(sub((d, shape[1])))
    if kind == "sum":
        return jc.sum(draw(sub(draw(st.sampled_from(SHAPES)))))
    if kind == "dot":
        n = draw(st.sampled_from([2, 3]))
        return jc.dot(draw(sub((n, 1))), draw(sub((n, 1))))
    # quadratic / bilinear form
    return draw(sub((3, 1))).T @ draw(sub((3, 3))) @ draw(sub((3, 1)))


def _point(f, seed):
    syms = list(f.symbols())
    vals = sample(syms, None, seed)
    fv = evaluate(f, syms, vals)
    # keep to a moderate range, where central differences are accurate
    assume(np.all(np.isfinite(fv)) and np.max(np.abs(fv)) < 1e3)
    return syms, vals


def _check_gradients(C, syms, vals, simplify=True):
    """All gradients of C from one derivation, each against finite differences."""
    gs = jc.gradient(C, syms, simplify=simplify)
    assert isinstance(gs, list) and len(gs) == len(syms)
    for w, g in zip(syms, gs):
        assert g.shape == w.shape, f"gradient of {C} wrt {w} has shape {g.shape}"
        got = vec(evaluate(g, syms, vals))
        want = fd_jacobian(C, syms, vals, w).reshape(-1)
        assert_close(got, want, FD_TOL, f"gradient of {C} wrt {w} = {g}")


# Shrinking a failure can take minutes; it is off unless JACOBI_SHRINK=1, so a
# failing run stays as quick as a passing one (the failing expression is
# printed either way).
_PHASES = tuple(Phase) if os.environ.get("JACOBI_SHRINK") == "1" else tuple(p for p in Phase if p != Phase.shrink)


def budget(n):
    return settings(max_examples=n, deadline=None, phases=_PHASES, report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@budget(100)
@given(f=exprs(), seed=st.integers(0, 2**16))
@example(f=a, seed=0)  # a symbol is its own function
@example(f=a @ v.T @ v, seed=0)  # a matrix product whose first factor is a scalar
@example(f=jc.log(jc.sum(jc.exp(x))), seed=0)
def test_gradient_of_random_expression(f, seed):
    C = f if f.is_scalar else jc.sum(f)
    syms, vals = _point(C, seed)
    _check_gradients(C, syms, vals)


@budget(120)
@given(f=st.sampled_from([s for s in SHAPES if s != SCALAR]).flatmap(lambda s: exprs(shape=s)),
       seed=st.integers(0, 2**16))
@example(f=x, seed=0)  # the identity Jacobian
@example(f=(a @ v.T @ v) * x, seed=0)  # a product whose first factor is a scalar
@example(f=jc.softmax(B @ A.T), seed=2)
def test_jacobian_of_random_expression(f, seed):
    syms, vals = _point(f, seed)
    w = syms[seed % len(syms)]
    J = jc.jacobian(f, w)
    nf, nw = int(np.prod(_shape_of(f))), int(np.prod(_shape_of(w)))
    assert _shape_of(J) == (nf, nw), f"Jacobian of {f} wrt {w} has shape {J.shape}"
    got = evaluate(J, syms, vals).reshape(nf, nw)
    want = fd_jacobian(f, syms, vals, w)
    assert_close(got, want, FD_TOL, f"Jacobian of {f} wrt {w} = {J}")


@budget(80)
@given(f=exprs(shape=SCALAR), seed=st.integers(0, 2**16))
def test_unsimplified_gradient_agrees(f, seed):
    """The raw chain rule (simplify=False) is right too, so the simplifier is
    checked separately from the rules."""
    syms, vals = _point(f, seed)
    _check_gradients(f, syms, vals, simplify=False)


@budget(80)
@given(f=exprs(), seed=st.integers(0, 2**16))
def test_simplify_preserves_value(f, seed):
    syms, vals = _point(f, seed)
    S = Simplifier()
    s = S(f)
    assert S.unfinished == 0, f"rewrites that undo each other on {f}"
    assert s.shape == f.shape
    assert_close(evaluate(s, syms, vals), evaluate(f, syms, vals), 1e-9, f"simplify({f}) = {s}")
