"""The expression parser: grammar, precedence, shapes (declared, by convention,
inferred), errors with their columns, and fuzzing.

Fuzz (a): any text parses to an expression or raises a JacobiError, never
anything else.  Fuzz (b): text rendered from a random well-shaped tree parses
to the very expression (interned, so `is`) that jacobi's Python API builds
from the tree, evaluates to the numbers numpy gives for the tree, and parses
without any declaration too (sizes inferred) to the same numbers.
"""
from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import jacobi as jc
from jacobi import core as P
from jacobi.core import functions as F
from jacobi.parse import (
    MAX_DEPTH,
    ParseError,
    ParseShapeError,
    parse,
    parse_result,
    shape_spec,
    tokenize,
)

n, m = sp.Symbol("n", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True)
alpha, beta = jc.scalar("alpha"), jc.scalar("beta")
x, y = jc.vector("x", "n"), jc.vector("y", "n")
u, v = jc.vector("u", "m"), jc.vector("v", "m")
A, W, B, C = jc.matrix("A", "n", "n"), jc.matrix("W", "m", "n"), jc.matrix("B", "n", "m"), jc.matrix("C", "m", "m")
POOL = {"alpha": alpha, "beta": beta, "x": x, "y": y, "u": u, "v": v, "A": A, "W": W, "B": B, "C": C}
DECLARED = {"alpha": "scalar", "beta": "scalar", "x": "n", "y": "n", "u": "m", "v": "m", "A": "nxn", "W": "m x n",
            "B": "n,m", "C": "mxm"}


# ---------------------------------------------------------------------------
# Grammar and precedence


@pytest.mark.parametrize("text,expected", [
    ("x + y * x", lambda: x + y * x),
    ("x - y - x", lambda: (x - y) - x),
    ("x / y / x", lambda: (x / y) / x),
    ("-x ** 2", lambda: -(x ** 2)),
    ("x ** y ** x", lambda: x ** (y ** x)),
    ("x ** -y", lambda: x ** (-y)),
    ("A @ x * y", lambda: (A @ x) * y),
    ("alpha * x + beta", lambda: alpha * x + beta),
    ("-alpha * x", lambda: (-alpha) * x),
    ("+x", lambda: x),
    ("x.T @ A @ x", lambda: x.T @ A @ x),
    ("x' @ A @ x", lambda: x.T @ A @ x),
    ("(A @ x)' + y.T", lambda: (A @ x).T + y.T),
    ("x''", lambda: x.T.T),
    ("x.T.T", lambda: x.T.T),
    ("x . T", lambda: x.T),
    ("sigmoid(A @ x).T", lambda: jc.sigmoid(A @ x).T),
    ("x.T ** 2", lambda: x.T ** 2),
    ("2 ** x.T", lambda: 2 ** x.T),
    ("sum((W @ x - u) ** 2) / 2", lambda: jc.sum((W @ x - u) ** 2) / 2),
    ("C = dot(x, y) * W", lambda: jc.dot(x, y) * W),
])
def test_precedence_and_associativity_follow_python(text, expected):
    assert parse(text, DECLARED) is expected()


def test_products_are_left_associative():
    with pytest.raises(ParseShapeError) as err:  # (y * B.T) @ x: y * B.T is element-wise, and the shapes differ
        parse("y * B.T @ x", DECLARED)
    assert err.value.column == 3


@pytest.mark.parametrize("text,value", [
    ("2", 2), ("-2", -2), ("0.5", Fraction(1, 2)), (".25", Fraction(1, 4)), ("1e-3", Fraction(1, 1000)),
    ("2.5E2", 250), ("1/2", Fraction(1, 2)), ("2 ** -1", Fraction(1, 2)), ("-2 ** 2", -4), ("(-2) ** 2", 4),
    ("2 ** 3 ** 2", 512), ("3 - 4 - 5", -6), ("2 * (3 + 4)", 14),
])
def test_numbers_combine_exactly(text, value):
    e = parse(text)
    value = Fraction(value)
    assert isinstance(e, P.Const) and e.value == sp.Rational(value.numerator, value.denominator)


