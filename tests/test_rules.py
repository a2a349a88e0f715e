"""One case per derivative rule, each checked against two independent oracles.

The cases of the element-wise functions and the primitives' own examples are read from the
registries (jacobi.core.functions.FUNCTIONS, jacobi.core.PRIMITIVES), so a new one is tested
with no edit here.

The table below is declarative: a case is a function of the sizes returning
(f, variables), plus the domain its points are drawn from.  Every case runs
at two size settings (named sizes bound by a dict, and plain integers), at
several seeded points, for every variable.  See oracles.py for the checks.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import pytest
import sympy as sp
from oracles import check_all

import jacobi as jc
from jacobi import core as P
from jacobi.core.functions import FUNCTIONS

SEEDS = (0, 1, 2)
POSITIVE = (0.5, 2.0)

# (id, the size arguments given to jc.vector/jc.matrix, the numbers they stand for)
SIZE_SETTINGS = [
    ("named", {"m": "m", "n": "n", "k": "k"}, {"m": 3, "n": 2, "k": 4}),
    ("numeric", {"m": 2, "n": 4, "k": 3}, {}),
]


def symbols_for(D):
    return SimpleNamespace(
        s=jc.scalar("s"), r=jc.scalar("r"),
        x=jc.vector("x", D["n"]), y=jc.vector("y", D["n"]), u=jc.vector("u", D["m"]), z=jc.vector("z", D["k"]),
        A=jc.matrix("A", D["m"], D["n"]), P=jc.matrix("P", D["m"], D["n"]),
        B=jc.matrix("B", D["n"], D["k"]), C=jc.matrix("C", D["k"], D["m"]),
        M=jc.matrix("M", D["n"], D["n"]),
        Q=jc.matrix("Q", D["m"], D["m"]),  # square, at the smaller size: SymPy's explicit inverse grows fast
    )


@dataclass
class Case:
    name: str
    build: Callable  # namespace of symbols -> (f, [variables])
    domain: tuple = (-1.0, 1.0)
    avoid_zero: float = 0.0


CASES: list[Case] = []


def case(name, build, domain=(-1.0, 1.0), avoid_zero=0.0):
    CASES.append(Case(name, build, domain, avoid_zero))


# -- sum, difference, negation ------------------------------------------------
case("add_vector", lambda S: (S.x + S.y, [S.x, S.y]))
case("add_matrix", lambda S: (S.A + S.P, [S.A, S.P]))
case("add_repeated_term", lambda S: (S.x + S.y + S.x, [S.x, S.y]))
case("subtract_vector", lambda S: (S.x - S.y, [S.x, S.y]))
case("subtract_matrix", lambda S: (S.A - S.P, [S.A, S.P]))
case("subtract_self_plus", lambda S: (S.x - (S.y - S.x), [S.x, S.y]))
case("negate_vector", lambda S: (-S.x, [S.x]))
case("negate_matrix", lambda S: (-S.A, [S.A]))

# -- scalar expansion: a scalar symbol on either side of + - * /, wrt both ------
_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
for _op, _fn in _OPS.items():
    for _other in ("x", "A"):
        _dom = POSITIVE if _op == "div" else (-1.0, 1.0)
        case(f"scalar_left_{_op}_{_other}",
             lambda S, f=_fn, o=_other: (f(S.s, getattr(S, o)), [S.s, getattr(S, o)]), _dom)
        case(f"scalar_right_{_op}_{_other}",
             lambda S, f=_fn, o=_other: (f(getattr(S, o), S.s), [S.s, getattr(S, o)]), _dom)
# constants expand too
case("const_times", lambda S: (3 * S.x, [S.x]))
case("times_const", lambda S: (S.A * 0.5, [S.A]))
case("const_minus", lambda S: (2 - S.x, [S.x]))
case("div_by_const", lambda S: (S.A / 4, [S.A]))
case("const_over", lambda S: (1 / S.x, [S.x]), POSITIVE)
case("scalar_times_scalar", lambda S: (S.s * S.r, [S.s, S.r]))

# -- Hadamard product and element-wise quotient, both operands -------------------
case("hadamard_vector", lambda S: (S.x * S.y, [S.x, S.y]))
case("hadamard_matrix", lambda S: (S.A * S.P, [S.A, S.P]))
case("hadamard_square", lambda S: (S.x * S.x, [S.x]))
case("hadamard_three", lambda S: (jc.hadamard(S.x, S.y, S.x), [S.x, S.y]))
case("div_vector", lambda S: (S.x / S.y, [S.x, S.y]), POSITIVE)
case("div_matrix", lambda S: (S.A / S.P, [S.A, S.P]), POSITIVE)
case("div_self", lambda S: (S.x / (S.x + S.y), [S.x, S.y]), POSITIVE)

# -- element-wise power -------------------------------------------------------
case("power_2", lambda S: (S.x ** 2, [S.x]))
case("power_3_matrix", lambda S: (S.A ** 3, [S.A]))
case("power_half", lambda S: (S.x ** 0.5, [S.x]), POSITIVE)
case("power_minus_2", lambda S: (S.x ** -2, [S.x]), POSITIVE)
case("power_rational", lambda S: (S.A ** sp.Rational(3, 2), [S.A]), POSITIVE)
case("power_scalar_exponent", lambda S: (S.x ** S.s, [S.x, S.s]), POSITIVE)
case("power_scalar_exponent_matrix", lambda S: (S.A ** S.s, [S.A, S.s]), POSITIVE)
case("power_vector_exponent", lambda S: (S.x ** S.y, [S.x, S.y]), POSITIVE)
case("power_scalar_base", lambda S: (S.s ** S.x, [S.s, S.x]), POSITIVE)
case("power_const_base", lambda S: (2 ** S.x, [S.x]))

# -- every registered element-wise function (new ones are picked up) -----------
def _numeric(entry):
    """False for an undefined user function (sympy.Function("f")): it has no numeric form to check."""
    body = entry.definition.expr
    return not (body.atoms(sp.core.function.AppliedUndef) or body.atoms(sp.Derivative))


def function_cases(entries) -> list[Case]:
    """The cases of element-wise functions: each entry applied to a vector and to a matrix."""
    out = []
    for entry in entries:
        if not _numeric(entry):
            continue
        avoid = 0.0 if entry.smooth else 0.1
        out.append(Case(f"fn_{entry.name}_vector", lambda S, n=entry.name: (jc.elementwise(n, S.x), [S.x]),
                        tuple(entry.domain), avoid))
        out.append(Case(f"fn_{entry.name}_matrix", lambda S, n=entry.name: (jc.elementwise(n, S.A), [S.A]),
                        tuple(entry.domain), avoid))
    return out


CASES.extend(function_cases(list(FUNCTIONS.values())))

_t = sp.Symbol("t")
case("user_sympy_sin", lambda S: (jc.elementwise(sp.sin, S.x), [S.x]), (-3.0, 3.0))
case("user_sympy_atan_matrix", lambda S: (jc.elementwise(sp.atan, S.A), [S.A]), (-3.0, 3.0))
case("user_lambda", lambda S: (jc.elementwise(sp.Lambda(_t, _t**3 / (1 + _t**2)), S.x), [S.x]), (-3.0, 3.0))
case("user_lambda_matrix", lambda S: (jc.elementwise(sp.Lambda(_t, sp.sin(_t) * sp.exp(-_t**2)), S.A), [S.A]),
     (-2.0, 2.0))
case("convenience_functions",
     lambda S: (jc.sigmoid(S.x) + jc.tanh(S.y) + jc.softplus(S.x) * jc.exp(S.y), [S.x, S.y]), (-2.0, 2.0))

# -- matrix products ----------------------------------------------------------
case("matvec", lambda S: (S.A @ S.x, [S.A, S.x]))
case("matmat", lambda S: (S.A @ S.B, [S.A, S.B]))
case("three_factor", lambda S: (S.A @ S.B @ S.C, [S.A, S.B, S.C]))
case("three_factor_vector", lambda S: (S.A @ S.B @ S.z, [S.A, S.B, S.z]))
case("row_times_matrix", lambda S: (S.u.T @ S.A, [S.u, S.A]))
case("outer_product", lambda S: (S.u @ S.x.T, [S.u, S.x]))
case("matmat_repeated", lambda S: (S.M @ S.M, [S.M]))
case("bilinear", lambda S: (S.u.T @ S.A @ S.x, [S.u, S.A, S.x]))
case("quadratic_form", lambda S: (S.x.T @ S.M @ S.x, [S.x, S.M]))

# -- transpose, sum, dot, softmax ---------------------------------------------
case("transpose_vector", lambda S: (S.x.T, [S.x]))
case("transpose_matrix", lambda S: (S.A.T, [S.A]))
case("transpose_square", lambda S: (S.M.T + S.M, [S.M]))
case("vec_matrix", lambda S: (P.vec(S.A), [S.A]))
if hasattr(P, "Unvec"):  # the inverse of vec (used by reverse mode through vec)
    def _unvec(S):
        w = jc.vector("w", S.A.shape[0] * S.A.shape[1])
        return P.reshape_like(w, S.A.shape) * S.P, [w, S.P]

    case("unvec", _unvec)
case("sum_vector", lambda S: (jc.sum(S.x), [S.x]))
case("sum_matrix", lambda S: (jc.sum(S.A), [S.A]))
case("dot", lambda S: (jc.dot(S.x, S.y), [S.x, S.y]))
case("norm1_vector", lambda S: (jc.norm1(S.x), [S.x]), avoid_zero=0.1)
case("norm1_matrix", lambda S: (jc.norm1(S.A), [S.A]), avoid_zero=0.1)
case("norm1_residual", lambda S: (jc.norm1(S.A @ S.x - S.u) * S.s, [S.A, S.x, S.u, S.s]), (0.5, 2.0))
case("norm2_vector", lambda S: (jc.norm2(S.x), [S.x]))
case("norm2_matrix", lambda S: (jc.norm2(S.A), [S.A]))
case("norm2_residual", lambda S: (jc.norm2(S.A @ S.x - S.u), [S.A, S.x, S.u]))
case("normalized", lambda S: (S.x / jc.norm2(S.x), [S.x]))
case("dot_self", lambda S: (jc.dot(S.x, S.x), [S.x]))
case("softmax_vector", lambda S: (jc.softmax(S.x), [S.x]), (-2.0, 2.0))
case("softmax_matrix_columns", lambda S: (jc.softmax(S.A), [S.A]), (-2.0, 2.0))
# -- batches: reductions along an axis, broadcasting, max, softmax along rows ----------------------------
case("sum_axes_broadcast", lambda S: (jc.sum((S.A - jc.mean(S.A, axis=0)) * jc.sum(S.A, axis=1)), [S.A]))
case("var_bessel", lambda S: (jc.sum(jc.var(S.A @ S.M, axis=1, ddof=1)), [S.A, S.M]))
case("max_axes", lambda S: (jc.sum(jc.max(S.A, axis=0)) + jc.sum(jc.max(S.A, axis=1) * S.u), [S.A, S.u]))
case("max_all", lambda S: (jc.max(S.A @ S.x), [S.A, S.x]))
case("argmax_mask", lambda S: (jc.sum(P.argmax_mask(S.A, 1) * S.A), [S.A]))
case("softmax_rows", lambda S: (jc.softmax(S.A @ S.M, axis=1), [S.A, S.M]), (-2.0, 2.0))
case("log_softmax_axes", lambda S: (P.log_softmax(S.A, axis=1) + P.log_softmax(S.A, axis=0), [S.A]), (-2.0, 2.0))
if hasattr(P, "log_softmax"):
    case("log_softmax_vector", lambda S: (P.log_softmax(S.x), [S.x]), (-2.0, 2.0))
    case("log_softmax_affine", lambda S: (P.log_softmax(S.A @ S.x + S.u), [S.A, S.x, S.u]), (-2.0, 2.0))

# -- functions of a square matrix (Q is m x m; random matrices are almost surely invertible) ----------
case("trace", lambda S: (jc.trace(S.M), [S.M]))
case("trace_of_product", lambda S: (jc.trace(S.A.T @ S.P), [S.A, S.P]))
case("trace_of_outer_product", lambda S: (jc.trace(S.x @ S.y.T), [S.x, S.y]))
case("det", lambda S: (jc.det(S.M), [S.M]))
case("det_times_vector", lambda S: (jc.det(S.Q) * S.u, [S.Q, S.u]))
case("logdet", lambda S: (jc.logdet(S.M), [S.M]))
case("logdet_gram", lambda S: (jc.logdet(S.A @ S.A.T + jc.identity(S.A.shape[0])), [S.A]))
case("inv", lambda S: (jc.inv(S.Q), [S.Q]))
case("inv_times_vector", lambda S: (jc.inv(S.Q) @ S.u, [S.Q, S.u]))
case("row_times_inv", lambda S: (S.u.T @ jc.inv(S.Q), [S.u, S.Q]))
case("inv_bilinear_form", lambda S: (S.u.T @ jc.inv(S.Q) @ S.A, [S.u, S.Q, S.A]))
case("matrix_power_3", lambda S: (jc.matrix_power(S.Q, 3), [S.Q]))
case("matrix_power_minus_2", lambda S: (jc.matrix_power(S.Q, -2) @ S.u, [S.Q, S.u]))
case("matrix_power_0", lambda S: (jc.matrix_power(S.M, 0) @ S.x, [S.M, S.x]))

# -- Kronecker products and their block contractions (A m x n, B n x k, M n x n) -----------------------
case("kron_matrices", lambda S: (jc.kron(S.A, S.B), [S.A, S.B]))
case("kron_vectors", lambda S: (jc.kron(S.x, S.u), [S.x, S.u]))
case("kron_self", lambda S: (jc.sum(jc.kron(S.M, S.M) ** 2), [S.M]))
case("block_inner", lambda S: (jc.block_inner(jc.kron(S.A, S.B) * jc.kron(S.A, S.B), S.B), [S.A, S.B]))
case("block_sum", lambda S: (jc.block_sum(jc.kron(S.x, S.B) * jc.kron(S.x, S.B), S.x), [S.x, S.B]))


# -- index matrices: the embedding gather, its scatter-add, one-hot rows (X: n x 2 with m classes, A's rows) ----
def _ids(S, cols=2, classes=None):
    return jc.indices("X" if cols != 1 else "y", S.x.shape[0], cols, S.A.shape[0] if classes is None else classes)


case("embedding", lambda S: (jc.embedding(S.A, _ids(S)), [S.A]))
case("embedding_of_a_product", lambda S: (jc.sum(jc.sigmoid(jc.embedding(S.A @ S.B, _ids(S)))), [S.A, S.B]))
case("embedding_one_index", lambda S: (jc.embedding(S.A, _ids(S, 1)) * S.s, [S.A, S.s]))
case("scatter_add", lambda S: (jc.scatter_add(jc.embedding(S.A, _ids(S)) ** 2, _ids(S)), [S.A]))
case("onehot_targets", lambda S: (jc.sum(jc.onehot(_ids(S, 1, S.C.shape[0]), S.C.shape[0]) * jc.log(
    jc.sigmoid(S.A.T @ S.C.T))), [S.A, S.C]))

# -- concatenation and slices (A m x n, P m x n, B n x k; sizes 2 and up) -----------------------
case("concat_side_by_side", lambda S: (jc.concat([S.A, S.P, S.A], axis=1), [S.A, S.P]))
case("concat_stacked", lambda S: (jc.sum(jc.tanh(jc.concat([S.A, S.B.T], axis=0)) ** 2), [S.A, S.B]))
case("cols_of_a_product", lambda S: (jc.cols(S.A @ S.B, 1, 2), [S.A, S.B]))
case("rows_times_scalar", lambda S: (jc.rows(S.x, 0, 2) * S.s, [S.x, S.s]))
case("slice_of_a_concat", lambda S: (jc.cols(jc.concat([S.A, S.P], axis=1), 1, S.A.shape[1] + 1), [S.A, S.P]))


# -- every registered primitive's own examples (a new primitive is picked up) -----------
def example_cases(primitives=None, functions=None) -> list[tuple[str, str]]:
    """(id, text) for the examples every primitive of the registry declares (jacobi.core.PRIMITIVES), and
    every element-wise function (its uses in compositions: sin(A @ x)); given primitives alone, theirs."""
    prims = P.PRIMITIVES if primitives is None else primitives
    fns = (FUNCTIONS if primitives is None else {}) if functions is None else functions
    return ([(f"{name}:{text}", text) for name, cls in prims.items() for text in cls.examples]
            + [(f"fn_{name}:{text}", text) for name, fn in fns.items() for text in fn.examples])


def check_example(text: str) -> None:
    """The derivatives of a primitive's example, with respect to every symbol in it, against both oracles;
    its sizes (inferred by the parser, named) are given small distinct numbers."""
    f = jc.parse(text)
    free = {s for v in f.symbols() for d in v.shape for s in sp.sympify(d).free_symbols}
    # and the sizes a node takes as a parameter (the power k of matrix_power(X, k)), which the oracles bind too
    free |= {s for n in f.walk() for q in n.params if isinstance(q, sp.Expr) for s in q.free_symbols}
    free |= {s for v in f.symbols() if P.is_indices(v) for s in P.classes(v).free_symbols}  # its classes
    free = sorted(free, key=str)
    sizes = {s: 2 + i for i, s in enumerate(free)}
    # an index matrix (jc.indices) is data: sampled as integers, never differentiated
    check_all(f, [s for s in f.symbols() if not P.is_indices(s)], sizes, SEEDS, POSITIVE)


EXAMPLES = example_cases()


@pytest.mark.parametrize("text", [t for _, t in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_primitive_example(text):
    check_example(text)


def test_every_differentiable_primitive_declares_examples():
    ruled = [name for name, cls in P.PRIMITIVES.items() if hasattr(cls, "local_jacobian")]
    assert ruled and all(P.PRIMITIVES[n].examples for n in ruled)
    seen = {type(n).__name__ for _, t in EXAMPLES for n in jc.parse(t).walk()}
    assert set(ruled) <= seen, f"no example uses {sorted(set(ruled) - seen)}"


@pytest.mark.parametrize("setting", SIZE_SETTINGS, ids=[s[0] for s in SIZE_SETTINGS])
@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_rule(c, setting):
    _, dims, sizes = setting
    f, wrt = c.build(symbols_for(dims))
    check_all(f, wrt, sizes, SEEDS, c.domain, c.avoid_zero)


def test_table_covers_every_rule():
    """Every primitive with a local Jacobian appears in some case's expression."""
    seen = set()
    for _, dims, _sizes in SIZE_SETTINGS:
        S = symbols_for(dims)
        for c in CASES:
            f, _ = c.build(S)
            seen.update(type(n) for n in f.walk())
    ruled = {cls for cls in P.PRIMITIVES.values() if hasattr(cls, "local_jacobian")}
    assert ruled, "no primitive defines local_jacobian"
    assert ruled <= seen, f"no case exercises {sorted(c.__name__ for c in ruled - seen)}"
