"""Element-wise operations: sums, scalar expansion and Hadamard products
(quotients and powers are in powers.py, functions in apply.py).

Each class is followed by its constructor.  An element-wise node acts entry by
entry, so a cluster of them is one scalar SymPy expression (``_sympy``, used
by lift.py); its local Jacobians are diagonal.
"""
from __future__ import annotations

import sympy as sp

from . import sizerules
from .expr import ADD, BOTH, MATMUL, MUL, POSTFIX, ROWS, Expr, SameShape, describe
from .leaves import Const, Ones, as_expr, identity, ones
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError, ShapeError, fmt_shape, is_scalar_shape, numel


class _Elementwise(SameShape):
    """An operation applied entry by entry: its shape is its operands' shape."""

    __slots__ = ()
    elementwise = True
    cluster = True
    moves_transpose = frozenset((ROWS,))
    transpose_rule = Rule("transpose of an element-wise operation", "f(u, v)^T = f(u^T, v^T)",
                          r"f(u, v)^{\top} = f(u^{\top}, v^{\top})")

    def _checked(self):
        from .lift import check_real  # lift builds with these constructors

        return check_real(self)

    def _transpose(self, t, keep):
        return self.rebuild(tuple(t(a) for a in self.args))


def _expand_pair(rule, a, b):
    """Broadcasting for element-wise binary operators; rule (sizerules.ADD, MUL, DIV) checks the shapes.
    A scalar expands (s 1 1^T), a (1, n) row r spreads over m rows as 1_m r and an (m, 1) column c over n
    columns as c 1_n^T (the course's b 1^T): products that the chain rule, the printers and the code
    printer (plain broadcasting) already know."""
    a, b = as_expr(a), as_expr(b)
    shape = rule.check(a, b)
    if a.shape == b.shape:
        return a, b
    return spread(a, shape), spread(b, shape)


def spread(x: Expr, shape) -> Expr:
    """x at a shape it broadcasts to: a scalar expanded, a row 1 r, a column c 1^T."""
    x = as_expr(x)
    if x.shape == tuple(shape):
        return x
    if x.is_scalar:
        return broadcast(x, shape)
    if x.shape[0] == 1 and x.shape[1] == shape[1]:
        return matmul(ones(shape[0], 1), x)
    if x.shape[1] == 1 and x.shape[0] == shape[0]:
        return matmul(x, ones(1, shape[1]))
    raise ShapeError(f"{describe(x)} does not broadcast to {fmt_shape(shape)}")


@primitive
class Add(_Elementwise):
    __slots__ = ()
    examples = ("x + y", "A + B + A")
    rules = {"u": Rule("sum rule", "d(u + v)/du = I", r"\frac{\partial (u + v)}{\partial u} = I")}
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a sum", "(A + B)^T = A^T + B^T", r"(A + B)^{\top} = A^{\top} + B^{\top}")

    @property
    def precedence(self):
        """a^T - y^T prints as (a - y)^T, which binds like a transpose."""
        return POSTFIX if _transposed_terms(self.args) else ADD

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), self.rules["u"]

    def _text(self, p):
        inner = _transposed_terms(self.args)
        return f"({_join_terms(p, inner)}).T" if inner else _join_terms(p, self.args)

    def _tex(self, p):
        inner = _transposed_terms(self.args)
        return r"\left(" + _join_terms(p, inner) + r"\right)^{\top}" if inner else _join_terms(p, self.args)

    def _code(self, p):
        # M + diag(d): d added to M's diagonal, no n x n diagonal built; A + c onehot(y): c added at the targets
        code = p.diagonal_sum(self) or p.target_sum(self)
        if code is not None:
            return code
        out = []
        for i, a in enumerate(self.args):
            n = negated(a)
            if n is not None:
                out.append((" - " if i else "-") + p.ref(n, ADD + 1))
            else:
                out.append((" + " if i else "") + p.ref(a, ADD))
        return "".join(out)

    def _explicit(self, ev):
        out = ev(self.args[0])
        for a in self.args[1:]:
            out = out + ev(a)
        return out

    def _index(self, p, i, j):
        parts = []
        for k, a in enumerate(self.args):
            n = negated(a)
            s = p.entry(n if n is not None else a, i, j)
            body = p.wrap(s, ADD + (n is not None))
            if k == 0:
                parts.append(("-" if n is not None else "") + body)
            else:
                parts.append((" - " if n is not None else " + ") + body)
        return "".join(parts), ADD

    def _sympy(self, go):
        return sp.Add(*[go(a) for a in self.args])

    def _pullback(self, G, in_shape):
        return add(*[a._pullback(G, in_shape) for a in self.args])


def add(*terms) -> Expr:
    if not terms:
        raise JacobiError("add needs at least one term")
    out = as_expr(terms[0])
    for t in terms[1:]:
        a, b = _expand_pair(sizerules.ADD, out, t)
        parts = (a.args if isinstance(a, Add) else (a,)) + (b.args if isinstance(b, Add) else (b,))
        out = Add._new((), parts)
    return out


