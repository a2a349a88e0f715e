"""Index notation: one entry of a matrix expression, in LaTeX.

The textbooks state each result twice, as matrices and by components:
dC/dW^l = delta^l (a^{l-1})^T and dC/dw^l_{jk} = a^{l-1}_k delta^l_j.  This
printer writes the (j, k) entry of an expression from the entries of its
leaves: sums for matrix products, a product of entries for the Hadamard
product, f(z_j) for element-wise functions.  It prints symbols only; nothing
is expanded.  Nodes without a plain entry form (diag, kron, I ...) give None,
and the caller shows the matrix form alone.
"""
from __future__ import annotations

import sympy as sp

from . import primitives as P
from .expr import Expr

#: index letters in the order they are handed out: free indices first, then summation indices
LETTERS = ("j", "k", "i", "p", "q", "r", "s", "t")

ADD, MUL, ATOM = 10, 20, 100


class Unsupported(Exception):
    pass


def element(sym: P.Symbol, idx: str) -> str:
    """The LaTeX of one entry of a symbol: w^{2}_{jk} for W^{2}, x_{k}, \\delta^{2}_{j}, (u_{4})_{j}."""
    name = sym.latex_name
    if sym.kind == "matrix" and len(sym.name) >= 1 and sym.name[0].isupper():
        if name[:1].isupper():
            name = name[0].lower() + name[1:]
        elif name.startswith("\\") and name[1:2].isupper():
            name = "\\" + name[1].lower() + name[2:]
    if not idx:
        return name
    depth = 0
    for ch in name:
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and ch == "_":
            return r"\left(" + name + r"\right)_{" + idx + "}"
    return name + "_{" + idx + "}"


class IndexPrinter:
    """entry(e, i, j): the LaTeX of e's entry (i, j); None stands for a size-1 dimension."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.memo: dict = {}  # a repeated subexpression reads the same, dummy indices included

    def fresh(self) -> str:
        for c in LETTERS:
            if c not in self.taken:
                self.taken.add(c)
                return c
        raise Unsupported("out of index letters")

    def entry(self, e: Expr, i, j) -> tuple[str, int]:
        i = i if e.shape[0] != 1 else None
        j = j if e.shape[1] != 1 else None
        r = self.memo.get((e, i, j))
        if r is None:
            meth = getattr(self, "_" + type(e).__name__, None)
            if meth is None:
                raise Unsupported(type(e).__name__)
            r = self.memo[(e, i, j)] = meth(e, i, j)
        return r

    def wrap(self, s: tuple, prec: int) -> str:
        return r"\left(" + s[0] + r"\right)" if s[1] < prec else s[0]

    # -- leaves ---------------------------------------------------------------
    def _Symbol(self, e, i, j):
        idx = "".join(x for x in (i, j) if x is not None)
        return element(e, idx), ATOM

    def _Const(self, e, i, j):
        v = e.value
        if v.is_number and v < 0:
            return sp.latex(v), ADD
        return sp.latex(v), (ATOM if v.is_Atom else MUL)

    def _Ones(self, e, i, j):
        return "1", ATOM

    # -- element-wise -----------------------------------------------------------
    def _Add(self, e, i, j):
        parts = []
        for k, a in enumerate(e.args):
            neg = P._negated(a)
            s = self.entry(neg if neg is not None else a, i, j)
            body = self.wrap(s, ADD + (neg is not None))
            if k == 0:
                parts.append(("-" if neg is not None else "") + body)
            else:
                parts.append((" - " if neg is not None else " + ") + body)
        return "".join(parts), ADD

    def _Scale(self, e, i, j):
        s, X = e.args
        x = self.entry(X, i, j)
        if isinstance(s, P.Const) and s.value == -1:
            return "-" + self.wrap(x, MUL + 1), ADD
        return self.wrap(self.entry(s, None, None), MUL) + " " + self.wrap(x, MUL + 1), MUL

    def _Broadcast(self, e, i, j):
        return self.entry(e.args[0], None, None)

    def _Hadamard(self, e, i, j):
        return " ".join(self.wrap(self.entry(a, i, j), MUL + 1) for a in e.args), MUL

    def _Div(self, e, i, j):
        u, v = e.args
        return r"\frac{" + self.entry(u, i, j)[0] + "}{" + self.entry(v, i, j)[0] + "}", ATOM

    def _Power(self, e, i, j):
        b = self.entry(e.args[0], i, j)
        base = b[0] if b[1] == ATOM and "^" not in b[0] else r"\left(" + b[0] + r"\right)"
        return base + "^{" + self.entry(e.args[1], None, None)[0] + "}", ATOM

    def _Apply(self, e, i, j):
        return e.fn.latex + r"\left(" + self.entry(e.args[0], i, j)[0] + r"\right)", ATOM

    # -- products and reductions --------------------------------------------------
    def _Transpose(self, e, i, j):
        return self.entry(e.args[0], j, i)

    def _MatMul(self, e, i, j):
        args = e.args
        idx = [i]
        sums = []
        for a in args[:-1]:
            if a.shape[1] == 1:
                idx.append(None)
            else:
                k = self.fresh()
                idx.append(k)
                sums.append(k)
        idx.append(j)
        factors = [self.wrap(self.entry(a, idx[n], idx[n + 1]), MUL + 1) for n, a in enumerate(args)]
        body = " ".join(factors)
        if not sums:
            return body, MUL
        return r"\sum_{" + ",".join(sums) + "} " + body, ADD

    def _Sum(self, e, i, j):
        x = e.args[0]
        ks = [self.fresh() if x.shape[0] != 1 else None, self.fresh() if x.shape[1] != 1 else None]
        body = self.wrap(self.entry(x, ks[0], ks[1]), MUL)
        return r"\sum_{" + ",".join(k for k in ks if k) + "} " + body, ADD


def index_latex(e: Expr, free: tuple = ("j", "k")) -> str | None:
    """The LaTeX of e's entry at the free indices (j for a column, (j, k) for a matrix),
    or None where some node has no entry form."""
    free = tuple(free) + (None, None)
    i = free[0] if e.shape[0] != 1 else None
    j = (free[1] if i is not None else free[0]) if e.shape[1] != 1 else None
    p = IndexPrinter({x for x in (i, j) if x})
    try:
        return p.entry(e, i, j)[0]
    except Unsupported:
        return None


def free_indices(shape) -> tuple:
    """The free index letters of an entry of this shape: (), ("j",) or ("j", "k")."""
    n = (shape[0] != 1) + (shape[1] != 1)
    return LETTERS[:n]
