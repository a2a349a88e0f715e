"""The display pass: each step of a derivation in the form a textbook prints.

The simplifier (simplify.py and rewrites/) brings an expression to a compact form for the
results and the generated code, citing each identity it uses.  This pass is separate and does
less: it changes how a step reads, never what it states, and cites nothing.  It folds constants
((1/2) (2 u^{2-1}) is u), drops identity factors (I^T delta x^T is delta x^T, the scalar 1 and
transposes of scalars), writes the ones and signs as a textbook does ((-1) 1 is -1, - -a is +a,
(-2)(y - a) is 2 (a - y)) and element-wise quotients as quotients (y (1 / a) is y / a).  Then it
drops the lines a reader would skip: one that repeats the line before it with the same left side,
and a "substitute back" that changes nothing.

Every step it leaves is checked numerically when the derivation is verified (verification.py), against
the line before it and an independent derivative, so a display form can never state a wrong
equation silently.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr, rewrite
from ..core.printing import latex
from ..core.rules import Rule
from ..core.shapes import JacobiError
from .derivation import TIDY

# ---------------------------------------------------------------------------
# Expressions.


def _number(e):
    """The number of a numeric constant (a Const, a quotient of two, or one spread over a shape), else None."""
    if isinstance(e, P.Broadcast):
        e = e.args[0]
    if isinstance(e, P.Const) and e.value.is_number:
        return e.value
    if isinstance(e, P.Div) and e.shape == P.SCALAR:
        a, b = _number(e.args[0]), _number(e.args[1])
        return a / b if a is not None and b is not None and b != 0 else None
    return None


def _times(c, X: Expr) -> Expr:
    """c X for a number c, written as a textbook does: X, -X or c X."""
    if c == 1:
        return X
    if c == 0:
        return P.zeros(*X.shape)
    return P.Scale._new((), (P.Const.make(c), X))


def _transpose(e):
    (a,) = e.args
    if isinstance(a, P.Transpose):
        return a.args[0]
    if isinstance(a, P.Identity) or a.shape == P.SCALAR:
        return a  # I^T = I, and a scalar is its own transpose
    if isinstance(a, P.Ones):
        return P.ones(a.shape[1], a.shape[0])
    if isinstance(a, P.Scale) and a.args[0].shape == P.SCALAR:  # (s A)^T = s A^T
        return P.Scale._new((), (a.args[0], P.transpose(a.args[1])))
    return None


def _matmul(e):
    """Identity factors and scalar 1s leave a product; a numeric scalar factor leads it."""
    fs = list(e.args)
    c, rest = 1, []
    for f in fs:
        n = _number(f) if f.shape == P.SCALAR else None
        if n is not None:
            c *= n
        elif isinstance(f, P.Scale) and _number(f.args[0]) is not None:
            c *= _number(f.args[0])
            rest.append(f.args[1])
            fs = None  # changed
        elif not isinstance(f, P.Identity):
            rest.append(f)
    scalars = [f for f in rest if f.shape == P.SCALAR]
    if scalars and len(scalars) < len(rest):  # a scalar factor leads the product: x s is s x
        rest = [f for f in rest if f.shape != P.SCALAR]
        body = rest[0] if len(rest) == 1 else P.MatMul._new((), tuple(rest))
        s = scalars[0] if len(scalars) == 1 else P.Hadamard._new((), tuple(scalars))
        return _times(c, P.Scale._new((), (s, body))) if body.shape == e.shape else None
    if fs is not None and len(rest) == len(fs):
        return None
    if not rest:
        return P.Const.make(c) if e.shape == P.SCALAR else None
    body = rest[0] if len(rest) == 1 else P.MatMul._new((), tuple(rest))
    if body.shape != e.shape:
        return None
    return _times(c, body)


def _hadamard(e):
    """Numbers leave an element-wise product as one factor in front; u (1 / v) is u / v."""
    c, rest, changed = 1, [], False
    for f in e.args:
        n = _number(f)
        if n is not None:
            c *= n
            changed = True
            continue
        if isinstance(f, P.Scale) and _number(f.args[0]) is not None:
            c *= _number(f.args[0])
            f, changed = f.args[1], True
        if isinstance(f, P.Ones) and f.shape == e.shape:
            changed = True  # u * 1 = u
            continue
        rest.append(f)
    nums = [f for f in rest if isinstance(f, P.Div) and (_number(f.args[0]) == 1 or isinstance(f.args[0], P.Ones))]
    if nums and (len(rest) > len(nums) or len(nums) > 1):  # u (1 / v) is u / v; (1 / v) (1 / w) is 1 / (v w)
        others = [f for f in rest if f not in nums]
        num = (others[0] if len(others) == 1 else P.Hadamard._new((), tuple(others))) if others else nums[0].args[0]
        den = [f.args[1] for f in nums]
        den = den[0] if len(den) == 1 else P.Hadamard._new((), tuple(den))
        rest, changed = [P.Div._new((), (num, den))], True
    if not changed:
        return None
    if not rest:
        return _times(c, P.ones(*e.shape)) if e.shape != P.SCALAR else P.Const.make(c)
    body = rest[0] if len(rest) == 1 else P.Hadamard._new((), tuple(rest))
    return _times(c, body) if body.shape == e.shape else None


def _flip(e):
    """-e without a sign in front, where e has a difference to turn round (y - a is a - y, on the
    leading factor of a product), else None."""
    if isinstance(e, P.Add) and len(e.args) == 2:
        a, b = e.args
        nb = P.negated(b)
        if nb is not None and P.negated(a) is None:
            return P.Add._new((), (nb, P.neg(a)))
        return None
    if isinstance(e, (P.Hadamard, P.MatMul)):
        for i, f in enumerate(e.args):
            g = _flip(f)
            if g is not None:
                return type(e)._new((), e.args[:i] + (g,) + e.args[i + 1:])
            if not f.is_scalar or isinstance(e, P.MatMul):
                return None  # only a leading factor's sign moves
        return None
    if isinstance(e, P.Div):
        g = _flip(e.args[0])
        return None if g is None else P.Div._new((), (g, e.args[1]))
    if isinstance(e, P.Scale) and _number(e.args[0]) is None:
        g = _flip(e.args[0])
        if g is not None:
            return P.Scale._new((), (g, e.args[1]))
        g = _flip(e.args[1])
        return None if g is None else P.Scale._new((), (e.args[0], g))
    return None


def _scale(e):
    s, X = e.args
    c = _number(s)
    if c is None:
        return None
    if c == 1:
        return X
    inner = _number(X)
    if inner is not None:
        return P.broadcast(P.Const.make(c * inner), e.shape) if e.shape != P.SCALAR else P.Const.make(c * inner)
    if isinstance(X, P.Scale) and _number(X.args[0]) is not None:
        return _times(c * _number(X.args[0]), X.args[1])
    if c < 0:
        g = _flip(X)
        if g is not None:
            return _times(-c, g)
    return None


def _broadcast(e):
    n = _number(e)
    if n is None or e.shape == P.SCALAR:
        return None
    if n == 1:
        return P.ones(*e.shape)
    if n == -1:
        return P.Scale._new((), (P.Const.make(-1), P.ones(*e.shape)))
    return None


def _power(e):
    u, k = e.args
    if isinstance(k, P.Add) and all(_number(t) is not None for t in k.args):
        return P.power(u, P.Const.make(sum(_number(t) for t in k.args)))
    if _number(k) == 1:
        return u
    a = _number(u.args[1]) if isinstance(u, P.Power) else None
    if a is not None and _number(k) is not None and sp.sympify(_number(k)).is_Integer:
        return P.power(u.args[0], P.Const.make(a * _number(k)))  # (sqrt(v))^2 = v: k-fold products of v^a
    return None


def _div(e):
    """(c u) / v is c (u / v): the sign of a quotient leads it."""
    u, v = e.args
    if isinstance(u, P.Scale) and _number(u.args[0]) is not None and u.shape == e.shape:
        return _times(_number(u.args[0]), P.Div._new((), (u.args[1], v)))
    return None


def _add(e):
    """Zeros leave a sum."""
    kept = [t for t in e.args if not isinstance(t, P.Zero) and _number(t) != 0]
    if len(kept) == len(e.args) or not kept:
        return None
    return kept[0] if len(kept) == 1 else P.Add._new((), tuple(kept))


_REWRITES = {
    P.Transpose: _transpose,
    P.MatMul: _matmul,
    P.Hadamard: _hadamard,
    P.Scale: _scale,
    P.Broadcast: _broadcast,
    P.Power: _power,
    P.Div: _div,
    P.Add: _add,
}


def display_form(e: Expr, relu_step: bool = False) -> Expr:
    """e as a textbook prints it (constants folded, identity factors dropped, signs normalised);
    relu_step writes ReLU'(z) as step(z), the function it is (0 at z = 0 by convention)."""
    if not isinstance(e, Expr):
        return e

    def fn(n):
        if relu_step and _is_relu_prime(n):
            return P.apply(F.get("step"), n.args[0])
        rw = _REWRITES.get(type(n))
        return rw(n) if rw else None

    for _ in range(8):  # a rewrite may enable one above it: a few passes reach the fixed point
        new = rewrite(e, fn)
        if new is e:
            break
        e = new
    return e


