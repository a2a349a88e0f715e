"""Coverage of the registries: every entry of every registry is held to its tests.

* each element-wise function and each primitive has a rule-test case
  (tests/test_rules.py reads them from the registries), and a LaTeX golden
  (tests/test_latex.py);
* each element-wise function and each primitive's examples have code on every
  registered backend that agrees with numpy, or a declared refusal (a clear
  JacobiError naming the function and the backend) that is tested;
* each named cost is generated on every backend (tests/test_backends.py
  iterates COSTS and BACKENDS).

The checks take the entries as arguments, so tests/test_extend.py holds a new
function, primitive, cost and backend to the same checks.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from registries import installed, shipped
from test_rules import EXAMPLES, function_cases

import jacobi as jc
from jacobi.codegen import BACKENDS
from jacobi.core import functions as F

BACKEND_PARAMS = [pytest.param(b, marks=pytest.mark.skipif(not installed(b), reason=f"{b} is not installed"))
                  for b in BACKENDS]


def _tolerance(be: str) -> float:
    """jax computes in float32 unless x64 is enabled; the others keep float64."""
    return 2e-5 if be == "jax" else 1e-10


def _values(symbols, seed=0, domain=(0.5, 2.0), exprs=()):
    """Sizes for the symbols' named sizes (and those the expressions take as a parameter: the power k of
    matrix_power(X, k)), and seeded values."""
    from jacobi.calculus.check import random_values

    free = {s for v in symbols for d in v.shape for s in sp.sympify(d).free_symbols}
    free |= {s for e in exprs for n in e.walk() for q in n.params if isinstance(q, sp.Expr) for s in q.free_symbols}
    free |= {s for v in symbols if jc.core.is_indices(v) for s in jc.core.classes(v).free_symbols}  # index classes
    sizes = {s: 2 + i for i, s in enumerate(sorted(free, key=str))}
    return sizes, random_values(symbols, sizes, seed, domain)


def check_on_backend(exprs, symbols, values, be: str, sizes=None) -> None:
    """The expressions' values from the backend's generated code against numpy's."""
    want = jc.lambdify(symbols, exprs, sizes=sizes)(*values)
    got = jc.lambdify(symbols, exprs, backend=be, sizes=sizes)(*values)
    tol = _tolerance(be)
    for g, w in zip(got, want):
        g = np.asarray(g, dtype=np.float64)
        assert g.shape == np.shape(w), (be, exprs)
        assert np.allclose(g, w, rtol=tol, atol=tol), (be, [str(e) for e in exprs])


def check_function(fn: F.ElementwiseFunction, be: str) -> None:
    """fn and its derivative, through the backend's code, against numpy's code and against the definition."""
    x = jc.vector("x", 4)
    lo, hi = fn.domain
    xv = np.linspace(lo, hi, 4) + (0.0 if fn.smooth else 0.05)  # off the kink at 0
    f = jc.elementwise(fn.name, x)
    exprs = [f, jc.gradient(jc.sum(f), x)]
    check_on_backend(exprs, [x], [xv], be)
    u = sp.Symbol("u")
    definition = sp.lambdify(u, fn.definition(u), "numpy")
    assert np.allclose(jc.lambdify([x], f)(xv), np.broadcast_to(definition(xv), xv.shape), rtol=1e-10, atol=1e-12)


def check_example(text: str, be: str) -> None:
    """A primitive's example and its gradient (of the sum of its entries) through the backend's code."""
    f = jc.parse(text)
    symbols = list(f.symbols())
    sizes, values = _values(symbols, exprs=[f])
    s = f if f.is_scalar else jc.sum(f)
    exprs = [f] + [jc.gradient(s, v) for v in symbols if not jc.core.is_indices(v)]  # index matrices are data
    check_on_backend(exprs, symbols, values, be, {str(k): v for k, v in sizes.items()})


def functions_of(names):
    return [F.FUNCTIONS[n] for n in names]


@pytest.mark.parametrize("be", BACKEND_PARAMS)
@pytest.mark.parametrize("name", shipped()["functions"])
def test_every_function_has_code_on_every_backend(name, be):
    check_function(F.FUNCTIONS[name], be)