def test_numbers_with_expressions():
    assert parse("1/2 * x", DECLARED) is Fraction(1, 2) * x
    assert parse("x / 2", DECLARED) is x / 2
    assert parse("x - 1", DECLARED) is x - 1
    assert str(parse("0.1 * x", DECLARED)) == "1/10 * x"


def test_every_registered_function_and_the_others():
    for name, fn in sorted(F.FUNCTIONS.items()):
        assert parse(f"{name}(x)", DECLARED) is P.apply(fn, x), name
    assert parse("sum(W)", DECLARED) is jc.sum(W)
    assert parse("softmax(x)", DECLARED) is jc.softmax(x)
    assert parse("log_softmax(x)", DECLARED) is P.log_softmax(x)
    assert parse("diag(x) @ y", DECLARED) is jc.diag(x) @ y
    assert parse("dot(x, y)", DECLARED) is jc.dot(x, y)
    assert parse("hadamard(x, y)", DECLARED) is jc.hadamard(x, y)
    assert parse("transpose(W)", DECLARED) is W.T


def test_derivative_functions_written_with_a_prime():
    assert parse("sigmoid'(x)", DECLARED) is P.apply(F.FUNCTIONS["sigmoid_prime"], x)
    assert parse("relu'(x) * tanh'(x)", DECLARED) is P.apply(F.FUNCTIONS["relu_prime"], x) * \
        P.apply(F.FUNCTIONS["tanh_prime"], x)
    assert parse("exp'(x)", DECLARED) is jc.exp(x)
    assert parse("softplus'(x)", DECLARED) is jc.sigmoid(x)


def test_printed_results_read_back():
    C_ = jc.sum((jc.sigmoid(W @ x) - u) ** 2) / 2
    g = jc.gradient(C_, W)
    assert parse(str(g), DECLARED) is g


def test_named_statement():
    r = parse_result("C = sum(x)", DECLARED)
    assert r.name == "C" and r.expr is jc.sum(x)
    assert parse_result("sum(x)").name is None


# ---------------------------------------------------------------------------
# Shapes


def test_the_course_example_needs_no_declaration():
    r = parse_result("sum((sigmoid(W@x + b) - y)**2)/2")
    W_, x_, b_, y_ = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    assert r.expr is jc.sum((jc.sigmoid(W_ @ x_ + b_) - y_) ** 2) / 2
    assert list(r.symbols) == ["W", "x", "b", "y"]
    assert r.size_names == ["m", "n"]


@pytest.mark.parametrize("text,shapes", [
    ("alpha * x + beta", {"alpha": (1, 1), "beta": (1, 1), "x": ("n", 1)}),
    ("eta_1 * sigma2 * lambda * theta", {"eta_1": (1, 1), "sigma2": (1, 1), "lambda": (1, 1), "theta": (1, 1)}),
    ("Delta @ e", {"Delta": ("m", "n"), "e": ("n", 1)}),
    ("x.T @ A @ x", {"x": ("n", 1), "A": ("n", "n")}),
    ("A @ B @ C", {"A": ("m", "n"), "B": ("n", "p"), "C": ("p", "k")}),
    ("W2 @ sigmoid(W1 @ x)", {"W2": ("p", "m"), "W1": ("m", "n"), "x": ("n", 1)}),
    ("sum(X)", {"X": ("m", "n")}),
    ("n + x", {"n": ("m", 1), "x": ("m", 1)}),  # a size is never named like a variable
    ("x @ y.T + A", {"x": ("n", 1), "y": ("m", 1), "A": ("n", "m")}),
    ("dot(x, y) * W", {"x": ("n", 1), "y": ("n", 1), "W": ("p", "m")}),
    ("diag(x) @ y", {"x": ("n", 1), "y": ("n", 1)}),
])
def test_convention_and_inference(text, shapes):
    r = parse_result(text)
    got = {k: tuple(str(d) for d in s.shape) for k, s in r.symbols.items()}
    assert got == {k: tuple(str(d) for d in s) for k, s in shapes.items()}


def test_kinds_follow_the_convention():
    r = parse_result("alpha * sum(x) + sum(W)")
    assert [s.kind for s in r.symbols.values()] == ["scalar", "vector", "matrix"]


