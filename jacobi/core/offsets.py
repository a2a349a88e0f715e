"""Offsets: where a slice starts and stops (``jc.cols(X, start, stop)``, ``jc.rows``).

An offset is an integer >= 0 or an integer expression in sizes (``d``, ``2*d``, ``n - 1``) that is >= 0
whatever the sizes are; written as text (``"2*d"``) it is read here, integers and size names with + - *,
never evaluated.
"""
from __future__ import annotations

import re

import sympy as sp

from .shapes import JacobiError, size

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z][A-Za-z0-9_]*)|([-+*]))")


def _offset_text(s: str) -> sp.Expr:
    """'2*d', 'd + 1', 'n - 1': integers and size names with + - * (read here, never evaluated)."""
    pos, toks = 0, []
    while pos < len(s.rstrip()):
        m = _TOKEN.match(s, pos)
        if m is None:
            raise JacobiError(f"an offset is an integer or an expression in sizes such as 'd' or '2*d', not {s!r}")
        toks.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    out, sign, term, want = sp.Integer(0), 1, sp.Integer(1), "atom"
    for t in toks + ["+"]:
        if want == "atom":
            if t == "-" and term == 1 and sign == 1 and out == 0:
                sign = -1
                continue
            if t in "+-*":
                raise JacobiError(f"an offset is an integer or an expression in sizes such as 'd' or '2*d', "
                                  f"not {s!r}")
            term *= sp.Integer(int(t)) if t.isdigit() else size(t)
            want = "op"
        elif t == "*":
            want = "atom"
        else:
            out, sign, term, want = out + sign * term, 1 if t == "+" else -1, sp.Integer(1), "atom"
    return out


def offset(v, what: str) -> sp.Expr:
    """An offset as a SymPy integer expression in sizes, checked to be >= 0 whatever the sizes are."""
    if isinstance(v, str):
        v = _offset_text(v)
    elif isinstance(v, bool) or not isinstance(v, (int, sp.Expr)):
        raise JacobiError(f"{what} is an integer >= 0 or an expression in sizes (such as 'd' or '2*d'), not {v!r}")
    v = sp.sympify(v)
    if v.free_symbols:
        v = v.xreplace({q: size(q.name) for q in v.free_symbols if isinstance(q, sp.Symbol)})
    if v.is_integer is not True:
        raise JacobiError(f"{what} is an integer >= 0 or an expression in sizes, not {v}")
    if v.is_nonnegative is not True:
        raise JacobiError(f"{what} must be >= 0 whatever the sizes are, and {v} is not known to be")
    return v


def le(a, b) -> bool | None:
    """a <= b: True, False, or None where the sizes do not decide."""
    d = sp.expand(b - a)
    return True if d.is_nonnegative else False if d.is_negative else None
