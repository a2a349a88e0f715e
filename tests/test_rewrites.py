"""The simplifier's rewrites are one identity each: a step cites exactly the identities that fired."""
from __future__ import annotations

import re

import pytest

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.rewrites import RULES
from jacobi.calculus.rewrites import matrix as M
from jacobi.calculus.simplify import Simplifier
from jacobi.core.expr import Expr
from jacobi.nn.netgen import tpush

#: two equations joined by a comma or a semicolon: a bundle of identities in one rule
BUNDLE = re.compile(r"=[^,;]*[,;][^,;]*=")


def _cited():
    """(rewrite, rule) for every rule a registered rewrite may cite."""
    return [(fn, r) for fns in RULES.values() for fn in dict.fromkeys(fns) for r in fn.cites()]


def test_every_rewrite_cites_one_identity_of_its_own():
    rules = {}
    for fn, r in _cited():
        assert isinstance(r, P.Rule) and len(r.parts) == 1, f"{fn.__name__} cites {r!r}"
        name, text, formula = r.parts[0]
        assert name and text and formula, f"{fn.__name__} cites {r!r}: a name, an identity and a formula"
        assert not BUNDLE.search(text), f"{fn.__name__} cites several identities in one rule: {text}"
        rules[id(r)] = r
    texts = [r.parts[0][1] for r in rules.values()]
    names = [r.parts[0][0] for r in rules.values()]
    assert len(set(texts)) == len(texts), sorted(t for t in texts if texts.count(t) > 1)
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    plain = [fn.rule for fns in RULES.values() for fn in dict.fromkeys(fns) if fn.rule is not None]
    assert len({id(r) for r in plain}) == len(plain), "two rewrites share one rule"


def test_every_class_that_moves_a_transpose_says_how():
    moving = [c for c in P.PRIMITIVES.values() if c.moves_transpose]
    assert {P.MatMul, P.Add, P.Scale, P.Diag, P.Hadamard, P.Softmax} <= set(moving)
    for c in moving:
        assert c._transpose is not Expr._transpose, f"{c.__name__} moves a transpose but has no _transpose"
        assert isinstance(c.transpose_rule, P.Rule) and c.transpose_rule.parts[0][1], c.__name__
        assert c.moves_transpose <= P.BOTH, c.__name__


def _trace(e):
    trace = []
    out = Simplifier(trace=trace).run(e)
    return out, [r.parts[0][0] for r in trace]


n = "n"


@pytest.mark.parametrize("build, fired", [
    (lambda u, v: jc.diag(u) @ v, [M.diag_column]),
    (lambda u, v: jc.ones(1, n) @ jc.diag(v), [M.ones_diag]),
    (lambda u, v: jc.diag(u) @ jc.diag(v), [M.diag_diag]),
    (lambda u, v: jc.ones(1, n) @ v, [M.ones_column]),
    (lambda u, v: jc.identity(n) @ v, [M.product_identity]),
])
def test_a_step_cites_exactly_the_identity_that_fired(build, fired):
    u, v = jc.vector("u", n), jc.vector("v", n)
    _, names = _trace(build(u, v))
    assert names == [fn.rule.parts[0][0] for fn in fired]


def test_a_transpose_cites_its_operands_own_rule():
    A, B = jc.matrix("A", "m", n), jc.matrix("B", n, "k")
    out, names = _trace((A @ B).T)
    assert out is B.T @ A.T
    assert names == ["transpose of a product"] and P.MatMul.transpose_rule.parts[0][0] == names[0]


def test_derivation_step_cites_the_identities_of_its_simplification():
    W, x, b, y = jc.matrix("W", "m", n), jc.vector("x", n), jc.vector("b", "m"), jc.vector("y", "m")
    d = jc.derive(jc.sum((jc.sigmoid(W @ x + b) - y) ** 2) / 2, W)
    last = [s for s in d.steps if s.kind == "chain"][-1]  # I^T and the identity factor: the display pass's
    assert str(last.rhs) == "(u4 * sigmoid'(u2)) @ x.T" and not [s for s in d.steps if s.kind == "simplify"]
    z, t = jc.vector("z", 3), jc.vector("t", 3, distribution=True)
    d = jc.derive(-jc.sum(t * jc.log(jc.softmax(z))), z)
    algebra, fact = [s for s in d.steps if s.kind == "simplify"]
    assert "inner product as a sum" in [p[0] for p in algebra.rule.parts]
    assert [p[0] for p in fact.rule.parts] == ["the target is a distribution"]


def test_textbook_and_row_code_move_transposes_where_each_class_says():
    u, v = jc.vector("u", n), jc.vector("v", n)
    A = jc.matrix("A", n, n)
    # the textbook keeps an element-wise node's transpose whole; row-major code moves it to the leaves
    assert jc.simplify((u * v).T) is (u * v).T
    assert tpush((u * v).T) is u.T * v.T
    assert tpush(jc.softmax(A).T) is P.Softmax._new((1,), (A.T,))
    # both move it through a product
    assert jc.simplify((A @ u).T) is u.T @ A.T
    assert tpush((A @ u).T) is u.T @ A.T


def test_a_number_times_an_expansion_is_not_rewritten_back_and_forth():
    """a (s 1) = (a s) 1 and (c s) 1 = c (s 1) undid each other for a number a until the round limit."""
    s = jc.scalar("s")
    S = Simplifier()
    assert str(S(5 * (s * jc.ones(3)))) == "5 * (s * ones(3))"
    assert str(S(jc.scalar("t") * (s * jc.ones(3)))) == "s * t * ones(3)"
    assert S.unfinished == 0
