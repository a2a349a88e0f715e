"""No n x n (n the batch size) or V x V (V the vocabulary) matrix anywhere (issue 13).

For makemore (Karpathy's exercise 1), batch norm (both variance conventions, step by step and through
jc.mean / jc.var), layer norm (its features d too) and softmax cross-entropy (fused and as softmax then
log), this walks every derived expression: each adjoint equation, bp.resolved of every let and leaf,
every step of the derivation and its definitions, and all their subexpressions, with the partial
products of every matrix product read left to right as printed code evaluates them.  Sizes are
compared as symbols (n is n).  Then it runs the generated code (bp.function on every backend, and
jc.lambdify of the resolved gradients) with every value it computes recorded: the source is
re-compiled with each call, operator and subscript wrapped in a recorder, so that the arrays made
inside one line count too.  Sizes are distinct numbers there, so a shape says which sizes it has.

Jacobians are the exception, where they are what a step states: a local step's Jacobian of an
(n, 1) quantity is n x n (diag(f'(x)), an identity block), and the chain rule's raw pullback writes
the identity I^T G as the course does before the simplifier removes it.  Those are allowed in local
and chain steps only, and only as identity, diag, Jacobian-block or display nodes; no ones matrix, no
product and no result.
"""
from __future__ import annotations

import ast

import numpy as np
import pytest
from programs import batchnorm, layernorm, makemore, softmax_cross_entropy
from registries import installed

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.derivation import Partial
from jacobi.codegen.lambdify import argument, index_argument

MODELS = {
    "makemore": makemore,
    "batchnorm": lambda: batchnorm(0),
    "batchnorm_bessel": lambda: batchnorm(1),
    "batchnorm_composite": lambda: batchnorm(1, as_lets=False),
    "layernorm": layernorm,
    "softmax_ce": softmax_cross_entropy,
    "softmax_then_log": lambda: softmax_cross_entropy(fused=False),
}
BACKENDS = [b for b in ("numpy", "jax", "torch") if installed(b)]


# ---------------------------------------------------------------------------
# The symbolic walk

def _square(shape, sizes) -> bool:
    r, c = shape
    return any(r == s and c == s for s in sizes)


def _jacobian_part(node) -> bool:
    """An identity, a diagonal, a Jacobian block or a displayed d f/d x (or one negated, scaled or
    transposed): what a local Jacobian is made of."""
    if isinstance(node, (P.Identity, P.Diag, Partial)) or getattr(node, "block", False):
        return True
    return isinstance(node, (P.Scale, P.Transpose)) and _jacobian_part(node.args[-1])


def offenders(e, sizes, jacobian: bool = False) -> list:
    """(node, shape) for every subexpression of e, and every left-to-right partial product of a matrix
    product, whose shape is (s, s) for a size s in sizes."""
    out = []
    for node in e.walk():
        shapes = [node.shape]
        if isinstance(node, P.MatMul):  # A @ B @ C computes A @ B first
            a = node.args
            shapes += [(a[0].shape[0], a[j].shape[1]) for j in range(1, len(a) - 1)]
        for sh in shapes:
            if _square(sh, sizes) and not (jacobian and sh == node.shape and _jacobian_part(node)):
                out.append((str(node)[:120], sh))
    return out


def derived(bp) -> list:
    """(where, expression, whether Jacobian parts are allowed) for everything the backpropagation derives."""
    out = []
    for eq in bp.equations:
        out += [(f"equation {eq.lhs}", eq.lhs, False), (f"equation {eq.lhs}", eq.rhs, False)]
    for v in [*bp.lets, *bp.leaves]:
        out.append((f"resolved {v}", bp.resolved(v), False))
    for k, st in enumerate(bp.steps):
        jac = st.kind in ("local", "chain")
        out += [(f"step {k} ({st.kind})", st.lhs, jac), (f"step {k} ({st.kind})", st.rhs, jac)]
    for v, d in bp.derivation.definitions:
        out += [(f"definition {v}", v, False), (f"definition {v}", d, False)]
    return out


@pytest.fixture(scope="module", params=list(MODELS))
def case(request):
    model = MODELS[request.param]()
    return request.param, model, jc.backprop(model.loss)


def test_no_square_matrix_in_any_derived_expression(case):
    name, model, bp = case
    sizes = [P.size(s) for s in model.forbidden]
    items = derived(bp)
    assert len(items) > 4 * len(bp.equations)
    bad = [(where, hit) for where, e, jac in items for hit in offenders(e, sizes, jac)]
    assert not bad, bad[:5]


# ---------------------------------------------------------------------------
# The generated code, every value it computes recorded

