"""The Kronecker product and the linear maps its derivatives are made of.  Each class is followed by its
constructor; the parser's names are recorded with the other blocks' (callables.py).

kron(A, B), for A m x n and B p x q, is the mp x nq matrix of blocks a_ij B.  It is one node, whether a
user writes it or a local Jacobian is made of it (the matrix product's R^T kron L): as a Jacobian block,
P kron Q maps vec(X) to vec(Q X P^T).  As a value it has a local Jacobian in each operand (Magnus and
Neudecker, Theorem 3.10; K_qm is the commutation matrix of a q x m matrix):

    d vec(A kron B)/d vec(A) = (I_n kron K_qm kron I_p)(I_mn kron vec(B))
    d vec(A kron B)/d vec(B) = (I_n kron K_qm kron I_p)(vec(A) kron I_pq)

(KronJacobian).  Their transpose rules contract the blocks G_ij (p x q) of the mp x nq gradient G, which no
matrix product of G writes for symbolic sizes:

    block_inner(G, B)_ij = <G_ij, B> = sum_kl G[i p + k, j q + l] b_kl      (m x n; tr_2(G (I_n kron B^T)))
    block_sum(G, A)      = sum_ij a_ij G_ij                                 (p x q; tr_1((A^T kron I_p) G))

Both are bilinear; their Jacobians in G are the transposed KronJacobians, and in the other operand the
rearrangement R(G) of Van Loan and Pitsianis (one row per block, vec(G_ij)^T), R(G) vec(B) = vec(block_inner(G, B)).
"""
from __future__ import annotations

import sympy as sp

from . import sizerules
from .expr import ATOM, MATMUL, MUL, TEXTBOOK, Call, Expr
from .leaves import Const, Identity, as_expr, commutation, identity
from .registry import primitive
from .rules import Rule
from .shapes import size


@primitive
class Kron(Expr):
    """The Kronecker product A kron B: the blocks a_ij B.  As a Jacobian block, vec(X) -> vec(B X A^T)."""

    __slots__ = ()
    block = True
    # below the products: a Kronecker product that is a factor of a matrix or Hadamard product, or is
    # scaled, is printed in parentheses (I (x^T kron I), not I x^T kron I, which reads two ways)
    precedence = MUL - 1
    text_precedence = ATOM  # kron(A, B)
    shape_rule = sizerules.KRON
    examples = ("kron(A, B)", "sum(kron(A, X))", "trace(kron(X, B) @ C)", "kron(x, y)", "x.T @ kron(A, B) @ y")
    rules = {
        "A": Rule("Kronecker product", "d vec(A kron B)/d vec(A) = (I_n kron K_qm kron I_p)(I_mn kron vec(B))",
                  r"\frac{\partial \operatorname{vec}(A \otimes B)}{\partial \operatorname{vec}(A)} = "
                  r"\left(I_{n} \otimes K_{q,m} \otimes I_{p}\right)\left(I_{mn} \otimes \operatorname{vec}(B)\right)"),
        "B": Rule("Kronecker product", "d vec(A kron B)/d vec(B) = (I_n kron K_qm kron I_p)(vec(A) kron I_pq)",
                  r"\frac{\partial \operatorname{vec}(A \otimes B)}{\partial \operatorname{vec}(B)} = "
                  r"\left(I_{n} \otimes K_{q,m} \otimes I_{p}\right)\left(\operatorname{vec}(A) \otimes I_{pq}\right)"),
    }
    moves_transpose = frozenset((TEXTBOOK,))  # generated network code never holds one
    transpose_rule = Rule("transpose of a Kronecker product", "(A kron B)^T = A^T kron B^T",
                          r"(A \otimes B)^{\top} = A^{\top} \otimes B^{\top}")

    def _transpose(self, t, keep):
        return Kron._new((), (t(self.args[0]), t(self.args[1])))

    def local_jacobian(self, i, out):
        return KronJacobian._new((i,) + self.args[i].shape, (self.args[1 - i],)), self.rules["AB"[i]]

    def _text(self, p):
        return f"kron({p.doprint(self.args[0])}, {p.doprint(self.args[1])})"

    def _tex(self, p):
        # associative: a Kronecker product inside another needs no parentheses
        return r" \otimes ".join(a._tex(p) if isinstance(a, Kron) else p.paren(a, MATMUL + 1) for a in self.args)

    def _code(self, p):
        return p.kron(self.args[0], self.args[1])

    def _explicit(self, ev):
        from sympy.physics.quantum import TensorProduct

        return TensorProduct(ev(self.args[0]), ev(self.args[1]))

    def _pullback(self, G, in_shape):
        P, Q = self.args
        out_shape = (Q.shape[0], P.shape[0])
        return reshape_like(matmul(transpose(Q), reshape_like(G, out_shape), P), in_shape)


