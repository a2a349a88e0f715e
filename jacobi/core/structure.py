"""Declared structure of a square matrix symbol: symmetric, positive definite, diagonal.

A symbol's structure is part of its assumptions (``Symbol.assumptions``), as the strings of
``STRUCTURES``, normalised once here: a positive definite or a diagonal matrix is symmetric, so
either adds "symmetric".  ``jc.matrix("A", "n", "n", symmetric=True)`` declares one; the simplifier
uses it (A^T = A), the printers show it (log det A for a positive definite A), the gradient with
respect to it is taken on its space (calculus/derive.py), and its explicit components share their
symbols (a_ij = a_ji) or vanish (off a diagonal).  This module reads strings and sizes only.
"""
from __future__ import annotations

import sympy as sp

from .shapes import JacobiError, ShapeError

#: the structures a matrix symbol may declare, as its constructor's keywords and its assumptions
STRUCTURES = ("symmetric", "positive_definite", "diagonal")
_WORDS = {"symmetric": "symmetric", "positive_definite": "positive definite", "diagonal": "diagonal"}


def declared(kind: str, name: str, rows, cols, flags: dict) -> tuple:
    """The normalised assumptions of a symbol declared with ``flags`` (keyword -> bool), or a
    JacobiError naming what is wrong: an unknown keyword, a non-bool, a scalar or vector, or a
    matrix that is not square (its two sizes must be one name or one number)."""
    for k, v in flags.items():
        if k not in STRUCTURES:
            raise JacobiError(f"jc.{kind} takes no keyword {k}= (a matrix may be declared "
                              f"{', '.join(s + '=True' for s in STRUCTURES)})")
        if not isinstance(v, bool):
            raise JacobiError(f"{k}= must be True or False, not {v!r}")
    on = [k for k in STRUCTURES if flags.get(k)]
    if not on:
        return ()
    if kind != "matrix":
        raise JacobiError(f"{on[0]}=True declares a square matrix; {name} is a {kind} "
                          f'(use jc.matrix("{name}", "n", "n", {on[0]}=True))')
    if rows != cols:
        raise ShapeError(f"{name} is declared {words(on)} but is {rows} x {cols}: a {words(on)} matrix is "
                         "square (its two sizes must be the same name or equal numbers)")
    return tuple(sorted(normalised(on)))


def normalised(names) -> frozenset:
    """The structures with what they imply: positive definite and diagonal matrices are symmetric."""
    out = set(names)
    if out & {"positive_definite", "diagonal"}:
        out.add("symmetric")
    return frozenset(out)


def of(assumptions) -> frozenset:
    """The structures among a symbol's assumptions."""
    return frozenset(a for a in assumptions if a in STRUCTURES)


def words(assumptions) -> str:
    """The structure in words, the implied "symmetric" left out: "positive definite", "diagonal"."""
    s = of(assumptions)
    shown = [k for k in STRUCTURES if k in s and not (k == "symmetric" and len(s) > 1)]
    return " and ".join(_WORDS[k] for k in shown)


def declaration(sym) -> str:
    """The call that constructs the symbol: ``jc.matrix("A", "n", "n", symmetric=True)``."""
    name, r, c, kind = sym.params[:4]
    sizes = [] if kind == "scalar" else [r] if kind == "vector" else [r, c]
    sizes += [a[1] for a in sym.assumptions if isinstance(a, tuple) and a[0] == "classes"]  # jc.indices
    args = [f'"{name}"'] + [str(d) if d.is_Integer else f'"{d}"' for d in sizes]
    s = of(sym.assumptions)
    args += [f"{k}=True" for k in STRUCTURES if k in s and not (k == "symmetric" and len(s) > 1)]
    if "distribution" in sym.assumptions:
        args.append("distribution=True")
    if sym.params[4] is not None:
        args.append(f"latex={sym.params[4]!r}")
    return f"jc.{kind}({', '.join(args)})"


def components(sym, r: int, c: int) -> sp.Matrix:
    """The explicit r x c matrix of a symbol's entries: x_j, w_jk (w_j,k from 10 up), a scalar by its name.
    A symmetric matrix's a_jk and a_kj are one SymPy symbol (named by the smaller index first), and a
    diagonal one is zero off its diagonal."""
    name, kind = sym.name, sym.kind
    if kind == "scalar":
        return sp.Matrix([[sp.Symbol(name, real=True)]])
    if kind != "matrix":
        return sp.Matrix(r, c, lambda j, k: sp.Symbol(f"{name}_{j + 1}" + (f"{k + 1}" if c != 1 else ""), real=True))
    low = name[0].lower() + name[1:] if name[0].isupper() else name
    sep = "" if r < 10 and c < 10 else ","
    s = of(sym.assumptions)

    def entry(j, k):
        if "diagonal" in s and j != k:
            return sp.Integer(0)
        if "symmetric" in s:
            j, k = min(j, k), max(j, k)
        return sp.Symbol(f"{low}_{j + 1}{sep}{k + 1}", real=True)

    return sp.Matrix(r, c, entry)


def check_declarations(*exprs) -> None:
    """Refuse expressions that use two different symbols of one name declared differently
    (jc.matrix("A", "n", "n") beside jc.matrix("A", "n", "n", symmetric=True)), or where one of them
    is a let (two definitions of h): every printed result and generated function would confuse them."""
    seen: dict = {}
    for e in exprs:
        for s in e.symbols():
            other = seen.setdefault(s.name, s)
            if other is not s and (_is_let(other) or _is_let(s)):
                a, b = (x.declaration for x in (other, s))
                raise JacobiError(f"two different symbols named {s.name} are used together: {a} and {b}; "
                                  "give them different names")
            if other is not s and other.assumptions != s.assumptions:
                a, b = (declaration(x) for x in (other, s))
                raise JacobiError(f"two different symbols named {s.name} are used together: {a} and {b}; "
                                  "declare them alike or give them different names")


def _is_let(sym) -> bool:
    """Whether a symbol is a let (jacobi.core.lets.Let, which carries its definition)."""
    return getattr(sym, "definition", None) is not None