def _is_relu_prime(n) -> bool:
    return isinstance(n, P.Apply) and getattr(n, "fn", None) is F.FUNCTIONS.get("relu_prime")


def _has_relu_prime(e) -> bool:
    return isinstance(e, Expr) and any(_is_relu_prime(n) for n in e.walk())


#: ReLU's derivative, with the convention at its kink: cited where ReLU' first appears
RELU_CONVENTION = Rule("ReLU's derivative", "ReLU'(z) = step(z): 1 for z > 0, 0 for z < 0 and, by convention, at z = 0",
                       r"\operatorname{ReLU}'(z) = \operatorname{step}(z)\text{: } 1 \text{ for } z > 0 \text{, } 0 "
                       r"\text{ for } z \le 0 \text{ (at } z = 0 \text{ by convention)}")


# ---------------------------------------------------------------------------
# Steps.


def _key(x):
    return x if isinstance(x, Expr) else ("label", getattr(x, "latex", str(x)))


def _same(a, b) -> bool:
    """Whether two right sides print alike (the same node does; a formula too large to print is compared
    as a node only)."""
    if a is b:
        return True
    if isinstance(a, Expr) != isinstance(b, Expr):
        return False
    if isinstance(a, Expr):
        try:
            return latex(a) == latex(b)
        except JacobiError:
            return False
    return (sp.latex(a) if isinstance(a, sp.Basic) else str(a)) == (sp.latex(b) if isinstance(b, sp.Basic) else str(b))