def test_declared_shapes_win_and_mix_with_inference():
    r = parse_result("W @ x + b", {"x": "3", "alpha": "scalar"})
    assert r.symbols["x"].shape == (3, 1) and r.symbols["W"].shape == (n, 3) and r.symbols["b"].shape == (n, 1)
    r = parse_result("W @ x + b", {"b": 4, "x": "k"})
    assert r.symbols["W"].shape == (4, sp.Symbol("k", integer=True, positive=True))
    r = parse_result("x + y", {"x": "scalar"})  # declared scalar: y keeps the convention
    assert r.symbols["x"].is_scalar and r.symbols["y"].shape == (n, 1)
    r = parse_result("x @ y", {"x": "n", "y": "1xk"})  # a declared row
    assert r.symbols["y"].shape == (1, sp.Symbol("k", integer=True, positive=True))
    # a declared size name is never reused for an inferred size
    r = parse_result("W @ x + u", {"u": "n"})
    assert r.symbols["x"].shape[0] == m and r.symbols["W"].shape == (n, m)


def test_symbols_given_as_is():
    t = jc.vector("t", "k", distribution=True)
    r = parse_result("softmax(z) - t", {"t": t})
    assert r.symbols["t"] is t and r.symbols["z"].shape == t.shape


def test_distributions():
    r = parse_result("-sum(t * log(softmax(z)))", distributions=["t"])
    assert "distribution" in r.symbols["t"].assumptions
    assert str(jc.gradient(r.expr, r.symbols["z"])) == "softmax(z) - t"
    with pytest.raises(jc.JacobiError, match="scalar"):
        parse("alpha * x", distributions=["alpha"])


@pytest.mark.parametrize("spec,dims", [
    ("3", (3, 1)), ("n", ("n", 1)), ("2x3", (2, 3)), ("mxn", ("m", "n")), ("m x n", ("m", "n")),
    ("m,n", ("m", "n")), ("2×3", (2, 3)), ("1", (1, 1)), ("1x1", (1, 1)), ("scalar", (1, 1)), (" Scalar ", (1, 1)),
    ("1x3", (1, 3)), ("3x1", (3, 1)), (4, (4, 1)), ((2, "k"), (2, "k")), ("nx", ("nx", 1)), ("x", ("x", 1)),
    ("x2x", ("x2x", 1)),
])
def test_shape_specs(spec, dims):
    assert shape_spec(spec) == dims


@pytest.mark.parametrize("spec", ["", "0", "2y3", "2x3x4", "-1", "n-1", "1.5", 0, True, (1, 2, 3), None, "2x"])
def test_bad_shape_specs(spec):
    with pytest.raises(jc.JacobiError, match="not a shape"):
        shape_spec(spec, "W")


def test_declared_kinds():
    r = parse_result("a + b + c + d", {"a": "3", "b": "3x1", "c": "1x1", "d": "scalar"})
    assert [s.kind for s in r.symbols.values()] == ["vector", "vector", "scalar", "scalar"]
    assert parse("a + b", {"a": "3", "b": "3x1"}) is jc.vector("a", 3) + jc.vector("b", 3)


# ---------------------------------------------------------------------------
# Errors: the column of the offending character and what was expected