def neg(x) -> Expr:
    return scale(Const.make(-1), as_expr(x))


def sub(a, b) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if not b.is_scalar:  # a row or a column spreads first: X - 1 r, not X + 1 (-r)
        a, b = _expand_pair(sizerules.SUB, a, b)
    return add(a, neg(b))


def negated(term):
    """The term without its minus sign, or None if it has none."""
    if isinstance(term, Scale):
        c = term.args[0]
        if isinstance(c, Const) and c.value.is_number and c.value.is_negative:
            return term.args[1] if c.value == -1 else scale(Const.make(-c.value), term.args[1])
    if isinstance(term, Const) and term.value.is_number and term.value.is_negative:
        return Const.make(-term.value)
    if isinstance(term, Broadcast):
        n = negated(term.args[0])
        return None if n is None else broadcast(n, term.shape)
    return None


def _transposed_terms(terms):
    """For a sum of transposed columns, the columns (with their signs); else None."""
    inner = []
    for t in terms:
        n = negated(t)
        u = t if n is None else n
        if not isinstance(u, Transpose) or u.args[0].shape[1] != 1:
            return None
        inner.append(u.args[0] if n is None else Scale._new((), (Const.make(-1), u.args[0])))
    return inner


def _join_terms(p, terms):
    out = []
    for i, t in enumerate(terms):
        n = negated(t)
        if n is not None:
            s = p.operand(n, ADD + 1, among=terms)
            out.append(("- " if i else "-") + s)
        else:
            s = p.operand(t, ADD, among=terms)
            out.append(("+ " if i else "") + s)
    return " ".join(out)


@primitive
class Scale(Expr):
    """s X: a scalar times a matrix (scalar expansion of the product)."""

    __slots__ = ()
    precedence = MUL
    elementwise = True
    cluster = True
    examples = ("alpha * A", "3 * x")
    rules = {
        "x": Rule("scalar expansion", "d(s x)/dx = s I", r"\frac{\partial (s x)}{\partial x} = s I"),
        "s": Rule("scalar expansion", "d(s x)/ds = x", r"\frac{\partial (s x)}{\partial s} = x"),
    }
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a scalar multiple", "(c A)^T = c A^T", r"(c A)^{\top} = c A^{\top}")

    def _transpose(self, t, keep):
        return Scale._new((), (keep(self.args[0]), t(self.args[1])))

    @classmethod
    def _shape(cls, params, args):
        return args[1].shape

    def local_jacobian(self, i, out):
        s, X = self.args
        if i == 1:
            return scale(s, identity(numel(X.shape))), self.rules["x"]
        return vec(X), self.rules["s"]

    def _text(self, p):
        s, X = self.args
        if negated(self) is not None:  # -u and -2 * u, as written, not (-2) * u
            return "-" + ("" if s.value == -1 else p.paren(Const.make(-s.value), MUL) + " * ") + p.paren(X, MUL + 1)
        return p.paren(s, MUL) + " * " + p.paren(X, MUL + 1)

    def _tex(self, p):
        s, X = self.args
        if negated(self) is not None:  # -x \odot u and -2 u; a negative operand is parenthesised: -(-a), never --a
            inner = p.paren(X, MUL) if s.value == -1 else p.paren(Const.make(-s.value), MUL) + " " + p.paren(X, MUL + 1)
            return "-" + (r"\left(" + inner + r"\right)" if inner.startswith("-") else inner)
        return p.paren(s, MUL) + " " + p.paren(X, MUL + 1)

    def _code(self, p):
        s, X = self.args
        if isinstance(s, Const) and s.value == -1:
            return "-" + p.ref(X, MUL + 1)
        return p.scaled(X, "*", p.ref(s, MUL + 1))  # a product's rows scaled first

    def _explicit(self, ev):
        return ev(self.args[0])[0, 0] * ev(self.args[1])

    def _index(self, p, i, j):
        s, X = self.args
        x = p.entry(X, i, j)
        if isinstance(s, Const) and s.value == -1:
            return "-" + p.wrap(x, MUL + 1), ADD
        return p.wrap(p.entry(s, None, None), MUL) + " " + p.wrap(x, MUL + 1), MUL

    def _sympy(self, go):
        return go(self.args[0]) * go(self.args[1])

    def _pullback(self, G, in_shape):
        return smul(self.args[0], self.args[1]._pullback(G, in_shape))


def scale(s, X) -> Expr:
    s, X = as_expr(s), as_expr(X)
    if not s.is_scalar:
        raise ShapeError(f"a scale factor must be a scalar, not {describe(s)}")
    return Scale._new((), (s, X))


