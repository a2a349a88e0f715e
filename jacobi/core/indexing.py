"""Index matrices and what they index: ``jc.indices``, the embedding gather, its scatter-add, one-hot rows.

An index matrix is a leaf (a Symbol of kind "indices") whose entries are integers in [0, classes); its
number of classes is part of its assumptions, as ``("classes", V)``.  It is data, not a variable: nothing is
differentiated with respect to it (calculus/derive.py refuses), and generated code takes it as an integer
array, checked in range.  The component view writes a gather as a sum over the classes with Kronecker deltas
(entry c_{v,j} where x = v), so SymPy's oracle differentiates it with the index entries left symbolic and
substituted as numbers.

Rows are examples: ``embedding(C, X)`` with C (V, e) and X (n, k) is (n, k e), row i the rows
C[X[i, 0]], C[X[i, 1]], ... side by side (torch's ``C[X].view(n, -1)``).  Its Jacobian with respect to C is
the block ``EmbeddingJacobian``, whose transpose rule is the scatter-add ``scatter_add(G, X, V)``: rows of G
added into the rows of a (V, e) zero matrix that X names, so a gradient never forms a (n k e) x (V e)
selection matrix.  The scatter-add is linear in G; its own Jacobian is the transposed block, whose transpose
rule is the gather again, so second derivatives stay gathers and scatters.  Each class is followed by its
constructor.
"""
from __future__ import annotations

import sympy as sp

from .expr import ATOM, Expr, describe
from .leaves import ONE, Symbol, as_expr, new_symbol
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, ShapeError, fmt_shape, size
from .sizerules import SYMPY, ShapeRule, _over, _times

INDICES = "indices"


def indices(name: str, rows, cols, classes, *, latex: str | None = None) -> Symbol:
    """An integer matrix symbol with entries in [0, classes): rows x cols, each a size name or a number.
    ``jc.indices("X", "n", "k", "V")`` -- k token ids per example, from a vocabulary of V."""
    return new_symbol(name, rows, cols, INDICES, latex, (("classes", size(classes)),))


def is_indices(e) -> bool:
    """Whether e is an index matrix symbol (jc.indices)."""
    return isinstance(e, Symbol) and e.kind == INDICES


def classes(sym: Symbol):
    """The number of classes of an index matrix symbol (a size)."""
    for a in sym.assumptions:
        if isinstance(a, tuple) and a[0] == "classes":
            return a[1]
    raise JacobiError(f"{sym.name} is not an index matrix (jc.indices)")


def _index_operand(X, k, where: str) -> Symbol:
    """X, checked to be an index matrix with k classes."""
    if not is_indices(X):
        what = describe(X) if isinstance(X, Expr) else repr(X)
        raise JacobiError(f"{where} takes an index matrix (jc.indices(name, rows, cols, classes)), not {what}")
    if classes(X) != k:
        raise ShapeError(f"{where}: the index matrix {X.name} has entries in [0, {classes(X)}), but {k} classes "
                         "are indexed")
    return X


def read_as_indices(X, k):
    """The parser's reading of a name in an index position: an index matrix with k classes (a symbol given
    as an index matrix, or with a structure, stays as it is, and is checked by the constructor)."""
    if isinstance(X, Symbol) and X.kind in ("scalar", "vector", "matrix") and not X.assumptions \
            and X.params[4] is None:
        return indices(X.name, X.shape[0], X.shape[1], k)
    return X


def _delta(x, v):
    return sp.KroneckerDelta(x, v)


# ---------------------------------------------------------------------------
# The gather and its Jacobian block


def _embedding_shape(args, S):
    """embedding(C, X): C (V, e), X (n, k) -> (n, k e)."""
    (_, e), (n, k) = args
    return (n, _times(k, e, S))


EMBEDDING = ShapeRule(_embedding_shape)