def kron(a, b) -> Expr:
    """The Kronecker product a kron b (any shapes: m x n kron p x q is mp x nq).  ``jc.kron(A, B)``"""
    return Kron._new((), (as_expr(a, "kron"), as_expr(b, "kron")))


def _kron_of(*factors) -> Expr:
    """The Kronecker product of the factors, those of size 1 (I_1, K_1m) left out."""
    fs = [f for f in factors if not (isinstance(f, Const) and f.value == 1)]
    out = fs[-1]
    for f in reversed(fs[:-1]):
        out = Kron._new((), (f, out))
    return out


def _shuffle(n, q, m, p) -> Expr:
    """I_n kron K_qm kron I_p: vec(A kron B) = (this)(vec(A) kron vec(B)); the identity where K_qm is."""
    if q == 1 or m == 1:
        return identity(n * q * m * p)
    return _kron_of(identity(n), commutation(q, m), identity(p))


@primitive
class KronJacobian(Expr):
    """d vec(A kron B)/d vec(A) (side 0, over B) or d vec(A kron B)/d vec(B) (side 1, over A), the other
    operand r x c: a Jacobian block, written (printed, computed, expanded) as the textbook's product of
    Kronecker products, pulled back as a block contraction."""

    __slots__ = ()
    block = True
    precedence = MATMUL - 1  # printed as a product of Kronecker products, or one

    @property
    def side(self) -> int:
        return self.params[0]

    def operands(self) -> tuple:
        """The shapes (m, n), (p, q) of A and B."""
        var, other = self.params[1:], self.args[0].shape
        return (var, other) if self.side == 0 else (other, var)

    @classmethod
    def _shape(cls, params, args):
        side, r, c = params
        (a, b), (p, q) = ((r, c), args[0].shape) if side == 0 else (args[0].shape, (r, c))
        return (a * b * p * q, r * c)

    def textbook(self) -> Expr:
        """The same matrix from Kronecker products, the commutation matrix and vec."""
        (m, n), (p, q) = self.operands()
        L = _shuffle(n, q, m, p)
        R = _kron_of(identity(m * n), vec(self.args[0])) if self.side == 0 else \
            _kron_of(vec(self.args[0]), identity(p * q))
        return R if isinstance(L, (Identity, Const)) else matmul(L, R)

    def _text(self, p):
        return p.doprint(self.textbook())

    def _tex(self, p):
        T = self.textbook()
        if isinstance(T, Kron):
            return p.doprint(T)
        return " ".join(p.wrap(p.doprint(f)) if isinstance(f, Kron) else p.paren(f, MATMUL) for f in T.args)

    def _code(self, p):
        return p.ref(self.textbook(), MATMUL)

    def _explicit(self, ev):
        return ev(self.textbook())

    def _pullback(self, G, in_shape):
        (m, n), (p, q) = self.operands()
        G = reshape_like(G, (m * p, n * q))
        out = block_inner(G, self.args[0]) if self.side == 0 else block_sum(G, self.args[0])
        return reshape_like(out, in_shape)