#: the simplifier's identities that the display pass applies silently, and the reorderings no textbook
#: cites: a simplification step that did more than these no longer lists them
_SHOWN = ("transpose of the identity", "identity factor", "transpose of a scalar", "one times", "first power",
          "expansion of one", "ones factor of a Hadamard product")
_ORDER = ("textbook term order", "textbook factor order", "multiple of a multiple", "numbers lead a product of scalars")


def _cited(rule):
    """A simplification's rule without the identities the display pass already applied (and without the
    reorderings, where it cites more than those)."""
    parts = getattr(rule, "parts", None)
    if not parts:
        return rule
    kept = [p for p in parts if p[0] not in _SHOWN + _ORDER] or [p for p in parts if p[0] not in _SHOWN]
    if len(kept) == len(parts):
        return rule
    return Rule.join([Rule(*p) for p in kept]) if kept else Rule("simplify")


def tidy(steps: list) -> list:
    """The steps in display form: each right side as a textbook prints it, ReLU' introduced as step
    with its convention, and no line that repeats the last line with the same left side (a result
    that repeats it replaces it, keeping its rule)."""
    out: list = []
    last: dict = {}  # left side -> index in out of its last line
    relu = False
    for s in steps:
        if s.kind == "define":
            out.append(s)
            last.pop(_key(s.lhs), None)
            continue
        rhs = display_form(s.rhs, relu)
        step = dataclasses.replace(s, rhs=rhs) if rhs is not s.rhs else s
        if s.kind in ("simplify", "result"):
            step = dataclasses.replace(step, rule=_cited(s.rule))
        if not relu and _has_relu_prime(rhs):
            relu = True
            out.append(step)
            last[_key(s.lhs)] = len(out) - 1
            step = dataclasses.replace(step, kind="simplify" if s.kind != "result" else "result",
                                       rhs=display_form(rhs, True), rule=RELU_CONVENTION)
            if s.kind == "result":
                out[-1] = dataclasses.replace(out[-1], kind="simplify", tag=None)
        k = _key(s.lhs)
        i = last.get(k)
        if i is not None and out[i] is not None and _same(out[i].rhs, step.rhs):
            if step.kind != "result":
                continue  # says nothing new
            if i == len(out) - 1:  # the boxed result takes the line's place, and its rule where it added nothing
                rule = out[i].rule if str(step.rule) in ("substitute back", "the Jacobian") else step.rule
                out[i] = None
                step = dataclasses.replace(step, rule=rule)
        out.append(step)
        last[k] = len(out) - 1
    return [s for s in out if s is not None]


TIDY.append(tidy)
