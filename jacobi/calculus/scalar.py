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
    names = _pass_through_names(gs, direct, fs, ws)
    for g, e in defs:
        if g in direct:  # the variable passes through as itself: g_k = y, a 1 in the inner Jacobian
            steps.append(Step("define", names[g], e, "identity: no intermediate function"))
        else:
            steps.append(Step("define", g, e, "intermediate variable"))
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


def _pass_through_names(gs, direct, fs, ws) -> dict:
    """A name g_k for each variable used directly, continuing the intermediate variables' numbering."""
    taken = {str(s) for e in [*fs, *ws, *gs] for s in sp.sympify(e).free_symbols}
    out, k = {}, len(gs)
    for w in direct:
        k += 1
        while f"g{k}" in taken:
            k += 1
        out[w] = Label(f"g{k}", f"g_{{{k}}}")
    return out


# ---------------------------------------------------------------------------
# Every step checked: the lecture route's derivations at a random point.

_EPS = 1e-6


def _fd(fns, at: dict, ws):
    """The Jacobian of the expressions fns in the variables ws at the point at, by central differences."""
    import numpy as np

    J = np.zeros((len(fns), len(ws)))
    for k, w in enumerate(ws):
        for sign in (1, -1):
            moved = dict(at)
            moved[w] = at[w] + sign * _EPS
            J[:, k] += sign * np.array([float(sp.sympify(f).subs(moved)) for f in fns]) / (2 * _EPS)
    return J


def verify_scalar(d, seed: int = 0) -> None:
    """Check every step of a lecture-route derivation at a random point: each Jacobian and partial
    derivative against central differences of the functions it differentiates, and each line against
    the line before it with the same left side."""
    import numpy as np

    ws = list(d.wrt)
    fs = list(d.f) if isinstance(d.f, sp.MatrixBase) else [d.f]
    rng = np.random.default_rng(seed)
    at = {w: float(rng.uniform(0.5, 1.5)) for w in ws}  # positive: log(y^3) and friends are defined there
    defs = dict(d.definitions)
    gs = [g for g in defs if g not in ws]
    point = dict(at)
    for g in gs:
        point[g] = float(sp.sympify(defs[g]).subs(at))
    whole = [sp.sympify(f).subs({g: defs[g] for g in gs}) for f in fs]
    inner_vars = gs + [w for w in defs if w in ws]
    expected = {
        "J": lambda: _fd(whole, at, ws), "df/dx": lambda: _fd(whole, at, ws),
        "df/dg": lambda: _fd(fs, point, inner_vars), "dg/dx": lambda: _fd([defs[g] for g in inner_vars], at, ws),
    }
    last: dict = {}
    for i, step in enumerate(d.steps, start=1):
        if step.kind == "define":
            continue
        got = np.array(sp.Matrix(step.rhs).subs(point).evalf(), dtype=np.float64) \
            if isinstance(step.rhs, sp.MatrixBase) else np.array([[float(sp.sympify(step.rhs).subs(point))]])
        label = str(step.lhs)
        if label.startswith("grad "):
            want = _fd(whole, at, ws).T
        elif label.startswith("row "):
            want = _fd(whole, at, ws)[int(label.split()[1]) - 1: int(label.split()[1])]
        elif label in expected and (defs or label == "J"):
            want = expected[label]()
        else:  # df/dw, a partial derivative of the one function
            w = next(v for v in ws if label == f"df/d{v}")
            want = _fd(whole, at, [w])
        prev = last.get(label)
        if prev is not None and not np.allclose(got, prev, rtol=1e-9, atol=1e-9):
            raise JacobiError(f"step {i} ({step}) does not equal the line before it with the same left side")
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=1e-5):
            raise JacobiError(f"step {i} ({step}) does not hold: central differences give {want.tolist()}")
        last[label] = got