@pytest.mark.parametrize("be", BACKEND_PARAMS)
@pytest.mark.parametrize("text", [t for _, t in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_every_primitive_example_on_every_backend(text, be):
    check_example(text, be)


def test_every_function_has_a_rule_test_case():
    named = {c.name for c in function_cases(functions_of(shipped()["functions"]))}
    for name in shipped()["functions"]:
        assert {f"fn_{name}_vector", f"fn_{name}_matrix"} <= named, name


def test_every_shipped_primitive_is_differentiated_or_a_block():
    """A primitive either has a local Jacobian (and examples, rule-tested) or is a leaf or a Jacobian block
    that the chain rule produces but never differentiates."""
    from jacobi.core import PRIMITIVES

    blocks = {"Symbol", "Const", "Zero", "Ones", "Identity", "Commutation", "Diag", "Kron", "SoftmaxJacobian",
              "AxisSoftmaxJacobian", "KronJacobian", "Rearrange", "PowerSum", "EmbeddingJacobian", "Onehot",
              "SliceJacobian"}
    for name in shipped()["primitives"]:
        cls = PRIMITIVES[name]
        assert hasattr(cls, "local_jacobian") or name in blocks, name
        if hasattr(cls, "local_jacobian"):
            assert cls.examples, name


def test_a_function_without_a_backend_form_is_a_declared_refusal():
    """A user function carries numpy code only: jax reads it (numpy's API), torch refuses by name."""
    t = sp.Symbol("t")
    x = jc.vector("x", 3)
    f = jc.elementwise(sp.Lambda(t, t**3 / (1 + t**2)), x)
    for be in BACKENDS:
        rec = BACKENDS[be]
        if "numpy" in rec.functions or not installed(be):
            continue
        with pytest.raises(jc.JacobiError, match=rf"has no {be} form"):
            jc.lambdify([x], f, backend=be)


def test_the_readme_lists_what_the_registries_ship():
    """The README's lists of activations and costs are the registries' (as jacobi ships them)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    para = " ".join(text.split("\nActivations: ", 1)[1].split("\n\n", 1)[0].split())
    acts = re.findall(r'`"(\w+)"`', para.split("any element-wise function", 1)[0])
    costs = re.findall(r'`"(\w+)"`', para.split("Costs:", 1)[1].split("or any function", 1)[0])
    assert acts == F.activations() == [n for n in shipped()["functions"] if F.FUNCTIONS[n].activation]
    assert costs == shipped()["costs"]


@pytest.mark.parametrize("name", shipped()["costs"])
def test_every_cost_against_finite_differences_and_its_explicit_view(name):
    """Each named cost, on the output it suits, through the generated gradient code: the gradient
    against central differences of the generated cost, and the cost against the explicit view's."""
    cost = jc.COSTS[name]
    out = "softmax" if cost.distribution else "sigmoid"
    net = jc.Network([3, 4, 2], activation="tanh", output=out, cost=name)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3))
    Y = rng.uniform(0.1, 0.9, size=(5, 2))
    if cost.distribution:
        Y /= Y.sum(axis=1, keepdims=True)
    params = net.init_params(seed=1)
    fn = net.gradient_function()
    assert jc.check_gradient(fn, params=params, X=X, Y=Y).ok
    ex = net.explicit([3, 4, 2])
    C = fn(params, X[:1], Y[:1])[0]
    subs = dict(zip(ex.x, X[0])) | dict(zip(ex.y, Y[0]))
    for l, (W, b) in enumerate(params, start=1):
        subs |= dict(zip(ex.W[l], W.reshape(-1))) | dict(zip(ex.b[l], b))  # both row by row
    assert float(ex.cost().evalf(subs=subs)) == pytest.approx(float(C), rel=1e-10)


def call_text(name: str, extra: int = 0) -> str:
    """A call of a registered name, its arguments named as its record names them (sizes as numbers)."""
    from jacobi.core import callables

    rec = callables.lookup(name)
    names = [a.strip() for a in rec.args.split(",") if a.strip() != "..."][:max(rec.arity)]
    args = [str(2 + i) if i in rec.sizes else "0" if i in rec.flags else str(i - 1) if i in rec.offsets else n
            for i, n in enumerate(names)]
    if name == "unvec":
        args[0] = "unvec_input"  # a column of 2 * 3 entries: its size is inferred
    if rec.variadic:  # any number of arguments from the first arity on: one too few is the wrong arity
        return f"{name}({', '.join(args[:rec.arity[0] - extra])})"
    return f"{name}({', '.join(args + ['x'] * extra)})"


@pytest.mark.parametrize("name", shipped()["callables"])
def test_every_callable_parses_reads_back_and_refuses_a_wrong_arity(name):
    e = jc.parse(call_text(name))
    assert jc.parse(str(e)) == e
    with pytest.raises(jc.ParseError, match=rf"{name}.*takes"):
        jc.parse(call_text(name, extra=1))
