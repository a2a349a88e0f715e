"""jacobi: matrix calculus in the Jacobian style.

Derive gradients, Jacobians and a network's backpropagation equations
symbolically, whatever the sizes; export the derivations; generate numeric
gradient code.

>>> import jacobi as jc
>>> W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
>>> jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)
(W @ x + b - y) @ x.T
"""
from . import functions
from .chain import Derivation, Step, derive, gradient, jacobian
from .check import check_gradient
from .codegen import lambdify
from .explicit import explicit
from .expr import Expr
from .functions import ElementwiseFunction
from .latex import latex
from .primitives import (
    diag,
    dot,
    elementwise,
    exp,
    hadamard,
    identity,
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
from .primitives import sum_ as sum  # noqa: A001 - jc.sum is the matrix-calculus sum
from .shapes import JacobiError, ShapeError
from .simplify import simplify

__version__ = "0.1.0"

__all__ = [
    "Derivation", "ElementwiseFunction", "Expr", "JacobiError", "ShapeError", "Step", "check_gradient",
    "derive", "diag", "dot", "elementwise", "exp", "explicit", "functions", "gradient", "hadamard",
    "identity", "jacobian", "lambdify", "latex", "log", "matrix", "ones", "relu", "scalar", "sigmoid",
    "simplify", "softmax", "softplus", "step", "sum", "tanh", "vector", "zeros",
]

from .network import Backprop, Equation, Network  # noqa: E402
from .parse import ParseError, parse  # noqa: E402

__all__ += ["Backprop", "Equation", "Network", "ParseError", "parse"]
