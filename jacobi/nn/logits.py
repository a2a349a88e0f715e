"""Code-only nodes for costs on a softmax output that have no stable form over registered primitives.

Binary cross-entropy on a = softmax(z) takes log(1 - a), and its derived
delta^L divides by a - 1: both lose everything (log 0, 0/0) once one entry of
a row rounds to 1, which happens for logit gaps of a few tens.  These nodes
compute the same values from the logits:

    log(1 - a_i) = logsumexp_{j != i} z_j - logsumexp_j z_j

with the largest entry's complement summed from the other entries (scaled by
their own maximum), never formed as 1 - a; and

    dC/dz_k = a_k (sum y - sum_i w_i) - y_k + w_k,   w_i = (1 - y_i) a_i / (1 - a_i),

where w_i <= 1 off the largest entry and the largest entry's terms are summed in
closed form (a_k w_top = (1 - y_top) e^{z_k - logsumexp_{j != top} z_j} / t).
The lowering is data keyed by backend name, read as element-wise templates are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.expr import ATOM, ROWS, Expr, SameShape
from ..core.shapes import ShapeError

_NP_LOG1M = '''def _log1m_softmax(z, axis):
    # log(1 - softmax(z)): the largest entry's complement is the log-sum-exp of the others
    s = z - z.max(axis=axis, keepdims=True)
    top = (np.cumsum(s == 0, axis=axis) == 1) & (s == 0)
    e = np.exp(s)
    t = e.sum(axis=axis, keepdims=True)
    d = np.where(top, -np.inf, s)
    m2 = d.max(axis=axis, keepdims=True)
    d -= m2  # the others, shifted by their own maximum
    lc = np.log(np.exp(d).sum(axis=axis, keepdims=True))
    # off the top a <= 1/2, and log1p(-a) is exact to rounding
    return np.where(top, (m2 - np.log(t)) + lc, np.log1p(-np.where(top, 0, e / t)))
'''

_NP_GRAD = '''def _softmax_bce_grad(z, y, axis):
    # dC/dz for C = -sum(y log a + (1 - y) log(1 - a)), a = softmax(z), without 1/(1 - a) at the top
    s = z - z.max(axis=axis, keepdims=True)
    top = (np.cumsum(s == 0, axis=axis) == 1) & (s == 0)
    e = np.exp(s)
    t = e.sum(axis=axis, keepdims=True)
    d = np.where(top, -np.inf, s)
    d -= d.max(axis=axis, keepdims=True)  # the others, shifted by their own maximum
    d -= np.log(np.exp(d).sum(axis=axis, keepdims=True))  # z_k - logsumexp of the others
    w = np.where(top, 0, (1 - y) * e / np.where(top, 1, t - e))
    y_top = np.where(top, y, 0).sum(axis=axis, keepdims=True)
    top_terms = (1 - y_top) / t * np.where(top, 1, -np.exp(d))
    g = (y.sum(axis=axis, keepdims=True) - w.sum(axis=axis, keepdims=True)) * e / t
    return g - y + w + top_terms
'''


def _torch(src: str) -> str:
    """The numpy helper in torch's spelling (amax and dim/keepdim; the same steps)."""
    src = src.replace("z.max(axis=axis, keepdims=True)", "torch.amax(z, dim=axis, keepdim=True)")
    src = src.replace("d.max(axis=axis, keepdims=True)", "torch.amax(d, dim=axis, keepdim=True)")
    src = src.replace("axis=axis, keepdims=True", "dim=axis, keepdim=True").replace("axis=axis", "dim=axis")
    return src.replace("np.", "torch.")


@dataclass(frozen=True)
class _Lowering:
    """A helper call as backends read element-wise templates: code and helpers keyed by backend name."""

    name: str
    code: dict
    helpers: dict = field(default_factory=dict)


LOG1M_SOFTMAX = _Lowering("log1m_softmax", {"numpy": "_log1m_softmax({x}, {axis})",
                                             "torch": "_log1m_softmax({x}, {axis})"},
                          {"numpy": {"_log1m_softmax": _NP_LOG1M}, "torch": {"_log1m_softmax": _torch(_NP_LOG1M)}})
SOFTMAX_BCE_GRAD = _Lowering("softmax_bce_grad", {"numpy": "_softmax_bce_grad({x}, {axis})",
                                                  "torch": "_softmax_bce_grad({x}, {axis})"},
                             {"numpy": {"_softmax_bce_grad": _NP_GRAD},
                              "torch": {"_softmax_bce_grad": _torch(_NP_GRAD)}})


class _RowWise(SameShape):
    """Column by column (axis 0) or, in code that stores examples as rows, row by row (axis 1)."""

    __slots__ = ()
    precedence = ATOM
    moves_transpose = frozenset((ROWS,))
    lowering: _Lowering

    def _transpose(self, t, keep):
        return type(self)._new((1 - self.params[0],), tuple(t(a) for a in self.args))

    def _code(self, p):
        tpl, helpers = p.be.function(self.lowering)
        p.need(helpers)
        return tpl.format(x=", ".join(p.ref(a, 0) for a in self.args), axis=self.params[0])


class Log1mSoftmax(_RowWise):
    """log(1 - softmax(z)), from the logits."""

    __slots__ = ()
    lowering = LOG1M_SOFTMAX

    def _text(self, p):
        return f"log(1 - softmax({p.doprint(self.args[0])}))"


class SoftmaxBCEGrad(_RowWise):
    """dC/dz of binary cross-entropy on a = softmax(z) with targets y, from the logits."""

    __slots__ = ()
    lowering = SOFTMAX_BCE_GRAD

    def _text(self, p):
        return f"softmax_bce_grad({p.doprint(self.args[0])}, {p.doprint(self.args[1])})"


def log1m_softmax(z: Expr) -> Expr:
    return Log1mSoftmax._new((0,), (z,))


def softmax_bce_grad(z: Expr, y: Expr) -> Expr:
    if z.shape != y.shape:
        raise ShapeError(f"softmax_bce_grad needs z and y of one shape, got {z.shape} and {y.shape}")
    return SoftmaxBCEGrad._new((0,), (z, y))
