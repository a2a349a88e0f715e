"""Bad input raises clear errors: the right class, and a message that names
the operands and their shapes."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import jacobi as jc


@pytest.fixture
def syms():
    return dict(
        x=jc.vector("x", "n"), y=jc.vector("y", "m"), W=jc.matrix("W", "m", "n"), s=jc.scalar("s"),
        u=jc.vector("u", 3), v=jc.vector("v", 4),
    )


def test_shape_error_is_a_jacobi_error():
    assert issubclass(jc.ShapeError, jc.JacobiError)
    assert issubclass(jc.JacobiError, Exception)


@pytest.mark.parametrize("order", ["x+W", "W+x"])
def test_add_mismatch_names_both_operands_and_shapes(syms, order):
    x, W = syms["x"], syms["W"]
    with pytest.raises(jc.ShapeError) as err:
        (x + W) if order == "x+W" else (W + x)
    msg = str(err.value)
    for part in ("x", "W", "nx1", "mxn"):
        assert part in msg, f"{part!r} missing from {msg!r}"


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_elementwise_mismatch_numeric_sizes(syms, op):
    u, v = syms["u"], syms["v"]
    f = {"add": lambda: u + v, "sub": lambda: u - v, "mul": lambda: u * v, "div": lambda: u / v}[op]
    with pytest.raises(jc.ShapeError) as err:
        f()
    msg = str(err.value)
    assert "u" in msg and "v" in msg and "3x1" in msg and "4x1" in msg, msg


def test_matmul_bad_inner_dimensions(syms):
    W, y, x = syms["W"], syms["y"], syms["x"]
    with pytest.raises(jc.ShapeError) as err:
        W @ y
    msg = str(err.value)
    for part in ("W", "y", "mxn", "mx1"):
        assert part in msg, f"{part!r} missing from {msg!r}"
    with pytest.raises(jc.ShapeError):
        x @ W
    A, B = jc.matrix("A", 2, 3), jc.matrix("B", 2, 3)
    with pytest.raises(jc.ShapeError) as err:
        A @ B
    assert "2x3" in str(err.value)


def test_hadamard_mismatch(syms):
    x, y = syms["x"], syms["y"]
    with pytest.raises(jc.ShapeError) as err:
        jc.hadamard(x, y)
    msg = str(err.value)
    assert "x" in msg and "y" in msg and "nx1" in msg and "mx1" in msg, msg
    with pytest.raises(jc.ShapeError):
        x * y


def test_power_exponent_shape(syms):
    with pytest.raises(jc.ShapeError):
        syms["x"] ** syms["y"]


def test_dot_needs_vectors_of_one_size(syms):
    with pytest.raises(jc.ShapeError):
        jc.dot(syms["x"], syms["y"])
    with pytest.raises(jc.ShapeError):
        jc.dot(syms["W"], syms["W"])


@pytest.mark.parametrize("how", ["gradient", "jacobian", "derive"])
def test_differentiate_wrt_expression(syms, how):
    W, x = syms["W"], syms["x"]
    f = jc.sum(jc.sigmoid(W @ x))
    fn = {"gradient": jc.gradient, "jacobian": jc.jacobian, "derive": jc.derive}[how]
    with pytest.raises(jc.JacobiError) as err:
        fn(f, W @ x)
    assert "symbol" in str(err.value)


def test_differentiate_wrt_transpose_or_string(syms):
    x = syms["x"]
    for bad in (x.T, "x", 3, [x, x.T]):
        with pytest.raises(jc.JacobiError) as err:
            jc.gradient(jc.sum(x), bad)
        assert "symbol" in str(err.value)


def test_differentiate_wrt_nothing(syms):
    with pytest.raises(jc.JacobiError):
        jc.gradient(jc.sum(syms["x"]), [])


def test_unknown_function_name(syms):
    with pytest.raises(jc.JacobiError) as err:
        jc.elementwise("nosuch", syms["x"])
    msg = str(err.value)
    assert "nosuch" in msg
    assert "sigmoid" in msg  # lists the known names


def test_elementwise_rejects_non_functions(syms):
    x = syms["x"]
    for bad in (42, sp.Symbol("t") ** 2, np.sin, sp.Lambda((sp.Symbol("p"), sp.Symbol("q")), sp.Symbol("p"))):
        with pytest.raises(jc.JacobiError):
            jc.elementwise(bad, x)


def test_gradient_of_non_scalar(syms):
    W, x = syms["W"], syms["x"]
    for f in (W @ x, x, W, x.T):
        with pytest.raises(jc.JacobiError) as err:
            jc.gradient(f, x)
        assert "scalar" in str(err.value)


@pytest.mark.parametrize("make", [
    lambda S: S["x"] + "a",
    lambda S: "a" + S["x"],
    lambda S: S["x"] * "2",
    lambda S: S["W"] @ "b",
    lambda S: jc.sum("x"),
    lambda S: jc.sigmoid("x"),
    lambda S: jc.softmax("z"),
    lambda S: jc.hadamard(S["x"], "x"),
    lambda S: jc.dot("x", S["x"]),
    lambda S: S["x"] ** "2",
    lambda S: jc.elementwise("exp", "x"),
], ids=["add", "radd", "mul", "matmul", "sum", "sigmoid", "softmax", "hadamard", "dot", "pow", "elementwise"])
def test_python_string_in_expression(syms, make):
    with pytest.raises(jc.JacobiError) as err:
        make(syms)
    assert "str" in str(err.value) or "'" in str(err.value)


def test_other_python_objects_in_expression(syms):
    x = syms["x"]
    for bad in (None, [1, 2, 3], {"a": 1}, object()):
        with pytest.raises(jc.JacobiError):
            x + bad


def test_bad_names_and_sizes():
    for bad in ("", "1x", "x y", "x-1", None):
        with pytest.raises(jc.JacobiError):
            jc.vector(bad, 3)
    for bad in (0, -1, True, 2.5, "n m", ""):
        with pytest.raises(jc.JacobiError):
            jc.vector("x", bad)


def test_derive_non_expression():
    with pytest.raises(jc.JacobiError):
        jc.derive("x ** 2", jc.scalar("s"))
    with pytest.raises(jc.JacobiError):
        jc.jacobian(None, jc.scalar("s"))


# ---------------------------------------------------------------------------
# lambdify: wrong-shaped numpy arguments


def test_lambdify_wrong_vector_length():
    u = jc.vector("u", 3)
    f = jc.lambdify([u], jc.sum(u))
    with pytest.raises(jc.ShapeError) as err:
        f(np.ones(4))
    assert "u" in str(err.value)
    with pytest.raises(jc.ShapeError):
        f(np.ones((3, 2)))


def test_lambdify_wrong_matrix_shape():
    A = jc.matrix("A", 2, 3)
    f = jc.lambdify([A], jc.sum(A))
    for bad in (np.ones((3, 2)), np.ones(6), np.ones((2, 3, 1))):
        with pytest.raises(jc.ShapeError) as err:
            f(bad)
        assert "A" in str(err.value)


def test_lambdify_scalar_given_an_array():
    s = jc.scalar("s")
    f = jc.lambdify([s], s * 2)
    with pytest.raises(jc.ShapeError):
        f(np.ones(3))


def test_lambdify_inconsistent_named_sizes():
    """With named sizes, the arguments must agree on each name: W is m x n, so
    x must have n entries."""
    W, x = jc.matrix("W", "m", "n"), jc.vector("x", "n")
    f = jc.lambdify([W, x], W @ x)
    assert f(np.ones((3, 4)), np.ones(4)).shape == (3,)
    with pytest.raises(jc.ShapeError) as err:
        f(np.ones((3, 4)), np.ones(5))
    assert "x" in str(err.value) or "n" in str(err.value)


def test_lambdify_wrong_argument_count():
    x = jc.vector("x", 3)
    f = jc.lambdify([x], jc.sum(x))
    with pytest.raises(jc.JacobiError):
        f()
    with pytest.raises(jc.JacobiError):
        f(np.ones(3), np.ones(3))


def test_lambdify_arguments_must_be_symbols():
    x = jc.vector("x", 3)
    with pytest.raises(jc.JacobiError):
        jc.lambdify([x.T], jc.sum(x))
    with pytest.raises(jc.JacobiError):
        jc.lambdify(["x"], jc.sum(x))


def test_lambdify_missing_argument():
    x, y = jc.vector("x", 3), jc.vector("y", 3)
    with pytest.raises(jc.JacobiError) as err:
        jc.lambdify([x], jc.dot(x, y))
    assert "y" in str(err.value)


def test_a_node_without_a_derivative_rule_is_refused_clearly():
    x = jc.vector("x", 3)
    with pytest.raises(jc.JacobiError, match="no derivative rule for diag"):
        jc.gradient(jc.sum(jc.diag(x)), x)
