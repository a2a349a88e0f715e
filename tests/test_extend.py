"""The proof that the core is open: the README's "Extending jacobi" blocks register, inside this
test and nowhere else, an element-wise function, a primitive, a named cost and a backend; each is
then used end to end: parsed, derived with steps, printed as LaTeX, generated for every backend,
checked by the rule tests and the coverage tests (which read the registries), and offered by the
command line.  Everything is unregistered afterwards."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
import test_coverage as cov
import test_rules
from registries import installed
from test_latex import golden_coverage

import jacobi as jc
from jacobi.cli import help as cli_help
from jacobi.cli import main
from jacobi.core import PRIMITIVES, callables, registry
from jacobi.core import functions as F

README = Path(__file__).resolve().parent.parent / "README.md"


def guide_blocks() -> list[str]:
    """The python blocks of the README's "Extending jacobi" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Extending jacobi\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def expected_output(block: str) -> list[str]:
    """What a block prints, as the comment lines right after each print(...) say."""
    out, after_print = [], False
    for line in block.splitlines():
        if line.startswith("print("):
            after_print = True
        elif after_print and line.startswith("# "):
            out.append(line[2:])
        else:
            after_print = False
    return out


@pytest.fixture(scope="module")
def guide():
    """Run the guide's blocks in one namespace; check what each prints; unregister everything after."""
    blocks = guide_blocks()
    assert len(blocks) == 4, "the guide shows four blocks: function, primitive, cost, backend"
    ns: dict = {"__name__": "jacobi_guide"}
    try:
        for block in blocks:
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(compile(block, "README.md (Extending jacobi)", "exec"), ns)  # noqa: S102 - our README
            assert buf.getvalue().splitlines() == expected_output(block)
        yield ns
    finally:
        F.unregister("swish")
        callables.unregister_callable("sqnorm")
        if "SqNorm" in ns:
            registry.unregister(ns["SqNorm"])
        jc.COSTS.pop("pseudo_huber", None)
        jc.BACKENDS.pop("xp", None)
        assert callables.lookup("swish") is None and callables.lookup("sqnorm") is None
        assert "SqNorm" not in PRIMITIVES and not hasattr(jc, "sqnorm")


BACKENDS = ["numpy", "jax", "torch", "xp"]


def _backends():
    return [b for b in BACKENDS if installed(b)]


def test_each_extension_is_one_block_in_one_registry(guide):
    assert F.FUNCTIONS["swish"].activation and "swish" in F.activations()
    assert PRIMITIVES["SqNorm"] is guide["SqNorm"] and callables.lookup("sqnorm").make is guide["sqnorm"]
    assert jc.COSTS["pseudo_huber"].name == "pseudo_huber"
    assert jc.BACKENDS["xp"].alias == "xp"
    # the lists people read come from the registries
    assert "swish" in cli_help.activations_list() and "swish" in cli_help.functions_list()
    assert "sqnorm" in cli_help.functions_list() and "pseudo_huber" in cli_help.costs_list()


def test_function_end_to_end(guide):
    W, x = jc.matrix("W", "m", "n"), jc.vector("x", "n")
    f = jc.parse("sum(swish(W @ x))")
    assert f == jc.sum(jc.swish(W @ x))
    d = jc.derive(f, W)
    assert str(d.result) == "(sigmoid(W @ x) + (W @ x) * sigmoid'(W @ x)) @ x.T"
    assert r"\operatorname{swish}\left(W x\right)" in d.to_latex()
    assert jc.parse(str(d.result)) == d.result  # printed text reads back
    # the rule tests and the coverage tests pick it up from the registry
    cases = test_rules.function_cases([F.FUNCTIONS["swish"]])
    assert [c.name for c in cases] == ["fn_swish_vector", "fn_swish_matrix"]
    for c in cases:
        for setting in test_rules.SIZE_SETTINGS:
            test_rules.test_rule(c, setting)
    for be in _backends():
        cov.check_function(F.FUNCTIONS["swish"], be)
    # large inputs: the stable form gives no overflow
    with np.errstate(all="raise"):
        big = jc.lambdify([x], jc.swish(x))(np.array([-800.0, 800.0]))
    assert np.allclose(big, [0.0, 800.0])


