"""matrixcalculus.org's input syntax (``syntax="matrixcalculus"``, ``--syntax matrixcalculus``).

A table of inputs written as matrixcalculus.org's users write them (its
documented examples first), each with the jacobi-syntax expression it must
be: the very same expression where the forms agree, else the same value at
seeded random points.  Rows that need a function another part of jacobi
adds (trace, det, sin ...) check that the text is refused naming it, while it is not
registered.  Then the refusals, the hints the default syntax gives for input
written the other way, derivatives against central differences and SymPy,
round trips through ``str`` and the command line.
"""
from __future__ import annotations

import numpy as np
import pytest
from oracles import check_all, evaluate, sample
from test_cli import jacobi

import jacobi as jc
from jacobi import core as P
from jacobi.core import callables as C
from jacobi.core import sizerules as R
from jacobi.parse import parse_result
from jacobi.parse.syntax import MC_FUNCTIONS, registered

MC = "matrixcalculus"

# (matrixcalculus.org's text, the jacobi-syntax expression it is, the jacobi names it needs beyond the core's)
TABLE = [
    # matrixcalculus.org's documented examples
    ("0.5*x'*A*x", "0.5 * x.T @ A @ x", ()),
    ("A*exp(x)", "A @ exp(x)", ()),
    ("sin(x)'*y", "sin(x).T @ y", ("sin",)),
    ("(y.*v)'*x", "(y * v).T @ x", ()),
    ("a^b", "a ** b", ()),
    ("norm1(A*x-y)", "norm1(A @ x - y)", ("norm1",)),
    ("norm2(A*x-y)^2", "norm2(A @ x - y) ** 2", ("norm2",)),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", "sum(log(exp(-y * (X @ w)) + 1))", ()),
    ("tr(A*X'*B*X*C)", "trace(A @ X.T @ B @ X @ C)", ("trace",)),
    ("log(det(inv(X)))", "log(det(inv(X)))", ("det", "inv")),
    # the usual least squares, quadratic forms and logistic losses
    ("x'*A*x", "x.T @ A @ x", ()),
    ("(A*x-b)'*(A*x-b)", "(A @ x - b).T @ (A @ x - b)", ()),  # b is a scalar (a-g), expanded
    ("(A*x-y)'*(A*x-y)", "(A @ x - y).T @ (A @ x - y)", ()),
    ("sum(log(exp(X*w)+vector(1)))", "sum(log(exp(X @ w) + vector(1)))", ()),
    ("norm2(A*x-b)^2", "norm2(A @ x - b) ** 2", ("norm2",)),
    ("tr(X'*A*X)", "trace(X.T @ A @ X)", ("trace",)),
    ("log(det(X))", "log(det(X))", ("det",)),
    ("logdet(X)", "logdet(X)", ("logdet",)),
    ("exp(x)'*y", "exp(x).T @ y", ()),
    ("sin(x).*cos(x)", "sin(x) * cos(x)", ("sin", "cos")),
    ("a*x", "a * x", ()),
    ("x.^2", "x ** 2", ()),
    ("A.*B", "A * B", ()),
    ("x'*(A + A')*x", "x.T @ (A + A.T) @ x", ()),
    ("(x - y)'*(x - y)", "(x - y).T @ (x - y)", ()),
    ("sum((X*w - y).^2)", "sum((X @ w - y) ** 2)", ()),
    ("log(vector(1) + exp(-y.*(X*w)))", "log(1 + exp(-y * (X @ w)))", ()),
    ("x'*A*x + y'*x + c", "x.T @ A @ x + y.T @ x + c", ()),
    ("0.5*norm2(X*w-y)^2 + c*norm1(w)", "1/2 * norm2(X @ w - y) ** 2 + c * norm1(w)", ("norm1", "norm2")),
    # products: the matrix product, and a scalar on either side scales
    ("x'*y", "x.T @ y", ()),
    ("x*y'", "x @ y.T", ()),
    ("A*x", "A @ x", ()),
    ("A*B", "A @ B", ()),
    ("A'*B", "A.T @ B", ()),
    ("x'*A'*y", "x.T @ A.T @ y", ()),
    ("X'*X", "X.T @ X", ()),
    ("a*A", "a * A", ()),
    ("A*a", "A * a", ()),
    ("x*a", "x * a", ()),
    ("2*x", "2 * x", ()),
    ("a*b*x", "a * b * x", ()),
    ("x'*y*z", "(x.T @ y) * z", ()),
    ("(x'*y)*A", "(x.T @ y) * A", ()),
    ("A*x*a", "(A @ x) * a", ()),
    ("alpha*x", "alpha * x", ()),  # the first letter decides: a, a scalar
    ("W1*x + b1", "W1 @ x + b1", ()),  # b1: a scalar
    ("-x'*y", "-(x.T @ y)", ()),
    ("(A*B)'", "(A @ B).T", ()),
    ("A'", "A.T", ()),
    ("x''", "x", ()),
    # division and element-wise operators
    ("x/2", "x / 2", ()),
    ("x/a", "x / a", ()),
    ("A/a", "A / a", ()),
    ("1/a*x", "(1 / a) * x", ()),
    ("x./y", "x / y", ()),
    ("1./x", "1 / x", ()),
    ("2./x", "2 / x", ()),
    ("x.*y", "x * y", ()),
    ("X.*Y", "X * Y", ()),
    ("x.^a", "x ** a", ()),
    ("x.^y", "x ** y", ()),
    ("x.^0.5", "x ** 0.5", ()),
    ("x.^.5", "x ** (1/2)", ()),
    # powers
    ("a^2", "a ** 2", ()),
    ("a^-1", "a ** -1", ()),
    ("(a+b)^2", "(a + b) ** 2", ()),
    ("2^3*x", "8 * x", ()),
    ("(x'*y)^2", "(x.T @ y) ** 2", ()),
    ("A^2", "A @ A", ("matrix_power",)),
    ("x'*A^3*x", "x.T @ A @ A @ A @ x", ("matrix_power",)),
    ("A^-1*x", "inv(A) @ x", ("matrix_power", "inv")),
    # functions
    ("sum(x)", "sum(x)", ()),
    ("sum(X)", "sum(X)", ()),
    ("sum(exp(x))", "sum(exp(x))", ()),
    ("log(sum(exp(x)))", "log(sum(exp(x)))", ()),
    ("exp(x)/sum(exp(x))", "exp(x) / sum(exp(x))", ()),
    ("tanh(A*x+y)", "tanh(A @ x + y)", ()),
    ("relu(W*x)", "relu(W @ x)", ()),
    ("softmax(W*x)", "softmax(W @ x)", ()),
    ("exp(-a*x)", "exp(-a * x)", ()),
    ("diag(x)*y", "diag(x) @ y", ()),
    ("x'*diag(y)*x", "x.T @ diag(y) @ x", ()),
    ("abs(x)", "abs(x)", ("abs",)),
    ("sign(x)", "sign(x)", ("sign",)),
    ("sqrt(x)", "sqrt(x)", ("sqrt",)),
    ("tan(x)", "tan(x)", ("tan",)),
    ("arcsin(x)+arccos(x)+arctan(x)", "arcsin(x) + arccos(x) + arctan(x)", ("arcsin", "arccos", "arctan")),
    ("inv(A)*x", "inv(A) @ x", ("inv",)),
    ("det(X)*x", "det(X) * x", ("det",)),
    ("norm1(x)", "norm1(x)", ("norm1",)),
    ("norm2(X)", "norm2(X)", ("norm2",)),
    ("tr(A)", "trace(A)", ("trace",)),
    # constants of inferred size and the identity
    ("x'*vector(1)", "sum(x)", ()),
    ("vector(1)'*x", "sum(x)", ()),
    ("x + vector(a)", "x + a", ()),
    ("X + matrix(2)", "X + 2", ()),
    ("X .* matrix(0)", "X * zeros(m, n)", ()),
    ("vector(3)'*A*x", "3 * sum(A @ x)", ()),
    ("A + eye", "A + I", ()),
    ("eye*x", "I @ x", ()),
    ("x'*(eye + A)*x", "x.T @ (I + A) @ x", ()),
]