ERRORS = [
    ("x $ y", None, 3, "unexpected character '$'"),
    ("x ^ 2", None, 3, "use **"),
    ("αx", None, 1, "write alpha"),
    ("x +", None, 4, "expected an operand (a name, a number or '(') after '+', found end of input"),
    ("", None, 1, "empty expression"),
    ("   ", None, 4, "empty expression"),
    ("(x", None, 3, "expected ')' to close the '(' at column 1, found end of input"),
    ("x)", None, 2, "unmatched ')'"),
    ("(x))", None, 4, "unmatched ')'"),
    ("()", None, 2, "empty parentheses"),
    ("sum((sigmoid(W@x", None, 17, "expected ')' to close the call of sigmoid at column 6, found end of input"),
    ("sigmoid(x y)", None, 11, "expected an operator, ',' or ')' to close the call of sigmoid at column 1"),
    ("sigmod(x)", None, 1, "unknown function 'sigmod' (did you mean sigmoid"),
    ("sofmax(x)", None, 1, "did you mean softmax"),
    ("x(3)", {"x": "3"}, 1, "x is a variable, not a function"),
    ("f(x)", None, 1, "unknown function 'f'"),
    ("2(x)", None, 1, "2 is a number, not a function"),
    ("x.t", None, 3, "expected T after '.'"),
    ("x.", None, 3, "expected T after '.' (x.T is the transpose of x), found end of input"),
    ("dot(x)", None, 1, "dot takes 2 arguments (u, v), got 1"),
    ("sigmoid(x, y)", None, 1, "sigmoid takes 1 argument (x), got 2"),
    ("exp()", None, 1, "exp takes 1 argument (x), got 0"),
    ("sigmoid", None, 1, "sigmoid is a function: call it as sigmoid(...)"),
    ("2x", None, 2, "expected an operator or the end of the input, found the name x (a product needs * or @)"),
    ("(x)(y)", None, 4, "found '('"),
    ("a, b", None, 2, "unexpected ','"),
    ("x = y = z", None, 7, "unexpected '='"),
    ("= x", None, 1, "expected an operand"),
    ("C =", None, 4, "expected an expression after 'C ='"),
    ("1e", None, 3, "malformed number '1e'"),
    ("1e+", None, 4, "malformed number '1e+'"),
    ("_x", None, 1, "a name starts with a letter"),
    ("1/0", None, 2, "division by zero"),
    ("log'(x)", None, 1, "log' is not a registered function"),
    ("sum'(x)", None, 1, "sum' is not a function"),
    ("9" * 70, None, 1, "more than 60 characters"),
    ("x + z", {"x": "3"}, 5, "unknown name 'z'"),  # strict
    ("__import__('os').system('echo hacked')", None, 1, "unexpected character '_'"),
    ("x; import os", None, 2, "unexpected character ';'"),
]
SHAPE_ERRORS = [
    ("x + y", {"x": "3", "y": "4"}, 3, "cannot add x (3x1) and y (4x1): the shapes differ"),
    ("x - W", {"x": "3", "W": "2x3"}, 3, "cannot subtract x (3x1) and W (2x3)"),
    ("A * x", {"A": "2x3", "x": "3"}, 3, "cannot multiply element-wise A (2x3) and x (3x1): the shapes differ "
                                        "(use @ for the matrix product, or --syntax matrixcalculus)"),
    ("x / y.T", None, 3, "cannot divide element-wise x (nx1) and y.T (1xm)"),
    ("x @ y", None, 3, "cannot multiply x (nx1) @ y (mx1): 1 column against m rows (for the outer product"),
    ("2 @ x", None, 3, "(for a scalar multiple use *)"),
    ("sum((W @ x + b) * W.T)", {"W": "2x3"}, 17, "cannot multiply element-wise (W @ x + b) (2x1) and W.T (3x2)"),
    ("x ** W", None, 3, "cannot raise x (nx1) to the power W"),
    ("dot(W, x)", None, 1, "dot takes two column vectors of one size"),
    ("hadamard(x, alpha)", None, 1, "cannot take the Hadamard product of x (nx1) and alpha (1x1)"),
    ("W @ x + y", {"W": "2x3", "y": "3"}, 7, "cannot add W @ x (2x1) and y (3x1)"),
]


def _check_error(err: ParseError, text: str, column: int, fragment: str):
    assert err.column == column, str(err)
    assert err.text == text
    assert str(err).startswith(f"column {column}: ")
    assert fragment in str(err), str(err)
    assert "\n" not in str(err)
    line, caret = err.display.split("\n")
    if len(text) <= 100 and text.isascii():
        assert line == text and caret == " " * (column - 1) + "^"


@pytest.mark.parametrize("text,shapes,column,fragment", ERRORS)
def test_errors_name_the_column_and_what_was_expected(text, shapes, column, fragment):
    with pytest.raises(ParseError) as err:
        parse(text, shapes, strict=shapes is not None and "unknown name" in fragment)
    assert isinstance(err.value, jc.JacobiError)
    _check_error(err.value, text, column, fragment)


@pytest.mark.parametrize("text,shapes,column,fragment", SHAPE_ERRORS)
def test_shape_errors_at_the_operator(text, shapes, column, fragment):
    with pytest.raises(ParseShapeError) as err:
        parse(text, shapes)
    assert isinstance(err.value, jc.ShapeError)
    _check_error(err.value, text, column, fragment)


