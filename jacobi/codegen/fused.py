"""The fused forms the code printer writes where a node's plain code would build or pass over an array for
nothing: a sum with a diagonal or a one-hot term updated in place (M + diag(d), softmax(L) - onehot(y)), a
scalar joined to a product's spread rows before the full array, and what a line may write into (an array
it made afresh).  CodePrinter inherits them; the nodes call them as printer services."""
from __future__ import annotations

from .. import core as P
from ..core.expr import ATOM, MUL, Expr


class FusedForms:
    """Printer services for the fused forms (self is the CodePrinter: ref, size, be, temps)."""

    def diagonal_sum(self, e) -> str | None:
        """M + diag(d) (or M - diag(d)) for a square M that the code computes afresh: d is added to M's
        diagonal in place, by a helper, and the diagonal matrix is never built.  None where the sum has no
        such term, or where M may be an argument's or a named temporary's memory."""
        if e.shape[0] != e.shape[1] or e.is_scalar:
            return None
        for k, t in enumerate(e.args):
            neg = P.negated(t)
            d = _diagonal(neg if neg is not None else t, self.temps)
            if d is None:
                continue
            rest = P.add(*(a for i, a in enumerate(e.args) if i != k))
            if rest in self.temps or not self.owns(rest):
                return None  # a leaf, a view (x.T, unvec(v)) or a named temporary: not this sum's own memory
            return self.be.fmt("plus_diagonal", m=self.ref(rest, 0), d=self.ref(d, 0), sign="-" if neg is not None
                               else "")
        return None

    def target_sum(self, e) -> str | None:
        """A + c onehot(y) (c a scalar, often -1: softmax(L) - onehot(y)) for an A that the code computes
        at the sum's shape: c is added at each row's target column in place, into A where the code computes it
        afresh, else into a copy of A (an argument's or a named temporary's memory is never written), and the
        one-hot matrix is never built.  None where the sum has no such term, where A is a spread row or column,
        or where the backend has no such form."""
        if e.is_scalar or self.be.add_at_targets is None:
            return None
        for k, t in enumerate(e.args):
            neg = P.negated(t)
            u = neg if neg is not None else t
            c, u = (u.args[0], u.args[1]) if isinstance(u, P.Scale) else (P.Const.make(1), u)
            if not isinstance(u, P.Onehot):
                continue
            rest = P.add(*(a for i, a in enumerate(e.args) if i != k))
            if not _full(rest, e.shape):
                return None  # a spread row or column: the one-hot matrix it broadcasts against is built
            a = self.ref(rest, ATOM)
            if rest in self.temps or not self.owns(rest):
                # a leaf, a view or a named temporary: not this sum's own memory (emit writes into a temporary
                # the code made afresh where this statement reads it last)
                a = self.be.fmt("copy", x=a)
            coef = self.ref(c, MUL + 1)
            return self.be.fmt("add_at_targets", a=a, i=self.ref(u.args[0], ATOM),
                               c=("-" + coef if neg is not None else coef), n=self.size(e.shape[0]))
        return None

    def owns(self, e: Expr) -> bool:
        """Whether e's code (printed in place, not a temporary's name) makes a new array of e's full shape:
        arithmetic and element-wise functions of a full operand, softmax; never a leaf, a view (x.T,
        reshapes), a spread row or column."""
        if not _full(e, e.shape) or isinstance(e, P.Symbol):
            return False
        if isinstance(e, _ARITHMETIC):
            return not e.elementwise or _has_full(e)  # a matrix product; element-wise, at a full operand's shape
        return isinstance(e, (P.Apply, P.Softmax, P.LogSoftmax)) and _full(e.args[-1], e.shape)

    def scaled(self, X: Expr, op: str, s: str) -> str:
        """X * s or X / s for a scalar s (its code, an operand).  Where X is an element-wise product with a
        spread row or column among its factors, s joins those first: gamma * rstd / n * (...), one pass over
        the full array fewer than (gamma * rstd * (...)) / n."""
        if isinstance(X, P.Hadamard) and X not in self.temps:
            small = [a for a in X.args if not _full(a, X.shape)]
            if small and len(small) < len(X.args):
                full = [a for a in X.args if _full(a, X.shape)]
                return " * ".join(self.ref(a, MUL + 1) for a in small) + f" {op} {s} * " + " * ".join(
                    self.ref(a, MUL + 1) for a in full)
        return self.ref(X, MUL) + f" {op} " + s


def _diagonal(f, temps):
    """d where f is diag(d) for a column d, not already named; else None."""
    if isinstance(f, P.Diag) and f not in temps and f.args[0].shape[1] == 1 and not f.is_scalar:
        return f.args[0]
    return None


# nodes printed with Python's operators, where a number beside an array operand is a literal
_ARITHMETIC = (P.Add, P.Hadamard, P.Scale, P.Div, P.Power, P.MatMul)


def _has_full(e) -> bool:
    """An element-wise node with an operand that has the full shape by itself,
    so constant operands may broadcast.  An element-wise operand is full only
    through a full operand of its own: -ones(n) inside a sum prints as -1."""
    r = e._cache.get("has_full")
    if r is None:
        r = e._cache["has_full"] = any(_full(a, e.shape) for a in e.args)
    return r


def _full(a, shape) -> bool:
    if isinstance(a, (P.Ones, P.Broadcast, P.Const)) or a.shape != shape:
        return False
    if isinstance(a, P.MatMul) and any(isinstance(f, P.Ones) and f.shape[0] != 1 for f in a.args[:1]) \
            or isinstance(a, P.MatMul) and any(isinstance(f, P.Ones) and f.shape[1] != 1 for f in a.args[-1:]):
        return False  # a spread (1 r, c 1^T, 1 1^T M) is a row or a column until it broadcasts; a sum 1^T M is full
    if (a.elementwise and not isinstance(a, P.Apply)) or isinstance(a, P.Scale):
        return _has_full(a)
    return True