def need(names, text) -> bool:
    """Whether the functions a row needs are registered; while one is not (other parts of jacobi add them),
    the row checks that its text is refused naming a missing one, never read some other way."""
    missing = [n for n in names if registered(n) is None]
    if missing:
        with pytest.raises(jc.ParseError, match="is not available in this version of jacobi"):
            jc.parse(text, syntax=MC)
    return not missing


def same(e, want, text):
    """e is want, or (where the forms differ legitimately) has its value at seeded random points."""
    assert e.shape == want.shape, text
    if e is want:
        return
    syms = sorted(set(e.symbols()) | set(want.symbols()), key=lambda s: s.name)
    sizes = {s: 3 + i for i, s in enumerate(sorted({str(d) for s in syms for d in s.shape if d.is_Symbol}))}
    for seed in range(3):
        vals = sample(syms, sizes, seed, domain=(0.2, 0.9))
        got, ref = evaluate(e, syms, vals), evaluate(want, syms, vals)
        assert np.allclose(got, ref, rtol=1e-10, atol=1e-12), (text, str(e), str(want))


def test_the_table_is_large_and_covers_every_function():
    assert len(TABLE) >= 60
    used = {name for text, _, _ in TABLE for name in MC_FUNCTIONS if f"{name}(" in text or name == "eye"}
    assert used == set(MC_FUNCTIONS)


