"""Every printed step verified (jacobi/calculus/verification.py): each equation of a derivation is checked
numerically at a random point against the line before it with the same left side and against central
differences; a wrong step raises a JacobiError naming it."""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import jacobi as jc
from jacobi import core as P
from jacobi.calculus import Derivation, Step, partial
from jacobi.core.shapes import JacobiError
from jacobi.demo import document, network
from jacobi.derivations import ALL_DOCUMENTS

W, x, b, y = P.matrix("W", "m", "n"), P.vector("x", "n"), P.vector("b", "m"), P.vector("y", "m")
C = P.div(P.sum_(P.power(P.sub(P.sigmoid(W @ x + b), y), 2)), 2)


@pytest.mark.parametrize("stem, builder", ALL_DOCUMENTS, ids=[s for s, _ in ALL_DOCUMENTS])
def test_every_derivation_of_every_document_verifies(stem, builder):
    _, sections = builder()
    ds = [part for _, part in sections if isinstance(part, Derivation)]
    assert ds, f"{stem} shows no derivation"
    for d in ds:
        d.verify()
        assert d.verified


def test_the_documents_are_nineteen():
    assert len(ALL_DOCUMENTS) == 19


def test_the_demo_document_is_verified_and_has_one_title():
    bp = network().backprop()
    tex = document(bp)
    assert bp.derivation.verified
    assert tex.count("Backpropagation in the network 64-32-10") == 1
    for words in ("hidden layer has 32 sigmoid neurons", "10 softmax neurons", "cross-entropy", "BP1", "BP2",
                  "BP3", "BP4"):
        assert words in tex


def _with(d: Derivation, i: int, rhs) -> Derivation:
    steps = list(d.steps)
    steps[i] = dataclasses.replace(steps[i], rhs=rhs)
    return Derivation(d.f, d.wrt, d.result, steps, d.definitions, d.kind, adjoints=d.adjoints)


def _index(d, kind, pred=lambda s: True):
    return next(i for i, s in enumerate(d.steps) if s.kind == kind and pred(s))


def test_a_wrong_chain_step_is_caught_by_central_differences():
    d = jc.derive(C, W)
    i = _index(d, "chain")
    with pytest.raises(JacobiError, match=rf"step {i + 1} .*does not hold: central differences"):
        _with(d, i, P.mul(2, d.steps[i].rhs)).verify()


def test_a_wrong_simplification_is_caught_against_the_line_before_it():
    z, t = P.vector("z", 3), P.vector("t", 3, distribution=True)
    d = jc.derive(P.neg(P.sum_(P.mul(t, P.log(P.softmax(z))))), z)
    i = _index(d, "simplify")
    with pytest.raises(JacobiError, match=rf"step {i + 1} .*does not equal the line before it"):
        _with(d, i, P.mul(-1, d.steps[i].rhs)).verify()


def test_a_wrong_result_and_a_wrong_local_jacobian_are_caught():
    d = jc.derive(C, W)
    with pytest.raises(JacobiError, match=rf"step {len(d.steps)} "):
        _with(d, len(d.steps) - 1, P.transpose(P.transpose(d.steps[-1].rhs)) * 0.5).verify()
    i = _index(d, "local", lambda s: s.rhs.shape[0] != s.rhs.shape[1])  # du1/dW = x^T kron I, not square
    J = d.steps[i].rhs
    with pytest.raises(JacobiError, match=rf"step {i + 1} .*central differences"):
        _with(d, i, P.mul(3, J)).verify()


def test_a_wrong_step_of_a_network_derivation_is_caught():
    bp = jc.Network([2, 3, 2], activation="tanh", cost="mse").backprop()
    d = bp.derivation
    i = _index(d, "result", lambda s: s.tag and s.tag[0] == "BP2")
    with pytest.raises(JacobiError, match=rf"step {i + 1} "):
        _with(d, i, P.hadamard(d.steps[i].rhs, d.steps[i].rhs)).verify()


def test_a_wrong_step_of_the_lecture_route_is_caught():
    xs, ys = sp.symbols("x y")
    d = jc.derive([2 * xs + ys**3, -13 * xs + sp.exp(ys)], [xs, ys])
    steps = list(d.steps)
    steps[-1] = dataclasses.replace(steps[-1], rhs=sp.Matrix([[2, 3 * ys**2], [13, sp.exp(ys)]]))
    with pytest.raises(JacobiError, match=f"step {len(steps)} .*does not hold"):
        Derivation(d.f, d.wrt, d.result, steps, d.definitions, d.kind).verify()


def test_a_made_up_step_is_caught():
    d = jc.derive(C, W)
    wrong = Step("simplify", partial(d.steps[0].lhs, W, "gradient"), P.matmul(b, x.T), "a made-up identity")
    bad = Derivation(d.f, d.wrt, d.result, d.steps[:-1] + [wrong, d.steps[-1]], d.definitions)
    with pytest.raises(JacobiError, match="a made-up identity"):
        bad.verify()


def test_derive_verifies_by_default_and_can_be_told_not_to():
    assert jc.derive(C, W).verified
    d = jc.derive(C, W, verify=False)
    assert not d.verified
    d.to_latex()  # a derivation is verified before it is first shown
    assert d.verified


def test_verification_binds_symbolic_sizes_and_is_deterministic():
    d = jc.derive(jc.sum(jc.tanh(W @ x)), W, verify=False)
    d.verify(sizes={"m": 2, "n": 5}, seed=3)
    d.verify()
    assert d.verified
