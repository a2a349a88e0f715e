"""Rewrites of matrix nodes, one identity each: transposes move to the leaves, identities and zeros
vanish, diag(u) v = u * v, 1^T x = sum(x), Kronecker products multiply blockwise."""
from __future__ import annotations

from ... import core as P
from ...core.rules import Rule
from ...core.shapes import numel
from .base import Identities, _cost, _flat, _flattened, _is_distribution, dispatch, rule

# ---------------------------------------------------------------------------
# Transposes: each node class holds its own transpose rule (core), and says whether the
# textbook form moves a transpose through it.


@rule(Rule("transpose of a scalar", "s^T = s for a 1 x 1 s", r"s^{\top} = s"), P.Transpose)
def transpose_scalar(e, ctx):
    x = e.args[0]
    return x if x.is_scalar else None


def _textbook_transposes() -> tuple:
    return tuple(c.transpose_rule for c in P.PRIMITIVES.values() if P.TEXTBOOK in c.moves_transpose)


@dispatch(_textbook_transposes, P.Transpose)
def transpose_down(e, ctx):
    """A^T by A's own transpose rule, where the textbook form moves the transpose through A."""
    x = e.args[0]
    if P.TEXTBOOK not in x.moves_transpose:
        return None
    return x._transpose(P.transpose, _same), (x.transpose_rule,)


def _same(x):
    return x


# ---------------------------------------------------------------------------
# Sums of all entries


@rule(Rule("sum of a scalar", "sum(s) = s for a 1 x 1 s", r"\operatorname{sum}(s) = s"), P.Sum)
def sum_scalar(e, ctx):
    x = e.args[0]
    return x if x.is_scalar else None


@rule(Rule("sum of zeros", "sum(0) = 0", r"\operatorname{sum}(0) = 0"), P.Sum)
def sum_zeros(e, ctx):
    return P.Const.make(0) if isinstance(e.args[0], P.Zero) else None


@rule(Rule("sum of ones", "sum(ones(m, n)) = m n",
           r"\operatorname{sum}(\mathbf{1}_{m} \mathbf{1}_{n}^{\top}) = m n"), P.Sum)
def sum_ones(e, ctx):
    x = e.args[0]
    return P.Const.make(numel(x.shape)) if isinstance(x, P.Ones) else None


@rule(Rule("sum of a scalar expansion", "sum(s ones(m, n)) = m n s",
           r"\operatorname{sum}(s \mathbf{1}_{m} \mathbf{1}_{n}^{\top}) = m n s"), P.Sum)
def sum_expansion(e, ctx):
    x = e.args[0]
    return P.smul(P.Const.make(numel(x.shape)), x.args[0]) if isinstance(x, P.Broadcast) else None


@rule(Rule("sum of a scalar multiple", "sum(c A) = c sum(A)",
           r"\operatorname{sum}(c A) = c \operatorname{sum}(A)"), P.Sum)
def sum_scale(e, ctx):
    x = e.args[0]
    return P.smul(x.args[0], P.sum_(x.args[1])) if isinstance(x, P.Scale) else None


@rule(Rule("sum of distributions", "sum(Y) = n for n columns that each sum to one",
           r"\operatorname{sum}(Y) = n \text{ for } \mathbf{1}^{\top} Y = \mathbf{1}_{n}^{\top}"), P.Sum)
def sum_distribution(e, ctx):
    x = e.args[0]
    return P.Const.make(x.shape[1]) if _is_distribution(x) else None


@rule(Rule("sum of a sum", "sum(A + B) = sum(A) + sum(B)",
           r"\operatorname{sum}(A + B) = \operatorname{sum}(A) + \operatorname{sum}(B)"), P.Sum)
def sum_add(e, ctx):
    x = e.args[0]  # split only where a term is a distribution, whose sum is known
    if isinstance(x, P.Add) and any(_is_distribution(t) or _is_distribution(P.negated(t)) for t in x.args):
        return P.add(*[P.sum_(t) for t in x.args])
    return None


@rule(Rule("sum of a transpose", "sum(A^T) = sum(A)", r"\operatorname{sum}(A^{\top}) = \operatorname{sum}(A)"),
      P.Sum)
def sum_transpose(e, ctx):
    x = e.args[0]
    return P.sum_(x.args[0]) if isinstance(x, P.Transpose) else None


# ---------------------------------------------------------------------------
# Diagonal matrices


