"""Second derivatives: the Hessian as the Jacobian of the gradient, and the Hessian-vector product.

The Hessian of a scalar f with respect to x is d(grad_x f)/dx in numerator layout: n x n for a vector
x; for a matrix X it is taken over vec(X) (the Jacobian of vec(grad_X f)), where the chain rule's
Kronecker and commutation blocks give it exactly.  hessian(f, x, y) is the mixed block
d(grad_x f)/dy: one row per entry of x, one column per entry of y.

The Hessian-vector product is the gradient of v . grad_x f with respect to x (reverse over reverse):
the gradient is a closed form, its inner product with v a scalar, and the second reverse pass is as
dimension-free as the first, so no Hessian is formed.  It is H^T v, which is H v: the Hessian of a
twice continuously differentiable f is symmetric (and every function jacobi differentiates is, away
from the kinks of abs, relu and step, where the second derivative is 0 by convention).
"""
from __future__ import annotations

from .. import core as P
from ..core.expr import Expr, deep, describe
from ..core.rules import Rule
from ..core.shapes import JacobiError, ShapeError, fmt_shape
from .chain import _fresh
from .derivation import Derivation, Step, partial
from .derive import _check_wrt, derive
from .simplify import Simplifier

RULE = Rule("the Hessian is the Jacobian of the gradient", "H = d(grad f)/dx",
            r"H = \frac{\partial \nabla f}{\partial x}")


def _scalar(f, what: str) -> Expr:
    if not isinstance(f, Expr):
        raise JacobiError(f"cannot take {what} of {f!r}: build it from jc.scalar/jc.vector/jc.matrix symbols")
    if not f.is_scalar:
        raise ShapeError(f"{what} needs a scalar function; {describe(f)} is {fmt_shape(f.shape)}")
    return f


def _one(w, what: str):
    if isinstance(w, (list, tuple)):
        raise JacobiError(f"{what} takes one variable at a time (jc.hessian(f, x, y) gives the mixed block)")
    return _check_wrt(w)[0][0]


@deep
def derive_hessian(f, x, y=None, *, simplify: bool = True, name: str = "f") -> Derivation:
    """The Hessian of a scalar f with its steps: the gradient's derivation (intermediate variables
    u1, u2, ...), then the Jacobian of the gradient (intermediate variables v1, v2, ...).

    >>> d = jc.derive_hessian(jc.sum(jc.softplus(X @ w) - y * (X @ w)), w)
    >>> d.result      # X.T @ diag(sigmoid'(X @ w)) @ X
    """
    f = _scalar(f, "the Hessian")
    x = _one(x, "the Hessian")
    y = x if y is None else _one(y, "the Hessian")
    first = derive(f, x, simplify=simplify, name=name, verify=False)
    g = first.result
    taken = {s.name for s in f.symbols()}
    gname = _fresh("g", taken)
    glatex = r"\nabla_{" + P.latex(x) + "} " + (P.latex(P.scalar(name)) if name.isidentifier() else name)
    gsym = P.new_symbol(gname, x.shape[0], x.shape[1], "vector" if x.shape[1] == 1 else "matrix", glatex)
    gv = g if g.shape[1] == 1 else P.vec(g)
    second = derive(gv, y, simplify=simplify, name=gname, latex=glatex if gv is g else None,
                    prefix=_fresh("v", taken), verify=False)
    H = second.result
    if gv.is_scalar:  # a scalar x: the block is the row d g/dy (one row, one column per entry of y)
        H = P.transpose(P.vec(H)) if H.shape[1] != 1 else P.transpose(H)
        H = Simplifier()(H) if simplify else H
    steps = first.steps + [_named(s, gsym) for s in second.steps[:-1]]
    lhs = partial(P.scalar(name) if name.isidentifier() else f, x, "hessian", y)
    steps.append(Step("result", lhs, H, RULE))
    return Derivation(f, [x] if y is x else [x, y], H, steps, first.definitions + second.definitions, "hessian")


def _named(step: Step, g) -> Step:
    """The second derivation's first line defines the gradient it differentiates: say so."""
    if step.kind == "define" and step.lhs is g:
        return Step("define", g, step.rhs, Rule("the gradient, named"))
    return step


@deep
def hessian(f, x, y=None, *, simplify: bool = True) -> Expr:
    """The Hessian of a scalar f with respect to x, in closed form: n x n for a vector x, over vec(X)
    for a matrix X; with y, the mixed block d(grad_x f)/dy.

    >>> jc.hessian(jc.sum(jc.softplus(X @ w) - y * (X @ w)), w)   # X.T @ diag(sigmoid'(X @ w)) @ X
    >>> jc.hessian(x.T @ A @ x, x)                                  # A.T + A
    """
    return derive_hessian(f, x, y, simplify=simplify).result


@deep
def hvp(f, x, v, *, simplify: bool = True) -> Expr:
    """The Hessian-vector product H v of a scalar f with respect to x, in closed form and without
    forming H: the gradient of v . grad f.  v has x's shape (a matrix V for a matrix X: the result
    is the Hessian over vec(X) applied to vec(V), shaped like X) and must not depend on x.

    >>> jc.hvp(jc.sum(jc.softplus(X @ w) - y * (X @ w)), w, v)   # X.T @ ((X @ v) * sigmoid'(X @ w))
    """
    f = _scalar(f, "the Hessian-vector product")
    x = _one(x, "the Hessian-vector product")
    v = P.as_expr(v, "the Hessian-vector product's direction")
    if v.shape != x.shape:
        raise ShapeError(f"the direction {describe(v)} is {fmt_shape(v.shape)}; it must have the shape of "
                         f"{x.name}, {fmt_shape(x.shape)}")
    if v.depends_on(x):
        raise JacobiError(f"the direction {describe(v)} depends on {x.name}; it must not (H v is taken at a fixed v)")
    g = derive(f, x, simplify=simplify, verify=False).result
    inner = P.mul(v, g) if x.is_scalar else P.sum_(P.hadamard(v, g))
    if not inner.depends_on(x):
        return P.zeros(*x.shape)
    return derive(inner, x, simplify=simplify, verify=False).result
