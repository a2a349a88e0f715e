"""Signs read off an expression's structure: whether every entry is certainly nonnegative, or positive.

The answer is True only where the structure proves it (a number >= 0, a function whose image lies in
[0, oo), a square, a product or quotient or sum of nonnegative parts, ...) and False where it cannot
tell: never a wrong True.  The convexity check reads it (a diagonal weight D >= 0 makes B^T D B
positive semidefinite) and so does the code printer (the square root of a nonnegative weight splits
a Gram product B^T D B into T^T T, computed once as a symmetric product).
"""
from __future__ import annotations

import sympy as sp

from .apply import Apply
from .elementwise import Add, Broadcast, Hadamard, Scale
from .leaves import Const, Identity, Ones, Symbol, Zero
from .matrix import Softmax, Sum
from .norms import Norm1, Norm2
from .powers import Div, Power

_NONNEG = sp.Interval(0, sp.oo)
_POSITIVE = sp.Interval.open(0, sp.oo)


def _image_within(fn, interval) -> bool:
    """The element-wise function's values all lie in interval (False where its image is not known)."""
    return fn.image is not None and bool(fn.image.is_subset(interval))


def nonnegative(e) -> bool:
    """True when every entry of e is >= 0 wherever e is defined; False when that is not certain."""
    if isinstance(e, Const):
        return bool(e.value.is_nonnegative)
    if isinstance(e, (Zero, Ones, Identity, Softmax, Norm1, Norm2)):
        return True
    if isinstance(e, Symbol):
        return "distribution" in e.assumptions
    if isinstance(e, Apply):
        return _image_within(e.fn, _NONNEG)
    if isinstance(e, Power):
        u, k = e.args
        if isinstance(k, Const) and k.value.is_integer and k.value.is_even:
            return True
        return nonnegative(u)
    if isinstance(e, (Add, Hadamard, Div, Sum, Broadcast)):
        return all(nonnegative(a) for a in e.args)
    if isinstance(e, Scale):
        return nonnegative(e.args[0]) and nonnegative(e.args[1])
    return False


def positive(e) -> bool:
    """True when every entry of e is > 0 wherever e is defined (exp, sigmoid, softplus, a positive number,
    a sum of such and nonnegative terms); False when that is not certain."""
    if isinstance(e, Const):
        return bool(e.value.is_positive)
    if isinstance(e, (Ones, Softmax)):
        return True
    if isinstance(e, Apply):
        return _image_within(e.fn, _POSITIVE)
    if isinstance(e, Add):
        return all(nonnegative(a) for a in e.args) and any(positive(a) for a in e.args)
    if isinstance(e, (Hadamard, Div, Broadcast, Sum)):
        return all(positive(a) for a in e.args)
    if isinstance(e, Scale):
        return positive(e.args[0]) and positive(e.args[1])
    if isinstance(e, Power):
        return positive(e.args[0])
    return False