@rule(Rule("diag of ones", "diag(1) = I", r"\operatorname{diag}(\mathbf{1}) = I"), P.Diag)
def diag_ones(e, ctx):
    v = e.args[0]
    return P.identity(numel(v.shape)) if isinstance(v, P.Ones) else None


@rule(Rule("diag of zeros", "diag(0) = 0", r"\operatorname{diag}(0) = 0"), P.Diag)
def diag_zeros(e, ctx):
    return P.zeros(*e.shape) if isinstance(e.args[0], P.Zero) else None


@rule(Rule("diag of a scalar", "diag(s) = s for a 1 x 1 s", r"\operatorname{diag}(s) = s"), P.Diag)
def diag_scalar(e, ctx):
    v = e.args[0]
    return v if v.is_scalar else None


@rule(Rule("diag of a scalar expansion", "diag(s 1) = s I", r"\operatorname{diag}(s \mathbf{1}) = s I"), P.Diag)
def diag_expansion(e, ctx):
    v = e.args[0]
    return P.smul(v.args[0], P.identity(numel(v.shape))) if isinstance(v, P.Broadcast) else None


@rule(Rule("diag of a scalar multiple", "diag(c v) = c diag(v)",
           r"\operatorname{diag}(c v) = c \operatorname{diag}(v)"), P.Diag)
def diag_scale(e, ctx):
    v = e.args[0]
    return P.smul(v.args[0], P.diag(v.args[1])) if isinstance(v, P.Scale) else None


# ---------------------------------------------------------------------------
# Reshapes


@rule(Rule("unvec undoes vec", "unvec(vec(X)) = X", r"\operatorname{vec}^{-1}(\operatorname{vec}(X)) = X"),
      P.Unvec)
def unvec_vec(e, ctx):
    v = e.args[0]
    return v.args[0] if isinstance(v, P.Vec) else None


@rule(Rule("unvec of ones", "unvec(1) = ones(m, n)",
           r"\operatorname{vec}^{-1}(\mathbf{1}) = \mathbf{1}_{m} \mathbf{1}_{n}^{\top}"), P.Unvec)
def unvec_ones(e, ctx):
    return P.ones(*e.shape) if isinstance(e.args[0], P.Ones) else None


@rule(Rule("unvec of zeros", "unvec(0) = zeros(m, n)", r"\operatorname{vec}^{-1}(0) = 0"), P.Unvec)
def unvec_zeros(e, ctx):
    return P.zeros(*e.shape) if isinstance(e.args[0], P.Zero) else None


@rule(Rule("unvec of a scalar multiple", "unvec(c v) = c unvec(v)",
           r"\operatorname{vec}^{-1}(c v) = c \operatorname{vec}^{-1}(v)"), P.Unvec)
def unvec_scale(e, ctx):
    v = e.args[0]
    return P.smul(v.args[0], P.Unvec._new(e.params, (v.args[1],))) if isinstance(v, P.Scale) else None


# ---------------------------------------------------------------------------
# Kronecker products


@rule(Rule("Kronecker product with a scalar", "s kron B = B kron s = s B",
           r"s \otimes B = B \otimes s = s B"), P.Kron)
def kron_scalar(e, ctx):
    A, B = e.args
    if A.is_scalar:
        return P.smul(A, B)
    if B.is_scalar:
        return P.smul(B, A)
    return None


# ---------------------------------------------------------------------------
# Matrix products, over their factors with nested products flattened.  Tried in this order:
# zeros, identities and scalar factors first, then the chains that end in a column (or start
# with a row), then every pair identity at one position before the next.


def _chain(fs):
    return fs[0] if len(fs) == 1 else P.MatMul._new((), tuple(fs))


def _unit(e):
    """The product of no factors: I, or 1 for a 1 x 1 product."""
    return P.identity(e.shape[0]) if not e.is_scalar else P.Const.make(1)


@rule(Rule("zero factor", "A 0 = 0", r"A\, 0 = 0"), P.MatMul)
def product_zero(e, ctx):
    return P.zeros(*e.shape) if any(isinstance(f, P.Zero) for f in _flat(e)) else None


@rule(Rule("identity factor", "I A = A I = A", r"I A = A I = A"), P.MatMul)
def product_identity(e, ctx):
    fs = _flat(e)
    body = [f for f in fs if not isinstance(f, P.Identity)]
    if len(body) == len(fs):
        return None
    return _chain(body) if body else _unit(e)