@pytest.mark.parametrize("mc, text, needs", TABLE, ids=[row[0] for row in TABLE])
def test_matrixcalculus_input_is_the_jacobi_expression(mc, text, needs):
    if not need(needs, mc):
        return
    res = parse_result(mc, syntax=MC)
    want = jc.parse(text, res.symbols)  # the same variables, declared
    same(res.expr, want, mc)


#: where jacobi's printer writes a constant vector or matrix in a sum or an element-wise product as the
#: scalar it expands (x + ones(n) prints as x + 1), which reads back as that scalar expanded: the same value
EXPANDED = {"sum(log(exp(-y.*(X*w)) + vector(1)))", "sum(log(exp(X*w)+vector(1)))", "log(vector(1) + exp(-y.*(X*w)))",
            "X .* matrix(0)"}


@pytest.mark.parametrize("mc, text, needs", TABLE, ids=[row[0] for row in TABLE])
def test_it_prints_in_jacobi_syntax_and_reads_back(mc, text, needs):
    if not need(needs, mc):
        return
    e = jc.parse(mc, syntax=MC)
    back = jc.parse(str(e), {s.name: s for s in e.symbols()})
    if mc in EXPANDED:
        assert back is not e
        same(back, e, mc)
    else:
        assert back is e, (mc, str(e), str(back))


def test_exact_forms():
    assert str(jc.parse("x'*A*x", syntax=MC)) == "x.T @ A @ x"
    assert str(jc.parse("(A*x-y)'*(A*x-y)", syntax=MC)) == "(A @ x - y).T @ (A @ x - y)"
    assert str(jc.parse("a*x", syntax=MC)) == "a * x"
    assert str(jc.parse("x'*vector(1)", syntax=MC)) == "x.T @ ones(n)"
    assert str(jc.parse("X + matrix(2)", syntax=MC)) == "X + 2 * ones(m, n)"
    assert jc.parse("2./x", syntax=MC) is jc.parse("2 / x")  # 2./x is 2 ./ x, not 2. / x


def test_the_naming_convention_is_matrixcalculus_orgs():
    kinds = {n: s.shape for n, s in parse_result("a*g*h + z + A*x + Z*x + alpha*beta*x + lambda + b1*W1*x",
                                                 syntax=MC).symbols.items()}
    scalar = (1, 1)
    assert kinds["a"] == kinds["g"] == kinds["alpha"] == kinds["beta"] == kinds["b1"] == scalar
    for name in ("h", "z", "x", "lambda"):
        assert kinds[name][1] == 1 and kinds[name][0] != 1, name
    for name in ("A", "Z", "W1"):
        assert kinds[name][0] != 1 and kinds[name][1] != 1, name
    # jacobi's own rule differs: Greek names are scalars, other lower-case names vectors
    own = parse_result("lambda * x + a").symbols
    assert own["lambda"].is_scalar and not own["a"].is_scalar