def test_unknown_function_lists_the_known_ones():
    with pytest.raises(ParseError) as err:
        parse("sigmod(x)")
    for name in ("sigmoid", "tanh", "relu", "softmax", "log_softmax", "dot", "diag", "sum"):
        assert name in str(err.value)


def test_absurd_nesting_is_refused_clearly():
    for text in ["(" * 500 + "x" + ")" * 500, "-" * 500 + "x", "x" + "'" * 500,
                 "sigmoid(" * 300 + "x" + ")" * 300, "2 ** " * 300 + "2"]:
        with pytest.raises(ParseError, match=f"more than {MAX_DEPTH} levels"):
            parse(text)
    parse("(" * 40 + "x" + ")" * 40)
    assert parse("+".join(["x"] * 500)).depth <= 3  # a flat sum nests no deeper however long (issue 11)


def test_long_text_display_is_a_window():
    text = "x + " * 40 + "y $ z"
    with pytest.raises(ParseError) as err:
        parse(text)
    line, caret = err.value.display.split("\n")
    assert line.startswith("...") and len(line) <= 106 and line[len(caret) - 1] == "$"


def test_display_of_control_characters_and_wide_characters():
    with pytest.raises(ParseError) as err:
        parse("x +\n\ty $")
    line, caret = err.value.display.split("\n")
    assert line == "x +  y $" and caret == " " * 7 + "^"
    with pytest.raises(ParseError) as err:
        parse("中")
    assert err.value.display == "中\n^"


def test_text_only():
    with pytest.raises(jc.JacobiError):
        parse(b"x")
    assert [t.kind for t in tokenize("W@x.T**2")] == ["name", "op", "name", "op", "name", "op", "number", "end"]


def test_the_parser_never_evaluates_text():
    banned = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "literal_eval", "S"}
    root = Path(__file__).resolve().parents[1] / "jacobi"
    paths = sorted(root.glob("parse/*.py")) + sorted(root.glob("cli/*.py"))
    assert {p.name for p in paths} >= {"__init__.py", "lexer.py", "grammar.py", "sizes.py", "build.py", "commands.py"}
    for path in paths:
        module = path.relative_to(root)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else "")
                if name == "compile" and isinstance(f, ast.Attribute) and getattr(f.value, "id", "") == "re":
                    continue  # a regular expression
                assert name not in banned, f"{module}:{node.lineno} calls {name}"


# ---------------------------------------------------------------------------
# Fuzz (a): any text


GRAMMAR = list("xyzWAbab12 0.5e()+-*/@.T',=_") + ["**", "alpha", "sigmoid(", "sum(", "dot(", ".T", "1e-3", " "]


def _parse_anything(text):
    try:
        e = parse(text)
    except ParseError as err:
        assert 1 <= err.column <= len(text) + 1
        line, caret = err.display.split("\n")
        assert caret.strip() == "^"
        return None
    except jc.JacobiError:
        return None
    assert isinstance(e, jc.Expr)
    str(e)
    return e


@given(st.lists(st.sampled_from(GRAMMAR), max_size=30).map("".join))
def test_fuzz_grammar_soup(text):
    _parse_anything(text)


@given(st.text(max_size=30))
def test_fuzz_any_unicode(text):
    _parse_anything(text)


# ---------------------------------------------------------------------------
# Fuzz (b): valid expressions from random well-shaped trees

S, N, M = (1, 1), ("n", 1), ("m", 1)
LEAVES = {S: ["alpha", "beta"], N: ["x", "y"], M: ["u", "v"], ("n", "n"): ["A"], ("m", "n"): ["W"],
          ("n", "m"): ["B"], ("m", "m"): ["C"]}
DIMS = [1, "n", "m"]
FUNS = ["sigmoid", "tanh", "softplus", "relu", "exp", "identity"]
PREC = {"atom": 6, "postfix": 5, "**": 4, "unary": 3, "*": 2, "/": 2, "@": 2, "+": 1, "-": 1}


