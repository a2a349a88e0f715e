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
from .calculus import (
    Derivation,
    Step,
    check_gradient,
    derive,
    derive_hessian,
    explicit,
    gradient,
    hessian,
    hvp,
    is_convex,
    jacobian,
    simplify,
)
from .codegen import BACKENDS, Backend, lambdify, register_backend
from .core import (
    ElementwiseFunction,
    Expr,
    JacobiError,
    ShapeError,
    __version__,
    arccos,
    arcsin,
    arctan,
    cols,
    concat,
    cos,
    diag,
    dot,
    elementwise,
    embedding,
    exp,
    eye,
    functions,
    hadamard,
    identity,
    indices,
    inline,
    latex,
    let,
    log,
    matrix,
    norm1,
    norm2,
    onehot,
    ones,
    primitive,
    relu,
    rows,
    scalar,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sqrt,
    step,
    tan,
    tanh,
    vector,
    zeros,
)
from .core import abs_ as abs  # noqa: A001 - jc.abs is the element-wise absolute value
from .core import sum_ as sum  # noqa: A001 - jc.sum is the matrix-calculus sum
from .core.callables import register_callable
from .core.functions import register as register_function
from .nn import (
    COSTS,
    Activation,
    AdjointEquation,
    Attention,
    Backprop,
    BatchNorm,
    Cost,
    Dense,
    ElmanRNN,
    Embedding,
    Equation,
    Layer,
    LayerNorm,
    Network,
    ProgramBackprop,
    Residual,
    RMSNorm,
    Sequential,
    backprop,
    register_cost,
)
from .parse import ParseError, parse
from .render import Picture, picture

__all__ = [
    "Activation", "AdjointEquation", "Attention", "BACKENDS", "Backend", "Backprop", "BatchNorm", "COSTS", "Cost",
    "Dense", "Derivation", "ElementwiseFunction", "ElmanRNN", "Embedding", "Equation", "Expr", "JacobiError", "Layer",
    "LayerNorm", "Network", "ParseError", "Picture", "ProgramBackprop", "RMSNorm", "Residual", "Sequential",
    "ShapeError", "Step",
    "abs", "arccos", "arcsin", "arctan", "backprop", "check_gradient", "cols", "concat", "cos", "derive",
    "derive_hessian", "diag", "dot", "elementwise", "embedding", "exp", "explicit", "eye", "functions", "gradient",
    "hadamard", "hessian", "hvp", "identity", "indices", "inline", "is_convex", "jacobian", "lambdify", "latex", "let",
    "log", "matrix", "norm1", "norm2", "onehot", "ones", "parse", "picture", "primitive", "register_backend",
    "register_callable",
    "register_cost", "register_function", "relu", "rows", "scalar", "scatter_add", "sigmoid", "sign", "simplify",
    "sin", "softmax", "softplus", "sqrt", "step", "sum", "tan", "tanh", "vector", "zeros",
]


def __getattr__(name: str):
    """``jc.name`` for any callable name of the text syntax that is not exported above: a function
    or an operation registered later (jc.register_function, jc.register_callable) included."""
    from .core.callables import lookup

    rec = lookup(name) if not name.startswith("_") else None
    if rec is None:
        raise AttributeError(f"module 'jacobi' has no attribute {name!r}")
    return rec.make