class _Recorder(ast.NodeTransformer):
    """Wraps every call, operator and subscript read in __rec__(...), which records its value's shape."""

    def _wrap(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Call(ast.Name("__rec__", ast.Load()), [node], []), node)

    visit_BinOp = visit_UnaryOp = visit_Call = _wrap

    def visit_Subscript(self, node):
        if isinstance(node.ctx, ast.Load):
            return self._wrap(node)
        self.generic_visit(node)
        return node


def run_recorded(fn, values) -> list:
    """Run fn's source, instrumented, on values: the shapes of every array it computed, in order."""
    shapes = []

    def rec(v):
        sh = getattr(v, "shape", None)
        if isinstance(sh, tuple) and len(sh) >= 1:
            shapes.append(tuple(int(d) for d in sh))
        return v

    be = jc.BACKENDS[fn.backend]
    ns = be.namespace()
    ns.update(_arg=argument(be), _indices=index_argument(be), __rec__=rec)
    tree = ast.fix_missing_locations(_Recorder().visit(ast.parse(fn.source)))
    exec(compile(tree, "<recorded>", "exec"), ns)  # noqa: S102 - jacobi's own generated code
    ns["f"](*values)
    return shapes


def square_arrays(shapes, numbers) -> list:
    """The shapes with two axes of one forbidden size."""
    return [sh for sh in shapes if any(sum(d == s for d in sh) >= 2 for s in numbers)]


@pytest.mark.parametrize("be", BACKENDS)
def test_no_square_array_in_the_generated_code(case, be):
    name, model, bp = case
    numbers = [model.sizes[s] for s in model.forbidden]
    vals = [v if v.dtype.kind == "i" else v.astype(np.float32) for v in model.values(0)]
    names = [v.name for v in [*bp.lets, *bp.leaves]]
    fn = bp.function(model.inputs, [model.loss] + ["grad:" + g for g in names], backend=be)
    shapes = run_recorded(fn, vals)
    assert len(shapes) > 2 * len(names)  # the recorder saw the computation
    assert not square_arrays(shapes, numbers), (square_arrays(shapes, numbers), fn.source)
    if be == "numpy":  # the resolved gradients, each written out down to the leaves
        res = jc.lambdify(model.inputs, [bp.resolved(g) for g in names])
        shapes = run_recorded(res, vals)
        assert not square_arrays(shapes, numbers), (square_arrays(shapes, numbers), res.source)


# ---------------------------------------------------------------------------
# The checks can fail

def test_the_walk_finds_square_matrices():
    X = jc.matrix("X", "n", "d")
    n = [P.size("n")]
    assert offenders(P.ones("n", "n") @ X, n)  # a ones matrix
    assert offenders(P.MatMul._new((), (P.ones("n"), P.ones("n").T, X)), n)  # 1 1^T X read left to right
    assert not offenders(P.matmul(P.ones("n"), P.ones("n").T, X), n)  # the constructor's 1 (1^T X)
    assert offenders(jc.diag(jc.vector("u", "n")), n) and offenders(jc.diag(jc.vector("u", "n")), n, True) == []
    assert not offenders(X @ X.T, [P.size("d")]) and offenders(X @ X.T, n)


def test_the_recorder_finds_square_arrays():
    X = jc.matrix("X", "n", "d")
    fn = jc.lambdify([X], jc.sum((X @ X.T) @ X))  # an n x n product inside one line
    shapes = run_recorded(fn, [np.ones((7, 5))])
    assert square_arrays(shapes, [7]) == [(7, 7)] and not square_arrays(shapes, [5])


def test_spreads_stay_apart():
    """The mean's 1 1^T X is kept as 1 (1^T X) by the constructor and the simplifier alike, and prints so;
    an outer product of ones alone is the ones matrix (a broadcast, nothing multiplied by it)."""
    X = jc.matrix("X", "n", "d")
    assert str(jc.simplify(X - jc.mean(X, axis=0))) == "(-1/n) * (ones(n) @ (ones(n).T @ X)) + X"
    assert str(jc.simplify(X - jc.mean(X, axis=1))) == "(-1/d) * (X @ ones(d) @ ones(d).T) + X"
    assert str(jc.simplify(jc.ones("n") @ jc.ones("d").T)) == "ones(n, d)"
    e = P.matmul(X @ P.ones("d"), P.ones("d").T @ X.T)  # (X 1)(1^T X^T): a column times a row
    assert [a.shape for a in e.args] == [(P.size("n"), 1), (1, P.size("n"))]
    m = jc.simplify(X - jc.mean(X, axis=0))
    assert jc.parse(str(m), {"X": X}) is m  # the text reads back as the same node
