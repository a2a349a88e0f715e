"""Derivative cases written by other projects (tests/external_cases.py), checked against jacobi.

Every row jacobi can express is differentiated (jc.gradient for a scalar, jc.jacobian
otherwise, numerator layout) and checked at two seeded points, at small numeric sizes,
against central finite differences of the function itself, and against the source's
closed form where it states one.  Every row that needs a feature jacobi lacks today
must be refused with a JacobiError: when the feature lands, that test fails and the row
is flipped.  A row with a declared structure (a symmetric or diagonal matrix) samples it with
its structure; its gradient with respect to such a matrix is checked along the directions the
structure admits (jacobi.calculus.admissible), and a source that states the vech convention's
2 G - G * I is mapped to jacobi's G first.  test_counts holds the measured figures; ``python tests/test_external.py``
prints them as the table in the README.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

if __name__ == "__main__":  # run as a script: this checkout's jacobi and the tests' helpers
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from external_cases import CASES, MISSING, SOURCES, Case  # noqa: E402
from oracles import assert_close, evaluate, fd_jacobian, vec  # noqa: E402

import jacobi as jc  # noqa: E402
from jacobi.calculus.admissible import numeric_gradient_on, structured  # noqa: E402
from jacobi.core.shapes import concrete  # noqa: E402
from jacobi.parse import parse_result  # noqa: E402

SEEDS = (0, 1)
#: the numbers given to the named sizes, in order of first appearance (distinct, to catch a transposition)
SIZE_VALUES = (3, 2, 4, 5)
#: central differences of the function (eps = 1e-6) against jacobi's derivative
FD_TOL = 1e-6
#: two exact derivatives (jacobi's and the source's closed form) evaluated in floating point
FORM_TOL = 1e-8
DOMAINS = {"real": (-1.0, 1.0), "positive": (0.5, 2.0)}

#: expressible / total rows per source, measured (a change here is a change of the figure in the README)
COUNTS = {
    "sympy": (126, 157),
    "matrixcalculus": (28, 28),
    "cookbook": (34, 35),
    "parr-howard": (34, 36),
    "diffmatic": (18, 18),
}


def _id(case: Case) -> str:
    return re.sub(r"\s+", "_", case.key)


EXPRESSIBLE = [c for c in CASES if c.missing is None]
MISSING_ROWS = [c for c in CASES if c.missing is not None]


def build(case: Case):
    """(f, the variable, the symbols in order) for a row."""
    kinds = {k: [n for n, v in case.structure.items() if v == k] for k in ("symmetric", "diagonal")}
    r = parse_result(case.text, case.shapes, syntax=case.syntax, **kinds)
    symbols = dict(r.symbols)
    wrt = symbols.get(case.wrt)
    if wrt is None:  # a variable the function does not contain (SymPy's X.diff(A))
        wrt = parse_result(case.wrt, case.shapes).expr
        symbols[case.wrt] = wrt
    return r.expr, wrt, symbols


def sizes_of(symbols, f=None) -> dict:
    """Numbers for the named sizes: those of the symbols' shapes, then those that only a node's
    parameter names (the k of matrix_power(X, k))."""
    names: list[str] = []
    for s in symbols.values():
        for d in s.shape:
            names += [f.name for f in sorted(d.free_symbols, key=str) if f.name not in names]
    for node in (f.walk() if f is not None else ()):
        for p in node.params:
            free = p.free_symbols if isinstance(p, sp.Basic) else ()
            names += [f.name for f in sorted(free, key=str) if f.name not in names]
    return {n: SIZE_VALUES[k % len(SIZE_VALUES)] for k, n in enumerate(names)}


def sample(case: Case, symbols, sizes, seed):
    """Seeded values inside the row's domain; a square matrix is drawn near 2I, so that its
    inverse and determinant are well conditioned."""
    lo, hi = DOMAINS[case.domain] if isinstance(case.domain, str) else case.domain
    rng = np.random.default_rng(seed)
    values = []
    for s in symbols.values():
        r, c = concrete(s.shape, sizes)
        v = rng.uniform(lo, hi, size=(r, c))
        if r == c > 1:
            v = v + 2 * np.eye(r)
        values.append(structured(s, v))
    return values


def derivative(f, wrt, order: int):
    """The function whose Jacobian is checked, and jacobi's derivative of it (gradient or Jacobian)."""
    if order == 2:
        f = jc.gradient(f, wrt)
    return f, (jc.gradient(f, wrt) if f.is_scalar else jc.jacobian(f, wrt))


def as_jacobian(value, f, wrt, sizes) -> np.ndarray:
    """A derivative's value as the numerator-layout Jacobian d vec(f) / d vec(wrt)."""
    nf = int(np.prod(concrete(f.shape, sizes)))
    nw = int(np.prod(concrete(wrt.shape, sizes)))
    return vec(value).reshape(nf, nw, order="F") if f.is_scalar or wrt.is_scalar else np.asarray(value).reshape(nf, nw)