@st.composite
def trees(draw, shape, depth=4):
    """A random tree of the given shape: ("sym", name) ("num", k) ("neg", t) ("bin", op, l, r)
    ("T", style, t) ("call", f, args)."""
    r, c = shape
    leaf = depth <= 0 or draw(st.integers(0, 3)) == 0
    if leaf:
        if shape == S and draw(st.booleans()):
            return ("num", draw(st.integers(1, 5)))  # no 0: numpy's -0.0 is Python's 0, and 1/-0.0 is -inf
        if shape in LEAVES:
            return ("sym", draw(st.sampled_from(LEAVES[shape])))
        return ("T", draw(st.sampled_from([".T", "'"])), draw(trees((c, r), 0)))
    sub = lambda s: trees(s, depth - 1)  # noqa: E731
    kinds = ["ew", "ew_scalar", "neg", "fun", "T", "matmul", "pow"]
    if shape == S:
        kinds += ["sum", "dot"]
    if c == 1 and r != 1:
        kinds += ["softmax", "log_softmax"]
    if r == c and r != 1:
        kinds += ["diag"]
    if shape != S:
        kinds += ["hadamard"]
    kind = draw(st.sampled_from(kinds))
    if kind == "ew":
        return ("bin", draw(st.sampled_from("+-*/")), draw(sub(shape)), draw(sub(shape)))
    if kind == "ew_scalar":
        op = draw(st.sampled_from("+-*/"))
        s, e = draw(sub(S)), draw(sub(shape))
        return ("bin", op, s, e) if draw(st.booleans()) else ("bin", op, e, s)
    if kind == "neg":
        return ("neg", draw(sub(shape)))
    if kind == "fun":
        return ("call", draw(st.sampled_from(FUNS)), (draw(sub(shape)),))
    if kind == "T":
        return ("T", draw(st.sampled_from([".T", "'"])), draw(sub((c, r))))
    if kind == "matmul":
        k = draw(st.sampled_from(DIMS))
        return ("bin", "@", draw(sub((r, k))), draw(sub((k, c))))
    if kind == "pow":
        return ("bin", "**", draw(sub(shape)), ("num", draw(st.integers(1, 3))))
    if kind == "sum":
        return ("call", "sum", (draw(sub((draw(st.sampled_from(DIMS)), draw(st.sampled_from(DIMS))))),))
    if kind == "dot":
        d = draw(st.sampled_from([N, M]))
        return ("call", "dot", (draw(sub(d)), draw(sub(d))))
    if kind == "diag":
        return ("call", "diag", (draw(sub((r, 1))),))
    if kind == "hadamard":
        return ("call", "hadamard", (draw(sub(shape)), draw(sub(shape))))
    return ("call", kind, (draw(sub(shape)),))


def render(t, draw_parens) -> tuple[str, int]:
    """Text with the fewest parentheses the precedence needs (plus random redundant ones)."""
    kind = t[0]
    if kind == "sym":
        s, p = t[1], PREC["atom"]
    elif kind == "num":
        s, p = str(t[1]), PREC["atom"]
    elif kind == "neg":
        s, p = "-" + _child(t[1], PREC["unary"], draw_parens), PREC["unary"]
    elif kind == "T":
        inner = _child(t[2], PREC["postfix"], draw_parens)
        if t[1] == ".T" and t[2][0] == "num":
            inner = "(" + inner + ")"  # 2.T would read as the number 2.
        s, p = inner + t[1], PREC["postfix"]
    elif kind == "bin":
        op = t[1]
        if op == "**":  # right-associative; its right operand may be unary
            s = _child(t[2], PREC["postfix"], draw_parens) + " ** " + _child(t[3], PREC["unary"], draw_parens)
        else:
            s = _child(t[2], PREC[op], draw_parens) + f" {op} " + _child(t[3], PREC[op] + 1, draw_parens)
        p = PREC[op]
    else:
        s, p = t[1] + "(" + ", ".join(render(a, draw_parens)[0] for a in t[2]) + ")", PREC["atom"]
    if draw_parens():
        s, p = "(" + s + ")", PREC["atom"]
    return s, p


def _child(t, need, draw_parens):
    s, p = render(t, draw_parens)
    return s if p >= need else "(" + s + ")"


def _number(v):
    return isinstance(v, Fraction)


