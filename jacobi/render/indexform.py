"""Index notation: one entry of a matrix expression, in LaTeX.

The textbooks state each result twice, as matrices and by components:
dC/dW^l = delta^l (a^{l-1})^T and dC/dw^l_{jk} = a^{l-1}_k delta^l_j.  This
printer writes the (j, k) entry of an expression from the entries of its
leaves (each node's ``_index``): sums for matrix products, a product of entries for the Hadamard
product, f(z_j) for element-wise functions.  It prints symbols only; nothing
is expanded.  Nodes without a plain entry form (diag, kron, I ...) give None,
and the caller shows the matrix form alone.
"""
from __future__ import annotations

from .. import core as P
from ..core.expr import Expr, deep

#: index letters in the order they are handed out: free indices first, then summation indices
LETTERS = ("j", "k", "i", "p", "q", "r", "s", "t")


class Unsupported(Exception):
    pass


def element(sym: P.Symbol, idx: str) -> str:
    """The LaTeX of one entry of a symbol: w^{2}_{jk} for W^{2}, x_{k}, \\delta^{2}_{j}, u_{4,j} for u_{4}."""
    name = sym.latex_name
    if sym.kind == "matrix" and len(sym.name) >= 1 and sym.name[0].isupper():
        if name[:1].isupper():
            name = name[0].lower() + name[1:]
        elif name.startswith("\\") and name[1:2].isupper():
            name = "\\" + name[1].lower() + name[2:]
    if not idx:
        return name
    depth = 0
    for k, ch in enumerate(name):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and ch == "_":
            sub = name[k + 1:]
            if sub.startswith("{") and sub.endswith("}") and _one_group(sub):  # flat: u_{1,j}, not (u_{1})_{j}
                return name[:k] + "_{" + sub[1:-1] + "," + idx + "}"
            return r"\left(" + name + r"\right)_{" + idx + "}"
    return name + "_{" + idx + "}"


def _one_group(s: str) -> bool:
    """Whether s is one brace group, {...}, with nothing after it."""
    depth = 0
    for k, ch in enumerate(s):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return k == len(s) - 1
    return False


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
            meth = getattr(e, "_index", None)  # each node writes its own entry
            if meth is None:
                raise Unsupported(type(e).__name__)
            r = self.memo[(e, i, j)] = meth(self, i, j)
        return r

    def element(self, sym, idx: str) -> str:
        return element(sym, idx)

    def wrap(self, s: tuple, prec: int) -> str:
        return r"\left(" + s[0] + r"\right)" if s[1] < prec else s[0]


@deep
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