class _Contraction(Call):
    """A contraction of G's blocks with a matrix W: block_inner(G, W) or block_sum(G, W)."""

    __slots__ = ()

    def _text(self, p):
        return f"{self.text_name}({p.doprint(self.args[0])}, {p.doprint(self.args[1])})"

    def _code(self, p):
        return p.be.fmt(self.text_name, g=p.ref(self.args[0], 0), w=p.ref(self.args[1], 0))

    def _explicit(self, ev):
        Gv, Wv = ev(self.args[0]), ev(self.args[1])
        if isinstance(self, BlockInner):  # W is a block
            p, q = Wv.shape
            m, n = Gv.rows // p, Gv.cols // q
        else:  # W has an entry per block
            m, n = Wv.shape
            p, q = Gv.rows // m, Gv.cols // n
        blocks = [[Gv[i * p:(i + 1) * p, j * q:(j + 1) * q] for j in range(n)] for i in range(m)]
        return self._contract(blocks, Wv, m, n)


@primitive
class BlockInner(_Contraction):
    """block_inner(G, B): the inner products <G_ij, B> of the p x q blocks of G with B (B p x q), an
    m x n matrix: the gradient of A in A kron B."""

    __slots__ = ()
    text_name = "block_inner"
    shape_rule = sizerules.BLOCK_INNER
    examples = ("block_inner(G, B)", "sum(block_inner(kron(A, B) * G, B))", "block_inner(x @ y.T, B)")
    rules = {
        "G": Rule("block contraction", "d vec(block_inner(G, B))/d vec(G) = (d vec(A kron B)/d vec(A))^T",
                  r"\frac{\partial \operatorname{vec}\operatorname{tr}_{2}(G (I \otimes B^{\top}))}"
                  r"{\partial \operatorname{vec}(G)} = \left(\frac{\partial \operatorname{vec}(A \otimes B)}"
                  r"{\partial \operatorname{vec}(A)}\right)^{\top}"),
        "B": Rule("block contraction", "d vec(block_inner(G, B))/d vec(B) = R(G), the blocks of G as rows",
                  r"\frac{\partial \operatorname{vec}\operatorname{tr}_{2}(G (I \otimes B^{\top}))}"
                  r"{\partial \operatorname{vec}(B)} = \mathcal{R}(G)"),
    }

    def local_jacobian(self, i, out):
        G, B = self.args
        if i == 0:
            return transpose(KronJacobian._new((0,) + self.shape, (B,))), self.rules["G"]
        return rearrange(G, *B.shape), self.rules["B"]

    def _tex(self, p):
        G, B = self.args
        right = kron(identity(self.shape[1]), transpose(B))
        return r"\operatorname{tr}_{2}\left(" + p.paren(G, MATMUL) + " " + p.paren(right, MATMUL + 1) + r"\right)"

    @staticmethod
    def _contract(blocks, W, m, n):
        return sp.Matrix(m, n, lambda i, j: sum(blocks[i][j].multiply_elementwise(W)))


def block_inner(G, B) -> Expr:
    """The m x n matrix of inner products <G_ij, B> of the p x q blocks G_ij of G (mp x nq) with B (p x q):
    tr_2(G (I_n kron B^T)), the gradient with respect to A of a function of A kron B whose gradient there is
    G.  ``jc.block_inner(G, B)``"""
    G, B = as_expr(G, "block_inner"), as_expr(B, "block_inner")
    sizerules.BLOCK_INNER.check(G, B)
    return BlockInner._new((), (G, B))