def build(t):
    """jacobi's Python API on the tree, with Python's semantics: numbers combine exactly."""
    kind = t[0]
    if kind == "sym":
        return POOL[t[1]]
    if kind == "num":
        return Fraction(t[1])
    if kind == "neg":
        return -build(t[1])
    if kind == "T":
        return P.transpose(build(t[2]))
    if kind == "bin":
        a, b = build(t[2]), build(t[3])
        op = t[1]
        if op == "@":
            return P.matmul(a, b)
        if op == "**":
            return a ** b if _number(a) else a ** int(b)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()
    args = [build(a) for a in t[2]]
    return API[t[1]](*args)


API = {"sum": jc.sum, "dot": jc.dot, "diag": jc.diag, "hadamard": jc.hadamard, "softmax": jc.softmax,
       "log_softmax": P.log_softmax, "sigmoid": jc.sigmoid, "tanh": jc.tanh, "softplus": jc.softplus,
       "relu": jc.relu, "exp": jc.exp, "identity": lambda e: jc.elementwise("identity", e)}


def _softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


NP_FUNS = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "softplus": lambda z: np.logaddexp(0, z),
           "relu": lambda z: np.maximum(z, 0), "exp": np.exp, "identity": lambda z: z, "softmax": _softmax,
           "log_softmax": lambda z: (z - z.max()) - np.log(np.sum(np.exp(z - z.max()))),
           "sum": lambda z: np.sum(z, keepdims=True).reshape(1, 1),
           "dot": lambda p, q: p.T @ q, "diag": lambda z: np.diagflat(z), "hadamard": lambda p, q: p * q}


def evaluate(t, vals):
    """numpy on the tree: every value a 2-D array."""
    kind = t[0]
    if kind == "sym":
        return vals[t[1]]
    if kind == "num":
        return np.array([[float(t[1])]])
    if kind == "neg":
        return -evaluate(t[1], vals)
    if kind == "T":
        return evaluate(t[2], vals).T
    if kind == "bin":
        a, b = evaluate(t[2], vals), evaluate(t[3], vals)
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power,
                "@": np.matmul}[t[1]](a, b)
    return NP_FUNS[t[1]](*[evaluate(a, vals) for a in t[2]])


SIZES = {"n": 3, "m": 2}
RNG = np.random.default_rng(0)
VALUES = {k: RNG.uniform(0.5, 1.5, size=tuple(SIZES.get(str(d), 1) for d in s.shape)) for k, s in POOL.items()}


def _close(got, want):
    got = np.asarray(got, dtype=float).reshape(want.shape)
    scale = 1.0 + np.nanmax(np.abs(np.where(np.isfinite(want), want, 0)))
    same = np.isclose(got, want, rtol=1e-7, atol=1e-9 * scale, equal_nan=True) | (got == want)
    assert same.all(), (got, want)


@settings(deadline=None)
@given(st.sampled_from([S, N, M, ("n", "n"), ("m", "n"), (1, "n")]).flatmap(lambda s: trees(s)), st.data())
def test_fuzz_valid_expressions(tree, data):
    draw_parens = lambda: data.draw(st.integers(0, 9), label="parens") == 0  # noqa: E731
    text, _ = render(tree, draw_parens)
    try:
        want = build(tree)
    except ZeroDivisionError:
        with pytest.raises(ParseError, match="division by zero"):
            parse(text, DECLARED)
        return
    got = parse(text, DECLARED)
    assert got is P.as_expr(want), text
    # no declarations: the sizes are inferred, and the arrays fit them
    r = parse_result(text)
    inferred = list(r.symbols.values())
    assert [s.kind for s in inferred] == [POOL[s.name].kind for s in inferred]
    with np.errstate(all="ignore"):
        expected = evaluate(tree, VALUES)
        syms = list(POOL.values())
        try:
            value = jc.lambdify(syms, got)(*[VALUES[s.name] for s in syms])
        except ZeroDivisionError:  # generated code divides the constants 0 / 0 as Python numbers
            return
        _close(value, expected)
        _close(jc.lambdify(inferred, r.expr)(*[VALUES[s.name] for s in inferred]), expected)


@settings(deadline=None)
@given(st.sampled_from([S, N, ("m", "n")]).flatmap(lambda s: trees(s, 3)), st.data())
def test_fuzz_mutated_expressions(tree, data):
    text, _ = render(tree, lambda: False)
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        i = data.draw(st.integers(0, len(chars)), label="at")
        edit = data.draw(st.sampled_from(["delete", "insert", "replace"]), label="edit")
        ch = data.draw(st.sampled_from(GRAMMAR), label="char")
        if edit == "delete" and i < len(chars):
            del chars[i]
        elif edit == "insert":
            chars.insert(i, ch)
        elif i < len(chars):
            chars[i] = ch
    _parse_anything("".join(chars))


