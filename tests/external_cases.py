"""Derivative cases written by other projects, translated to jacobi (a data module, not tests).

Each row is one derivative stated or tested elsewhere: its source, the id it has
there, the original text, jacobi's text for the same function, the variable,
the closed form the source states (translated to jacobi's syntax and layout; None
where the source states none), and, for a row jacobi cannot express today, the
missing feature ("entry": a single entry X[i, j] as the function or the
variable; "literal": a matrix written entry by entry; "matrix function": sin
of a matrix as a power series; "stack": a vector stacked from separate scalar
expressions).  tests/test_external.py checks every row.

Layouts.  jacobi's Jacobian is numerator layout over vec (column-major): rows
are the entries of f, columns those of the variable; the gradient of a scalar
has the variable's shape.  The expected forms below are written in that
layout: a scalar's gradient in the variable's shape (as SymPy, the Cookbook,
matrixcalculus.org and DiffMatic write it); the derivative of a vector or
matrix with respect to a scalar in the function's shape; a vector or matrix
with respect to a vector or matrix as the Jacobian d vec(f) / d vec(X).  SymPy
writes a vector-by-vector derivative in denominator layout (the transpose; its
own TODOs at test_derivatives_elementwise_applyfunc say so) and a
matrix-by-matrix one as a 4-index array: those rows give the transposed or
vec-flattened form, with a note.

Sizes.  SymPy's test file declares every matrix k x k and every vector k x 1;
here the size is named n (k is a scalar coefficient in some SymPy tests) and
the shapes are declared the same way.  Other rows let jacobi infer the sizes
from its naming rule (or matrixcalculus.org's for that source).

Sources (read for this table):
- SymPy, sympy/matrices/expressions/tests/test_derivatives.py at commit
  1baf953866 (github.com/sympy/sympy; the file is unchanged at e950d313):
  every active ``diff`` assertion, one row each, id "<test name> L<line>";
  diffs made only inside the disabled helper _check_derivative_with_explicit_matrix
  are rows only where no assertion differentiates that expression.
- matrixcalculus.org/documentation: the nine "valid input examples", each with
  respect to each of its variables (23 rows), the three layout examples, and the
  two derivatives its error-message section describes.
- The Matrix Cookbook (Petersen & Pedersen, version November 15, 2012): the
  derivative identities of section 2 that SymPy's file does not test.  Equations
  (76)-(91) and (134)-(142) were read from the 2012 edition's pages 11 and 15
  (fliphtml5.com/ifgyy/oati/The_Matrix_Cookbook/11 and /15); the others are
  cited from the edition's numbering as recalled, with the section named.
- Parr & Howard, "The Matrix Calculus You Need For Deep Learning" (2018),
  cited by section (explained.ai/matrix-calculus; numerator layout, as jacobi).
- DiffMatic.jl (github.com/asterycs/DiffMatic.jl): every derivative in
  docs/src/examples.md (the duplicated tr(x*x') example once) and README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

SOURCES = ("sympy", "matrixcalculus", "cookbook", "parr-howard", "diffmatic")

#: the reasons a row may give for being inexpressible today
MISSING = ("entry", "literal", "matrix function", "stack")


@dataclass(frozen=True)
class Case:
    source: str
    id: str
    original: str
    text: str  # jacobi's text for the function
    wrt: str  # the variable's name
    expected: str | None = None  # the source's closed form, in jacobi's syntax and layout
    missing: str | None = None  # the missing feature, for a row jacobi cannot express today
    shapes: dict = field(default_factory=dict)  # declared shapes ("n x n", "n", "scalar", "3x3")
    syntax: str = "jacobi"  # or "matrixcalculus" (the text only; expected is always jacobi's syntax)
    domain: object = "real"  # "real" (-1, 1), "positive" (0.5, 2), or a (low, high) pair
    structure: dict = field(default_factory=dict)  # name -> "symmetric" / "diagonal"
    # the source's gradient with respect to a symmetric matrix is the vech convention's, 2 G - G * I, for the
    # gradient G on the symmetric matrices that jacobi gives (README, "Structured matrices"): the test maps it
    vech: bool = False
    order: int = 1  # 2: the Hessian, the Jacobian of the gradient
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.source}:{self.id}:{self.text}:{self.wrt}"


_SYMPY_MATRICES = re.compile(r"\b([A-HJL-Z])\b")  # not I or K: jacobi's identity and commutation
_SYMPY_VECTORS = re.compile(r"\b([abcdxyw])\b(?!\s*\()")


def _sympy_shapes(text: str, shapes: dict) -> dict:
    """SymPy's file declares X, A, B, C, D k x k and x, y, a, b, c, d k x 1 (size n here)."""
    out = {m: "n x n" for m in _SYMPY_MATRICES.findall(text)}
    out.update({v: "n" for v in _SYMPY_VECTORS.findall(text)})
    out.update(shapes)
    return {k: v for k, v in out.items() if v is not None}  # None: not a variable (a size name such as N)


def _sy(test, line, original, text, wrt, expected=None, missing=None, shapes=None, **kw) -> Case:
    return Case("sympy", f"{test} L{line}", original, text, wrt, expected, missing,
                _sympy_shapes(text, dict(shapes or {})), **kw)


def _entry(test, line, original, text="X[i, j]", wrt="X", reason="entry", shapes=None) -> Case:
    return Case("sympy", f"{test} L{line}", original, text, wrt, None, reason, dict(shapes or {}))


I_ = {"i": "scalar"}