def smul(s: Expr, X: Expr) -> Expr:
    """s X in canonical form: constants lead as Scale, other scalar products are Hadamard."""
    if isinstance(s, Const) and s.value == 1:
        return X
    if isinstance(s, Const) and isinstance(X, Const):
        return Const.make(s.value * X.value)
    if isinstance(s, Const) or not X.is_scalar:
        return Scale._new((), (s, X))
    return hadamard(s, X)


@primitive
class Broadcast(Expr):
    """Scalar expansion: the scalar s repeated to a shape (s 1, or s 1 1^T)."""

    __slots__ = ()
    elementwise = True
    cluster = True
    examples = ("x + alpha", "alpha - A")
    rules = {"s": Rule("scalar expansion", "d(z 1)/dz = 1",
                       r"\frac{\partial (z \mathbf{1})}{\partial z} = \mathbf{1}")}
    moves_transpose = BOTH
    transpose_rule = Rule("transpose of a scalar expansion", "(s ones(m, n))^T = s ones(n, m)",
                          r"(s \mathbf{1}_{m} \mathbf{1}_{n}^{\top})^{\top} = s \mathbf{1}_{n} \mathbf{1}_{m}^{\top}")

    def _transpose(self, t, keep):
        return broadcast(keep(self.args[0]), (self.shape[1], self.shape[0]))

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])

    @property
    def precedence(self):
        return self.args[0].precedence

    text_precedence = MUL  # s * ones(n)

    def local_jacobian(self, i, out):
        return ones(numel(self.shape), 1), self.rules["s"]

    def _text(self, p):
        return p.paren(self.args[0], MUL) + " * " + Ones._new(self.params, ())._text(p)

    def _tex(self, p):
        return p.paren(self.args[0], MUL) + " " + Ones._new(self.params, ())._tex(p)

    def _code(self, p):
        return p.broadcast(self.args[0], self.shape, MUL)  # inside an element-wise operation, the scalar itself

    def _explicit(self, ev):
        r, c = ev.dims(self.shape)
        return sp.ones(r, c) * ev(self.args[0])[0, 0]

    def _index(self, p, i, j):
        return p.entry(self.args[0], None, None)

    def _sympy(self, go):
        return go(self.args[0])


def broadcast(s: Expr, shape) -> Expr:
    s = as_expr(s)
    if not s.is_scalar:
        raise ShapeError(f"only a scalar expands to a shape, not {describe(s)}")
    if is_scalar_shape(shape):
        return s
    return Broadcast._new((shape[0], shape[1]), (s,))


@primitive
class Hadamard(_Elementwise):
    """The element-wise product w (*) x."""

    __slots__ = ()
    precedence = MUL
    examples = ("x * y", "A * B * A")
    rules = {"w": Rule("Hadamard product", "d(w * x)/dw = diag(x)",
                       r"\frac{\partial (w \odot x)}{\partial w} = \operatorname{diag}(x)")}

    def local_jacobian(self, i, out):
        others = [a for k, a in enumerate(self.args) if k != i]
        rest = others[0] if len(others) == 1 else Hadamard._new((), tuple(others))
        return diag(rest), self.rules["w"]

    def _text(self, p):
        return " * ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)

    def _tex(self, p):
        if self.is_scalar:
            return " ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)
        return r" \odot ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)

    def _code(self, p):
        return " * ".join(p.ref(a, MUL + 1) for a in self.args)

    def _explicit(self, ev):
        out = ev(self.args[0])
        for a in self.args[1:]:
            out = out.multiply_elementwise(ev(a))
        return out

    def _index(self, p, i, j):
        return " ".join(p.wrap(p.entry(a, i, j), MUL + 1) for a in self.args), MUL

    def _sympy(self, go):
        return sp.Mul(*[go(a) for a in self.args])


def hadamard(*factors) -> Expr:
    """The element-wise (Hadamard) product; both operands have one shape.  ``jc.hadamard(u, v)``"""
    if len(factors) < 2:
        raise JacobiError("hadamard needs at least two operands")
    out = as_expr(factors[0], "a Hadamard product")
    for f in factors[1:]:
        f = as_expr(f, "a Hadamard product")
        sizerules.HADAMARD.check(out, f)
        parts = (out.args if isinstance(out, Hadamard) else (out,)) + (f.args if isinstance(f, Hadamard) else (f,))
        out = Hadamard._new((), parts)
    return out


def mul(a, b) -> Expr:
    """a * b: element-wise; a scalar on either side is a scalar expansion."""
    a, b = as_expr(a), as_expr(b)
    if a.shape == b.shape:
        return hadamard(a, b)
    if a.is_scalar:
        return scale(a, b)
    if b.is_scalar:
        return scale(b, a)
    return hadamard(*_expand_pair(sizerules.MUL, a, b))


# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .blocks import diag, vec  # noqa: E402
from .matrix import Transpose, matmul  # noqa: E402
