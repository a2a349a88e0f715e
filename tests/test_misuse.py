"""API misuse: every wrong call raises a JacobiError subclass, never a bare
ValueError, KeyError, TypeError ... leaking from jacobi's own code or from the
libraries under it, and the message names what was wrong.

Each row is (id, call, words): the call must raise a JacobiError whose message
contains every word (case-insensitive).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import jacobi as jc

x, y = jc.vector("x", "n"), jc.vector("y", "m")
u, v = jc.vector("u", 3), jc.vector("v", 4)
W, A = jc.matrix("W", "m", "n"), jc.matrix("A", 3, 3)
s = jc.scalar("s")
t = sp.Symbol("t")
F = sp.Function("F_misuse")
f_u = jc.lambdify([u], u * 2)
f_s = jc.lambdify([s], s ** 2)
f_xy = jc.lambdify([x, W], W @ x)
net = jc.Network([2, 3, 2])


def _undefined_in_code():
    """An undefined SymPy function has no numeric form; it is unregistered again so that the registry
    the other tests walk stays as it was."""
    from jacobi.core import functions

    try:
        jc.lambdify([u], jc.elementwise(F, u))
    finally:
        functions.unregister("F_misuse")


def _bad_grad_fn(params, X, Y):
    raise ValueError("the user's own gradient function failed")


ROWS = [
    # -- symbols: names --------------------------------------------------------------------------------
    ("scalar None", lambda: jc.scalar(None), ["name"]),
    ("scalar int", lambda: jc.scalar(3), ["name"]),
    ("scalar empty", lambda: jc.scalar(""), ["name"]),
    ("scalar space", lambda: jc.scalar("a b"), ["name"]),
    ("scalar digit first", lambda: jc.scalar("1a"), ["name"]),
    ("scalar latex int", lambda: jc.scalar("a", latex=3), ["latex"]),
    ("vector name list", lambda: jc.vector(["x"], 3), ["name"]),
    ("matrix name bytes", lambda: jc.matrix(b"W", 2, 2), ["name"]),
    # -- symbols: sizes --------------------------------------------------------------------------------
    ("vector size None", lambda: jc.vector("x", None), ["size"]),
    ("vector size float", lambda: jc.vector("x", 2.5), ["size"]),
    ("vector size float int", lambda: jc.vector("x", 3.0), ["size"]),
    ("vector size zero", lambda: jc.vector("x", 0), ["size"]),
    ("vector size negative", lambda: jc.vector("x", -3), ["size"]),
    ("vector size bool", lambda: jc.vector("x", True), ["size"]),
    ("vector size bad name", lambda: jc.vector("x", "2n"), ["size"]),
    ("vector size empty name", lambda: jc.vector("x", ""), ["size"]),
    ("vector size list", lambda: jc.vector("x", [3]), ["size"]),
    ("vector size complex", lambda: jc.vector("x", 3j), ["size"]),
    ("vector size numpy float", lambda: jc.vector("x", np.float64(2.0)), ["size"]),
    ("vector size sympy negative", lambda: jc.vector("x", sp.Integer(-2)), ["size"]),
    ("vector size sympy rational", lambda: jc.vector("x", sp.Rational(1, 2)), ["size"]),
    ("vector size sympy expression", lambda: jc.vector("x", -sp.Symbol("n")), ["size"]),
    ("vector size sympy float", lambda: jc.vector("x", sp.Float(2.0)), ["size"]),
    ("vector size nan", lambda: jc.vector("x", float("nan")), ["size"]),
    ("vector size inf", lambda: jc.vector("x", float("inf")), ["size"]),
    ("matrix size None", lambda: jc.matrix("W", 2, None), ["size"]),
    ("matrix size zero", lambda: jc.matrix("W", 0, 2), ["size"]),
    ("matrix size tuple", lambda: jc.matrix("W", (2, 3), 3), ["size"]),
    ("matrix size huge", lambda: jc.matrix("W", 10**30, 10**30).T @ jc.vector("q", 10**29), ["10"]),
    ("ones size zero", lambda: jc.ones(0), ["size"]),
    ("zeros size float", lambda: jc.zeros(1.5), ["size"]),
    ("identity size string digit", lambda: jc.identity("3"), ["size"]),
    ("identity None", lambda: jc.identity(None), ["size"]),
    # -- operands that are not expressions -------------------------------------------------------------
    ("add string", lambda: x + "y", ["str"]),
    ("add None", lambda: x + None, ["none"]),
    ("radd list", lambda: [1, 2] + x, ["list"]),
    ("mul dict", lambda: x * {}, ["dict"]),
    ("matmul numpy array", lambda: A @ np.ones((3, 3)), ["ndarray"]),
    ("div string", lambda: x / "2", ["str"]),
    ("pow None", lambda: x ** None, ["none"]),
    ("pow string", lambda: x ** "2", ["str"]),
    ("rpow string", lambda: "2" ** x, ["str"]),
    ("sub bool", lambda: x - True, ["bool"]),
    ("sigmoid string", lambda: jc.sigmoid("x"), ["str"]),
    ("exp list", lambda: jc.exp([1, 2]), ["list"]),
    ("sum None", lambda: jc.sum(None), ["none"]),
    ("softmax numpy", lambda: jc.softmax(np.ones(3)), ["ndarray"]),
    ("dot string", lambda: jc.dot(u, "u"), ["str"]),
    ("hadamard one operand", lambda: jc.hadamard(u), ["two"]),
    ("hadamard string", lambda: jc.hadamard(u, "u"), ["str"]),
    ("diag of a matrix of ones", lambda: jc.diag(None), ["none"]),
    ("add sympy symbol", lambda: x + sp.Symbol("z"), ["z"]),
    ("add sympy matrix", lambda: x + sp.Matrix([1, 2]), ["matrix"]),
    ("mul sympy relational", lambda: s * (t > 0), ["t > 0"]),
    ("add sympy boolean", lambda: s + sp.true, ["true"]),
    # -- shapes ----------------------------------------------------------------------------------------
    ("add shapes", lambda: x + W, ["x", "w"]),
    ("sub shapes", lambda: u - v, ["u", "v"]),
    ("mul shapes", lambda: u * v, ["u", "v"]),
    ("div shapes", lambda: u / v, ["u", "v"]),
    ("matmul shapes", lambda: W @ y, ["w", "y"]),
    ("matmul vector vector", lambda: u @ u, ["u"]),
    ("hadamard shapes", lambda: jc.hadamard(x, y), ["x", "y"]),
    ("dot shapes", lambda: jc.dot(u, v), ["u", "v"]),
    ("dot matrices", lambda: jc.dot(A, A), ["a"]),
    ("pow shapes", lambda: u ** v, ["u", "v"]),
    ("softmax of a row", lambda: jc.log_softmax(u, axis=5), ["axis"]),
    ("log_softmax axis string", lambda: jc.log_softmax(u, axis="rows"), ["axis"]),
    # -- constants: complex and non-finite -------------------------------------------------------------
    ("sqrt of -1", lambda: jc.parse("(-1) ** 0.5"), ["real"]),
    ("I times x", lambda: x * sp.I, ["real"]),
    ("complex python", lambda: x * (1 + 2j), ["real"]),
    ("log of -1", lambda: jc.log(-1), ["real"]),
    ("cube root of -8", lambda: jc.parse("(-8) ** (1/3)"), ["real"]),
    ("sympy sqrt -2", lambda: s + sp.sqrt(-2), ["real"]),
    ("x over 0", lambda: x / 0, ["zero"]),
    ("scalar over 0", lambda: s / 0, ["zero"]),
    ("1 over 0 parsed", lambda: jc.parse("1/0"), ["zero"]),
    ("x over 0 parsed", lambda: jc.parse("x/0", {"x": 3}), ["zero"]),
    ("log 0", lambda: jc.log(0), ["log"]),
    ("log 0 parsed", lambda: jc.parse("log(0)"), ["log"]),
    ("nan constant", lambda: s * float("nan"), ["nan"]),
    ("inf constant", lambda: s + float("inf"), ["inf"]),
    ("sympy oo", lambda: s + sp.oo, ["oo"]),
    ("sympy zoo", lambda: s + sp.zoo, ["zoo"]),
    ("zero to a negative power", lambda: jc.parse("0 ** (-1)"), ["zero"]),
    # -- element-wise functions ------------------------------------------------------------------------
    ("elementwise unknown name", lambda: jc.elementwise("nosuch", x), ["nosuch"]),
    ("elementwise two-arg lambda", lambda: jc.elementwise(sp.Lambda((t, sp.Symbol("r")), t), x), ["one"]),
    ("elementwise python function", lambda: jc.elementwise(lambda z: z, x), ["sympy"]),
    ("elementwise None", lambda: jc.elementwise(None, x), ["sympy"]),
    ("elementwise sympy expr", lambda: jc.elementwise(sp.sin(t), x), ["sympy"]),
    ("elementwise two-arg function", lambda: jc.elementwise(sp.atan2, x), ["one"]),
    ("elementwise name int", lambda: jc.elementwise(sp.Lambda(t, t ** 3), x, name=3), ["name"]),
    ("elementwise of string", lambda: jc.elementwise(sp.sin, "x"), ["str"]),
    ("register_function not a record", lambda: jc.register_function("sin"), ["elementwise"]),
    ("register_function twice", lambda: jc.register_function(jc.functions.FUNCTIONS["exp"]), ["exp"]),
    ("undefined function in code", _undefined_in_code, ["numeric"]),
    # -- differentiation -------------------------------------------------------------------------------
    ("gradient wrt string", lambda: jc.gradient(jc.sum(x), "x"), ["symbol"]),
    ("gradient wrt None", lambda: jc.gradient(jc.sum(x), None), ["symbol"]),
    ("gradient wrt expression", lambda: jc.gradient(jc.sum(x), 2 * x), ["symbol"]),
    ("gradient wrt empty list", lambda: jc.gradient(jc.sum(x), []), ["nothing"]),
    ("gradient wrt sympy symbol", lambda: jc.gradient(jc.sum(x), sp.Symbol("x")), ["symbol"]),
    ("gradient of a vector", lambda: jc.gradient(x, x), ["scalar"]),
    ("gradient of None", lambda: jc.gradient(None, x), ["none"]),
    ("gradient of a string", lambda: jc.gradient("sum(x)", x), ["sum(x)"]),
    ("gradient of a number", lambda: jc.gradient(3, x), ["3"]),
    ("jacobian wrt string", lambda: jc.jacobian(x, "x"), ["symbol"]),
    ("jacobian of a list", lambda: jc.jacobian([x], x), ["cannot differentiate"]),
    ("jacobian wrt ones", lambda: jc.jacobian(x, jc.ones(3)), ["symbol"]),
    ("derive unknown option", lambda: jc.derive(jc.sum(x), x, colour="red"), ["colour"]),
    ("derive name int", lambda: jc.derive(jc.sum(x), x, name=3), ["name"]),
    ("derive latex int", lambda: jc.derive(jc.sum(x), x, latex=3), ["latex"]),
    ("derive of a sympy relational", lambda: jc.derive(t > 0, t), ["t > 0"]),
    ("derive of sympy wrt jacobi", lambda: jc.derive(t ** 2, x), ["symbol"]),
    ("derive of sympy wrt None", lambda: jc.derive(t ** 2, None), ["none"]),
    ("derive of sympy wrt a number", lambda: jc.derive(t ** 2, 2), ["2"]),
    ("derive of a string", lambda: jc.derive("x", x), ["'x'"]),
    # -- simplify, latex, explicit ---------------------------------------------------------------------
    ("simplify None", lambda: jc.simplify(None), ["none"]),
    ("simplify string", lambda: jc.simplify("x + x"), ["str"]),
    ("simplify defs not a dict", lambda: jc.simplify(x, defs=[1]), ["defs"]),
    ("simplify defs bad key", lambda: jc.simplify(x, defs={"x": x}), ["defs"]),
    ("simplify defs bad value", lambda: jc.simplify(x, defs={y: "x"}), ["defs"]),
    ("simplify defs shape", lambda: jc.simplify(x, defs={y: x}), ["y"]),
    ("latex None", lambda: jc.latex(None), ["none"]),
    ("latex string", lambda: jc.latex("x"), ["str"]),
    ("latex list", lambda: jc.latex([x]), ["list"]),
    ("explicit None", lambda: jc.explicit(None), ["none"]),
    ("explicit string", lambda: jc.explicit("x"), ["explicit"]),
    ("explicit sizes not a dict", lambda: jc.explicit(x, [3]), ["sizes"]),
    ("explicit sizes missing", lambda: jc.explicit(x), ["n"]),
    ("explicit size negative", lambda: jc.explicit(x, {"n": -2}), ["n"]),
    ("explicit size float", lambda: jc.explicit(x, {"n": 2.5}), ["n"]),
    ("explicit size string", lambda: jc.explicit(x, {"n": "three"}), ["n"]),
    ("explicit size huge", lambda: jc.explicit(x, {"n": 10**9}), ["n"]),
    ("explicit size bad key", lambda: jc.explicit(x, {3: 3}), ["3"]),
    # -- parse -----------------------------------------------------------------------------------------
    ("parse None", lambda: jc.parse(None), ["text"]),
    ("parse int", lambda: jc.parse(3), ["text"]),
    ("parse bytes", lambda: jc.parse(b"x"), ["text"]),
    ("parse empty", lambda: jc.parse(""), ["empty"]),
    ("parse shapes not a mapping", lambda: jc.parse("x", [3]), ["shapes"]),
    ("parse shape negative", lambda: jc.parse("x", {"x": -3}), ["shape"]),
    ("parse shape float", lambda: jc.parse("x", {"x": 2.5}), ["shape"]),
    ("parse shape triple", lambda: jc.parse("x", {"x": (1, 2, 3)}), ["x"]),
    ("parse shape word", lambda: jc.parse("x", {"x": "three by two"}), ["x"]),
    ("parse shape None", lambda: jc.parse("x", {"x": None}), ["x"]),
    ("parse shape key int", lambda: jc.parse("x", {3: 3}), ["3"]),
    ("parse python", lambda: jc.parse("__import__('os')"), ["column"]),
    ("parse unknown function", lambda: jc.parse("nosuch(x)"), ["nosuch"]),
    ("parse unbalanced", lambda: jc.parse("(x"), ["column"]),
    ("parse lambda", lambda: jc.parse("lambda: 1"), ["column"]),
    ("parse distributions string", lambda: jc.parse("y", distributions=3), ["distributions"]),
    ("parse strict unknown", lambda: jc.parse("x + y", {"x": 3}, strict=True), ["y"]),
    # -- lambdify: building ----------------------------------------------------------------------------
    ("lambdify unknown backend", lambda: jc.lambdify([u], u, backend="nosuch"), ["nosuch"]),
    ("lambdify backend None", lambda: jc.lambdify([u], u, backend=None), ["backend"]),
    ("lambdify backend list", lambda: jc.lambdify([u], u, backend=["numpy"]), ["backend"]),
    ("lambdify arg string", lambda: jc.lambdify(["u"], u), ["symbols"]),
    ("lambdify arg expression", lambda: jc.lambdify([2 * u], u), ["symbols"]),
    ("lambdify args None", lambda: jc.lambdify(None, u), ["none"]),
    ("lambdify args int", lambda: jc.lambdify(3, u), ["3"]),
    ("lambdify missing arg", lambda: jc.lambdify([u], u + jc.vector("w", 3)), ["w"]),
    ("lambdify expr string", lambda: jc.lambdify([u], "u"), ["str"]),
    ("lambdify expr None", lambda: jc.lambdify([u], None), ["none"]),
    ("lambdify duplicate args", lambda: jc.lambdify([u, u], u), ["u"]),
    # -- lambdify: calling -----------------------------------------------------------------------------
    ("call too few", lambda: f_u(), ["1 argument"]),
    ("call too many", lambda: f_u(np.ones(3), np.ones(3)), ["argument"]),
    ("call wrong length", lambda: f_u(np.ones(4)), ["u"]),
    ("call 3-D", lambda: f_u(np.ones((3, 1, 1))), ["u"]),
    ("call None", lambda: f_u(None), ["u"]),
    ("call strings", lambda: f_u(np.array(["a", "b", "c"])), ["u"]),
    ("call string", lambda: f_u("abc"), ["u"]),
    ("call dict", lambda: f_u({}), ["u"]),
    ("call ragged list", lambda: f_u([[1, 2], [3]]), ["u"]),
    ("call object array", lambda: f_u(np.array([object(), object(), object()])), ["u"]),
    ("call scalar with a vector", lambda: f_s(np.ones(3)), ["s"]),
    ("call scalar with a string", lambda: f_s("two"), ["s"]),
    ("call scalar with None", lambda: f_s(None), ["s"]),
    ("call sizes disagree", lambda: f_xy(np.ones(3), np.ones((2, 4))), ["n"]),
    ("call keyword", lambda: f_u(u=np.ones(3)), ["argument"]),
    ("call torch with strings", lambda: jc.lambdify([u], u, backend="torch")(["a", "b", "c"]), ["u"]),
    # -- check_gradient --------------------------------------------------------------------------------
    ("check_gradient None", lambda: jc.check_gradient(None, x), ["expression"]),
    ("check_gradient no wrt", lambda: jc.check_gradient(jc.sum(x)), ["wrt"]),
    ("check_gradient wrt string", lambda: jc.check_gradient(jc.sum(u), "u"), ["symbol"]),
    ("check_gradient of a vector", lambda: jc.check_gradient(u, u), ["scalar"]),
    ("check_gradient sizes missing", lambda: jc.check_gradient(jc.sum(x), x), ["n"]),
    ("check_gradient sizes bad", lambda: jc.check_gradient(jc.sum(x), x, sizes={"n": -1}), ["n"]),
    ("check_gradient sizes list", lambda: jc.check_gradient(jc.sum(x), x, sizes=[3]), ["sizes"]),
    ("check_gradient values missing", lambda: jc.check_gradient(jc.sum(u), u, values={}), ["u"]),
    ("check_gradient values wrong shape", lambda: jc.check_gradient(jc.sum(u), u, values={u: np.ones(4)}), ["u"]),
    ("check_gradient values strings", lambda: jc.check_gradient(jc.sum(u), u, values={u: "abc"}), ["u"]),
    ("check_gradient values not a dict", lambda: jc.check_gradient(jc.sum(u), u, values=[1]), ["values"]),
    ("check_gradient eps zero", lambda: jc.check_gradient(jc.sum(u), u, eps=0), ["eps"]),
    ("check_gradient eps string", lambda: jc.check_gradient(jc.sum(u), u, eps="small"), ["eps"]),
    ("check_gradient tol string", lambda: jc.check_gradient(jc.sum(u), u, tol="x"), ["tol"]),
    ("check_gradient seed string", lambda: jc.check_gradient(jc.sum(u), u, seed="a"), ["seed"]),
    ("check_gradient fn without data", lambda: jc.check_gradient(lambda p, X, Y: 0), ["params"]),
    ("check_gradient fn raises", lambda: jc.check_gradient(_bad_grad_fn, params=[(np.ones((1, 1)), np.ones(1))],
                                                          X=np.ones((1, 1)), Y=np.ones((1, 1))), ["function"]),
    ("check_gradient params empty", lambda: jc.check_gradient(_bad_grad_fn, params=[], X=1, Y=1), ["params"]),
    ("check_gradient fn bad params", lambda: jc.check_gradient(net.gradient_function(), params=[1], X=np.ones((1, 2)),
                                                               Y=np.ones((1, 2))), ["params"]),
    ("check_gradient fn bad X", lambda: jc.check_gradient(net.gradient_function(), params=net.init_params(),
                                                          X="abc", Y=np.ones((1, 2))), ["x"]),
    # -- Network ---------------------------------------------------------------------------------------
    ("Network sizes None", lambda: jc.Network(None), ["sizes"]),
    ("Network sizes string", lambda: jc.Network("2,3"), ["sizes"]),
    ("Network one size", lambda: jc.Network([2]), ["input"]),
    ("Network size zero", lambda: jc.Network([2, 0]), ["size"]),
    ("Network size float", lambda: jc.Network([2, 2.5]), ["size"]),
    ("Network size negative", lambda: jc.Network([2, -1]), ["size"]),
    ("Network sizes dict", lambda: jc.Network({2: 3}), ["size"]),
    ("Network unknown activation", lambda: jc.Network([2, 3, 2], activation="nosuch"), ["nosuch"]),
    ("Network activation None", lambda: jc.Network([2, 3, 2], activation=None), ["activation"]),
    ("Network activation int", lambda: jc.Network([2, 3, 2], activation=3), ["activation"]),
    ("Network activations count", lambda: jc.Network([2, 3, 2], activation=["tanh", "tanh"]), ["2"]),
    ("Network softmax hidden", lambda: jc.Network([2, 3, 2], activation="softmax"), ["softmax"]),
    ("Network unknown cost", lambda: jc.Network([2, 3, 2], cost="nosuch"), ["nosuch"]),
    ("Network cost None", lambda: jc.Network([2, 3, 2], cost=None), ["cost"]),
    ("Network cost int", lambda: jc.Network([2, 3, 2], cost=3), ["cost"]),
    ("Network output unknown", lambda: jc.Network([2, 3, 2], output="nosuch"), ["nosuch"]),
    ("Network layer 0", lambda: net.W(0), ["layer"]),
    ("Network layer too big", lambda: net.b(9), ["layer"]),
    ("Network layer string", lambda: net.delta_symbol("1"), ["layer"]),
    ("Network backprop delta 0", lambda: net.backprop().delta(0), ["layer"]),
    ("Network unknown backend", lambda: net.gradient_function(backend="nosuch"), ["nosuch"]),
    ("Network init seed string", lambda: net.init_params(seed="a"), ["seed"]),
    ("Network init dtype bad", lambda: net.init_params(dtype="nosuch"), ["dtype"]),
    ("Network brute force batch", lambda: net.brute_force(1, batch=True), ["batch"]),
    ("gradient function params wrong", lambda: net.gradient_function()([1, 2], np.ones((1, 2)), np.ones((1, 2))),
     ["params"]),
    ("gradient function X wrong shape", lambda: net.gradient_function()(net.init_params(), np.ones((5, 1)),
                                                                        np.ones((2, 1))), ["x"]),
    ("gradient function Y wrong shape", lambda: net.gradient_function()(net.init_params(), np.ones((1, 2)),
                                                                        np.ones((1, 3))), ["y"]),
    ("gradient function X string", lambda: net.gradient_function()(net.init_params(), "abc", np.ones((1, 2))),
     ["x"]),
    # -- registries ------------------------------------------------------------------------------------
    ("register_backend string", lambda: jc.register_backend("numpy"), ["backend"]),
    ("register_cost string", lambda: jc.register_cost("mse"), ["cost"]),
    ("register_callable not callable", lambda: jc.register_callable("thing", 3, args="x", shape=None), ["thing"]),
]


@pytest.mark.parametrize("call, words", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_misuse_raises_a_jacobi_error(call, words):
    with pytest.raises(jc.JacobiError) as err:
        call()
    msg = str(err.value).lower()
    for w in words:
        assert w.lower() in msg, f"{w!r} missing from {str(err.value)!r}"


def test_the_table_is_large():
    assert len(ROWS) >= 100
    assert len({r[0] for r in ROWS}) == len(ROWS), "row ids are unique"