@primitive
class BlockSum(_Contraction):
    """block_sum(G, A): the sum of the blocks G_ij of G, each weighted by a_ij (A m x n), a p x q matrix:
    the gradient of B in A kron B."""

    __slots__ = ()
    text_name = "block_sum"
    shape_rule = sizerules.BLOCK_SUM
    examples = ("block_sum(G, A)", "sum(block_sum(kron(A, B) * G, A))", "block_sum(x @ y.T, A)")
    rules = {
        "G": Rule("block contraction", "d vec(block_sum(G, A))/d vec(G) = (d vec(A kron B)/d vec(B))^T",
                  r"\frac{\partial \operatorname{vec}\operatorname{tr}_{1}((A^{\top} \otimes I) G)}"
                  r"{\partial \operatorname{vec}(G)} = \left(\frac{\partial \operatorname{vec}(A \otimes B)}"
                  r"{\partial \operatorname{vec}(B)}\right)^{\top}"),
        "A": Rule("block contraction", "d vec(block_sum(G, A))/d vec(A) = R(G)^T, the blocks of G as columns",
                  r"\frac{\partial \operatorname{vec}\operatorname{tr}_{1}((A^{\top} \otimes I) G)}"
                  r"{\partial \operatorname{vec}(A)} = \mathcal{R}(G)^{\top}"),
    }

    def local_jacobian(self, i, out):
        G, A = self.args
        if i == 0:
            return transpose(KronJacobian._new((1,) + self.shape, (A,))), self.rules["G"]
        return transpose(rearrange(G, *self.shape)), self.rules["A"]

    def _tex(self, p):
        G, A = self.args
        left = kron(transpose(A), identity(self.shape[0]))
        return r"\operatorname{tr}_{1}\left(" + p.paren(left, MATMUL + 1) + " " + p.paren(G, MATMUL) + r"\right)"

    @staticmethod
    def _contract(blocks, W, m, n):
        return sum((W[i, j] * blocks[i][j] for i in range(m) for j in range(n)), sp.zeros(*blocks[0][0].shape))


def block_sum(G, A) -> Expr:
    """The sum of the p x q blocks G_ij of G (mp x nq), each weighted by a_ij (A m x n): tr_1((A^T kron I_p) G),
    the gradient with respect to B of a function of A kron B whose gradient there is G.  ``jc.block_sum(G, A)``"""
    G, A = as_expr(G, "block_sum"), as_expr(A, "block_sum")
    sizerules.BLOCK_SUM.check(G, A)
    return BlockSum._new((), (G, A))


@primitive
class Rearrange(Call):
    """R(G), Van Loan and Pitsianis's rearrangement: G (mp x nq) cut into p x q blocks, one row vec(G_ij)^T per
    block, blocks in column-major order (mn x pq).  A Jacobian block: R(G) vec(B) = vec(block_inner(G, B)),
    R(G)^T vec(A) = vec(block_sum(G, A))."""

    __slots__ = ()
    block = True
    text_name = "rearrange"
    latex_name = r"\mathcal{R}"

    @classmethod
    def _shape(cls, params, args):
        return sizerules.REARRANGE.check(args[0], *params)

    def _text(self, p):
        return f"rearrange({p.doprint(self.args[0])}, {self.params[0]}, {self.params[1]})"

    def _code(self, p):
        return p.be.fmt("rearrange", g=p.ref(self.args[0], 0), p=p.size(self.params[0]), q=p.size(self.params[1]))

    def _explicit(self, ev):
        Gv = ev(self.args[0])
        p, q = ev.dims(self.params)
        m, n = Gv.rows // p, Gv.cols // q
        rows = []
        for j in range(n):
            for i in range(m):
                blk = Gv[i * p:(i + 1) * p, j * q:(j + 1) * q]
                rows.append([blk[k, l] for l in range(q) for k in range(p)])
        return sp.Matrix(rows)

    def _pullback(self, H, in_shape):
        G = self.args[0]
        m, n = sp.cancel(G.shape[0] / self.params[0]), sp.cancel(G.shape[1] / self.params[1])
        return reshape_like(block_sum(G, reshape_like(H, (m, n))), in_shape)


def rearrange(G, p, q) -> Expr:
    """R(G): the p x q blocks of G as rows vec(G_ij)^T, in column-major block order.  ``jc.rearrange(G, 2, 3)``"""
    G, p, q = as_expr(G, "rearrange"), size(p), size(q)
    sizerules.REARRANGE.check(G, p, q)
    return Rearrange._new((p, q), (G,))


# The operations these blocks are made of; their modules are loaded with this one (core/__init__.py).
from .blocks import reshape_like, vec  # noqa: E402
from .matrix import matmul, transpose  # noqa: E402
