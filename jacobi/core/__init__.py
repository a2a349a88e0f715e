"""The core: shaped expression nodes, the primitives and their registries.

Everything above (calculus, codegen, render, nn, parse) reads these; nothing
here imports from them.  The modules load in a fixed order: the leaves first,
then the operations that refer back to them (the one import cycle of the
core, named in tests/test_layers.py), so this file is not sorted.
"""
# isort: skip_file
__version__ = "0.1.0"

from .shapes import JacobiError, Shape, ShapeError, Size, concrete, fmt_shape, is_scalar_shape, numel, size
from .expr import (ADD, ATOM, BOTH, MATMUL, MUL, POSTFIX, POW, ROWS, TEXTBOOK, Call, Expr, SameShape, describe,
                   rewrite)
from .rules import Rule, latex_text
from .registry import PRIMITIVES, primitive
from . import functions
from .functions import ElementwiseFunction
from .leaves import (ONE, SCALAR, Commutation, Const, Identity, Ones, Symbol, Zero, as_expr, commutation, identity,
                     matrix, new_symbol, ones, scalar, vector, zeros)
from .leaves import identity as eye
from .elementwise import (Add, Broadcast, Hadamard, Scale, add, broadcast, hadamard, mul, neg, negated, scale, smul,
                          sub)
from .powers import NUMBER_BITS, Div, Power, check_power, div, power, power_fits
from .apply import Apply, apply, elementwise, exp, log, relu, sigmoid, softplus, step, tanh
from .mathfunctions import abs_, arccos, arcsin, arctan, cos, sign, sin, sqrt, tan
from .matrix import (LogSoftmax, MatMul, Softmax, Sum, Transpose, dot, factors, log_softmax, matmul, softmax, sum_,
                     transpose)
from .blocks import Diag, SoftmaxJacobian, Unvec, Vec, apply_linear, diag, reshape_like, softmax_jacobian, unvec, vec
from .kronecker import (BlockInner, BlockSum, Kron, KronJacobian, Rearrange, block_inner, block_sum, kron,
                        rearrange)
from .axis import ArgmaxMask, AxisSoftmaxJacobian, Max, argmax_mask, axis_softmax_jacobian, max_, mean, var
from .norms import Norm1, Norm2, norm1, norm2
from .printing import LatexPrinter, Printer, TextPrinter, latex, text
from . import lift
from . import callables, sizerules
from .powersum import PowerSum, power_sum
from .linalg import (Det, Inv, LogDet, MatrixPower, Trace, det, inv, is_positive_definite, is_symmetric, logdet,
                     matrix_power, trace)
from .structure import STRUCTURES, check_declarations
from .signs import nonnegative, positive
from .lets import Let, hidden_dependence, inline, let, program_of
from .indexing import (Embedding, EmbeddingJacobian, Onehot, ScatterAdd, classes, embedding, embedding_jacobian,
                       indices, is_indices, onehot, scatter_add)
from .concat import Concat, Slice, SliceJacobian, cols, concat, rows, slice_bounds