def test_declared_shapes_win():
    res = parse_result("x'*A*x", {"x": 3}, syntax=MC)
    assert res.symbols["A"].shape == (3, 3)
    assert parse_result("a*x", {"a": "3x3"}, syntax=MC).expr.shape == (3, 1)  # a declared matrix
    with pytest.raises(jc.ParseError, match="inner product"):
        parse_result("a*x", {"a": 3, "x": 3}, syntax=MC)


def test_vector_and_matrix_in_jacobi_syntax():
    x, X = jc.vector("x", "n"), jc.matrix("X", "m", "n")
    assert jc.parse("x + vector(1)", {"x": x}) is x + P.ones("n")
    assert jc.parse("x.T @ vector(2)", {"x": x}) is x.T @ (2 * P.ones("n"))
    assert jc.parse("X + matrix(0)", {"X": X}) is X + P.zeros("m", "n")
    assert jc.parse("X @ vector(1)", {"X": X}) is X @ P.ones("n")
    assert jc.parse("vector(1) + x", {"x": 4}) is jc.parse("ones(4) + x", {"x": 4})
    # alone, vector and matrix are variables as any other name
    assert {s.name: s.shape[1] for s in jc.parse("vector + matrix + x").symbols()} == {"vector": 1, "matrix": 1, "x": 1}