@primitive
class Embedding(Expr):
    """embedding(C, X): row i is C[X[i, 0]], ..., C[X[i, k-1]] side by side."""

    __slots__ = ()
    shape_rule = EMBEDDING
    examples = ("embedding(C, X)", "sum(tanh(embedding(A @ B, X)))", "embedding(C, X) * embedding(C, X)")
    rules = {"C": Rule("embedding (a gather)", "d vec(embed(C, X))/d vec(C) = E_X, a 0/1 selection",
                       r"\frac{\partial \operatorname{vec}(\operatorname{embed}(C, X))}{\partial \operatorname{vec}(C)}"
                       r" = E_{X}")}

    def local_jacobian(self, i, out):
        if i != 0:
            raise JacobiError(f"embedding is not differentiable in its index matrix {self.args[1].name}")
        return embedding_jacobian(self.args[1], self.args[0].shape[1]), self.rules["C"]

    def _text(self, p):
        return f"embedding({p.doprint(self.args[0])}, {p.doprint(self.args[1])})"

    def _tex(self, p):
        return r"\operatorname{embed}\left(" + p.doprint(self.args[0]) + ", " + p.doprint(self.args[1]) + r"\right)"

    def _code(self, p):
        C, X = self.args
        c = p.ref(C, ATOM) + (".reshape(1, 1)" if C.is_scalar else "")
        return p.be.fmt("gather", c=c, i=p.ref(X, ATOM), n=p.size(self.shape[0]), w=p.size(self.shape[1]))

    def _explicit(self, ev):
        C, X = ev(self.args[0]), ev(self.args[1])
        V, e = C.shape
        n, k = X.shape
        return sp.Matrix(n, k * e, lambda i, q: sum(_delta(X[i, q // e], v) * C[v, q % e] for v in range(V)))


def embedding(C, X) -> Expr:
    """The rows of C (V, e) that the index matrix X (n, k; classes V) names, side by side: (n, k e).
    ``jc.embedding(C, jc.indices("X", "n", "k", "V"))`` is torch's ``C[X].view(n, -1)``."""
    C = as_expr(C, "embedding")
    _index_operand(X, C.shape[0], f"embedding of {describe(C)}")
    return Embedding._new((), (C, X))


@primitive
class EmbeddingJacobian(Expr):
    """The Jacobian d vec(embedding(C, X)) / d vec(C) for C with e columns (params: e, transposed): a 0/1
    selection matrix (n k e) x (V e), formed only where a Jacobian is asked for; its transpose rule is the
    scatter-add, and the transposed block's is the gather."""

    __slots__ = ()
    block = True

    @classmethod
    def _shape(cls, params, args):
        e, t = params
        (n, k), V = args[0].shape, classes(args[0])
        shape = (n * k * e, V * e)
        return shape[::-1] if t else shape

    @property
    def transposed(self) -> bool:
        return bool(self.params[1])

    def _text(self, p):
        return f"embedding_jacobian({p.doprint(self.args[0])}, {self.params[0]})" + (".T" if self.transposed else "")

    def _tex(self, p):
        return "E_{" + p.doprint(self.args[0]) + "}" + (r"^{\top}" if self.transposed else "")

    def _code(self, p):
        X = self.args[0]
        e, V = self.params[0], classes(X)
        oh = p.be.fmt("onehot", i=p.ref(X, ATOM) + "[..., None]", v=p.size(V), like=_float_like(p))
        n, k = X.shape
        code = (f"{p.np}.einsum('nkv,ce->kcnev', {oh}, {p.eye(e)})"
                f".reshape({p.size(n * k * e)}, {p.size(V * e)})")
        return code + ".T" if self.transposed else code

    def _explicit(self, ev):
        X = ev(self.args[0])
        e = ev.dims((self.params[0], ONE))[0]
        V = ev.dims((classes(self.args[0]), ONE))[0]
        n, k = X.shape
        J = sp.zeros(n * k * e, V * e)
        for i in range(n):
            for j in range(k):
                for c in range(e):
                    for v in range(V):
                        J[(j * e + c) * n + i, c * V + v] = _delta(X[i, j], v)
        return J.T if self.transposed else J

    def _pullback(self, G, in_shape):
        X, e = self.args[0], self.params[0]
        n, k = X.shape
        if self.transposed:  # E^T as a map: the gather; vec(G)^T E^T = (E vec(G))^T
            out = embedding(_laid_out(G, (classes(X), e)), X)
        else:
            out = scatter_add(_laid_out(G, (n, k * e)), X)
        return _reshape_like(out, in_shape)


def embedding_jacobian(X, e, transposed: bool = False) -> EmbeddingJacobian:
    return EmbeddingJacobian._new((size(e), int(transposed)), (X,))


def _laid_out(G, shape):
    """G, a cotangent laid out as vec, a row or in shape, in shape."""
    if G.shape[0] == 1 and G.shape[1] != 1 and shape[0] != 1:
        G = transpose(G)
    return _reshape_like(G, shape)


def _float_like(p) -> str:
    """The keyword arguments that give a new array the code's floating dtype (float64 where every argument
    is an index matrix)."""
    return p._like() or f", dtype={p.np}.float64"


# ---------------------------------------------------------------------------
# The scatter-add


def _scatter_shape(args, S):
    """scatter_add(G, X, V): G (n, k e), X (n, k) -> (V, e)."""
    (gr, gc), (n, k), V = args
    e = _over(gc, k, S)
    return (V, e) if e is not None and S.same(gr, n) else None


SCATTER_ADD = ShapeRule(_scatter_shape, "scatter_add cannot add the rows of {0} by the index matrix {1}: G must "
                                        "have X's rows and k e columns for X's k columns")


@primitive
class ScatterAdd(Expr):
    """scatter_add(G, X, V): a (V, e) zero matrix with row G[i, j e : (j+1) e] added into row X[i, j], for
    every i, j (a row named several times accumulates): the transpose of the embedding gather."""

    __slots__ = ()
    examples = ("scatter_add(G, X, m)", "sum(scatter_add(G, X, m) ** 2)")
    rules = {"G": Rule("scatter-add (the transposed gather)",
                       "d vec(scatter_add(G, X))/d vec(G) = E_X^T",
                       r"\frac{\partial \operatorname{vec}(\operatorname{scatter}_{X}(G))}"
                       r"{\partial \operatorname{vec}(G)} = E_{X}^{\top}")}

    @classmethod
    def _shape(cls, params, args):
        G, X = args
        out = SCATTER_ADD.check(G, X, classes(X))
        return out

    def local_jacobian(self, i, out):
        if i != 0:
            raise JacobiError(f"scatter_add is not differentiable in its index matrix {self.args[1].name}")
        return embedding_jacobian(self.args[1], self.shape[1], transposed=True), self.rules["G"]

    def _text(self, p):
        G, X = self.args
        return f"scatter_add({p.doprint(G)}, {p.doprint(X)}, {classes(X)})"

    def _tex(self, p):
        G, X = self.args
        return r"\operatorname{scatter}_{" + p.doprint(X) + r"}\left(" + p.doprint(G) + r"\right)"

    def _code(self, p):
        G, X = self.args
        g = p.ref(G, ATOM) + (".reshape(1, 1)" if G.is_scalar else "")
        return p.be.fmt("scatter_add", g=g, i=p.ref(X, ATOM), v=p.size(self.shape[0]), e=p.size(self.shape[1]))

    def _explicit(self, ev):
        G, X = ev(self.args[0]), ev(self.args[1])
        n, k = X.shape
        e = G.shape[1] // k
        V = ev.dims((classes(self.args[1]), ONE))[0]
        return sp.Matrix(V, e, lambda v, c: sum(_delta(X[i, j], v) * G[i, j * e + c]
                                                for i in range(n) for j in range(k)))


def scatter_add(G, X, V=None) -> Expr:
    """The rows of G (n, k e), k blocks of e per row, added into the rows of a (V, e) zero matrix that the
    index matrix X (n, k; classes V) names: the gradient of embedding(C, X) with respect to C is
    scatter_add(G, X) for G the gradient with respect to the embedding.  V, if given, must be X's classes."""
    G = as_expr(G, "scatter_add")
    if not is_indices(X):
        _index_operand(X, V, "scatter_add")
    _index_operand(X, classes(X) if V is None else size(V), "scatter_add")
    return ScatterAdd._new((), (G, X))


# ---------------------------------------------------------------------------
# One-hot rows


def _onehot_shape(args, S):
    """onehot(y, V): y (n, 1) -> (n, V)."""
    (n, c), V = args
    return (n, V) if S.same(c, S.one) else None


ONEHOT = ShapeRule(_onehot_shape, "onehot takes an index column (n x 1: one class per example), not {0}")


@primitive
class Onehot(Expr):
    """onehot(y, V): row i is the unit row e_{y_i} of length V.  A constant: y is data, and nothing else is
    in it, so the chain rule never differentiates it."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        y = args[0]
        out = ONEHOT.rule([y.shape, classes(y)], SYMPY)
        if out is None:
            raise ShapeError(ONEHOT.mismatch([describe(y)], [y.shape, classes(y)], SYMPY))
        return out

    def _text(self, p):
        y = self.args[0]
        return f"onehot({p.doprint(y)}, {classes(y)})"

    def _tex(self, p):
        return r"\operatorname{onehot}\left(" + p.doprint(self.args[0]) + r"\right)"

    def _code(self, p):
        y = self.args[0]
        return p.be.fmt("onehot", i=p.ref(y, ATOM) + "[:, 0][..., None]", v=p.size(self.shape[1]),
                        like=_float_like(p))

    def _summed_times(self, p, L) -> str:
        # sum(onehot(y) * L) is the sum of L[i, y_i]: a gather, no one-hot array, and -inf or nan entries of L
        # off the targets (log-probabilities that underflow) do not make it nan
        return p.be.fmt("pick_sum", x=p.ref(L, ATOM if "{x}[" in p.be.pick_sum else 0),
                        i=p.ref(self.args[0], ATOM), n=p.size(L.shape[0]))

    def _explicit(self, ev):
        y = ev(self.args[0])
        V = ev.dims((self.shape[1], ONE))[0]
        return sp.Matrix(y.rows, V, lambda i, v: _delta(y[i, 0], v))


def onehot(y, V) -> Expr:
    """The (n, V) 0/1 matrix whose row i has its 1 in column y_i, for y an index column (n, 1) with V classes.
    ``jc.onehot(jc.indices("y", "n", 1, "V"), "V")``; with log-probabilities L (n, V) the mean cross-entropy
    of integer targets is ``-jc.sum(jc.onehot(y, "V") * L) / n``."""
    if not is_indices(y):
        _index_operand(y, V, "onehot")
    y = _index_operand(y, size(V), "onehot")
    if y.shape[1] != 1:
        raise ShapeError(f"onehot takes an index column (n x 1: one class per example), not {y.name} "
                         f"({fmt_shape(y.shape)})")
    return Onehot._new((), (y,))


# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .blocks import reshape_like as _reshape_like  # noqa: E402
from .callables import register_callable  # noqa: E402
from .matrix import transpose  # noqa: E402


# The text syntax: a name in an index position reads as an index matrix with the classes it indexes.
def _parsed_embedding(C, X):
    return embedding(C, read_as_indices(X, as_expr(C, "embedding").shape[0]))


def _parsed_scatter_add(G, X, V):
    return scatter_add(G, read_as_indices(X, size(V)), V)


def _parsed_onehot(y, V):
    return onehot(read_as_indices(y, size(V)), V)


register_callable("embedding", _parsed_embedding, args="C, X", shape=EMBEDDING)
register_callable("scatter_add", _parsed_scatter_add, args="G, X, V", shape=SCATTER_ADD, sizes=(2,))
register_callable("onehot", _parsed_onehot, args="y, V", shape=ONEHOT, sizes=(1,))