def test_primitive_end_to_end(guide):
    SqNorm = guide["SqNorm"]
    W, x, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("y", "m")
    f = jc.parse("sqnorm(W @ x - y)")
    assert isinstance(f, SqNorm) and f == jc.sqnorm(W @ x - y)
    cov.test_every_callable_parses_reads_back_and_refuses_a_wrong_arity("sqnorm")  # as every shipped name
    d = jc.derive(f, W)
    assert str(d.result) == "2 * ((W @ x - y) @ x.T)"
    assert jc.parse(str(d.result)) == d.result
    tex = d.to_latex()
    assert r"\left\lVert W x - y \right\rVert^{2}" in tex and "squared norm" in tex
    # the rule tests run its declared examples against finite differences and SymPy
    examples = test_rules.example_cases({"SqNorm": SqNorm})
    assert [t for _, t in examples] == ["sqnorm(A)", "sqnorm(A @ x - y)"]
    for _, text in examples:
        test_rules.check_example(text)
        for be in _backends():
            cov.check_example(text, be)
    # gradient values against central differences of the generated function, at numeric sizes
    W3, x3, y3 = jc.matrix("W", 2, 3), jc.vector("x", 3), jc.vector("y", 2)
    C = jc.sqnorm(W3 @ x3 - y3)
    assert jc.check_gradient(C, [W3, x3, y3]).ok
    # the command line reads it, with its steps
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["diff", "sqnorm(A @ x - b)", "--wrt", "x"]) == 0
    assert out.getvalue().splitlines()[-1] == "df/dx = 2 * (A.T @ (A @ x - b))"


def test_cost_end_to_end(guide):
    net = jc.Network([3, 4, 2], activation="swish", cost="pseudo_huber")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    params = net.init_params(seed=1)
    fn = net.gradient_function()
    assert jc.check_gradient(fn, params=params, X=X, Y=Y).ok
    C, g = fn(params, X, Y)
    for be in _backends():
        to = (lambda a: __import__("torch").as_tensor(a)) if be == "torch" else (lambda a: a)
        Cb, gb = net.gradient_function(backend=be)([(to(W), to(b)) for W, b in params], to(X), to(Y))
        tol = 2e-5 if be == "jax" else 1e-10
        assert np.allclose(np.asarray(Cb), C, rtol=tol)
        assert all(np.allclose(np.asarray(p), q, rtol=tol, atol=tol) for pb, qb in zip(gb, g) for p, q in zip(pb, qb))
    assert "BP1" in net.backprop().derivation.to_latex()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["backprop", "--layers", "3,2", "--activation", "swish", "--cost", "pseudo_huber"])
    assert status == 0 and "BP1" in out.getvalue()


def test_backend_end_to_end(guide):
    x, W = jc.vector("x", 3), jc.matrix("W", 2, 3)
    f = jc.lambdify([x, W], [jc.swish(W @ x), jc.gradient(jc.sqnorm(W @ x), W)], backend="xp")
    assert "xp.tanh(" in f.source and not re.search(r"(?<![\w.])np\.", f.source)
    xv, Wv = np.arange(3.0), np.ones((2, 3))
    ref = jc.lambdify([x, W], [jc.swish(W @ x), jc.gradient(jc.sqnorm(W @ x), W)])(xv, Wv)
    assert all(np.allclose(a, b) for a, b in zip(f(xv, Wv), ref))
    net = jc.Network([3, 4, 2], activation="swish", output="softmax", cost="cross_entropy")
    src = net.gradient_function(backend="xp").source
    assert "import numpy as xp\n" in src and not re.search(r"(?<![\w.])np\.", src)
    # the coverage tests hold the new backend to every shipped function
    for name in F.FUNCTIONS:
        if name in cov.shipped()["functions"]:
            cov.check_function(F.FUNCTIONS[name], "xp")


def test_the_coverage_tests_ask_for_the_new_entries_goldens(guide):
    """The LaTeX golden table covers what jacobi ships; a new primitive, function or cost is reported missing
    until its rows are reviewed and written."""
    missing = golden_coverage(list(PRIMITIVES), list(F.FUNCTIONS), list(jc.COSTS))
    assert "SqNorm" in missing[0] and "swish" in missing[1] and "pseudo_huber" in missing[2]
