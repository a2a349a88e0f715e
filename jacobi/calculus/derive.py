"""derive, gradient and jacobian: the chain rule's results, with their steps."""
from __future__ import annotations

from .. import core as P
from ..core import structure
from ..core.expr import Expr, deep, describe
from ..core.rules import Rule
from ..core.shapes import JacobiError, ShapeError
from . import scalar as scalar_mod
from .chain import forward, inline, linearize, reverse, substitute
from .derivation import Derivation, Step, partial
from .keysteps import cancellation
from .simplify import Simplifier, one_budget


def _check_rules(f: Expr, ws) -> None:
    """Refuse, up front, a node on the way to the variables that has no derivative rule."""
    for node in f.walk():
        if node.args and not hasattr(node, "local_jacobian") and any(node.depends_on(w) for w in ws):
            raise JacobiError(f"jacobi has no derivative rule for {type(node).__name__.lower()} yet: "
                              f"cannot differentiate {describe(node)}")


def _check_wrt(wrt):
    many = isinstance(wrt, (list, tuple))
    ws = list(wrt) if many else [wrt]
    if not ws:
        raise JacobiError("nothing to differentiate with respect to")
    for w in ws:
        if not isinstance(w, P.Symbol):
            what = describe(w) if isinstance(w, Expr) else repr(w)
            raise JacobiError(
                f"can only differentiate with respect to a symbol (jc.scalar, jc.vector or jc.matrix); got {what}"
            )
        if P.is_indices(w):
            raise JacobiError(f"{w.name} is an index matrix (jc.indices): its entries are integers, data that "
                              "nothing is differentiated with respect to")
    return ws, many


@deep
def derive(f, wrt, *, simplify: bool = True, name: str = "f", latex: str | None = None, prefix: str = "u",
           verify: bool = True, **kw) -> Derivation:
    """Differentiate f with respect to a symbol (or a list of symbols) and keep the steps.

    For a scalar f the result is the gradient (the shape of each variable);
    for a vector f it is the Jacobian in numerator layout.  SymPy scalar
    expressions are accepted as in the lecture examples.  name (and latex)
    is what the steps call the function: f, or C for a cost; prefix names the
    intermediate variables (u1, u2, ...).  verify=True checks every step numerically at a random
    point (Derivation.verify): a step that does not hold raises a JacobiError naming it.

    >>> d = jc.derive(jc.sum(jc.sigmoid(W @ x + b)), W)
    >>> d.result        # sigmoid'(W @ x + b) @ x.T
    """
    d = _derive(f, wrt, simplify, (name, latex, prefix), kw)
    return d.verify() if verify else d


def _derive(f, wrt, simplify, out, kw) -> Derivation:
    if scalar_mod.is_sympy_input(f):
        return scalar_mod.derive(f, wrt, **kw)
    if kw:
        raise JacobiError(f"unexpected options for a jacobi expression: {', '.join(kw)}")
    if not isinstance(f, Expr):
        raise JacobiError(f"cannot differentiate {f!r}: build it from jc.scalar/jc.vector/jc.matrix symbols")
    ws, many = _check_wrt(wrt)
    P.check_declarations(f, *ws)
    hidden = P.hidden_dependence(f, ws)
    if hidden is not None:
        v, w = hidden
        raise JacobiError(f"{describe(f)} uses the let {v.name}, whose definition depends on {w.name}: a "
                          f"derivative that holds {v.name} fixed would miss it; use jc.backprop for the "
                          f"reverse chain rule over the lets, or jc.inline to write them out")
    if not f.is_scalar:
        _no_structured(ws, f"the Jacobian of {describe(f)}")
    _check_rules(f, ws)
    with one_budget():
        _check_defined(f)
        if f.is_scalar:
            return _derive_reverse(f, ws, many, simplify, out)
        if many:
            return _derive_many_forward(f, ws, simplify, out)
        return _derive_forward(f, ws[0], simplify, out)


def _check_defined(f):
    """Refuse f where folding its constants reveals a node its constructor would refuse ((0 * x) ** -1,
    x / (x - x)): f is undefined everywhere, and the chain rule through the zero would give a silent 0."""
    try:
        Simplifier(clusters=False).run(f)
    except JacobiError as err:
        raise JacobiError(f"cannot differentiate {_clip(f)}: {err}") from None


def _clip(e, n: int = 80) -> str:
    text = str(e) if e.count() < 200 else ""
    return text if 0 < len(text) <= n else describe(e)


def _define_steps(prog, f):
    """The function under its name, then one intermediate variable per operation."""
    shown = prog.output in prog.defs and prog.defs[prog.output] is not f  # one operation: its define says it
    steps = [Step("define", prog.output, f, Rule("the function"))] if shown else []
    return steps + [Step("define", v, d, Rule("intermediate variable")) for v, d in prog.defs.items()]


def _derive_reverse(f, ws, many, simplify, out=("f", None, "u")):
    prog = linearize(f, ws, prefix=out[2], name=out[0], latex=out[1])
    steps = _define_steps(prog, f)
    if prog.output not in prog.defs:  # f is one of the variables, or does not depend on them
        res = [P.Const.make(1) if w is f else P.zeros(*w.shape) for w in ws]
        for w, r in zip(ws, res):
            why = "d f/d f = 1" if w is f else "f does not depend on " + w.name
            steps.append(Step("result", partial(f, w, "gradient"), r, why))
        return Derivation(f, ws, res if many else res[0], steps, [], "gradient")
    adj, named, steps = reverse(prog, ws, simplify=simplify, steps=steps)
    full = inline(prog.defs)
    S = Simplifier() if simplify else None
    res = []
    for w in ws:
        g = substitute(adj[w], full)
        if S:
            g = S(g)
        lhs, why = partial(prog.output, w, "gradient"), Rule("substitute back")
        if S:  # a cancellation between the intermediate variables shows before the result (keysteps.py)
            steps += cancellation(lhs, adj[w], prog.defs, lambda: Simplifier(prog.defs))
        on = _on_structure(w, g, S)
        if on is not None:  # the gradient over all entries, then on the space the declaration allows
            steps.append(Step("simplify", lhs, g, why))
            g, why = on
            g = S(g) if S else g
        steps.append(Step("result", lhs, g, why))
        res.append(g)
    return Derivation(f, ws, res if many else res[0], steps, list(prog.defs.items()), "gradient")