SYMPY = [
    # test_matrix_derivative_by_scalar: derivatives with respect to the scalar i (function-shaped)
    _sy("test_matrix_derivative_by_scalar", 68, "A.diff(i) == ZeroMatrix(k, k)", "A", "i", "zeros(n, n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 69, "(A*(X + B)*c).diff(i) == ZeroMatrix(k, 1)", "A @ (X + B) @ c", "i",
        "zeros(n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 70, "x.diff(i) == ZeroMatrix(k, 1)", "x", "i", "zeros(n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 71, "(x.T*y).diff(i) == ZeroMatrix(1, 1)", "x.T @ y", "i", "0",
        shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 72, "(x*x.T).diff(i) == ZeroMatrix(k, k)", "x @ x.T", "i",
        "zeros(n, n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 73, "(x + y).diff(i) == ZeroMatrix(k, 1)", "x + y", "i", "zeros(n)",
        shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 74, "hadamard_power(x, 2).diff(i) == ZeroMatrix(k, 1)", "x ** 2", "i",
        "zeros(n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 75,
        "hadamard_power(x, i).diff(i) == HadamardProduct(x.applyfunc(log), HadamardPower(x, i))", "x ** i", "i",
        "log(x) * x ** i", shapes=I_, domain="positive"),
    _sy("test_matrix_derivative_by_scalar", 77, "hadamard_product(x, y).diff(i) == ZeroMatrix(k, 1)", "x * y", "i",
        "zeros(n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 78,
        "hadamard_product(i*OneMatrix(k, 1), x, y).diff(i) == hadamard_product(x, y)", "(i * ones(n)) * x * y", "i",
        "x * y", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 79, "(i*x).diff(i) == x", "i * x", "i", "x", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 80, "(sin(i)*A*B*x).diff(i) == cos(i)*A*B*x", "sin(i) * (A @ B @ x)",
        "i", "cos(i) * (A @ B @ x)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 81, "x.applyfunc(sin).diff(i) == ZeroMatrix(k, 1)", "sin(x)", "i",
        "zeros(n)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 82, "Trace(i**2*X).diff(i) == 2*i*Trace(X)", "trace(i ** 2 * X)", "i",
        "2 * i * trace(X)", shapes=I_),
    _sy("test_matrix_derivative_by_scalar", 86, "(2*mu*x).diff(x) == 2*mu*Identity(k)", "2 * mu * x", "x",
        "2 * mu * I(n)", shapes={"mu": "scalar"}),
    _sy("test_one_matrix", 90, "MatMul(x.T, OneMatrix(k, 1)).diff(x) == OneMatrix(k, 1)", "x.T @ ones(n)", "x",
        "ones(n)"),
    # matrix by matrix: SymPy's 4-index arrays, flattened to d vec(f) / d vec(A)
    _sy("test_matrix_derivative_non_matrix_result", 97, "A.diff(A) == PermuteDims(ArrayTensorProduct(I, I), ...)",
        "A", "A", "I(n * n)", note="SymPy's 4-index identity, as d vec(A)/d vec(A)"),
    _sy("test_matrix_derivative_non_matrix_result", 98, "A.T.diff(A) == PermuteDims(ArrayTensorProduct(I, I), ...)",
        "A.T", "A", "K(n, n)", note="the transpose tensor is the commutation matrix over vec"),
    _sy("test_matrix_derivative_non_matrix_result", 99, "(2*A).diff(A) == PermuteDims(ArrayTensorProduct(2*I, I), ...)",
        "2 * A", "A", "2 * I(n * n)"),
    _sy("test_matrix_derivative_non_matrix_result", 100, "MatAdd(A, A).diff(A) == ArrayAdd(AdA, AdA)", "A + A", "A",
        "2 * I(n * n)"),
    _sy("test_matrix_derivative_non_matrix_result", 101, "(A + B).diff(A) == AdA", "A + B", "A", "I(n * n)"),
    _sy("test_matrix_derivative_trivial_cases", 107, "X.diff(A) == ArrayDerivative(X, A)", "X", "A", None,
        note="SymPy leaves it unevaluated (a 4-index zero)"),
    # determinants
    _sy("test_matrix_derivative_of_determinant", 114, "Determinant(X).diff(X) == Determinant(X)*X.T.inv()",
        "det(X)", "X", "det(X) * inv(X.T)"),
    _sy("test_matrix_derivative_of_determinant", 118, "Determinant(A*X*B).diff(X) == Determinant(A*X*B)*X.T.inv()",
        "det(A @ X @ B)", "X", "det(A @ X @ B) * inv(X.T)"),
    _sy("test_matrix_derivative_of_determinant", 123,
        "Determinant(X.T*A*X).diff(X) == 2*Determinant(X)**2*Determinant(A)*X.T.inv()", "det(X.T @ A @ X)", "X",
        "2 * det(X) ** 2 * det(A) * inv(X.T)"),
    _sy("test_matrix_derivative_of_determinant", 128,
        "Determinant(Z.T*A*Z).diff(Z) == (Determinant(Z.T*A*Z)*(A*Z*(Z.T*A*Z).inv() + A.T*Z*(Z.T*A.T*Z).inv()))"
        ".expand()", "det(Z.T @ A @ Z)", "Z",
        "det(Z.T @ A @ Z) * (A @ Z @ inv(Z.T @ A @ Z) + A.T @ Z @ inv(Z.T @ A.T @ Z))", shapes={"Z": "n x p"}),
    _sy("test_matrix_derivative_of_determinant", 132, "log(Determinant(X.T*X)).diff(X) == 2*X.T.inv()",
        "log(det(X.T @ X))", "X", "2 * inv(X.T)"),
    _sy("test_matrix_derivative_of_determinant", 136, "log(Determinant(X)).diff(X) == X.T.inv()", "log(det(X))", "X",
        "inv(X.T)"),
    _sy("test_matrix_derivative_of_determinant", 140,
        "Determinant(X**j).diff(X).doit() == j*Determinant(X**j)*X.inv().T", "det(matrix_power(X, j))", "X",
        "j * det(matrix_power(X, j)) * inv(X).T"),
    _sy("test_matrix_derivative_of_determinant", 142, "Determinant(X**5).diff(X) == 5*Determinant(X**5)*X.inv().T",
        "det(matrix_power(X, 5))", "X", "5 * det(matrix_power(X, 5)) * inv(X).T"),
    _sy("test_issue_28708", 148, "Determinant((X**j).subs(j, 0)).diff(X) == ZeroMatrix(k, k)",
        "det(matrix_power(X, 0))", "X", "zeros(n, n)"),
    _sy("test_issue_28708", 151, "Determinant((X**j).subs(j, -1)).diff(X) == - X.T.inv()/Determinant(X)",
        "det(matrix_power(X, -1))", "X", "-inv(X.T) / det(X)"),
    _sy("test_issue_28838_det_in_non_matrix_expr", 157, "(k*Determinant(X)).diff(X) == k*Determinant(X)*X.T**(-1)",
        "k * det(X)", "X", "k * det(X) * inv(X.T)", shapes={"k": "scalar"}),
    _sy("test_issue_28838_det_in_non_matrix_expr", 160, "(1/Determinant(X)).diff(X) == -1/Determinant(X)*X.T**(-1)",
        "1 / det(X)", "X", "-1 / det(X) * inv(X.T)"),
    _sy("test_issue_28838_det_in_non_matrix_expr", 163, "(k/Determinant(X)).diff(X) == -k/Determinant(X)*X.T**(-1)",
        "k / det(X)", "X", "-k / det(X) * inv(X.T)", shapes={"k": "scalar"}),
    # inverses
    _sy("test_matrix_derivative_with_inverse", 170, "(a.T*Inverse(X)*b).diff(X) == -Inverse(X).T*a*b.T*Inverse(X).T",
        "a.T @ inv(X) @ b", "X", "-inv(X).T @ a @ b.T @ inv(X).T"),
    _sy("test_matrix_derivative_with_inverse", 174,
        "Determinant(Inverse(X)).diff(X) == -Determinant(X.inv())*(X.inv()).T", "det(inv(X))", "X",
        "-det(inv(X)) * inv(X).T"),
    _sy("test_matrix_derivative_with_inverse", 178, "Trace(A*Inverse(X)*B).diff(X) == -(X**(-1)*B*A*X**(-1)).T",
        "trace(A @ inv(X) @ B)", "X", "-(inv(X) @ B @ A @ inv(X)).T"),
    _sy("test_matrix_derivative_with_inverse", 182, "Trace(Inverse(X + A)).diff(X) == -(Inverse(X + A)).T**2",
        "trace(inv(X + A))", "X", "-matrix_power(inv(X + A).T, 2)"),
    # vectors and scalars
    _sy("test_matrix_derivative_vectors_and_scalars", 187, "x.diff(x) == Identity(k)", "x", "x", "I(n)"),
    _entry("test_matrix_derivative_vectors_and_scalars", 188, "x[i, 0].diff(x[m, 0]).doit() == KDelta(m, i)",
           "x[i]", "x"),
    _sy("test_matrix_derivative_vectors_and_scalars", 190, "x.T.diff(x) == Identity(k)", "x.T", "x", "I(n)"),
    _sy("test_matrix_derivative_vectors_and_scalars", 194, "(x.T*a).diff(x) == a", "x.T @ a", "x", "a"),
    _entry("test_matrix_derivative_vectors_and_scalars", 195, "(x.T*a)[0, 0].diff(x[m, 0]).doit() == a[m, 0]",
           "(x.T @ a)[0]", "x"),
    _sy("test_matrix_derivative_vectors_and_scalars", 197, "(a.T*x).diff(x) == a", "a.T @ x", "x", "a"),
    _sy("test_matrix_derivative_vectors_and_scalars", 201, "(a.T*X*b).diff(X) == a*b.T", "a.T @ X @ b", "X",
        "a @ b.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 205, "(a.T*X.T*b).diff(X) == b*a.T", "a.T @ X.T @ b", "X",
        "b @ a.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 209, "(a.T*X*a).diff(X) == a*a.T", "a.T @ X @ a", "X",
        "a @ a.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 211, "(a.T*X.T*a).diff(X) == a*a.T", "a.T @ X.T @ a", "X",
        "a @ a.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 215, "(b.T*X.T*X*c).diff(X) == X*b*c.T + X*c*b.T",
        "b.T @ X.T @ X @ c", "X", "X @ b @ c.T + X @ c @ b.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 219,
        "((B*x + b).T*C*(D*x + d)).diff(x) == B.T*C*(D*x + d) + D.T*C.T*(B*x + b)", "(B @ x + b).T @ C @ (D @ x + d)",
        "x", "B.T @ C @ (D @ x + d) + D.T @ C.T @ (B @ x + b)"),
    _sy("test_matrix_derivative_vectors_and_scalars", 223, "(x.T*B*x).diff(x) == B*x + B.T*x", "x.T @ B @ x", "x",
        "B @ x + B.T @ x"),
    _sy("test_matrix_derivative_vectors_and_scalars", 227, "(b.T*X.T*D*X*c).diff(X) == D.T*X*b*c.T + D*X*c*b.T",
        "b.T @ X.T @ D @ X @ c", "X", "D.T @ X @ b @ c.T + D @ X @ c @ b.T"),
    _sy("test_matrix_derivative_vectors_and_scalars", 231,
        "((X*b + c).T*D*(X*b + c)).diff(X) == D*(X*b + c)*b.T + D.T*(X*b + c)*b.T", "(X @ b + c).T @ D @ (X @ b + c)",
        "X", "D @ (X @ b + c) @ b.T + D.T @ (X @ b + c) @ b.T"),
    _entry("test_matrix_derivative_vectors_and_scalars", 232,
           "str(expr[0, 0].diff(X[m, n]).doit()) == 'b[n, 0]*Sum(...)'",
           "((X @ b + c).T @ D @ (X @ b + c))[0]", "X"),
    _sy("test_matrix_derivative_vectors_and_scalars", 238, "(x*x.T*x).diff(x) == KroneckerProduct(I, x.T*x) + 2*x*x.T",
        "x @ x.T @ x", "x", "(x.T @ x) * I(n) + 2 * x @ x.T",
        note="SymPy's KroneckerProduct(I, x.T*x) with a 1 x 1 factor is (x.T x) I; the result is symmetric"),
    # traces
    _sy("test_matrix_derivatives_of_traces", 245, "(Trace(A)*A).diff(A) == ArrayAdd(ArrayTensorProduct(I, A), ...)",
        "trace(A) * A", "A", "trace(A) * I(n * n) + vec(A) @ vec(I(n)).T",
        note="SymPy's 4-index array as d vec(f)/d vec(A)"),
    _entry("test_matrix_derivatives_of_traces", 246,
           "(Trace(A)*A)[i, j].diff(A[m, n]).doit() == KDelta(i, m)*KDelta(j, n)*Trace(A) + KDelta(m, n)*A[i, j]",
           "(trace(A) * A)[i, j]", "A"),
    _sy("test_matrix_derivatives_of_traces", 255, "Trace(X).diff(X) == Identity(k)", "trace(X)", "X", "I(n)"),
    _entry("test_matrix_derivatives_of_traces", 256, "Trace(X).rewrite(Sum).diff(X[m, n]).doit() == KDelta(m, n)",
           "trace(X)", "X[m, n]"),
    _sy("test_matrix_derivatives_of_traces", 260, "Trace(X*A).diff(X) == A.T", "trace(X @ A)", "X", "A.T"),
    _entry("test_matrix_derivatives_of_traces", 261, "Trace(X*A).rewrite(Sum).diff(X[m, n]).doit() == A[n, m]",
           "trace(X @ A)", "X[m, n]"),
    _sy("test_matrix_derivatives_of_traces", 265, "Trace(A*X*B).diff(X) == A.T*B.T", "trace(A @ X @ B)", "X",
        "A.T @ B.T"),
    _entry("test_matrix_derivatives_of_traces", 266,
           "Trace(A*X*B).rewrite(Sum).diff(X[m, n]).doit().dummy_eq((A.T*B.T)[m, n])", "trace(A @ X @ B)", "X[m, n]"),
    _sy("test_matrix_derivatives_of_traces", 270, "Trace(A*X.T*B).diff(X) == B*A", "trace(A @ X.T @ B)", "X", "B @ A"),
    _sy("test_matrix_derivatives_of_traces", 274, "Trace(X.T*A).diff(X) == A", "trace(X.T @ A)", "X", "A"),
    _sy("test_matrix_derivatives_of_traces", 278, "Trace(A*X.T).diff(X) == A", "trace(A @ X.T)", "X", "A"),
    _sy("test_matrix_derivatives_of_traces", 289, "Trace(X**2).diff(X) == 2*X.T", "trace(matrix_power(X, 2))", "X",
        "2 * X.T"),
    _sy("test_matrix_derivatives_of_traces", 293, "Trace(X**2*B).diff(X) == (X*B + B*X).T",
        "trace(matrix_power(X, 2) @ B)", "X", "(X @ B + B @ X).T"),
    _sy("test_matrix_derivatives_of_traces", 295, "Trace(MatMul(X, X, B)).diff(X) == (X*B + B*X).T",
        "trace(X @ X @ B)", "X", "(X @ B + B @ X).T"),
    _sy("test_matrix_derivatives_of_traces", 299, "Trace(X.T*B*X).diff(X) == B*X + B.T*X", "trace(X.T @ B @ X)", "X",
        "B @ X + B.T @ X"),
    _sy("test_matrix_derivatives_of_traces", 303, "Trace(B*X*X.T).diff(X) == B*X + B.T*X", "trace(B @ X @ X.T)", "X",
        "B @ X + B.T @ X"),
    _sy("test_matrix_derivatives_of_traces", 307, "Trace(X*X.T*B).diff(X) == B*X + B.T*X", "trace(X @ X.T @ B)", "X",
        "B @ X + B.T @ X"),
    _sy("test_matrix_derivatives_of_traces", 311, "Trace(X*B*X.T).diff(X) == X*B.T + X*B", "trace(X @ B @ X.T)", "X",
        "X @ B.T + X @ B"),
    _sy("test_matrix_derivatives_of_traces", 315, "Trace(B*X.T*X).diff(X) == X*B.T + X*B", "trace(B @ X.T @ X)", "X",
        "X @ B.T + X @ B"),
    _sy("test_matrix_derivatives_of_traces", 319, "Trace(X.T*X*B).diff(X) == X*B.T + X*B", "trace(X.T @ X @ B)", "X",
        "X @ B.T + X @ B"),
    _sy("test_matrix_derivatives_of_traces", 323, "Trace(A*X*B*X).diff(X) == A.T*X.T*B.T + B.T*X.T*A.T",
        "trace(A @ X @ B @ X)", "X", "A.T @ X.T @ B.T + B.T @ X.T @ A.T"),
    _sy("test_matrix_derivatives_of_traces", 327, "Trace(X.T*X).diff(X) == 2*X", "trace(X.T @ X)", "X", "2 * X"),
    _sy("test_matrix_derivatives_of_traces", 329, "Trace(X*X.T).diff(X) == 2*X", "trace(X @ X.T)", "X", "2 * X"),
    _sy("test_matrix_derivatives_of_traces", 333, "Trace(B.T*X.T*C*X*B).diff(X) == C.T*X*B*B.T + C*X*B*B.T",
        "trace(B.T @ X.T @ C @ X @ B)", "X", "C.T @ X @ B @ B.T + C @ X @ B @ B.T"),
    _sy("test_matrix_derivatives_of_traces", 337, "Trace(X.T*B*X*C).diff(X) == B*X*C + B.T*X*C.T",
        "trace(X.T @ B @ X @ C)", "X", "B @ X @ C + B.T @ X @ C.T"),
    _sy("test_matrix_derivatives_of_traces", 341, "Trace(A*X*B*X.T*C).diff(X) == A.T*C.T*X*B.T + C*A*X*B",
        "trace(A @ X @ B @ X.T @ C)", "X", "A.T @ C.T @ X @ B.T + C @ A @ X @ B"),
    _sy("test_matrix_derivatives_of_traces", 345, "Trace((A*X*B + C)*(A*X*B + C).T).diff(X) == 2*A.T*(A*X*B + C)*B.T",
        "trace((A @ X @ B + C) @ (A @ X @ B + C).T)", "X", "2 * A.T @ (A @ X @ B + C) @ B.T"),
    _sy("test_matrix_derivatives_of_traces", 365,
        "Trace(B.T*X.T*C*X*X.T*C*X*B).diff(X) == C*X*X.T*C*X*B*B.T + C.T*X*B*B.T*X.T*C.T*X + C*X*B*B.T*X.T*C*X"
        " + C.T*X*X.T*C.T*X*B*B.T", "trace(B.T @ X.T @ C @ X @ X.T @ C @ X @ B)", "X",
        "C @ X @ X.T @ C @ X @ B @ B.T + C.T @ X @ B @ B.T @ X.T @ C.T @ X + C @ X @ B @ B.T @ X.T @ C @ X"
        " + C.T @ X @ X.T @ C.T @ X @ B @ B.T"),
    _sy("test_matrix_derivatives_of_traces", 371, "Trace(A*X**(-1)*B).diff(X) == -Inverse(X).T*A.T*B.T*Inverse(X).T",
        "trace(A @ inv(X) @ B)", "X", "-inv(X).T @ A.T @ B.T @ inv(X).T"),
    _sy("test_matrix_derivatives_of_traces", 376,
        "Trace(Inverse(X.T*C*X)*A).diff(X) == - X.inv().T*A.T*X.inv()*C.inv().T*X.inv().T"
        " - X.inv().T*A*X.inv()*C.inv()*X.inv().T", "trace(inv(X.T @ C @ X) @ A)", "X",
        "-inv(X).T @ A.T @ inv(X) @ inv(C).T @ inv(X).T - inv(X).T @ A @ inv(X) @ inv(C) @ inv(X).T"),
    _sy("test_matrix_derivatives_of_traces", 380,
        "Trace((X.T*C*X).inv()*(X.T*B*X)).diff(X) == -2*C*X*(X.T*C*X).inv()*X.T*B*X*(X.T*C*X).inv()"
        " + 2*B*X*(X.T*C*X).inv()", "trace(inv(X.T @ C @ X) @ (X.T @ B @ X))", "X",
        "-2 * C @ X @ inv(X.T @ C @ X) @ X.T @ B @ X @ inv(X.T @ C @ X) + 2 * B @ X @ inv(X.T @ C @ X)"),
    _sy("test_matrix_derivatives_of_traces", 385,
        "Trace((A + X.T*C*X).inv()*(X.T*B*X)).diff(X) == B*X*Inverse(A + X.T*C*X) - C*X*Inverse(A + X.T*C*X)*X.T*B*X"
        "*Inverse(A + X.T*C*X) - C.T*X*Inverse(A.T + (C*X).T*X)*X.T*B.T*X*Inverse(A.T + (C*X).T*X)"
        " + B.T*X*Inverse(A.T + (C*X).T*X)", "trace(inv(A + X.T @ C @ X) @ (X.T @ B @ X))", "X",
        "B @ X @ inv(A + X.T @ C @ X) - C @ X @ inv(A + X.T @ C @ X) @ X.T @ B @ X @ inv(A + X.T @ C @ X)"
        " - C.T @ X @ inv(A.T + (C @ X).T @ X) @ X.T @ B.T @ X @ inv(A.T + (C @ X).T @ X)"
        " + B.T @ X @ inv(A.T + (C @ X).T @ X)"),
    _sy("test_derivatives_of_complicated_matrix_expr", 391,
        "a.T*(A*X*(X.T*B + X*A) + B.T*X.T*(a*b.T*(X*D*X.T + X*(X.T*B + A*X)*D*B - X.T*C.T*A)*B"
        " + B*(X*D.T + B*A*X*A.T - 3*X*D))*B + 42*X*B*X.T*A.T*(X + X.T))*b  (diff X == result, 19 terms)",
        "a.T @ (A @ X @ (X.T @ B + X @ A) + B.T @ X.T @ (a @ b.T @ (X @ D @ X.T + X @ (X.T @ B + A @ X) @ D @ B"
        " - X.T @ C.T @ A) @ B + B @ (X @ D.T + B @ A @ X @ A.T - 3 * X @ D)) @ B + 42 * X @ B @ X.T @ A.T"
        " @ (X + X.T)) @ b", "X",
        "(B @ (B @ A @ X @ A.T - 3 * X @ D + X @ D.T) + a @ b.T @ (X @ (A @ X + X.T @ B) @ D @ B + X @ D @ X.T"
        " - X.T @ C.T @ A) @ B) @ B @ b @ a.T @ B.T + matrix_power(B, 2) @ b @ a.T @ B.T @ X.T @ a @ b.T @ X @ D"
        " + 42 * A @ X @ B.T @ X.T @ a @ b.T + B @ D @ matrix_power(B, 3) @ b @ a.T @ B.T @ X.T @ a @ b.T @ X"
        " + B @ b @ a.T @ A @ X + a @ b.T @ (42 * X + 42 * X.T) @ A @ X @ B.T"
        " + b @ a.T @ X @ B @ a @ b.T @ matrix_power(B.T, 2) @ X @ D.T"
        " + b @ a.T @ X @ B @ a @ b.T @ matrix_power(B.T, 3) @ D.T @ (B.T @ X + X.T @ A.T)"
        " + 42 * b @ a.T @ X @ B @ X.T @ A.T + A.T @ (42 * X + 42 * X.T) @ b @ a.T @ X @ B"
        " + A.T @ matrix_power(B.T, 2) @ X @ B @ a @ b.T @ B.T @ A + A.T @ a @ b.T @ (A.T @ X.T + B.T @ X)"
        " + A.T @ X.T @ b @ a.T @ X @ B @ a @ b.T @ matrix_power(B.T, 3) @ D.T + B.T @ X @ B @ a @ b.T @ B.T @ D"
        " - 3 * B.T @ X @ B @ a @ b.T @ B.T @ D.T - C.T @ A @ matrix_power(B, 2) @ b @ a.T @ B.T @ X.T @ a @ b.T"
        " + X.T @ A.T @ a @ b.T @ A.T"),
    # mixed
    _sy("test_mixed_deriv_mixed_expressions", 397, "(3*Trace(A)).diff(A) == 3*Identity(k)", "3 * trace(A)", "A",
        "3 * I(n)"),
    _sy("test_mixed_deriv_mixed_expressions", 400, "k.diff(A) == ZeroMatrix(k, k)", "k", "A", "zeros(n, n)",
        shapes={"k": "scalar", "A": "n x n"}, note="SymPy differentiates its size symbol k; here a scalar k"),
    _sy("test_mixed_deriv_mixed_expressions", 405, "(Trace(A)**2).diff(A) == (2*Trace(A))*Identity(k)",
        "trace(A) ** 2", "A", "2 * trace(A) * I(n)"),
    _sy("test_mixed_deriv_mixed_expressions", 409, "(Trace(A)*A).diff(A) == ArrayAdd(ArrayTensorProduct(I, A), ...)",
        "trace(A) * A", "A", "trace(A) * I(n * n) + vec(A) @ vec(I(n)).T",
        note="SymPy's 4-index array as d vec(f)/d vec(A)"),
    _sy("test_mixed_deriv_mixed_expressions", 412, "Trace(Trace(A)*A).diff(A) == (2*Trace(A))*Identity(k)",
        "trace(trace(A) * A)", "A", "2 * trace(A) * I(n)"),
    _sy("test_mixed_deriv_mixed_expressions", 415, "Trace(Trace(Trace(A)*A)*A).diff(A) == (3*Trace(A)**2)*Identity(k)",
        "trace(trace(trace(A) * A) * A)", "A", "3 * trace(A) ** 2 * I(n)"),
    # norms and powers of scalars
    _sy("test_derivatives_matrix_norms", 421, "(x.T*y).diff(x) == y", "x.T @ y", "x", "y"),
    _entry("test_derivatives_matrix_norms", 422, "(x.T*y)[0, 0].diff(x[m, 0]).doit() == y[m, 0]", "(x.T @ y)[0]", "x"),
    _sy("test_derivatives_matrix_norms", 425, "((x.T*y)**S.Half).diff(x) == y/(2*sqrt(x.T*y))",
        "(x.T @ y) ** (1 / 2)", "x", "y / (2 * sqrt(x.T @ y))", domain="positive"),
    _sy("test_derivatives_matrix_norms", 428, "((x.T*x)**S.Half).diff(x) == x*(x.T*x)**Rational(-1, 2)",
        "(x.T @ x) ** (1 / 2)", "x", "x * (x.T @ x) ** (-1 / 2)"),
    _sy("test_derivatives_matrix_norms", 431, "((c.T*a*x.T*b)**S.Half).diff(x) == b*a.T*c/sqrt(c.T*a*x.T*b)/2",
        "((c.T @ a) * (x.T @ b)) ** (1 / 2)", "x", "b @ a.T @ c / sqrt((c.T @ a) * (x.T @ b)) / 2",
        domain="positive"),
    _sy("test_derivatives_matrix_norms", 434,
        "((c.T*a*x.T*b)**Rational(1, 3)).diff(x) == b*a.T*c*(c.T*a*x.T*b)**Rational(-2, 3)/3",
        "((c.T @ a) * (x.T @ b)) ** (1 / 3)", "x", "b @ a.T @ c * ((c.T @ a) * (x.T @ b)) ** (-2 / 3) / 3",
        domain="positive"),
    _sy("test_derivatives_matrix_norms", 437, "((a.T*X*b)**S.Half).diff(X) == a/(2*sqrt(a.T*X*b))*b.T",
        "(a.T @ X @ b) ** (1 / 2)", "X", "(a / (2 * sqrt(a.T @ X @ b))) @ b.T", domain="positive"),
    _sy("test_derivatives_matrix_norms", 440,
        "(d.T*x*(a.T*X*b)**S.Half*y.T*c).diff(X) == a*x.T*d*y.T*c/(2*sqrt(b.T*X.T*a))*b.T",
        "(d.T @ x) * (a.T @ X @ b) ** (1 / 2) * (y.T @ c)", "X",
        "((a @ x.T @ d @ y.T @ c) / (2 * sqrt(b.T @ X.T @ a))) @ b.T", domain="positive"),
    _sy("test_derivatives_matrix_norms", 444, "sqrt(Trace(X.T*X)).diff(X) == X / sqrt(Trace(X*X.T))",
        "sqrt(trace(X.T @ X))", "X", "X / sqrt(trace(X @ X.T))"),
    # element-wise functions (SymPy's vector-by-vector results are transposed to numerator layout)
    _sy("test_derivatives_elementwise_applyfunc", 450,
        "x.applyfunc(tan).diff(x).dummy_eq(DiagMatrix(x.applyfunc(lambda x: tan(x)**2 + 1)))", "tan(x)", "x",
        "diag(tan(x) ** 2 + 1)"),
    _entry("test_derivatives_elementwise_applyfunc", 452,
           "x.applyfunc(tan)[i, 0].diff(x[m, 0]).doit() == (tan(x[i, 0])**2 + 1)*KDelta(i, m)", "tan(x)[i]", "x"),
    _sy("test_derivatives_elementwise_applyfunc", 456,
        "(i**2*x).applyfunc(sin).diff(i).dummy_eq(HadamardProduct((2*i)*x, (i**2*x).applyfunc(cos)))",
        "sin(i ** 2 * x)", "i", "2 * i * x * cos(i ** 2 * x)", shapes=I_),
    _entry("test_derivatives_elementwise_applyfunc", 458,
           "(i**2*x).applyfunc(sin)[i, 0].diff(i).doit() == 2*i*x[i, 0]*cos(i**2*x[i, 0])", "sin(i ** 2 * x)[i]", "i"),
    _sy("test_derivatives_elementwise_applyfunc", 462,
        "(log(i)*A*B).applyfunc(sin).diff(i).dummy_eq(HadamardProduct(A*B/i, (log(i)*A*B).applyfunc(cos)))",
        "sin(log(i) * (A @ B))", "i", "(A @ B) / i * cos(log(i) * (A @ B))", shapes=I_, domain="positive"),
    _sy("test_derivatives_elementwise_applyfunc", 469,
        "A*x.applyfunc(exp)  (TODO: restore DiagMatrix(x.applyfunc(exp))*A.T; currently returns the transpose)",
        "A @ exp(x)", "x", "A @ diag(exp(x))",
        note="the commented form is denominator layout; its transpose is written here"),
    _sy("test_derivatives_elementwise_applyfunc", 472,
        "(x.T*A*x + k*y.applyfunc(sin).T*x).diff(x).dummy_eq(A.T*x + A*x + k*y.applyfunc(sin))",
        "x.T @ A @ x + k * sin(y).T @ x", "x", "A.T @ x + A @ x + k * sin(y)", shapes={"k": "scalar"}),
    _sy("test_derivatives_elementwise_applyfunc", 478,
        "x.applyfunc(sin).T*y  (TODO: restore DiagMatrix(x.applyfunc(cos))*y; currently returns the transpose)",
        "sin(x).T @ y", "x", "diag(cos(x)) @ y"),
    _sy("test_derivatives_elementwise_applyfunc", 481,
        "(a.T * X * b).applyfunc(sin).diff(X).dummy_eq(a*(a.T*X*b).applyfunc(cos)*b.T)", "sin(a.T @ X @ b)", "X",
        "cos(a.T @ X @ b) * (a @ b.T)"),
    _sy("test_derivatives_elementwise_applyfunc", 485,
        "(a.T * X.applyfunc(sin) * b).diff(X).dummy_eq(DiagMatrix(a)*X.applyfunc(cos)*DiagMatrix(b))",
        "a.T @ sin(X) @ b", "X", "diag(a) @ cos(X) @ diag(b)"),
    _sy("test_derivatives_elementwise_applyfunc", 490,
        "(a.T * (A*X*B).applyfunc(sin) * b).diff(X).dummy_eq(A.T*DiagMatrix(a)*(A*X*B).applyfunc(cos)"
        "*DiagMatrix(b)*B.T)", "a.T @ sin(A @ X @ B) @ b", "X",
        "A.T @ diag(a) @ cos(A @ X @ B) @ diag(b) @ B.T"),
    _sy("test_derivatives_elementwise_applyfunc", 500,
        "(a.T*A*X.applyfunc(sin)*B*b).diff(X).dummy_eq(HadamardProduct(A.T * a * b.T * B.T, X.applyfunc(cos)))",
        "a.T @ A @ sin(X) @ B @ b", "X", "(A.T @ a @ b.T @ B.T) * cos(X)"),
    # Hadamard products and powers
    _sy("test_derivatives_of_hadamard_expressions", 517,
        "hadamard_product(a, x, b).diff(x) == DiagMatrix(hadamard_product(b, a))", "a * x * b", "x",
        "diag(b * a)"),
    _sy("test_derivatives_of_hadamard_expressions", 520,
        "(a.T*hadamard_product(A, X, B)*b).diff(X) == HadamardProduct(a*b.T, A, B)", "a.T @ (A * X * B) @ b", "X",
        "(a @ b.T) * A * B"),
    _sy("test_derivatives_of_hadamard_expressions", 525, "hadamard_power(x, 2).diff(x).doit() == 2*DiagMatrix(x)",
        "x ** 2", "x", "2 * diag(x)"),
    _sy("test_derivatives_of_hadamard_expressions", 528, "hadamard_power(x.T, 2).diff(x).doit() == 2*DiagMatrix(x)",
        "x.T ** 2", "x", "2 * diag(x)"),
    _sy("test_derivatives_of_hadamard_expressions", 531,
        "hadamard_power(x, S.Half).diff(x) == S.Half*DiagMatrix(hadamard_power(x, Rational(-1, 2)))",
        "x ** (1 / 2)", "x", "1 / 2 * diag(x ** (-1 / 2))", domain="positive"),
    _sy("test_derivatives_of_hadamard_expressions", 534,
        "hadamard_power(a.T*X*b, 2).diff(X) == 2*a*a.T*X*b*b.T", "(a.T @ X @ b) ** 2", "X",
        "2 * a @ a.T @ X @ b @ b.T"),
    _sy("test_derivatives_of_hadamard_expressions", 537,
        "hadamard_power(a.T*X*b, S.Half).diff(X) == a/(2*sqrt(a.T*X*b))*b.T", "(a.T @ X @ b) ** (1 / 2)", "X",
        "(a / (2 * sqrt(a.T @ X @ b))) @ b.T", domain="positive"),
    # issues
    _sy("test_fix_issue_24021", 543, "(Trace(E)**2 + Trace(E*E.T)).diff(E) == 2*Trace(E)*Identity(3) + 2*E",
        "trace(E) ** 2 + trace(E @ E.T)", "E", "2 * trace(E) * I(3) + 2 * E", shapes={"E": "3x3"}),
    _entry("test_fix_issue_on_stackoverflow", 552,
           "(x.T * MatMul(m1, x) + x.T * Matrix(m3) + 6*Identity(1)).diff(x) == m1*x + m1.T*x + m3 "
           "(m1 = Matrix([[1, 2], [4, 7]]), m3 = Matrix([3, 5]))", "x.T @ [[1, 2], [4, 7]] @ x + x.T @ [3, 5] + 6", "x",
           reason="literal"),
    _sy("test_issue_25118", 559, "(trace(F) - 1).diff(F) == Identity(3)", "trace(F) - 1", "F", "I(3)",
        shapes={"F": "3x3"}),
    _sy("test_issue_25118", 564, "(Trace(F.T * F) - 3).diff(F) == 2*F", "trace(F.T @ F) - 3", "F", "2 * F",
        shapes={"F": "3x3"}),
    _sy("test_issue_24725", 577,
        "diff(Trace(d.T @ d), m) == -Trace(((-m) * one.T + x.T) * one) - Trace(one.T * ((-m) * one + x)) "
        "(d = x - m * one, one = OneMatrix(N, 1))", "trace((x - m * ones(N)).T @ (x - m * ones(N)))", "m",
        "-((-m * ones(N).T + x.T) @ ones(N)) - ones(N).T @ (-m * ones(N) + x)",
        shapes={"x": "N", "m": "scalar", "N": None}),
    _sy("test_issue_24725", 581, "diff(Trace(x.T @ w) + b, w) == x", "trace(x.T @ w) + b", "w", "x",
        shapes={"x": "N", "w": "N", "b": "scalar", "N": None}),
    _entry("test_issue_24725", 583, "w[0, 0].diff(w) == MatrixUnit(w.shape[0], w.shape[1], 0, 0)", "w[0]", "w"),
    _sy("test_issue_23492", 589, "trace(A).diff(A) == Identity(3)", "trace(A)", "A", "I(3)", shapes={"A": "3x3"}),
    _entry("test_issue_23492", 590, "trace(A).as_explicit().diff(A) == MatrixUnit(3, 3, 0, 0) + ...",
           "A[0, 0] + A[1, 1] + A[2, 2]", "A"),
    _entry("test_issue_23492", 591, "trace(A).diff(A.as_explicit()) == eye(3)", "trace(A)", "[[A[0, 0], A[0, 1]]]",
           reason="literal"),
    _sy("test_issue_23492", 593, "(trace(A) + trace(A**2)).diff(A) == Identity(3) + 2 * A.T",
        "trace(A) + trace(matrix_power(A, 2))", "A", "I(3) + 2 * A.T", shapes={"A": "3x3"}),
    _sy("test_issue_23364", 601, "((x * F) ** 2).diff(x) == (2*x) * F**2", "matrix_power(x * F, 2)", "x",
        "2 * x * matrix_power(F, 2)", shapes={"x": "scalar", "F": "3x3"}),
    _sy("test_issue_21597", 609, "diff(b - F * c, b) == Identity(3)", "b - F @ c", "b", "I(3)",
        shapes={"b": 3, "c": 3, "F": "3x3"}),
    _sy("test_issue_23931", 619, "(1/trace(F)).diff(F) == (-1/Trace(F)**2)*I3", "1 / trace(F)", "F",
        "-1 / trace(F) ** 2 * I(3)", shapes={"F": "3x3"}),
    _sy("test_issue_23931", 626,
        "(x / trace(x.T @ x)).diff(x) == (-2/Trace(x*x.T)**2)*x*x.T + 1/Trace(x*x.T)*Identity(d)",
        "x / trace(x.T @ x)", "x", "-2 / trace(x @ x.T) ** 2 * x @ x.T + 1 / trace(x @ x.T) * I(d)",
        shapes={"x": "d"}),
    _entry("test_issue_17229", 635, "M[1, 2].diff(M) == MatrixUnit(3, 3, 1, 2)", "M[1, 2]", "M"),
    _entry("test_issue_17229", 636, "M[1, 2].diff(M.as_explicit()) == Matrix([[0, 0, 0], [0, 0, 1], [0, 0, 0]])",
           "M[1, 2]", "M", reason="literal"),
    _entry("test_issue_17229", 637, "M.diff(M[1, 1]) == MatrixUnit(3, 3, 1, 1)", "M", "M[1, 1]"),
    _entry("test_issue_17229", 638, "M.as_explicit().diff(M[1, 2]) == Matrix([[0, 0, 0], [0, 0, 1], [0, 0, 0]])",
           "M", "M[1, 2]", reason="literal"),
    _entry("test_issue_17229", 641, "M.diff(M.as_explicit()) == Array([[MatrixUnit(3, 3, i, j) ...]])", "M",
           "[[M[0, 0], M[0, 1]]]", reason="literal"),
    _entry("test_issue_17229", 642, "M.as_explicit().diff(M) == Matrix([[MatrixUnit(3, 3, i, j) ...]])",
           "[[M[0, 0], M[0, 1]]]", "M", reason="literal"),
    _entry("test_issue_15651", 667, "(X.as_explicit()*X).diff(X) == ArrayAdd(ArrayContraction(...), PermuteDims(...))",
           "[[X[0, 0], X[0, 1]]] @ X", "X", reason="literal"),
    _sy("test_issue_15667", 674, "(Trace(A) * A).diff(A) == ArrayAdd(ArrayTensorProduct(I, A), ...)",
        "trace(A) * A", "A", "trace(A) * I(n * n) + vec(A) @ vec(I(n)).T",
        note="SymPy's 4-index array as d vec(f)/d vec(A)"),
    _entry("test_matpow_derivative", 679, "MatPow(Matrix([[m, 0], [0, m]]), 2).diff(m) == Matrix([[2*m, 0], [0, 2*m]])",
           "matrix_power([[m, 0], [0, m]], 2)", "m", reason="literal"),
    _entry("test_matpow_derivative", 683,
           "MatPow(Matrix([[0, m], [n, 0]]), 3).diff(m) == Matrix([[0, 2*m*n], [n**2, 0]])",
           "matrix_power([[0, m], [n, 0]], 3)", "m", reason="literal"),
    _entry("test_matpow_derivative", 686, "MatPow(Matrix([[0, m], [n, 0]]), 0).diff(m) == ZeroMatrix(2, 2)",
           "matrix_power([[0, m], [n, 0]], 0)", "m", reason="literal"),
    _entry("test_matpow_derivative", 689, "MatPow(Matrix([[0, m], [n, 0]]), -1).diff(m) == ArrayDerivative(M, m)",
           "matrix_power([[0, m], [n, 0]], -1)", "m", reason="literal"),
    _entry("test_matpow_derivative", 692, "MatPow(Matrix([[0, m], [n, 0]]), i).diff(m) == ArrayDerivative(M, m)",
           "matrix_power([[0, m], [n, 0]], i)", "m", reason="literal"),
    _entry("test_matexpr_derivative_by_matrix_element", 702, "(X + Y).diff(Y[0, 0]).doit() == MatrixUnit(2, 2, 0, 0)",
           "X + Y", "Y[0, 0]"),
    _entry("test_matexpr_derivative_by_matrix_element", 703, "(X + a*Y).diff(X[a, 0]) == MatrixUnit(2, 2, a, 0)",
           "X + a * Y", "X[a, 0]", shapes={"a": "scalar", "X": "2x2", "Y": "2x2"}),
    _entry("test_matexpr_derivative_by_matrix_element", 704, "(X + a*Y).diff(Y[a, 0]) == a*MatrixUnit(2, 2, a, 0)",
           "X + a * Y", "Y[a, 0]", shapes={"a": "scalar", "X": "2x2", "Y": "2x2"}),
    _entry("test_matexpr_derivative_by_matrix_element", 705, "(X + a*Y).diff(Z[a, 0]) == ZeroMatrix(2, 2)",
           "X + a * Y", "Z[a, 0]", shapes={"a": "scalar", "X": "2x2", "Y": "2x2"}),
    _sy("test_matexpr_derivative_by_matrix_element", 706, "(X + a*Y).diff(a) == Y + ZeroMatrix(2, 2)", "X + a * Y",
        "a", "Y", shapes={"a": "scalar", "X": "2x2", "Y": "2x2"}),
    _entry("test_matexpr_derivative_by_matrix_element", 709, "MatrixSymbol(a, a, a).diff(Y[a, a]) == ZeroMatrix(a, a)",
           "A", "Y[a, a]"),
]


def _mc(id, original, wrt, expected=None, **kw) -> Case:
    """A matrixcalculus.org example; the text is the original, read with syntax="matrixcalculus"."""
    return Case("matrixcalculus", id, original, original, wrt, expected, syntax="matrixcalculus", **kw)


MATRIXCALCULUS = [
    # the documentation's "valid input examples", each with respect to each of its variables
    *[_mc("example 1", "0.5*x'*A*x", w) for w in ("x", "A")],
    *[_mc("example 2", "A*exp(x)", w) for w in ("x", "A")],
    *[_mc("example 3", "(y.*v)'*x", w) for w in ("x", "y", "v")],
    *[_mc("example 4", "a^b", w, domain="positive") for w in ("a", "b")],
    *[_mc("example 5", "norm1(A*x-y)", w) for w in ("A", "x", "y")],
    *[_mc("example 6", "norm2(A*x-y)^2", w) for w in ("A", "x", "y")],
    *[_mc("example 7", "sum(log(exp(-y.*(X*w)) + vector(1)))", w) for w in ("X", "w", "y")],
    *[_mc("example 8", "tr(A*X'*B*X*C)", w) for w in ("A", "B", "C", "X")],
    _mc("example 9", "log(det(inv(X)))", "X"),
    # the layout section's three examples, with the forms it states
    _mc("layout 1", "v'*x", "x", "v"),
    _mc("layout 2", "A*x", "x", "A"),
    _mc("layout 3", "tr(A*X)", "X", "A.T"),
    # the error-message section: X by X is the 4th order identity; x' by x has no matrix form there
    _mc("errors 1", "X", "X", "I(m * n)", shapes={"X": "m x n"},
        note="the 4th order identity tensor, as d vec(X)/d vec(X)"),
    _mc("errors 2", "x'", "x", None, note="matrixcalculus.org displays no matrix for it; jacobi's Jacobian is I"),
]


def _cb(id, original, text, wrt, expected=None, **kw) -> Case:
    return Case("cookbook", id, original, text, wrt, expected, **kw)


SQ = {"X": "n x n", "A": "n x n"}

COOKBOOK = [
    _cb("(46) 2.1.1", "d det(Y)/dx = det(Y) Tr[Y^-1 dY/dx]  (Y = X + cA)", "det(X + c * A)", "c",
        "det(X + c * A) * trace(inv(X + c * A) @ A)", shapes={"c": "scalar", **SQ}),
    _cb("(53) 2.1.3", "d det(X^T A X)/dX = 2 det(X^T A X) A X (X^T A X)^-1  (A symmetric, X not square)",
        "det(X.T @ A @ X)", "X", "2 * det(X.T @ A @ X) * A @ X @ inv(X.T @ A @ X)",
        shapes={"X": "n x p", "A": "n x n"}, structure={"A": "symmetric"}),
    _cb("(55) 2.1.4", "d ln det(X^T X)/dX = 2 (X^+)^T  (X not square, full column rank)", "log(det(X.T @ X))", "X",
        "2 * X @ inv(X.T @ X)", shapes={"X": "4 x 2"}, note="(X^+)^T = X (X^T X)^-1 for full column rank"),
    _cb("(59) 2.2", "d Y^-1/dx = -Y^-1 dY/dx Y^-1  (Y = X + cA)", "inv(X + c * A)", "c",
        "-inv(X + c * A) @ A @ inv(X + c * A)", shapes={"c": "scalar", **SQ}),
    _cb("(60) 2.2", "d (X^-1)_kl / d X_ij = -(X^-1)_ki (X^-1)_jl", "inv(X)", "X", "-kron(inv(X).T, inv(X))",
        shapes=SQ, note="the index form as d vec(X^-1)/d vec(X)"),
    _cb("(73) 2.4.1", "d X / d X_ij = J^ij", "X", "X", "kron(I(n), I(m))", shapes={"X": "m x n"},
        note="the single-entry matrices J^ij, as d vec(X)/d vec(X)"),
    _cb("(74) 2.4.1", "d (XA)_ij / d X_mn = (J^mn A)_ij", "X @ A", "X", "kron(A.T, I(m))",
        shapes={"X": "m x n", "A": "n x p"}),
    _cb("(75) 2.4.1", "d (X^T A)_ij / d X_mn = (J^nm A)_ij", "X.T @ A", "X", "kron(A.T, I(n)) @ K(m, n)",
        shapes={"X": "m x n", "A": "m x p"}),
    _cb("(76) 2.4.2", "d/dX_ij sum_klmn X_kl X_mn = 2 sum_kl X_kl", "sum(X) ** 2", "X", "2 * sum(X) * ones(m, n)",
        shapes={"X": "m x n"}),
    _cb("(80) 2.4.2", "d (X^T B X) / d X_ij = X^T B J^ij + J^ji B X", "X.T @ B @ X", "X",
        "kron(I(n), X.T @ B) + kron((B @ X).T, I(n)) @ K(m, n)", shapes={"X": "m x n", "B": "m x m"}),
    _cb("(84) 2.4.2", "d/ds (x - As)^T W (x - As) = -2 A^T W (x - As)  (W symmetric)",
        "(x - A @ s).T @ W @ (x - A @ s)", "s", "-2 * A.T @ W @ (x - A @ s)",
        structure={"W": "symmetric"}),
    _cb("(85) 2.4.2", "d/dx (x - s)^T W (x - s) = 2 W (x - s)  (W symmetric)", "(x - s).T @ W @ (x - s)", "x",
        "2 * W @ (x - s)", structure={"W": "symmetric"}),
    _cb("(86) 2.4.2", "d/ds (x - s)^T W (x - s) = -2 W (x - s)  (W symmetric)", "(x - s).T @ W @ (x - s)", "s",
        "-2 * W @ (x - s)", structure={"W": "symmetric"}),
    _cb("(87) 2.4.2", "d/dx (x - As)^T W (x - As) = 2 W (x - As)  (W symmetric)", "(x - A @ s).T @ W @ (x - A @ s)",
        "x", "2 * W @ (x - A @ s)", structure={"W": "symmetric"}),
    _cb("(88) 2.4.2", "d/dA (x - As)^T W (x - As) = -2 W (x - As) s^T  (W symmetric)",
        "(x - A @ s).T @ W @ (x - A @ s)", "A", "-2 * W @ (x - A @ s) @ s.T",
        structure={"W": "symmetric"}),
    _cb("(90) 2.4.3", "d (X^n)_kl / d X_ij = sum_{r=0}^{n-1} (X^r J^ij X^(n-1-r))_kl  (n = 3 here)",
        "matrix_power(X, 3)", "X", "kron(matrix_power(X, 2).T, I(n)) + kron(X.T, X) + kron(I(n), matrix_power(X, 2))",
        shapes=SQ),
    _cb("(91) 2.4.3", "d/dX a^T X^n b = sum_{r=0}^{n-1} (X^r)^T a b^T (X^(n-1-r))^T  (n = 3 here)",
        "a.T @ matrix_power(X, 3) @ b", "X",
        "a @ b.T @ matrix_power(X, 2).T + X.T @ a @ b.T @ X.T + matrix_power(X, 2).T @ a @ b.T", shapes=SQ),
    _cb("(92) 2.4.3", "d/dX a^T (X^n)^T X^n b  (n = 2 here)", "a.T @ matrix_power(X, 2).T @ matrix_power(X, 2) @ b",
        "X", None, shapes=SQ, note="the stated sum is not reproduced here: its terms were not read from the page"),
    _cb("(93) 2.4.3", "d/dx s^T A r = [ds/dx]^T A r + [dr/dx]^T A^T s  (s = sin(x), r = exp(x))",
        "sin(x).T @ A @ exp(x)", "x", "diag(cos(x)) @ A @ exp(x) + diag(exp(x)) @ A.T @ sin(x)"),
    _cb("(94) 2.4.3",
        "d/dx (Ax)^T(Ax) / (Bx)^T(Bx) = 2 A^T A x / x^T B^T B x - 2 x^T A^T A x B^T B x / (x^T B^T B x)^2",
        "(A @ x).T @ (A @ x) / ((B @ x).T @ (B @ x))", "x",
        "2 * A.T @ A @ x / (x.T @ B.T @ B @ x) - 2 * (x.T @ A.T @ A @ x) * B.T @ B @ x / (x.T @ B.T @ B @ x) ** 2"),
    _cb("(95) 2.4.4", "f = x^T A x + b^T x: grad f = (A + A^T) x + b", "x.T @ A @ x + b.T @ x", "x",
        "(A + A.T) @ x + b", shapes={"A": "n x n"}),
    _cb("(96) 2.4.4", "f = x^T A x + b^T x: d^2 f / dx dx^T = A + A^T", "x.T @ A @ x + b.T @ x", "x", "A + A.T",
        shapes={"A": "n x n"}, order=2),
    _cb("(105) 2.5.1", "d/dX Tr(A kron X) = Tr(A) I", "trace(kron(A, X))", "X", "trace(A) * I(n)",
        shapes=SQ),
    _cb("(120) 2.5.2", "d/dX Tr(X kron X) = d/dX Tr(X) Tr(X) = 2 Tr(X) I", "trace(kron(X, X))", "X",
        "2 * trace(X) * I(n)", shapes=SQ),
    _cb("(121) 2.5.3", "d/dX Tr(X^k) = k (X^(k-1))^T  (k = 3 here)", "trace(matrix_power(X, 3))", "X",
        "3 * matrix_power(X, 2).T", shapes=SQ),
    _cb("(122) 2.5.3", "d/dX Tr(A X^k) = sum_{r=0}^{k-1} (X^r A X^(k-r-1))^T  (k = 3 here)",
        "trace(A @ matrix_power(X, 3))", "X",
        "(A @ matrix_power(X, 2)).T + (X @ A @ X).T + (matrix_power(X, 2) @ A).T", shapes=SQ),
    _cb("(128) 2.5.4", "d/dX Tr(sin(X)) = cos(X)^T  (sin of a matrix, as a power series)", "trace(sinm(X))", "X",
        None, missing="matrix function", shapes=SQ,
        note="jacobi's sin is element-wise; trace(sin(X)) there is another function"),
    _cb("(129) 2.6.1", "d/dx ||x - a||_2 = (x - a) / ||x - a||_2", "norm2(x - a)", "x", "(x - a) / norm2(x - a)",
        shapes={"x": "n"}),
    _cb("(130) 2.6.1", "d/dx (x - a) / ||x - a||_2 = I / ||x - a||_2 - (x - a)(x - a)^T / ||x - a||_2^3",
        "(x - a) / norm2(x - a)", "x", "I(n) / norm2(x - a) - (x - a) @ (x - a).T / norm2(x - a) ** 3",
        shapes={"x": "n"}),
    _cb("(131) 2.6.1", "d ||x||_2^2 / dx = d ||x^T x||_2 / dx = 2x", "norm2(x) ** 2", "x", "2 * x"),
    _cb("(132) 2.7.1", "d/dX ||X||_F^2 = d/dX Tr(X X^H) = 2X", "norm2(X) ** 2", "X", "2 * X"),
    _cb("(139) 2.8.2", "d Tr(AX)/dX = A + A^T - (A o I)  (X symmetric)", "trace(A @ X)", "X",
        "A + A.T - A * I(n)", shapes=SQ, structure={"X": "symmetric"}, vech=True),
    _cb("(140) 2.8.2", "d det(X)/dX = det(X) (2 X^-1 - (X^-1 o I))  (X symmetric)", "det(X)", "X",
        "det(X) * (2 * inv(X) - inv(X) * I(n))", shapes=SQ, structure={"X": "symmetric"}, vech=True),
    _cb("(141) 2.8.2", "d ln det(X)/dX = 2 X^-1 - (X^-1 o I)  (X symmetric)", "log(det(X))", "X",
        "2 * inv(X) - inv(X) * I(n)", shapes=SQ, structure={"X": "symmetric"}, vech=True),
    _cb("(142) 2.8.3", "d Tr(AX)/dX = A o I  (X diagonal)", "trace(A @ X)", "X", "A * I(n)",
        shapes=SQ, structure={"X": "diagonal"}),
]


def _ph(id, original, text, wrt, expected=None, shapes=None, **kw) -> Case:
    return Case("parr-howard", id, original, text, wrt, expected, shapes={"x": "n", "w": "n", **(shapes or {})}, **kw)


XY = {"x": "scalar", "y": "scalar"}
VZ = {"z": "scalar"}

PARR_HOWARD = [
    _ph("§3 partial derivatives", "d(3x^2 y)/dx = 6yx", "3 * x ** 2 * y", "x", "6 * y * x", shapes=XY),
    _ph("§3 partial derivatives", "d(3x^2 y)/dy = 3x^2", "3 * x ** 2 * y", "y", "3 * x ** 2", shapes=XY),
    _ph("§4 matrix calculus", "g(x, y) = 2x + y^8: dg/dx = 2", "2 * x + y ** 8", "x", "2", shapes=XY),
    _ph("§4 matrix calculus", "g(x, y) = 2x + y^8: dg/dy = 8y^7", "2 * x + y ** 8", "y", "8 * y ** 7", shapes=XY),
    _ph("§4 matrix calculus", "J = [[6yx, 3x^2], [2, 8y^7]], the Jacobian of [f(x, y), g(x, y)] by [x, y]",
        "[3 * x ** 2 * y, 2 * x + y ** 8]", "[x, y]", None, missing="stack",
        note="jc.jacobian over SymPy scalars (the lecture route) differentiates it"),
    _ph("§4.1 generalization of the Jacobian", "f(x) = x: df/dx = I", "x", "x", "I(n)"),
    _ph("§4.2 element-wise binary operators", "d(w + x)/dw = I", "w + x", "w", "I(n)"),
    _ph("§4.2 element-wise binary operators", "d(w + x)/dx = I", "w + x", "x", "I(n)"),
    _ph("§4.2 element-wise binary operators", "d(w - x)/dw = I", "w - x", "w", "I(n)"),
    _ph("§4.2 element-wise binary operators", "d(w - x)/dx = -I", "w - x", "x", "-I(n)"),
    _ph("§4.2 element-wise binary operators", "d(w ⊗ x)/dw = diag(x)", "w * x", "w", "diag(x)"),
    _ph("§4.2 element-wise binary operators", "d(w ⊗ x)/dx = diag(w)", "w * x", "x", "diag(w)"),
    _ph("§4.2 element-wise binary operators", "d(w ⊘ x)/dw = diag(1/x)", "w / x", "w", "diag(1 / x)",
        domain="positive"),
    _ph("§4.2 element-wise binary operators", "d(w ⊘ x)/dx = diag(-w/x^2)", "w / x", "x", "diag(-w / x ** 2)",
        domain="positive"),
    _ph("§4.3 scalar expansion", "d(x + z)/dx = I", "x + z", "x", "I(n)", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(x + z)/dz = 1 (a vector of ones)", "x + z", "z", "ones(n)", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(x - z)/dx = I", "x - z", "x", "I(n)", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(x - z)/dz = -1", "x - z", "z", "-ones(n)", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(xz)/dx = I z", "x * z", "x", "I(n) * z", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(xz)/dz = x", "x * z", "z", "x", shapes=VZ),
    _ph("§4.3 scalar expansion", "d(x/z)/dx = I / z", "x / z", "x", "I(n) / z", shapes=VZ, domain="positive"),
    _ph("§4.3 scalar expansion", "d(x/z)/dz = -x / z^2", "x / z", "z", "-x / z ** 2", shapes=VZ, domain="positive"),
    _ph("§4.4 vector sum reduction", "y = sum(x): dy/dx = 1^T (a row of ones)", "sum(x)", "x", "ones(n)",
        note="jc.gradient has x's shape: the column of ones"),
    _ph("§4.4 vector sum reduction", "y = sum(xz): dy/dx = [z, z, ..., z]", "sum(x * z)", "x", "z * ones(n)",
        shapes=VZ),
    _ph("§4.4 vector sum reduction", "y = sum(xz): dy/dz = sum(x)", "sum(x * z)", "z", "sum(x)", shapes=VZ),
    _ph("§4.5.1 single-variable chain rule", "y = sin(x^2): dy/dx = 2x cos(x^2)", "sin(x ** 2)", "x",
        "2 * x * cos(x ** 2)", shapes={"x": "scalar"}),
    _ph("§4.5.1 single-variable chain rule", "y = ln(sin(x^3)^2): dy/dx = 6x^2 cos(x^3) / sin(x^3)",
        "log(sin(x ** 3) ** 2)", "x", "6 * x ** 2 * cos(x ** 3) / sin(x ** 3)", shapes={"x": "scalar"},
        domain=(0.2, 1.0)),
    _ph("§4.5.2 single-variable total-derivative chain rule", "y = x + x^2: dy/dx = 1 + 2x", "x + x ** 2", "x",
        "1 + 2 * x", shapes={"x": "scalar"}),
    _ph("§4.5.2 single-variable total-derivative chain rule", "y = x * x^2: dy/dx = 3x^2", "x * x ** 2", "x",
        "3 * x ** 2", shapes={"x": "scalar"}),
    _ph("§4.5.3 vector chain rule", "y = [ln(x^2), sin(3x)]: dy/dx = [2/x, 3 cos(3x)]", "[log(x ** 2), sin(3 * x)]",
        "x", None, missing="stack", note="a vector stacked from two scalar expressions"),
    _ph("§5 gradient of neuron activation", "d(w · x)/dw = x^T", "w.T @ x", "w", "x",
        note="jc.gradient has w's shape: x, the transpose of the paper's row"),
    _ph("§5 gradient of neuron activation", "d(w · x)/dx = w^T", "w.T @ x", "x", "w"),
    _ph("§5 gradient of neuron activation", "d max(0, w · x + b)/dw = 0 if w · x + b <= 0 else x^T",
        "relu(w.T @ x + b)", "w", "step(w.T @ x + b) * x", shapes={"b": "scalar"}, domain="positive"),
    _ph("§5 gradient of neuron activation", "d max(0, w · x + b)/db = 0 if w · x + b <= 0 else 1",
        "relu(w.T @ x + b)", "b", "step(w.T @ x + b)", shapes={"b": "scalar"}, domain="positive"),
    _ph("§6.1 gradient with respect to the weights",
        "C = 1/N sum_i (y_i - max(0, w · x_i + b))^2: dC/dw = 2/N sum_i (w · x_i + b - y_i) x_i^T over the active i"
        " (N = 4 examples, the rows of X, here)", "sum((y - relu(X @ w + b)) ** 2) / 4", "w",
        "2 / 4 * X.T @ ((X @ w + b - y) * step(X @ w + b))", shapes={"X": "4 x n", "b": "scalar"}, domain="positive"),
    _ph("§6.2 derivative with respect to the bias",
        "C as above: dC/db = 2/N sum_i (w · x_i + b - y_i) over the active i (N = 4)",
        "sum((y - relu(X @ w + b)) ** 2) / 4", "b", "2 / 4 * sum((X @ w + b - y) * step(X @ w + b))",
        shapes={"X": "4 x n", "b": "scalar"}, domain="positive"),
]


def _dm(id, original, text, wrt, expected=None, shapes=None, **kw) -> Case:
    """A DiffMatic.jl example; x, y are n-vectors and A, B, C n x n unless declared otherwise."""
    return Case("diffmatic", id, original, text, wrt, expected, shapes={"x": "n", "y": "n", **(shapes or {})}, **kw)


DIFFMATIC = [
    _dm("examples.md gradient 1", "to_std(gradient(tr(x * x'), x)) == \"2x\"", "trace(x @ x.T)", "x", "2 * x",
        note="the example appears twice in examples.md; one row"),
    _dm("examples.md gradient 2", "to_std(gradient((x .* y)' * x, x)) == \"2(x ⊙ y)\"", "(x * y).T @ x", "x",
        "2 * (x * y)"),
    _dm("examples.md gradient 3", "to_std(gradient((x - y)' * x, x)) == \"2x - y\"", "(x - y).T @ x", "x",
        "2 * x - y"),
    _dm("examples.md gradient 4", "to_std(gradient(sin(tr(x * x')), x)) == \"cos(xᵀx)2x\"", "sin(trace(x @ x.T))",
        "x", "cos(x.T @ x) * 2 * x"),
    _dm("examples.md gradient 5", "to_std(gradient(abs(x' * x), x)) == \"sgn(xᵀx)2x\"", "abs(x.T @ x)", "x",
        "sign(x.T @ x) * 2 * x"),
    _dm("examples.md gradient 6", "to_std(gradient(log.(x)'*x, x)) == \"vec(1) + log(x)\"", "log(x).T @ x", "x",
        "ones(n) + log(x)", domain="positive"),
    _dm("examples.md gradient 7", "to_std(gradient(2 * sum(cos.(A * x + y)), x)) == \"(-2)Aᵀsin(Ax + y)\"",
        "2 * sum(cos(A @ x + y))", "x", "-2 * A.T @ sin(A @ x + y)"),
    _dm("examples.md gradient 8", "to_std(gradient((x' * A * x) ^ (-2), x)) == \"(-2)(xᵀAᵀx)⁻³(Aᵀx + Ax)\"",
        "(x.T @ A @ x) ** (-2)", "x", "-2 * (x.T @ A.T @ x) ** (-3) * (A.T @ x + A @ x)", domain="positive"),
    _dm("examples.md gradient 9",
        "to_std(gradient(((A .* (B .* C)) * C * x)' * x, x)) == \"(B ⊙ C ⊙ A)Cx + Cᵀ(Bᵀ ⊙ Cᵀ ⊙ Aᵀ)x\"",
        "((A * (B * C)) @ C @ x).T @ x", "x", "(B * C * A) @ C @ x + C.T @ (B.T * C.T * A.T) @ x",
        shapes={"A": "n x n"}),
    _dm("examples.md gradient 10", "to_std(gradient(sum((A .* B) * C * x), x)) == \"Cᵀ(Aᵀ ⊙ Bᵀ)vec(1)\"",
        "sum((A * B) @ C @ x)", "x", "C.T @ (A.T * B.T) @ ones(m)",
        shapes={"A": "m x n", "B": "m x n", "C": "n x n"}),
    _dm("examples.md jacobian 1", "to_std(jacobian(A * x, x)) == \"A\"", "A @ x", "x", "A"),
    _dm("examples.md jacobian 2", "to_std(jacobian(A' * x, x)) == \"Aᵀ\"", "A.T @ x", "x", "A.T"),
    _dm("examples.md jacobian 3", "to_std(jacobian(sin.(A * x + y), x)) == \"diag(cos(Ax + y))A\"",
        "sin(A @ x + y)", "x", "diag(cos(A @ x + y)) @ A"),
    _dm("examples.md jacobian 4",
        "to_std(jacobian(((A .* B) * C * x)' * x * x, x)) == \"xᵀCᵀ(Aᵀ ⊙ Bᵀ)xI + x(xᵀCᵀ(Aᵀ ⊙ Bᵀ) + xᵀ(A ⊙ B)C)\"",
        "((A * B) @ C @ x).T @ x * x", "x",
        "(x.T @ C.T @ (A.T * B.T) @ x) * I(n) + x @ (x.T @ C.T @ (A.T * B.T) + x.T @ (A * B) @ C)",
        shapes={"A": "n x n"}),
    _dm("examples.md derivative 1", "to_std(derivative(c * I, c)) == \"I\"", "c * I(3)", "c", "I(3)",
        note="DiffMatic's I has no size; 3 here",
        shapes={"c": "scalar"}),
    _dm("README gradient", "to_std(gradient(x' * A * x, x)) == \"Aᵀx + Ax\"", "x.T @ A @ x", "x", "A.T @ x + A @ x"),
    _dm("README hessian", "to_std(hessian(x' * A * x, x)) == \"Aᵀ + A\"", "x.T @ A @ x", "x", "A.T + A", order=2),
    _dm("README derivative", "to_std(derivative(tr(A), A)) == \"I\"", "trace(A)", "A", "I(n)",
        shapes={"A": "n x n"}),
]

CASES: list[Case] = SYMPY + MATRIXCALCULUS + COOKBOOK + PARR_HOWARD + DIFFMATIC