def expected_shape(f, wrt, sizes) -> tuple:
    """The shape the source's closed form has: the variable's for a scalar, the function's for a
    scalar variable, the Jacobian's otherwise."""
    if f.is_scalar:
        return tuple(concrete(wrt.shape, sizes))
    if wrt.is_scalar:
        return tuple(concrete(f.shape, sizes))
    return (int(np.prod(concrete(f.shape, sizes))), int(np.prod(concrete(wrt.shape, sizes))))


def _shape(value) -> tuple:
    a = np.asarray(value)
    return (1, 1) if a.ndim == 0 else a.shape


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=_id)
def test_expressible(case: Case):
    f0, wrt, symbols = build(case)
    f, d = derivative(f0, wrt, case.order)
    want = None
    if case.expected is not None:
        want = parse_result(case.expected, {**case.shapes, **symbols}).expr
        extra = [s.name for s in want.symbols() if s not in symbols.values()]
        assert not extra, f"{case.key}: the closed form names {extra}, which the function does not"
    sizes = sizes_of(symbols, f0)
    syms = list(symbols.values())
    for seed in SEEDS:
        values = sample(case, symbols, sizes, seed)
        got = as_jacobian(evaluate(d, syms, values, sizes), f, wrt, sizes)
        if wrt.symmetric or wrt.diagonal:  # along the admissible directions only
            fn = jc.lambdify(syms, f, sizes=sizes)
            fd = vec(numeric_gradient_on(fn, values, syms.index(wrt), wrt, 1e-6)).reshape(got.shape)
        else:
            fd = fd_jacobian(f, syms, values, wrt, sizes)
        try:
            assert_close(got, fd, FD_TOL, "")
        except AssertionError as err:
            raise AssertionError(
                f"WRONG ANSWER: jacobi's derivative of {f} with respect to {wrt} disagrees with central "
                f"differences ({case.source} {case.id}, seed {seed}):\n  jacobi: {d}{err}") from None
        if want is not None:
            wv = evaluate(want, syms, values, sizes)
            if case.vech:  # the source's 2 G - G * I, mapped back to G
                wv = (wv + np.diag(np.diag(wv))) / 2
            assert _shape(wv) == expected_shape(f, wrt, sizes) or wv.size == 1 == got.size, (
                f"{case.key}: the closed form {case.expected} has shape {_shape(wv)}, "
                f"not {expected_shape(f, wrt, sizes)}")
            assert_close(got, as_jacobian(wv, f, wrt, sizes), FORM_TOL,
                         f"{case.key}: jacobi's {d} against the source's {case.expected} (seed {seed})")


@pytest.mark.parametrize("case", MISSING_ROWS, ids=_id)
def test_refused_today(case: Case):
    """A row that needs a missing feature is refused, naming what is wrong; when the feature lands
    this fails: give the row its missing=None and it is checked as the others are."""
    assert case.missing in MISSING, f"{case.key}: unknown reason {case.missing!r}"
    with pytest.raises(jc.JacobiError) as err:
        f, wrt, _ = build(case)
        derivative(f, wrt, case.order)
    if case.missing in ("entry", "literal", "stack"):
        assert "'['" in str(err.value), f"{case.key}: refused, but not at its entry syntax: {err.value}"


def test_table_is_well_formed():
    keys = Counter(c.key for c in CASES)
    assert not [k for k, n in keys.items() if n > 1], "duplicate rows"
    for c in CASES:
        assert c.source in SOURCES and c.id and c.original and c.text and c.wrt, c
        assert c.syntax in ("jacobi", "matrixcalculus"), c
        assert c.missing is None or c.missing in MISSING, c
        assert set(c.structure.values()) <= {"symmetric", "diagonal"} and c.vech <= bool(c.structure), c
        assert c.domain in DOMAINS or (isinstance(c.domain, tuple) and len(c.domain) == 2), c


def counts() -> dict:
    out = {s: [0, 0] for s in SOURCES}
    for c in CASES:
        out[c.source][1] += 1
        out[c.source][0] += c.missing is None
    return {s: tuple(v) for s, v in out.items()}


def test_counts():
    """The measured figure: rows jacobi expresses (and gets right, above) out of each source's rows."""
    assert counts() == COUNTS


def table() -> str:
    """The counts as the README's markdown table."""
    rows = ["| source | rows | expressible | not yet (missing feature: rows) |", "|---|---|---|---|"]
    for s in SOURCES:
        miss = Counter(c.missing for c in CASES if c.source == s and c.missing)
        why = ", ".join(f"{k}: {n}" for k, n in sorted(miss.items())) or "-"
        e, t = counts()[s]
        rows.append(f"| {s} | {t} | {e} | {why} |")
    e, t = (sum(v[i] for v in counts().values()) for i in (0, 1))
    miss = Counter(c.missing for c in CASES if c.missing)
    rows.append(f"| all | {t} | {e} | " + ", ".join(f"{k}: {n}" for k, n in sorted(miss.items())) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
