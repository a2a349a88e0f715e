"""The component view: an expression as a SymPy matrix of scalar entries
(x_k, w_jk ...) for concrete small sizes.  It is the teaching view and the
oracle the tests differentiate with SymPy; nothing else expands components."""
from __future__ import annotations

import sympy as sp

from ..core.expr import Expr, deep
from ..core.shapes import JacobiError, concrete, concrete_sizes

MAX_ENTRIES = 4096


class Evaluator:
    def __init__(self, sizes: dict | None, elementary: bool):
        self.sizes = concrete_sizes(sizes)
        self.elementary = elementary
        self.memo: dict = {}

    def dims(self, shape):
        r, c = concrete(shape, self.sizes)
        if r * c > MAX_ENTRIES:
            raise JacobiError(f"the explicit view is for small sizes; {r}x{c} has more than {MAX_ENTRIES} entries")
        return r, c

    def subs_sizes(self, v):
        if not v.free_symbols:
            return v
        return v.subs({s: self.sizes[s.name] for s in v.free_symbols if s.name in self.sizes})

    def __call__(self, e: Expr) -> sp.Matrix:
        r = self.memo.get(e)
        if r is None:
            fn = getattr(e, "_explicit", None)
            if fn is None:
                raise JacobiError(f"{type(e).__name__} has no explicit component form")
            r = fn(self)
            self.memo[e] = r
        return r


@deep
def explicit(expr: Expr, sizes: dict | None = None, *, elementary: bool = False) -> sp.Matrix:
    """Every entry of expr as a SymPy scalar, for concrete sizes.

    sizes maps size names to numbers ({"n": 3}).  elementary=True writes
    sigma and friends through exp, log, Max (as the test oracle needs).

    >>> jc.explicit(W @ x, {"m": 2, "n": 2})
    Matrix([[w_11*x_1 + w_12*x_2], [w_21*x_1 + w_22*x_2]])
    """
    if not isinstance(expr, Expr):
        raise JacobiError(f"explicit takes a jacobi expression, not {expr!r}")
    return Evaluator(sizes, elementary)(expr)


def entries_of(sym: Expr, sizes: dict | None = None) -> list:
    """The scalar symbols of a symbol's entries in vec (column-major) order."""
    M = explicit(sym, sizes)
    return [M[j, k] for k in range(M.cols) for j in range(M.rows)]
