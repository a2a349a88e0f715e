"""The lecture route: plain SymPy expressions in named scalar variables.

    jc.gradient(x**2 + cos(y), [x, y])                  -> (2x, -sin y)
    jc.jacobian([2*x + y**3, -13*x + exp(y)], [x, y])   -> [[2, 3y^2], [-13, e^y]]
    jc.derive([sin(g1), log(g2)], [x, y], via={g1: x**2 + y, g2: y**3})
        -> the Jacobian chain rule: outer Jacobian, inner Jacobian, product,
           substitute back.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..core.expr import Expr
from ..core.shapes import JacobiError


@dataclass(frozen=True)
class Label:
    """A printable left-hand side: plain text and LaTeX."""

    text: str
    latex: str

    def __str__(self):
        return self.text


def is_sympy_input(f) -> bool:
    if isinstance(f, Expr):
        return False
    if isinstance(f, sp.MatrixBase):
        return True
    if isinstance(f, sp.Basic):
        return True
    if isinstance(f, (list, tuple)) and f and all(isinstance(x, (sp.Basic, int, float)) for x in f):
        return any(isinstance(x, sp.Basic) for x in f)
    return False


def _vars(wrt):
    ws = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for w in ws:
        if not isinstance(w, sp.Symbol):
            raise JacobiError(f"can only differentiate with respect to a SymPy symbol; got {w!r}")
    return ws


def _funcs(f):
    if isinstance(f, sp.MatrixBase):
        fs = list(f)
    elif isinstance(f, (list, tuple)):
        fs = [sp.sympify(x) for x in f]
    else:
        fs = [f]
    for x in fs:
        if not isinstance(x, sp.Expr):
            raise JacobiError(f"can only differentiate SymPy expressions, not {x} (a {type(x).__name__})")
    return fs


def gradient(f, wrt) -> sp.Matrix:
    if not isinstance(f, sp.Basic) or isinstance(f, sp.MatrixBase):
        raise JacobiError("the gradient needs one scalar SymPy expression (use jc.jacobian for several)")
    ws = _vars(wrt)
    return sp.Matrix([sp.diff(f, w) for w in ws])


def jacobian(f, wrt) -> sp.Matrix:
    ws = _vars(wrt)
    fs = _funcs(f)
    return sp.Matrix([[sp.diff(fi, w) for w in ws] for fi in fs])


def _d(f, w):
    return Label(f"d{f}/d{w}", r"\frac{\partial " + sp.latex(f) + r"}{\partial " + sp.latex(w) + "}")


def derive(f, wrt, via: dict | None = None):
    from .derivation import Derivation, Step

    ws = _vars(wrt)
    fs = _funcs(f)
    vec = isinstance(f, (list, tuple, sp.MatrixBase))
    fsym = sp.Matrix(fs)
    steps = []
    if not via:
        if not vec:
            g = gradient(fs[0], ws)
            fname = sp.Symbol("f")
            steps.append(Step("define", Label("f", "f"), fs[0], "the function"))
            for w, gi in zip(ws, g):
                steps.append(Step("local", _d(fname, w), gi, "partial derivative"))
            steps.append(Step("result", Label(f"grad {fs[0]}", r"\nabla f"), g, "gradient: the vector of partials"))
            return Derivation(fs[0], ws, g, steps, [], "gradient")
        J = jacobian(fs, ws)
        for i, fi in enumerate(fs):
            steps.append(Step("define", Label(f"f{i + 1}", f"f_{{{i + 1}}}"), fi, "output function"))
        for i in range(len(fs)):
            steps.append(Step("local", Label(f"row {i + 1}", rf"\nabla f_{{{i + 1}}}^{{\top}}"), J[i, :],
                              f"gradient of f_{i + 1}, laid out as a row"))
        steps.append(Step("result", Label("J", "J"), J, "one row per function, one column per variable"))
        return Derivation(fsym, ws, J, steps, [], "jacobian")
    # The Jacobian chain rule with intermediate variables.
    gs = list(via)
    for g in gs:
        if not isinstance(g, sp.Symbol):
            raise JacobiError(f"an intermediate variable must be a SymPy symbol; got {g!r}")
    direct = [w for w in ws if any(fi.has(w) for fi in fs)]
    inner_vars = gs + direct  # a variable used directly passes through the identity
    inner = sp.Matrix([via[g] for g in gs] + direct)
    defs = [(g, via[g]) for g in gs] + [(w, w) for w in direct]
    for g, e in defs:
        steps.append(Step("define", g if g not in direct else Label(f"{g} (identity)", sp.latex(g)), e,
                          "intermediate variable" if g in gs else "identity: no intermediate function"))
    outer = sp.Matrix([[sp.diff(fi, g) for g in inner_vars] for fi in fs])
    steps.append(Step("local", Label("df/dg", r"\frac{\partial \mathbf{f}}{\partial \mathbf{g}}"), outer,
                      "outer Jacobian, with respect to the intermediate variables"))
    innerJ = sp.Matrix([[sp.diff(gi, w) for w in ws] for gi in inner])
    steps.append(Step("local", Label("dg/dx", r"\frac{\partial \mathbf{g}}{\partial \mathbf{x}}"), innerJ,
                      "inner Jacobian, with respect to the variables"))
    prod = outer * innerJ
    steps.append(Step("chain", Label("df/dx", r"\frac{\partial \mathbf{f}}{\partial \mathbf{x}}"), prod,
                      "Jacobian chain rule: outer times inner"))
    back = prod.subs({g: via[g] for g in gs})
    steps.append(Step("substitute", Label("df/dx", r"\frac{\partial \mathbf{f}}{\partial \mathbf{x}}"), back,
                      "substitute back the intermediate variables"))
    res = back.applyfunc(sp.simplify)
    steps.append(Step("result", Label("df/dx", r"\frac{\partial \mathbf{f}}{\partial \mathbf{x}}"), res,
                      "simplify" if res != back else "the Jacobian"))
    return Derivation(fsym, ws, res, steps, defs, "jacobian")