@rule(Rule("scalar factors move to the front", "A (c B) = c (A B)", r"A (c B) = c (A B)"), P.MatMul)
def product_scalar(e, ctx):
    fs = _flat(e)
    coef = []
    body = []
    for f in fs:
        if isinstance(f, P.Scale):
            coef.append(f.args[0])
            f = f.args[1]
            if isinstance(f, P.Identity):
                continue
        if f.is_scalar and len(fs) > 1:
            coef.append(f)
            continue
        body.append(f)
    if not coef:
        return None
    out = _chain(body) if body else _unit(e)
    for c in reversed(coef):
        out = P.smul(c, out)
    return out


@rule(Rule("diagonal matrix times a column product", "diag(u) A v = u * (A v)",
           r"\operatorname{diag}(u) A v = u \odot (A v)"), P.MatMul)
def chain_diag_column(e, ctx):
    fs = _flat(e)  # a chain up to a column (the whole chain, or one that a row then follows: ... v x^T) is
    for j in range(len(fs) - 1, 1, -1):  # evaluated from the right
        if fs[j].shape[1] != 1:
            continue
        for i in range(j - 1, -1, -1):
            f = fs[i]
            if isinstance(f, P.Diag) and f.args[0].shape[1] == 1:
                tail = _chain(fs[i + 1:j + 1])
                if tail.shape == f.args[0].shape:
                    col = P.hadamard(f.args[0], tail)
                    return P.matmul(*fs[:i], col, *fs[j + 1:]) if i or j + 1 < len(fs) else col
    return None


@rule(Rule("row product times a diagonal matrix", "v^T A diag(u) = ((v^T A)^T * u)^T",
           r"v^{\top} A \operatorname{diag}(u) = ((v^{\top} A)^{\top} \odot u)^{\top}"), P.MatMul)
def chain_row_diag(e, ctx):
    fs = _flat(e)  # and one that starts with a row, from the left
    if len(fs) > 2 and fs[0].shape[0] == 1:
        for i in range(1, len(fs)):
            f = fs[i]
            if isinstance(f, P.Diag) and f.args[0].shape[1] == 1:
                head = _chain(fs[:i])
                if head.shape[1] == f.args[0].shape[0]:
                    row = P.transpose(P.hadamard(P.transpose(head), f.args[0]))
                    return P.matmul(row, *fs[i + 1:]) if i + 1 < len(fs) else row
    return None


#: identities of two adjacent factors a b of a product of n factors: (a, b, n, simplifier) -> node or None
PAIRS = Identities()


@dispatch(lambda: PAIRS.rules() + (product_scalar.rule,), P.MatMul)
def product_pairs(e, ctx):
    """The first pair of adjacent factors that a pair identity rewrites, tried left to right."""
    fs = _flat(e)
    for i in range(len(fs) - 1):
        hit = PAIRS.first(fs[i], fs[i + 1], len(fs), ctx)
        if hit is not None:
            r, cited = hit
            new = fs[:i] + [r] + fs[i + 2:]
            if len(new) == 1:
                return new[0], (cited,)
            if all(not x.is_scalar for x in new):
                return P.matmul(*new), (cited,)
            return _scalar_front(new), (cited, product_scalar.rule)
    return None


def _scalar_front(fs):
    coef = [f for f in fs if f.is_scalar]
    body = [f for f in fs if not f.is_scalar]
    out = body[0] if len(body) == 1 else P.MatMul._new((), tuple(body))
    for c in reversed(coef):
        out = P.smul(c, out)
    return out


@PAIRS.rule(Rule("product of diagonal matrices", "diag(u) diag(v) = diag(u * v)",
                 r"\operatorname{diag}(u) \operatorname{diag}(v) = \operatorname{diag}(u \odot v)"))
def diag_diag(a, b, n, ctx):
    if isinstance(a, P.Diag) and isinstance(b, P.Diag) and a.args[0].shape == b.args[0].shape:
        return P.diag(P.hadamard(a.args[0], b.args[0]))
    return None


@PAIRS.rule(Rule("diagonal matrix times a column", "diag(u) v = u * v", r"\operatorname{diag}(u)\, v = u \odot v"))
def diag_column(a, b, n, ctx):
    if isinstance(a, P.Diag) and b.shape[1] == 1 and a.args[0].shape == b.shape:
        return P.hadamard(a.args[0], b)
    return None


@PAIRS.rule(Rule("ones row times a diagonal matrix", "1^T diag(v) = v^T",
                 r"\mathbf{1}^{\top} \operatorname{diag}(v) = v^{\top}"))
