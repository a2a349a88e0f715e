"""The examples and notes of each command's --help.  The lists of functions,
activations and costs come from their registries (jacobi.core.callables,
jacobi.core.functions, jacobi.nn.COSTS), so the help names what there is."""
from __future__ import annotations

import re
import textwrap

from ..calculus.check import MAX_ENTRIES, MAX_EVALS
from ..core import callables as C
from ..core import functions as F


def _wrap(text: str) -> str:
    """text filled to 80 columns, never breaking inside a call's parentheses: unvec(v, m, n)."""
    glued = re.sub(r"\w\([^()]*\)", lambda m: m.group().replace(" ", "\xa0"), text)
    return textwrap.fill(glued, width=80, break_on_hyphens=False, break_long_words=False).replace("\xa0", " ")


def functions_list() -> str:
    """The callable names: the element-wise functions (not the derivatives, which are written f'(x)),
    then the others in the registry's order (not I, which the help describes apart)."""
    elementwise = [n for n, fn in F.FUNCTIONS.items() if not (fn.text or "").endswith("'")]
    others = [n for n in C.operations() if not C.CALLABLES[n].bare]
    return " ".join(elementwise) + " (f'(x) is the derivative of f), " + " ".join(others)


def activations_list() -> str:
    return ", ".join(F.activations())


def costs_list() -> str:
    from ..nn import COSTS

    return ", ".join(list(COSTS))


HESSIAN_EXAMPLES = """\
examples:
  jacobi hessian "sum(softplus(X @ w) - y * (X @ w))" --wrt w      (logistic regression: X^T diag(sigma'(X w)) X)
  jacobi hessian "log(sum(exp(x)))" --wrt x --steps
  jacobi hessian "x'*A*x" --wrt x --syntax matrixcalculus
  jacobi hessian "trace(X.T @ A @ X)" --wrt X                          (over vec(X): Kronecker blocks)
  jacobi hessian "sum(sigmoid(W @ x))" --wrt x,W                       (the mixed block d2f/dx dvec(W)^T)
  jacobi hessian "x.T @ A @ x" --wrt x --format python

The expression syntax, --shape and --syntax are those of jacobi diff (jacobi diff --help).
"""


def diff_examples() -> str:
    return """\
examples:
  jacobi diff "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W
  jacobi diff "C = sum((W @ x + b - y) ** 2) / 2" --wrt W,b --steps
  jacobi diff "sigmoid(W @ x)" --wrt x                   (a Jacobian, numerator layout)
  jacobi diff "-sum(t * log(softmax(z)))" --wrt z --distribution t
  jacobi diff "x.T @ A @ x" --wrt x --shape x=3 --format latex
  jacobi diff "x.T @ A @ x" --wrt x,A --symmetric A           (2 * (A @ x) and x @ x.T)
  jacobi diff "logdet(S)" --wrt S --positive-definite S        (inv(S))
  jacobi diff "sum(exp(W @ x))" --wrt W --format python
  jacobi diff "(A*x - y)'*(A*x - y)" --wrt x --syntax matrixcalculus

""" + _wrap(
        "syntax: + - * / ** are element-wise (a scalar expands), @ is the matrix product, x.T or x' the "
        f"transpose; functions: {functions_list()}; I is the identity (its size inferred, or I(n)); ones(m, n), "
        "zeros(m, n), K(m, n) and unvec(v, m, n) take sizes; vector(c) and matrix(c) are constants whose entries "
        "are all c, their sizes inferred.  Undeclared names: lower-case Greek names (alpha, eta, "
        "lambda ...) are scalars, upper-case initials matrices, the rest vectors; their sizes are inferred.  "
        "--shape NAME=SHAPE declares one: 3, n, 2x3, mxn or scalar; a declared size name, used in the "
        "expression, is that number.  --syntax matrixcalculus reads matrixcalculus.org's syntax instead: ' "
        "transposes, * is the matrix product (a scalar operand scales), .* ./ .^ are element-wise, ^ is a power, / "
        "divides by a scalar, eye is the identity; its names a-g are scalars, h-z vectors, A-Z matrices (by the "
        "first letter).")


def backprop_examples() -> str:
    return """\
examples:
  jacobi backprop --layers 4,3,2 --activation sigmoid --output softmax --cost cross_entropy
  jacobi backprop --layers 784,n1,10 --activation relu --output softmax --cost cross_entropy --batch
  jacobi backprop --layers 2,3,2 --latex backprop.tex --markdown backprop.md
  jacobi backprop --layers 64,32,10 --activation tanh --python mlp_grad.py

""" + _wrap(
        f"Layer sizes are positive integers or names (n1); --python needs integers.  Activations: "
        f"{activations_list()} (a comma-separated list gives one per hidden layer); --output may also be "
        f"softmax.  Costs: {costs_list()}.")


CHECK_EXAMPLES = f"""\
examples:
  jacobi check "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W,b
  jacobi check "log(sum(exp(z)))" --size n=5
  jacobi check "trace(B @ A) + logdet(A)" --wrt A --positive-definite A
  jacobi check --module mlp_grad.py

An expression is checked at a seeded random point inside its domain (log,
sqrt and non-integer powers get positive numbers): its symbolic gradient
(jacobi's) against central differences of the expression.  Sizes not given
with --size are 3, 4, 5, ... in order of appearance; --wrt defaults to every
variable.  A matrix declared --symmetric, --positive-definite or --diagonal
is drawn so ((M + M^T)/2, M M^T + n I, diagonal) and its gradient checked
along the directions that keep it so.  --module imports FILE, so its code runs: use it on files you trust,
such as those `jacobi backprop --python` writes.  It must define
gradient(params, X, Y) -> (cost, [(dW1, db1), ...]) and SIZES = [n0, ..., nL]
(or give --layers), and must not exit, raise, print or warn; its gradient is
checked the same way on random parameters and data.  A check is refused before
it starts if an array would exceed --max-entries ({MAX_ENTRIES:_}) entries or the
central differences --max-evals ({MAX_EVALS:_}) evaluations.  Exit status 0 if the
relative error is within --tol, 1 if not, 2 for bad input."""