@pytest.mark.parametrize("syntax", ["jacobi", MC])
@pytest.mark.parametrize("text, fragment", [
    ("sum(vector(1))", "cannot infer the length of vector(1)"),
    ("sum(matrix(1))", "cannot infer the number of rows of matrix(1)"),
    ("vector(1)'*vector(1)", "cannot infer the length of vector(1)"),
    ("vector(x)", "vector(c) takes a scalar c, not x (nx1)"),
])
def test_constants_whose_size_nothing_fixes(syntax, text, fragment):
    if syntax == "jacobi":
        text = text.replace("'*", ".T @ ")
    with pytest.raises(jc.ParseError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        jc.parse(text, syntax=syntax)


REFUSALS = [  # (text, declared shapes, column, a fragment of the message)
    ("x^2", None, 2, "a vector has none (for element-wise powers use .^)"),
    ("x'^2", None, 3, "for element-wise powers use .^"),
    ("A^x", None, 2, "the exponent of ^ is a scalar"),
    ("x/y", None, 2, "/ divides by a scalar (for element-wise division use ./)"),
    ("A/B", None, 2, "for element-wise division use ./"),
    ("x*y", None, 2, "for their inner product write u'*v"),
    ("A*B", {"A": "2x3", "B": "2x3"}, 2, "3 columns against 2 rows (for the element-wise product use .*)"),
    ("x.*A", None, 2, "cannot multiply element-wise x (nx1) and A"),
    ("x**2", None, 2, "in matrixcalculus.org's syntax a power is ^"),
    ("A@x", None, 2, "* is the matrix product"),
    ("a^b^c", None, 4, "ambiguous"),
    ("diag(X)", None, 1, "the diagonal of a matrix, as a vector, is not available"),
    ("sigmoid(x)", None, 1, "unknown function 'sigmoid' in matrixcalculus.org's syntax (it is jacobi's own"),
    ("foo(x)", None, 1, "unknown function 'foo' in matrixcalculus.org's syntax; its functions: abs, arccos"),
    ("sum + x", None, 1, "sum is a function"),
    ("x'*A*x'", None, 5, "cannot multiply x'*A (1xm) * x' (1xn): m columns against 1 row"),
]


@pytest.mark.parametrize("text, shapes, column, fragment", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(text, shapes, column, fragment):
    with pytest.raises(jc.ParseError) as err:
        jc.parse(text, shapes, syntax=MC)
    assert err.value.column == column, str(err.value)
    assert fragment in str(err.value), str(err.value)


def test_a_name_that_is_not_registered_is_refused_by_name_and_one_registered_later_works():
    """tr is jacobi's trace: refused by name while trace is not registered, never a crash; a trace
    registered later (here a stand-in, where the real one is missing) is what tr finds."""
    X = jc.matrix("X", "n", "n")
    if registered("trace") is not None:
        assert jc.parse("tr(X)", {"X": X}, syntax=MC) is jc.parse("trace(X)", {"X": X})
        return
    with pytest.raises(jc.ParseError, match="tr is not available in this version of jacobi"):
        jc.parse("tr(X)", syntax=MC)
    with pytest.raises(jc.ParseError, match="did you mean trace|trace, which is not available"):
        jc.parse("tr(X)")
    jc.register_callable("trace", jc.sum, args="X", shape=R.SUM)  # a stand-in with trace's shape
    try:
        assert jc.parse("tr(X)", {"X": X}, syntax=MC) is jc.sum(X)
        with pytest.raises(jc.ParseError, match=r"unknown function 'tr' \(did you mean trace\?\)"):
            jc.parse("tr(X)")
    finally:
        C.unregister_callable("trace")


def test_the_matrix_power():
    """A^k is jacobi's matrix_power of a square matrix (a stand-in where it is not registered yet):
    the sides of A are unified, a fixed non-square A is refused, k is an integer."""
    stand_in = registered("matrix_power") is None
    if stand_in:
        with pytest.raises(jc.ParseError, match="the matrix power is not available in this version of jacobi"):
            jc.parse("A^2", syntax=MC)

        def power(A, k):
            out = A
            for _ in range(k - 1):
                out = out @ A
            return out

        jc.register_callable("matrix_power", power, args="X, k", shape=R.SAME)
    try:
        A = jc.parse("A^3", syntax=MC).symbols()
        (A,) = A
        assert A.shape[0] == A.shape[1]
        with pytest.raises(jc.ParseError, match="the matrix power needs a square matrix"):
            jc.parse("A^2", {"A": "2x3"}, syntax=MC)
        with pytest.raises(jc.ParseError, match="takes an integer k"):
            jc.parse("A^0.5", syntax=MC)
        if stand_in:
            assert jc.parse("x'*A^2*x", syntax=MC) is jc.parse("x.T @ A @ A @ x", {"A": A})
    finally:
        if stand_in:
            C.unregister_callable("matrix_power")


# ---------------------------------------------------------------------------
# jacobi's own syntax: input written the other way gets a hint


@pytest.mark.parametrize("text, fragment", [
    ("x'*A*x", "(use @ for the matrix product and .T for the transpose, or --syntax matrixcalculus)"),
    ("(A*x-y)'*(A*x-y)", "use @ for the matrix product and .T for the transpose, or --syntax matrixcalculus"),
    ("A*x", "(use @ for the matrix product, or --syntax matrixcalculus)"),
    ("x .* y", "(use * for the element-wise product)"),
    ("x ./ y", "(use / for the element-wise division)"),
    ("A^2", "(use ** for powers)"),
    ("x.^2", "(use ** for powers)"),
])
def test_hints_in_jacobi_syntax(text, fragment):
    with pytest.raises(jc.ParseError) as err:
        jc.parse(text)
    assert fragment in str(err.value)


def test_no_matrixcalculus_hint_where_the_other_syntax_does_not_read_it_either():
    with pytest.raises(jc.ParseError) as err:
        jc.parse("A * x", {"A": "2x3", "x": 4})
    assert "matrixcalculus" not in str(err.value) and "(for the matrix product use @)" not in str(err.value)


@pytest.mark.parametrize("name, target", [("tr", "trace"), ("det", "det"), ("logdet", "logdet"), ("eye", "I")])
def test_matrixcalculus_function_names_in_jacobi_syntax(name, target):
    """tr(X): did you mean trace?  det never gets "did you mean dot?": once det exists it is accepted."""
    text = f"{name}(X)" if name != "eye" else "eye(3)"
    if registered(name) is not None:
        jc.parse(text)
        return
    with pytest.raises(jc.ParseError) as err:
        jc.parse(text)
    message = str(err.value)
    assert "dot" not in message
    if registered(target) is None:
        assert "not available in this version of jacobi" in message
    else:
        assert f"did you mean {target}?" in message


def test_unknown_syntax():
    with pytest.raises(jc.JacobiError, match="unknown syntax 'matlab': choose jacobi or matrixcalculus"):
        jc.parse("x", syntax="matlab")


# ---------------------------------------------------------------------------
# Derivatives of parsed input: jc.gradient against central differences and SymPy


DERIVATIVES = [  # (text, variables, sizes, needs)
    ("x'*A*x", ("x", "A"), {"n": 3}, ()),
    ("(A*x-y)'*(A*x-y)", ("x", "A", "y"), {"m": 4, "n": 3}, ()),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", ("w", "X"), {"m": 4, "n": 3}, ()),
    ("a*x'*y + x'*A*x", ("x", "a", "y", "A"), {"n": 3}, ()),
    ("exp(x)'*y ./ (vector(1)'*exp(x))", ("x",), {"n": 3}, ()),
    ("sum(tanh(W*x + z).^2)/2", ("W", "x"), {"m": 3, "n": 2}, ()),
    ("sum(sin(x).*cos(x))", ("x",), {"n": 3}, ("sin", "cos")),
    ("norm2(A*x-y)^2", ("x",), {"m": 4, "n": 3}, ("norm2",)),
    ("tr(X'*A*X)", ("X",), {"m": 4, "n": 3}, ("trace",)),
    ("log(det(X'*X))", ("X",), {"m": 4, "n": 3}, ("det",)),  # det(X) may be negative at a random point
]


@pytest.mark.parametrize("text, wrt, sizes, needs", DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
def test_derivatives_against_central_differences(text, wrt, sizes, needs):
    if not need(needs, text):
        return
    res = parse_result(text, syntax=MC)
    f = res.expr
    names = {str(d) for s in res.symbols.values() for d in s.shape if d.is_Symbol}
    sizes = {k: v for k, v in sizes.items() if k in names}
    assert set(sizes) == names, (text, names)
    check_all(f, [res.symbols[w] for w in wrt], sizes, seeds=(0, 1), domain=(0.3, 0.9), projection=False)
    for w in wrt:
        assert jc.gradient(f, res.symbols[w]).shape == res.symbols[w].shape


def test_the_gradient_of_a_least_squares_prints_as_a_textbook_does():
    res = parse_result("(A*x-y)'*(A*x-y)", syntax=MC)
    assert str(jc.gradient(res.expr, res.symbols["x"])) == "2 * (A.T @ (A @ x - y))"


# ---------------------------------------------------------------------------
# The command line


def test_cli_diff_in_matrixcalculus_syntax():
    r = jacobi("diff", "--syntax", "matrixcalculus", "x'*A*x", "--wrt", "x")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "f = x.T @ A @ x"
    assert lines[1] == "x: n, A: n x n"
    assert lines[2:] == ["df/dx = A.T @ x + A @ x"]


def test_cli_check_in_matrixcalculus_syntax():
    r = jacobi("check", "sum(log(exp(-y.*(X*w)) + vector(1)))", "--syntax", "matrixcalculus", "--wrt", "w")
    assert r.returncode == 0, r.stderr
    assert "f = sum(log(exp((-y) * (X @ w)) + 1))" in r.stdout and "gradient check passed" in r.stdout


def test_cli_bad_syntax_value():
    r = jacobi("diff", "x", "--wrt", "x", "--syntax", "matlab")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == ["jacobi: error: argument --syntax: invalid choice: 'matlab' (choose from "
                                     "'jacobi', 'matrixcalculus') (see jacobi diff --help)"]


def test_cli_hint_in_the_default_syntax():
    r = jacobi("diff", "x'*A*x", "--wrt", "x")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("jacobi: error: ") and "Traceback" not in r.stderr
    assert [line for line in lines if line.startswith("jacobi: error:")] == lines[:1]
    assert lines[0].endswith("(use @ for the matrix product and .T for the transpose, or --syntax matrixcalculus)")
    assert lines[1:] == ["  x'*A*x", "    ^"]


def test_the_readme_example_is_what_the_command_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### matrixcalculus.org's syntax", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    command, *output = section.strip().splitlines()
    assert command == """$ jacobi diff "(A*x - y)'*(A*x - y)" --wrt x --syntax matrixcalculus"""
    r = jacobi("diff", "(A*x - y)'*(A*x - y)", "--wrt", "x", "--syntax", "matrixcalculus")
    assert r.returncode == 0 and r.stdout.splitlines() == output