def ones_diag(a, b, n, ctx):
    if isinstance(a, P.Ones) and a.shape[0] == 1 and isinstance(b, P.Diag) and b.args[0].shape[1] == 1:
        return P.transpose(b.args[0])
    return None


@PAIRS.rule(Rule("row times a diagonal matrix", "v^T diag(u) = (v * u)^T",
                 r"v^{\top} \operatorname{diag}(u) = (v \odot u)^{\top}"))
def row_diag(a, b, n, ctx):
    if a.shape[0] == 1 and isinstance(b, P.Diag) and b.args[0].shape[1] == 1:
        return P.transpose(P.hadamard(P.transpose(a), b.args[0]))
    return None


@PAIRS.rule(Rule("ones times distributions", "1 1^T Y = 1 1^T when every column of Y sums to one",
                 r"\mathbf{1} \mathbf{1}^{\top} Y = \mathbf{1} \mathbf{1}^{\top}"))
def ones_distribution(a, b, n, ctx):
    return P.ones(a.shape[0], b.shape[1]) if isinstance(a, P.Ones) and _is_distribution(b) else None


@PAIRS.rule(Rule("ones row times a column", "1^T x = sum(x)", r"\mathbf{1}^{\top} x = \operatorname{sum}(x)"))
def ones_column(a, b, n, ctx):
    return P.sum_(b) if isinstance(a, P.Ones) and a.shape[0] == 1 and b.shape[1] == 1 else None


@PAIRS.rule(Rule("ones row times ones", "1_m^T ones(m, n) = m 1_n^T",
                 r"\mathbf{1}_{m}^{\top} \mathbf{1}_{m} \mathbf{1}_{n}^{\top} = m \mathbf{1}_{n}^{\top}"))
def ones_ones(a, b, n, ctx):
    if isinstance(a, P.Ones) and a.shape[0] == 1 and isinstance(b, P.Ones):
        return P.smul(P.Const.make(b.shape[0]), P.ones(1, b.shape[1]))
    return None


@PAIRS.rule(Rule("outer product of ones", "1_m 1_n^T = ones(m, n)",
                 r"\mathbf{1}_{m} \mathbf{1}_{n}^{\top} = \mathbf{1}_{m \times n}"))
def ones_outer(a, b, n, ctx):
    # only where the product is that outer product: 1 1^T X stays 1 (1^T X), no ones matrix multiplies
    if n == 2 and isinstance(a, P.Ones) and isinstance(b, P.Ones) and a.shape[1] == 1 and b.shape[0] == 1:
        return P.ones(a.shape[0], b.shape[1])
    return None


@PAIRS.rule(Rule("mixed product of Kronecker products", "(A kron B)(C kron D) = (A C) kron (B D)",
                 r"(A \otimes B)(C \otimes D) = (A C) \otimes (B D)"))
def kron_kron(a, b, n, ctx):
    if isinstance(a, P.Kron) and isinstance(b, P.Kron):
        (P1, Q1), (P2, Q2) = a.args, b.args
        if P1.shape[1] == P2.shape[0] and Q1.shape[1] == Q2.shape[0]:
            return P.kron(P.matmul(P1, P2), P.matmul(Q1, Q2))
    return None


@PAIRS.rule(Rule("inner product as a sum", "u^T v = sum(u * v)", r"u^{\top} v = \operatorname{sum}(u \odot v)"))
def dot_sum(a, b, n, ctx):
    # over element-wise operands, where the product u * v cancels to something smaller
    if a.shape[0] == 1 and b.shape[1] == 1 and isinstance(a, P.Transpose) and a.args[0].shape[1] == 1:
        u = a.args[0]
        if (u.cluster and not isinstance(u, P.Ones)) or b.cluster:
            h = P.hadamard(u, b)
            hs = ctx.run(h)
            if _cost(hs) < _cost(h):
                return P.sum_(hs)
    return None


@PAIRS.rule(Rule("a 1 x 1 product inside a product", "A u^T v B = A (u^T v) B",
                 r"A u^{\top} v B = A (u^{\top} v) B"))
def inner_scalar(a, b, n, ctx):
    # a middle product that is 1 x 1 is a scalar factor (keeps s (s^T g) linear)
    return P.MatMul._new((), (a, b)) if n > 2 and a.shape[0] == 1 and b.shape[1] == 1 else None


@rule(Rule("associativity of products", "(A B) C = A B C", r"(A B) C = A B C"), P.MatMul)
def product_flatten(e, ctx):
    return _flattened(e)