# ---------------------------------------------------------------------------
# Keyword arguments: name=value for the names that declare them (an axis, ddof)

_KX = jc.matrix("X", "m", "n")


@pytest.mark.parametrize("text, build, printed", [
    ("sum(X, axis=0)", lambda: jc.sum(_KX, axis=0), None),
    ("mean(X, axis=1)", lambda: jc.mean(_KX, axis=1), None),
    ("var(X, axis=0, ddof=1)", lambda: jc.var(_KX, axis=0, ddof=1), None),
    ("var(X, ddof=1)", lambda: jc.var(_KX, ddof=1), None),
    ("var(X, 1, ddof=1)", lambda: jc.var(_KX, axis=1, ddof=1), None),
    ("max(X, axis=1)", lambda: jc.max(_KX, axis=1), "max(X, axis=1)"),
    ("max(X, axis=-2)", lambda: jc.max(_KX, axis=0), "max(X, axis=0)"),
    ("argmax_mask(X, axis=0)", lambda: jc.argmax_mask(_KX, 0), "argmax_mask(X, axis=0)"),
    ("softmax(X, axis=1)", lambda: jc.softmax(_KX, axis=1), "softmax(X, axis=1)"),
    ("softmax(X, axis=0)", lambda: jc.softmax(_KX), "softmax(X)"),
    ("log_softmax(X, axis=1)", lambda: jc.log_softmax(_KX, axis=1), "log_softmax(X, axis=1)"),
    ("concat(X, 2 * X, axis=1)", lambda: jc.concat([_KX, 2 * _KX], axis=1), "concat(X, 2 * X, axis=1)"),
    ("concat(X, X)", lambda: jc.concat([_KX, _KX]), "concat(X, X, axis=0)"),
    ("cols(X, 0, 3)", lambda: jc.cols(_KX, 0, 3), "cols(X, 0, 3)"),
])
def test_keyword_arguments_build_what_the_api_builds_and_print_so(text, build, printed):
    e = jc.parse(text, {"X": _KX})
    assert e is build()
    if printed is not None:
        assert str(e) == printed
    assert jc.parse(str(e), {"X": _KX}) is e  # the printed keyword reads back
    assert jc.parse(text.replace("axis=", "axis = "), {"X": _KX}) is e  # spaces are tokens' business


@pytest.mark.parametrize("text, column, message", [
    ("sum(X, axs=0)", 8, "sum has no keyword argument 'axs' (it takes axis=)"),
    ("dot(x, y, axis=0)", 11, "dot has no keyword argument 'axis' (it takes its arguments by position only)"),
    ("sum(X, axis=0, axis=1)", 16, "the keyword argument axis= is given twice"),
    ("sum(X, 0, axis=1)", 11, "axis is given twice in the call of sum at column 1: by position and as axis="),
    ("var(X, axis=0, 1)", 16, "a positional argument follows the keyword argument axis="),
    ("sum(X, axis=x)", 13, "axis= takes an integer, not x"),
    ("sum(X, axis=1/2)", 13, "axis= takes an integer, not 1/2"),
    ("sum(X, axis=)", 13, "expected a value after axis=, found ')'"),
    ("sum(X, axis=2)", 1, "the axis of a reduction is 0"),
    ("var(X, ddof=-1)", 1, "var's ddof is an integer >= 0"),
    ("sigmoid(X, axis=1)", 12, "sigmoid has no keyword argument 'axis'"),
    ("sum(axis=1)", 1, "sum takes 1 or 2 arguments"),
])
def test_keyword_argument_errors_have_a_column(text, column, message):
    with pytest.raises(jc.ParseError) as err:
        jc.parse(text)
    assert err.value.column == column and message in str(err.value), str(err.value)


def test_a_name_and_an_equals_sign_outside_a_call_is_still_refused():
    with pytest.raises(jc.ParseError, match="only 'NAME = expression' at the start"):
        jc.parse("x + (axis=1)")
