"""Code that stores examples as rows: the code-only nodes and rewrites that turn a network's mini-batch
derivation (examples as columns) into code as fast and as stable as careful hand-written backprop.

* sigma'(z^l) is computed from the layer's output (a (1 - a), 1 - a^2), the
  forms the registry gives (softplus' as sigmoid(z), which does not cancel);
* every transpose is moved onto a leaf, through each node's own transpose rule;
* softmax and log-softmax of the same logits share one exp;
* biases and their gradients are 1-D arrays.
"""
from __future__ import annotations

import sympy as sp

from .. import core as P
from ..core import functions as F
from ..core.expr import ATOM, Expr, SameShape, rewrite
from ..core.lift import Leaves, from_sympy

M = sp.Symbol("m", integer=True, positive=True)


class Flat(SameShape):
    """A column stored as a 1-D array (biases and their gradients)."""

    __slots__ = ()
    precedence = ATOM

    def _code(self, p):
        x = self.args[0]
        if isinstance(x, P.MatMul) and len(x.args) == 2 and isinstance(x.args[1], P.Ones):
            A = x.args[0]
            if isinstance(A, P.Transpose) and isinstance(A.args[0], P.Symbol):
                return f"{p.ref(A.args[0], ATOM)}.sum({p.be.axis}=0)"
            return f"{p.ref(A, ATOM)}.sum({p.be.axis}=1)"
        return f"{p.ref(x, ATOM)}.reshape(-1)"


class SoftmaxPair(SameShape):
    """softmax(z) and log(softmax(z)) from one exp."""

    __slots__ = ()
    precedence = ATOM

    def _code(self, p):
        return p.call("softmax_log", self.params[0], p.ref(self.args[0], 0))


# ---------------------------------------------------------------------------
# Rewrites


def output_forms(e: Expr, defs: dict) -> Expr:
    """sigma'(z) -> its form through a = sigma(z), where a is a named output."""
    by_def = {d: v for v, d in defs.items()}

    def through_output(n):
        if isinstance(n, P.Apply):
            primal = F.primal_of(n.fn)
            if primal is not None and primal.prime_in_output is not None:
                z = n.args[0]
                a = by_def.get(P.apply(primal, z))
                if a is not None:
                    leaves = Leaves()
                    form = primal.prime_in_output.subs({F.a: leaves.sym(a), F.t: leaves.sym(z)})
                    return from_sympy(form, leaves.by_sym, z.shape)
        return None

    return rewrite(e, through_output)


def tpush(e: Expr, T: bool = False) -> Expr:
    """e (or e^T) with every transpose moved onto a leaf: each node moves it down through its own
    transpose rule (``_transpose``) where the ROWS form moves it, element-wise nodes included."""
    if isinstance(e, P.Transpose):
        return tpush(e.args[0], not T)
    if isinstance(e, P.Sum):  # a sum is the same in either orientation: take the stored one
        x = e.args[0]
        return P.Sum._new((), (tpush(x, x.shape[1] == M),))
    if e.is_scalar:
        T = False
    if not T:
        return e.rebuild(tuple(tpush(a, False) for a in e.args)) if e.args else e
    if P.ROWS in e.moves_transpose:
        return e._transpose(_tpushed, tpush)
    return P.transpose(e.rebuild(tuple(tpush(a, False) for a in e.args)))


def _tpushed(e: Expr) -> Expr:
    return tpush(e, True)


def fuse_softmax(lines):
    """Where a line computes softmax(z) and another uses log(softmax(z)), one statement computes both
    ("a2, log_a2 = ..."): the pairs' nodes -> the names the printer gives them."""
    pairs = {}
    logs = {}
    for ln in lines:
        for n in ln.expr.walk():
            if isinstance(n, P.LogSoftmax):
                logs[(n.args[0], n.params[0])] = n
    for ln in lines:
        e = ln.expr
        if isinstance(e, P.Softmax) and (e.args[0], e.params[0]) in logs:
            lg = logs[(e.args[0], e.params[0])]
            pair = SoftmaxPair._new(e.params, e.args)
            name = "log_" + ln.target
            ln.target = f"{ln.target}, {name}"
            ln.expr = pair
            pairs[lg] = name
            pairs[e] = ln.target.split(",")[0]
    return pairs
