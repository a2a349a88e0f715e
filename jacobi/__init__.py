"""jacobi: matrix calculus in the Jacobian style.

Derive gradients, Jacobians and a network's backpropagation equations
symbolically, whatever the sizes; export the derivations; generate numeric
gradient code.

>>> import jacobi as jc
>>> W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
>>> jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)
(W @ x + b - y) @ x.T
"""
from . import render  # noqa: F401 - registers the derivation formats (LaTeX, markdown, documents)
from .calculus import Derivation, Step, check_gradient, derive, explicit, gradient, jacobian, simplify
from .codegen import lambdify
from .core import (
    ElementwiseFunction,
    Expr,
    JacobiError,
    ShapeError,
    __version__,
    diag,
    dot,
    elementwise,
    exp,
    functions,
    hadamard,
    identity,
    latex,
    log,
    matrix,
    ones,
    relu,
    scalar,
    sigmoid,
    softmax,
    softplus,
    step,
    tanh,
    vector,
    zeros,
)
from .core import sum_ as sum  # noqa: A001 - jc.sum is the matrix-calculus sum
from .nn import Backprop, Equation, Network
from .parse import ParseError, parse

__all__ = [
    "Backprop", "Derivation", "ElementwiseFunction", "Equation", "Expr", "JacobiError", "Network", "ParseError",
    "ShapeError", "Step", "check_gradient", "derive", "diag", "dot", "elementwise", "exp", "explicit", "functions",
    "gradient", "hadamard", "identity", "jacobian", "lambdify", "latex", "log", "matrix", "ones", "parse", "relu",
    "scalar", "sigmoid", "simplify", "softmax", "softplus", "step", "sum", "tanh", "vector", "zeros",
]
