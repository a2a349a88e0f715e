"""Random points for numeric checks: seeded values of the right shapes, inside the domain of the
function's parts (log, sqrt and non-integer powers need positive numbers), away from the kinks of
abs, sign, relu and step, with each symbol's declared structure (a distribution, an index matrix, a
symmetric matrix).  Shared by check_gradient (check.py) and the verification of derivations
(verification.py)."""
from __future__ import annotations

import numpy as np

from ..core import functions as F
from ..core.expr import Expr
from ..core.indexing import classes, is_indices
from ..core.leaves import ONE, Const
from ..core.powers import Div, Power
from ..core.shapes import JacobiError, concrete, concrete_sizes
from .admissible import structured


def random_values(symbols, sizes=None, seed=0, domain=(-1.0, 1.0)):
    """Seeded random arrays for the symbols (matching shapes; sizes fills names)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise JacobiError(f"seed must be an integer, not {seed!r}")
    sizes = concrete_sizes(sizes)
    rng = np.random.default_rng(seed)
    out = []
    for s in symbols:
        r, c = concrete(s.shape, sizes)
        lo, hi = domain
        if is_indices(s):  # integers in [0, classes)
            v = rng.integers(0, int(concrete((classes(s), ONE), sizes)[0]), size=(r, c))
        elif "distribution" in s.assumptions:
            v = rng.uniform(0.1, 1.0, size=(r, c))
            v = v / v.sum(axis=0, keepdims=True)
        else:
            v = structured(s, rng.uniform(lo, hi, size=(r, c)))  # symmetric, positive definite, diagonal
        out.append(v)
    return out


# Ranges tried in turn for the random point: the one f's parts ask for first.
_RANGES = ((-1.0, 1.0), (0.3, 1.5), (0.05, 0.5), (1.0, 2.0), (-0.5, -0.05))


#: how far from 0 the entries of a point are kept where f has a kink there (abs, sign, relu, step)
_KINK_GAP = 0.05


def _off_zero(v):
    """v with its entries within _KINK_GAP of 0 moved that much further out, on their own side."""
    return np.where(np.abs(v) < _KINK_GAP, v + np.copysign(_KINK_GAP, v), v)


def _kinked(f: Expr) -> bool:
    """Whether f applies a function with a kink at 0 (abs, sign, relu): central differences across it are
    wrong, so the point keeps away from 0."""
    return any(not fn.smooth for n in f.walk() if isinstance(fn := getattr(n, "fn", None), F.ElementwiseFunction))


def _domain(f: Expr):
    """The range the point is drawn from: (0.3, 1.5) where a part of f needs positive numbers (log, a
    non-integer or negative power, a quotient), else (-1, 1); narrowed to each function's own domain
    where that is narrower (arcsin and arccos: |x| <= 0.9, inside their domain |x| <= 1)."""
    nodes = list(f.walk())
    fns = [fn for n in nodes if isinstance(fn := getattr(n, "fn", None), F.ElementwiseFunction)]
    positive = any(fn.domain[0] > 0 for fn in fns) or any(
        isinstance(n, Div) or isinstance(n, Power) and not (
            isinstance(n.args[1], Const) and n.args[1].value.is_Integer and n.args[1].value >= 0) for n in nodes)
    lo, hi = (0.3, 1.5) if positive else (-1.0, 1.0)
    for fn in fns:
        a, b = max(lo, fn.domain[0]), min(hi, fn.domain[1])
        if a < b:
            lo, hi = a, b
    return lo, hi