#: the gradient with respect to a structured matrix: on its space, under the Frobenius inner product
SYMMETRIC_GRADIENT = Rule("gradient on the symmetric matrices",
                          "grad_A f = (G + G^T) / 2 for a symmetric A and G the gradient over all entries",
                          r"\nabla_{A} f = \tfrac{1}{2}\left(G + G^{\top}\right) \text{ for } A = A^{\top}")
DIAGONAL_GRADIENT = Rule("gradient on the diagonal matrices",
                         "grad_D f = I * G for a diagonal D and G the gradient over all entries",
                         r"\nabla_{D} f = I \odot G \text{ for a diagonal } D")


def _on_structure(w, G, S=None):
    """(the gradient on w's space, the rule) for a symbol declared symmetric or diagonal, else None.

    It is the one matrix of that space with <grad, dA> = df for every admissible dA: the projection of
    the gradient G over all (independent) entries, so it does not depend on how f was written (A or A^T).
    With a simplifier S, the terms of G that are symmetric already stay as they are: inv(S) + (B^T + B)/2."""
    if w.diagonal:
        return P.hadamard(P.identity(w.shape[0]), G), DIAGONAL_GRADIENT
    if not w.symmetric:
        return None
    terms = list(G.args) if isinstance(G, P.Add) and S else [G]
    kept = [t for t in terms if S and S(P.transpose(t)) is t]
    rest = [t for t in terms if t not in kept]
    if rest:
        R = P.add(*rest) if len(rest) > 1 else rest[0]
        kept.append(P.div(P.add(R, P.transpose(R)), 2))
    return (P.add(*kept) if len(kept) > 1 else kept[0]), SYMMETRIC_GRADIENT


def _no_structured(ws, what):
    for w in ws:
        if structure.of(w.assumptions):
            raise JacobiError(f"{what} with respect to the {structure.words(w.assumptions)} matrix {w.name} is not "
                              "defined: its entries are not independent, so no Jacobian over vec is canonical; take "
                              "the gradient of a scalar (on the space of such matrices), or declare "
                              f"{w.name} without structure")


def _derive_forward(f, x, simplify, out=("f", None, "u")):
    prog = linearize(f, [x], prefix=out[2], name=out[0], latex=out[1])
    steps = _define_steps(prog, f)
    if prog.output not in prog.defs:
        if f is x:
            J = P.identity(P.numel(x.shape))
            steps.append(Step("result", partial(f, x), J, "d x/d x = I"))
        else:
            J = P.zeros(P.numel(f.shape), P.numel(x.shape))
            steps.append(Step("result", partial(f, x), J, "f does not depend on " + x.name))
        return Derivation(f, [x], J, steps, [], "jacobian")
    jac, steps = forward(prog, x, simplify=simplify, steps=steps)
    full = inline(prog.defs)
    J = substitute(jac[prog.output], full)
    if simplify:
        J = Simplifier()(J)
    steps.append(Step("result", partial(prog.output, x), J, Rule("substitute back")))
    return Derivation(f, [x], J, steps, list(prog.defs.items()), "jacobian")


def _derive_many_forward(f, ws, simplify, out=("f", None, "u")):
    parts = [_derive_forward(f, w, simplify, out) for w in ws]
    steps = [s for d in parts for s in d.steps]
    return Derivation(f, ws, [d.result for d in parts], steps, parts[0].definitions, "jacobian")


@deep
def gradient(f, wrt, *, simplify: bool = True):
    """The gradient of a scalar f: the shape of each variable.

    >>> jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)   # (W @ x + b - y) @ x.T
    """
    if scalar_mod.is_sympy_input(f):
        return scalar_mod.gradient(f, wrt)
    if isinstance(f, Expr) and not f.is_scalar:
        raise ShapeError(f"the gradient needs a scalar function; {describe(f)} is not one (use jc.jacobian)")
    return derive(f, wrt, simplify=simplify, verify=False).result


@deep
def jacobian(f, wrt, *, simplify: bool = True):
    """The Jacobian in numerator layout: one row per component of f, one
    column per component of wrt (vec, column-major, for matrices).

    >>> jc.jacobian(jc.sigmoid(W @ x), x)   # diag(sigmoid'(W @ x)) @ W
    """
    if scalar_mod.is_sympy_input(f):
        return scalar_mod.jacobian(f, wrt)
    if not isinstance(f, Expr):
        raise JacobiError(f"cannot differentiate {f!r}: build it from jc.scalar/jc.vector/jc.matrix symbols")
    ws, many = _check_wrt(wrt)
    _no_structured(ws, "the Jacobian")
    if f.is_scalar:
        d = derive(f, ws, simplify=simplify, verify=False)
        rows = [_row(g, simplify) for g in d.result]
        return rows if many else rows[0]
    return derive(f, wrt, simplify=simplify, verify=False).result


def _row(g, simplify):
    r = P.transpose(P.vec(g)) if g.shape[1] != 1 else P.transpose(g)
    return Simplifier()(r) if simplify else r
