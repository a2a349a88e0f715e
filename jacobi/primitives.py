"""The primitives.  One class per node; each block holds the node's shape
rule, its local Jacobian (numerator layout, over vec: column-major), the
transpose rule of the Jacobian blocks, and its text, LaTeX, numpy and
explicit-component forms.  The public constructors (jc.sum, jc.sigmoid, the
Python operators ...) follow the classes.

Layout convention, decided once: the Jacobian of f (p x q) with respect to X
(r x c) is the (p*q) x (r*c) matrix d vec(f) / d vec(X)^T; rows are outputs.
For vectors this is the textbook Jacobian.  A gradient has the shape of the
variable.
"""
from __future__ import annotations

from fractions import Fraction
from numbers import Number

import sympy as sp

from . import functions as F
from .expr import ADD, ATOM, MATMUL, MUL, POSTFIX, POW, Expr, Rule, SameShape, describe
from .shapes import JacobiError, ShapeError, fmt_shape, is_scalar_shape, numel, size

# The derivative rules: name, formula as text, formula in LaTeX.  Derivation steps cite them.
R_ADD = Rule(
    "sum rule", "d(u + v)/du = I",
    r"\frac{\partial (u + v)}{\partial u} = I")
R_SCALE_X = Rule(
    "scalar expansion", "d(s x)/dx = s I",
    r"\frac{\partial (s x)}{\partial x} = s I")
R_SCALE_S = Rule(
    "scalar expansion", "d(s x)/ds = x",
    r"\frac{\partial (s x)}{\partial s} = x")
R_BROADCAST = Rule(
    "scalar expansion", "d(z 1)/dz = 1",
    r"\frac{\partial (z \mathbf{1})}{\partial z} = \mathbf{1}")
R_HADAMARD = Rule(
    "Hadamard product", "d(w * x)/dw = diag(x)",
    r"\frac{\partial (w \odot x)}{\partial w} = \operatorname{diag}(x)")
R_DIV_U = Rule(
    "element-wise quotient", "d(u / v)/du = diag(1 / v)",
    r"\frac{\partial (u / v)}{\partial u} = \operatorname{diag}(1 / v)")
R_DIV_V = Rule(
    "element-wise quotient", "d(u / v)/dv = diag(-u / v^2)",
    r"\frac{\partial (u / v)}{\partial v} = \operatorname{diag}(-u / v^{2})")
R_POW_U = Rule(
    "element-wise power", "d(u^k)/du = diag(k u^(k-1))",
    r"\frac{\partial u^{k}}{\partial u} = \operatorname{diag}(k u^{k-1})")
R_POW_K_SCALAR = Rule(
    "element-wise power", "d(u^k)/dk = u^k log u",
    r"\frac{\partial u^{k}}{\partial k} = u^{k} \log u")
R_POW_K = Rule(
    "element-wise power", "d(u^k)/dk = diag(u^k log u)",
    r"\frac{\partial u^{k}}{\partial k} = \operatorname{diag}(u^{k} \log u)")
R_MATMUL = Rule(
    "matrix product", "d vec(L X R)/d vec(X) = R^T kron L",
    r"\frac{\partial \operatorname{vec}(L X R)}{\partial \operatorname{vec}(X)} = R^{\top} \otimes L")
R_MATVEC = Rule(
    "matrix product", "d(A x)/dx = A",
    r"\frac{\partial (A x)}{\partial x} = A")
R_TRANSPOSE_VECTOR = Rule(
    "transpose of a vector", "d x^T/dx = I",
    r"\frac{\partial x^{\top}}{\partial x} = I")
R_TRANSPOSE = Rule(
    "transpose", "d vec(X^T)/d vec(X) = K",
    r"\frac{\partial \operatorname{vec}(X^{\top})}{\partial \operatorname{vec}(X)} = K")
R_SUM = Rule(
    "sum", "d sum(x)/dx = 1^T",
    r"\frac{\partial \operatorname{sum}(x)}{\partial x} = \mathbf{1}^{\top}")
R_SOFTMAX = Rule(
    "softmax", "ds/dz = diag(s) - s s^T",
    r"\frac{\partial s}{\partial z} = \operatorname{diag}(s) - s s^{\top}")
R_SOFTMAX_COLUMNS = Rule(
    "softmax by columns", "ds_j/dz_j = diag(s_j) - s_j s_j^T",
    r"\frac{\partial s_{j}}{\partial z_{j}} = \operatorname{diag}(s_{j}) - s_{j} s_{j}^{\top}")
R_LOG_SOFTMAX = Rule(
    "log-softmax", "d log(softmax(z))/dz = I - 1 s^T",
    r"\frac{\partial \log \operatorname{softmax}(z)}{\partial z} = I - \mathbf{1} s^{\top}")
R_VEC = Rule(
    "vec is a reshape", "d vec(X)/d vec(X) = I",
    r"\frac{\partial \operatorname{vec}(X)}{\partial \operatorname{vec}(X)} = I")
R_UNVEC = Rule(
    "unvec is a reshape", "d vec(unvec(v))/dv = I",
    r"\frac{\partial \operatorname{vec}(\operatorname{unvec}(v))}{\partial v} = I")
R_APPLY = Rule(
    "element-wise function", "d f(x)/dx = diag(f'(x))",
    r"\frac{\partial f(x)}{\partial x} = \operatorname{diag}(f'(x))")


ONE = sp.Integer(1)
SCALAR = (ONE, ONE)


def _vec_like(shape) -> bool:
    """True when vec() of this shape is the value itself (a column or a scalar)."""
    return shape[1] == 1


# ---------------------------------------------------------------------------
# Leaves


class Symbol(Expr):
    """A named scalar, vector or matrix variable."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return (params[1], params[2])

    @property
    def name(self) -> str:
        return self.params[0]

    @property
    def kind(self) -> str:
        return self.params[3]

    @property
    def latex_name(self) -> str:
        return self.params[4] or sp.latex(sp.Symbol(self.name))

    @property
    def assumptions(self) -> frozenset:
        return self.params[5]

    def _text(self, p):
        return self.name

    def _latex(self, p):
        return self.latex_name

    def _numpy(self, p):
        return p.arg_name(self)

    def _explicit(self, ev):
        r, c = ev.dims(self.shape)
        if self.kind == "scalar":
            return sp.Matrix([[sp.Symbol(self.name, real=True)]])
        base = self.name
        if self.kind == "matrix":
            low = base[0].lower() + base[1:] if base[0].isupper() else base
            sep = "" if r < 10 and c < 10 else ","
            return sp.Matrix(r, c, lambda j, k: sp.Symbol(f"{low}_{j + 1}{sep}{k + 1}", real=True))
        if c == 1:
            return sp.Matrix(r, 1, lambda j, k: sp.Symbol(f"{base}_{j + 1}", real=True))
        return sp.Matrix(r, c, lambda j, k: sp.Symbol(f"{base}_{j + 1}{k + 1}", real=True))


class Const(Expr):
    """A scalar constant: a number, or an expression in sizes such as 1/m."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return SCALAR

    @property
    def value(self) -> sp.Expr:
        return self.params[0]

    @property
    def precedence(self):
        v = self.value
        if v.is_Integer and v >= 0 or v.is_Symbol:
            return ATOM
        return MUL if not (v.is_number and v < 0) else ADD

    def _text(self, p):
        return str(self.value)

    def _latex(self, p):
        return sp.latex(self.value)

    def _numpy(self, p):
        return p.number(self.value)

    def _explicit(self, ev):
        return sp.Matrix([[ev.subs_sizes(self.value)]])


class _Fixed(Expr):
    """A structured constant matrix given by its shape alone."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])


class Zero(_Fixed):
    __slots__ = ()

    def _text(self, p):
        return "0"

    def _latex(self, p):
        return "0"

    def _numpy(self, p):
        return f"{p.np}.zeros({p.shape(self.shape)})"

    def _explicit(self, ev):
        return sp.zeros(*ev.dims(self.shape))

    def _pullback(self, G, in_shape):
        return zeros(*in_shape)


class Ones(_Fixed):
    """The all-ones matrix; a column is the textbook 1, a row is 1^T."""

    __slots__ = ()

    @property
    def precedence(self):
        return ATOM if self.shape[1] == 1 else (POSTFIX if self.shape[0] == 1 else MATMUL)

    def _text(self, p):
        r, c = self.shape
        return f"ones({r})" if c == 1 else (f"ones({c}).T" if r == 1 else f"ones({r}, {c})")

    def _latex(self, p):
        r, c = self.shape
        return r"\mathbf{1}" if c == 1 else (r"\mathbf{1}^{\top}" if r == 1 else r"\mathbf{1}\mathbf{1}^{\top}")

    def _numpy(self, p):
        return p.ones(self.shape)

    def _explicit(self, ev):
        return sp.ones(*ev.dims(self.shape))

    def _pullback(self, G, in_shape):
        # 1_{N x M}^T vec(G) = sum(G) 1_M
        return broadcast(G if G.is_scalar else sum_(G), in_shape)


class Identity(_Fixed):
    __slots__ = ()

    def _text(self, p):
        return "I"

    def _latex(self, p):
        return "I"

    def _numpy(self, p):
        return f"{p.np}.eye({p.size(self.shape[0])})"

    def _explicit(self, ev):
        return sp.eye(ev.dims(self.shape)[0])

    def _pullback(self, G, in_shape):
        return reshape_like(G, in_shape)


class Commutation(_Fixed):
    """K with K vec(A) = vec(A^T) for A of shape (m, n): the Jacobian of a transpose."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        n = params[0] * params[1]
        return (n, n)

    def _text(self, p):
        return f"K({self.params[0]}, {self.params[1]})"

    def _latex(self, p):
        return "K_{" + sp.latex(self.params[0]) + "," + sp.latex(self.params[1]) + "}"

    def _numpy(self, p):
        return f"_commutation({p.size(self.params[0])}, {p.size(self.params[1])})"

    def _explicit(self, ev):
        m, n = ev.dims((self.params[0], self.params[1]))
        K = sp.zeros(m * n, m * n)
        for i in range(m):
            for j in range(n):
                K[i * n + j, j * m + i] = 1
        return K

    def _pullback(self, G, in_shape):
        return transpose(G)


# ---------------------------------------------------------------------------
# Element-wise operations


class _Elementwise(SameShape):
    """An operation applied entry by entry: its shape is its operands' shape."""

    __slots__ = ()
    elementwise = True


class Add(_Elementwise):
    __slots__ = ()

    @property
    def precedence(self):
        """a^T - y^T prints as (a - y)^T, which binds like a transpose."""
        return POSTFIX if _transposed_terms(self.args) else ADD

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), R_ADD

    def _text(self, p):
        inner = _transposed_terms(self.args)
        return f"({_join_terms(p, inner)}).T" if inner else _join_terms(p, self.args)

    def _latex(self, p):
        inner = _transposed_terms(self.args)
        return r"\left(" + _join_terms(p, inner) + r"\right)^{\top}" if inner else _join_terms(p, self.args)

    def _numpy(self, p):
        out = []
        for i, a in enumerate(self.args):
            n = _negated(a)
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


def _negated(term):
    """The term without its minus sign, or None if it has none."""
    if isinstance(term, Scale):
        c = term.args[0]
        if isinstance(c, Const) and c.value.is_number and c.value < 0:
            return term.args[1] if c.value == -1 else scale(Const.make(-c.value), term.args[1])
    if isinstance(term, Const) and term.value.is_number and term.value < 0:
        return Const.make(-term.value)
    if isinstance(term, Broadcast):
        n = _negated(term.args[0])
        return None if n is None else broadcast(n, term.shape)
    return None


def _transposed_terms(terms):
    """For a sum of transposed columns, the columns (with their signs); else None."""
    inner = []
    for t in terms:
        n = _negated(t)
        u = t if n is None else n
        if not isinstance(u, Transpose) or u.args[0].shape[1] != 1:
            return None
        inner.append(u.args[0] if n is None else Scale._new((), (Const.make(-1), u.args[0])))
    return inner


def _join_terms(p, terms):
    out = []
    for i, t in enumerate(terms):
        n = _negated(t)
        if n is not None:
            s = p.operand(n, ADD + 1, among=terms)
            out.append(("- " if i else "-") + s)
        else:
            s = p.operand(t, ADD, among=terms)
            out.append(("+ " if i else "") + s)
    return " ".join(out)


class Scale(Expr):
    """s X: a scalar times a matrix (scalar expansion of the product)."""

    __slots__ = ()
    precedence = MUL
    elementwise = True

    @classmethod
    def _shape(cls, params, args):
        return args[1].shape

    def local_jacobian(self, i, out):
        s, X = self.args
        if i == 1:
            return scale(s, identity(numel(X.shape))), R_SCALE_X
        return vec(X), R_SCALE_S

    def _text(self, p):
        s, X = self.args
        if isinstance(s, Const) and s.value == -1:
            return "-" + p.paren(X, MUL + 1)
        return p.paren(s, MUL) + " * " + p.paren(X, MUL + 1)

    def _latex(self, p):
        s, X = self.args
        if isinstance(s, Const) and s.value == -1:
            return "-" + p.paren(X, MUL)
        return p.paren(s, MUL) + " " + p.paren(X, MUL + 1)

    def _numpy(self, p):
        s, X = self.args
        if isinstance(s, Const) and s.value == -1:
            return "-" + p.ref(X, MUL + 1)
        return p.ref(X, MUL) + " * " + p.ref(s, MUL + 1)

    def _explicit(self, ev):
        return ev(self.args[0])[0, 0] * ev(self.args[1])


class Broadcast(Expr):
    """Scalar expansion: the scalar s repeated to a shape (s 1, or s 1 1^T)."""

    __slots__ = ()
    elementwise = True

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])

    @property
    def precedence(self):
        return self.args[0].precedence

    def local_jacobian(self, i, out):
        return ones(numel(self.shape), 1), R_BROADCAST

    def _text(self, p):
        return p.paren(self.args[0], MUL) + " * " + Ones._new(self.params, ())._text(p)

    def _latex(self, p):
        return p.paren(self.args[0], MUL) + " " + Ones._new(self.params, ())._latex(p)

    def _numpy(self, p):
        return f"{p.ref(self.args[0], MUL)} * {p.np}.ones({p.shape(self.shape)})"

    def _explicit(self, ev):
        r, c = ev.dims(self.shape)
        return sp.ones(r, c) * ev(self.args[0])[0, 0]


class Hadamard(_Elementwise):
    """The element-wise product w (*) x."""

    __slots__ = ()
    precedence = MUL

    def local_jacobian(self, i, out):
        others = [a for k, a in enumerate(self.args) if k != i]
        rest = others[0] if len(others) == 1 else Hadamard._new((), tuple(others))
        return diag(rest), R_HADAMARD

    def _text(self, p):
        return " * ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)

    def _latex(self, p):
        if self.is_scalar:
            return " ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)
        return r" \odot ".join(p.operand(a, MUL + 1, MATMUL + 1, self.args) for a in self.args)

    def _numpy(self, p):
        return " * ".join(p.ref(a, MUL + 1) for a in self.args)

    def _explicit(self, ev):
        out = ev(self.args[0])
        for a in self.args[1:]:
            out = out.multiply_elementwise(ev(a))
        return out


class Div(_Elementwise):
    """Element-wise division u / v."""

    __slots__ = ()
    precedence = MUL

    def local_jacobian(self, i, out):
        u, v = self.args
        if i == 0:
            return diag(div(1, v)), R_DIV_U
        return diag(neg(div(u, power(v, 2)))), R_DIV_V

    def _text(self, p):
        u, v = self.args
        return p.operand(u, MUL, among=self.args) + " / " + p.operand(v, MUL + 1, among=self.args)

    def _latex(self, p):
        u, v = self.args
        if self.is_scalar or isinstance(v, Broadcast):
            return r"\frac{" + p.operand(u, 0, among=self.args) + "}{" + p.operand(v, 0, among=self.args) + r"}"
        return (p.operand(u, MUL + 1, MATMUL + 1, self.args) + r" \oslash "
                + p.operand(v, MUL + 1, MATMUL + 1, self.args))

    def _numpy(self, p):
        return p.ref(self.args[0], MUL) + " / " + p.ref(self.args[1], MUL + 1)

    def _explicit(self, ev):
        u, v = ev(self.args[0]), ev(self.args[1])
        return sp.Matrix(u.rows, u.cols, lambda j, k: u[j, k] / v[j, k])


class Power(_Elementwise):
    """The element-wise power u ** k (k a scalar or of u's shape)."""

    __slots__ = ()
    precedence = POW

    def local_jacobian(self, i, out):
        u, k = self.args
        if i == 0:
            d = mul(k, power(u, add(k, -1)))
            return diag(d), R_POW_U
        d = mul(out, apply(F.get("log"), u))
        if k.is_scalar and not u.is_scalar:
            return vec(d), R_POW_K_SCALAR
        return diag(d), R_POW_K

    def _text(self, p):
        return p.operand(self.args[0], POW + 1, among=self.args) + " ** " + p.operand(self.args[1], POW)

    def _latex(self, p):
        return p.base(self.args[0]) + "^{" + p.operand(self.args[1], 0) + "}"

    def _numpy(self, p):
        k = self.args[1]
        if isinstance(k, Const) and k.value == 2:
            b = p.ref(self.args[0], ATOM)
            if isinstance(self.args[0], Symbol) or b in p.temps.values():
                return f"{b} * {b}"
        return p.ref(self.args[0], POW + 1) + " ** " + p.ref(k, POW)

    def _explicit(self, ev):
        u, k = ev(self.args[0]), ev(self.args[1])
        if k.shape == (1, 1) and u.shape != (1, 1):
            return u.applyfunc(lambda e: e ** k[0, 0])
        return sp.Matrix(u.rows, u.cols, lambda j, c: u[j, c] ** k[j, c])


class Apply(_Elementwise):
    """An element-wise function sigma(x)."""

    __slots__ = ()
    precedence = ATOM


    @property

    def fn(self) -> F.ElementwiseFunction:
        return self.params[0]

    def local_jacobian(self, i, out):
        from .lift import from_sympy

        d = from_sympy(self.fn.derivative_sympy(), {F.t: self.args[0]}, self.shape)
        return diag(d), R_APPLY

    def _text(self, p):
        return f"{self.fn.text or self.fn.name}({p.doprint(self.args[0])})"

    def _latex(self, p):
        x = self.args[0]
        inner = p.doprint(x)
        if x.precedence >= POSTFIX:
            return self.fn.latex + "(" + inner + ")"
        return self.fn.latex + r"\left(" + inner + r"\right)"

    def _numpy(self, p):
        return p.apply(self.fn, p.ref(self.args[0], ATOM))

    def _explicit(self, ev):
        f = self.fn.definition if ev.elementary else self.fn.sympy
        return ev(self.args[0]).applyfunc(f)


# ---------------------------------------------------------------------------
# Matrix operations


class MatMul(Expr):
    """The matrix product A @ B @ ..."""

    __slots__ = ()
    precedence = MATMUL

    @classmethod
    def _shape(cls, params, args):
        return (args[0].shape[0], args[-1].shape[1])

    def local_jacobian(self, i, out):
        # vec(L X R) = (R^T kron L) vec(X)
        X = self.args[i]
        L = matmul(*self.args[:i]) if i > 0 else None
        R = matmul(*self.args[i + 1:]) if i + 1 < len(self.args) else None
        rule = R_MATMUL
        if R is None:
            if X.shape[1] == 1:
                return L, R_MATVEC
            return kron(identity(X.shape[1]), L), rule
        Lm = L if L is not None else identity(X.shape[0])
        return kron(transpose(R), Lm), rule

    def _text(self, p):
        return " @ ".join(p.paren(a, MATMUL + (k > 0)) for k, a in enumerate(self.args))

    def _latex(self, p):
        return " ".join(p.paren(a, MATMUL) for a in self.args)

    def _numpy(self, p):
        fs = self.args
        if len(fs) == 2:
            a, b = fs
            # M 1 and 1^T M are sums; 1 r^T and c 1^T are broadcasts: no ones matrix is built
            if isinstance(b, Ones) and b.shape[1] == 1:
                return p.reduce(a, 1)
            if isinstance(a, Ones) and a.shape[0] == 1:
                return p.reduce(b, 0)
            if isinstance(a, Ones) and a.shape[1] == 1 and b.shape[0] == 1:
                return p.broadcast(b, self.shape)
            if isinstance(b, Ones) and b.shape[0] == 1 and a.shape[1] == 1:
                return p.broadcast(a, self.shape)
        # a 1 x 1 factor multiplies (its array may be 0-d); the rest is the matrix product
        out = p.ref(fs[0], MATMUL)
        acc = fs[0].shape
        for a in fs[1:]:
            op = " * " if a.is_scalar or acc == SCALAR else " @ "
            out = out + op + p.ref(a, MATMUL + 1)
            acc = (acc[0], a.shape[1])
        return out

    def _explicit(self, ev):
        out = ev(self.args[0])
        for a in self.args[1:]:
            out = out * ev(a)
        return out


class Transpose(Expr):
    __slots__ = ()
    precedence = POSTFIX

    @classmethod
    def _shape(cls, params, args):
        r, c = args[0].shape
        return (c, r)

    def local_jacobian(self, i, out):
        r, c = self.args[0].shape
        if r == 1 or c == 1:
            return identity(r * c), R_TRANSPOSE_VECTOR
        return commutation(r, c), R_TRANSPOSE

    def _text(self, p):
        return p.paren(self.args[0], POSTFIX) + ".T"

    def _latex(self, p):
        return p.base(self.args[0]) + r"^{\top}"

    def _numpy(self, p):
        return p.transpose(self.args[0])

    def _explicit(self, ev):
        return ev(self.args[0]).T

    def _pullback(self, G, in_shape):
        # a transposed Jacobian block J^T: its own transpose rule is J itself
        return reshape_like(apply_linear(self.args[0], G), in_shape)


class _Call(Expr):
    """A node printed as a function applied to its argument: name(x)."""

    __slots__ = ()
    precedence = ATOM
    text_name = ""
    latex_name = ""

    def _text(self, p):
        return f"{self.text_name}({p.doprint(self.args[0])})"

    def _latex(self, p):
        return self.latex_name + r"\left(" + p.doprint(self.args[0]) + r"\right)"


class Sum(_Call):
    """The sum of all entries, a scalar."""

    __slots__ = ()
    text_name = 'sum'
    latex_name = '\\operatorname{sum}'

    @classmethod
    def _shape(cls, params, args):
        return SCALAR

    def local_jacobian(self, i, out):
        return ones(1, numel(self.args[0].shape)), R_SUM

    def _numpy(self, p):
        return f"{p.np}.sum({p.ref(self.args[0], 0)})"

    def _explicit(self, ev):
        return sp.Matrix([[sum(ev(self.args[0]))]])


class _AlongAxis(_Call, SameShape):
    """softmax-like: column by column (axis 0) or, in generated code, row by row (axis 1)."""

    __slots__ = ()

    @property
    def axis(self) -> int:
        return self.params[0]


class Softmax(_AlongAxis):
    """softmax of a vector; of a matrix, column by column (axis 0) or, in
    generated code that stores examples as rows, row by row (axis 1)."""

    __slots__ = ()
    text_name = 'softmax'
    latex_name = '\\operatorname{softmax}'

    def local_jacobian(self, i, out):
        if self.axis != 0:
            raise JacobiError("the row-wise softmax exists only in generated code; differentiate the column form")
        if self.shape[1] == 1:
            return add(diag(out), neg(matmul(out, transpose(out)))), R_SOFTMAX
        return SoftmaxJacobian._new((), (out,)), R_SOFTMAX_COLUMNS

    def _numpy(self, p):
        return p.call("softmax", self.axis, p.ref(self.args[0], 0))

    def _explicit(self, ev):
        z = ev(self.args[0])
        f = sp.exp if ev.elementary else F.FUNCTIONS["exp"].sympy
        if self.axis == 1:
            z = z.T
        out = sp.zeros(z.rows, z.cols)
        for k in range(z.cols):
            e = [f(z[j, k]) for j in range(z.rows)]
            tot = sum(e)
            for j in range(z.rows):
                out[j, k] = e[j] / tot
        return out.T if self.axis == 1 else out


class LogSoftmax(_AlongAxis):
    """log(softmax(z)) = z - log(sum(exp(z))), computed through log-sum-exp so
    that no log of an underflowed zero is ever taken."""

    __slots__ = ()
    text_name = 'log_softmax'
    latex_name = '\\log\\operatorname{softmax}'

    def local_jacobian(self, i, out):
        if self.axis != 0 or self.shape[1] != 1:
            raise JacobiError("log_softmax is differentiated through its vector form only")
        z = self.args[0]
        n = z.shape[0]
        return add(identity(n), neg(matmul(ones(n, 1), transpose(softmax(z))))), R_LOG_SOFTMAX

    def _numpy(self, p):
        return p.call("log_softmax", self.axis, p.ref(self.args[0], 0))

    def _explicit(self, ev):
        return Softmax._new((self.axis,), self.args)._explicit(ev).applyfunc(sp.log)




# ---------------------------------------------------------------------------
# Jacobian blocks: the linear maps that local Jacobians are made of.  Each
# gives its transpose rule (_pullback): vec(G)^T J, reshaped to the input.


class Diag(_Call):
    """diag(vec(D)): element-wise multiplication by D as a linear map."""

    __slots__ = ()
    text_name = 'diag'
    latex_name = '\\operatorname{diag}'

    @classmethod
    def _shape(cls, params, args):
        n = numel(args[0].shape)
        return (n, n)

    def _numpy(self, p):
        d = self.args[0]
        return f"{p.np}.diagflat({p.transpose(d)})" if d.shape[1] != 1 else f"{p.np}.diagflat({p.ref(d, 0)})"

    def _explicit(self, ev):
        d = ev(self.args[0])
        v = [d[j, k] for k in range(d.cols) for j in range(d.rows)]
        return sp.diag(*v)

    def _pullback(self, G, in_shape):
        D = self.args[0]
        return reshape_like(hadamard(reshape_like(G, D.shape), D), in_shape)


class Kron(Expr):
    """The Kronecker product P kron Q: vec(X) -> vec(Q X P^T)."""

    __slots__ = ()
    precedence = MATMUL

    @classmethod
    def _shape(cls, params, args):
        (a, b), (c, d) = args[0].shape, args[1].shape
        return (a * c, b * d)

    def _text(self, p):
        return f"kron({p.doprint(self.args[0])}, {p.doprint(self.args[1])})"

    def _latex(self, p):
        return p.paren(self.args[0], MATMUL + 1) + r" \otimes " + p.paren(self.args[1], MATMUL + 1)

    def _numpy(self, p):
        return f"{p.np}.kron({p.ref(self.args[0], 0)}, {p.ref(self.args[1], 0)})"

    def _explicit(self, ev):
        from sympy.physics.quantum import TensorProduct

        return TensorProduct(ev(self.args[0]), ev(self.args[1]))

    def _pullback(self, G, in_shape):
        P, Q = self.args
        out_shape = (Q.shape[0], P.shape[0])
        return reshape_like(matmul(transpose(Q), reshape_like(G, out_shape), P), in_shape)


class Vec(_Call):
    """vec(X): the columns of X stacked into one column."""

    __slots__ = ()
    text_name = 'vec'
    latex_name = '\\operatorname{vec}'

    @classmethod
    def _shape(cls, params, args):
        return (numel(args[0].shape), ONE)

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), R_VEC

    def _numpy(self, p):
        return f"{p.ref(self.args[0], POSTFIX)}.reshape(-1, 1, order='F')"

    def _explicit(self, ev):
        X = ev(self.args[0])
        return sp.Matrix([X[j, k] for k in range(X.cols) for j in range(X.rows)])

    def _pullback(self, G, in_shape):
        X = self.args[0]
        if X.shape[1] == 1:
            return matmul(transpose(G), X)
        return sum_(hadamard(G, X))


class Unvec(_Call):
    """The inverse of vec: a column of r*c entries laid out as an r x c matrix."""

    __slots__ = ()
    text_name = 'unvec'
    latex_name = '\\operatorname{vec}^{-1}'

    @classmethod
    def _shape(cls, params, args):
        return (params[0], params[1])

    def local_jacobian(self, i, out):
        return identity(numel(self.shape)), R_UNVEC

    def _numpy(self, p):
        return f"{p.ref(self.args[0], ATOM)}.reshape({p.shape(self.shape)}, order='F')"

    def _explicit(self, ev):
        v = ev(self.args[0])
        r, c = ev.dims(self.shape)
        return sp.Matrix(r, c, lambda j, k: v[k * r + j, 0])


class SoftmaxJacobian(_Call):
    """The Jacobian of a column-wise softmax with output S: block-diagonal,
    diag(s_j) - s_j s_j^T for each column."""

    __slots__ = ()
    text_name = 'softmax_jacobian'
    latex_name = 'J_{\\operatorname{softmax}}'

    @classmethod
    def _shape(cls, params, args):
        n = numel(args[0].shape)
        return (n, n)

    def _numpy(self, p):
        p.need({"_softmax_jacobian": _SOFTMAX_JAC})
        return f"_softmax_jacobian({p.ref(self.args[0], 0)})"


    def _explicit(self, ev):
        S = ev(self.args[0])
        n, m = S.shape
        J = sp.zeros(n * m, n * m)
        for k in range(m):
            for i in range(n):
                for j in range(n):
                    J[k * n + i, k * n + j] = S[i, k] * ((1 if i == j else 0) - S[j, k])
        return J

    def _pullback(self, G, in_shape):
        S = self.args[0]
        n, m = S.shape
        SG = hadamard(S, G)
        return add(SG, neg(hadamard(S, matmul(ones(n, 1), ones(1, n), SG))))


_SOFTMAX_JAC = """def _softmax_jacobian(s):
    n, m = s.shape
    J = np.zeros((n * m, n * m))
    for k in range(m):
        c = s[:, k:k + 1]
        J[k * n:(k + 1) * n, k * n:(k + 1) * n] = np.diagflat(c) - c @ c.T
    return J
"""


# ---------------------------------------------------------------------------
# Constructors.  They check shapes, turn numbers into constants and make
# scalar expansion explicit; they never simplify.


def _num(x) -> sp.Expr | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, float):
        return sp.Float(x)
    if isinstance(x, sp.Expr) and x.is_number:
        return x
    if isinstance(x, sp.Expr) and x.free_symbols and all(s.is_integer and s.is_positive for s in x.free_symbols):
        return x  # an expression in sizes
    if isinstance(x, Number):
        try:
            return sp.Float(float(x))
        except (TypeError, ValueError):
            return None
    return None


def as_expr(x, where: str = "an expression") -> Expr:
    if isinstance(x, Expr):
        return x
    v = _num(x)
    if v is not None:
        return Const.make(v)
    raise JacobiError(
        f"cannot use {x!r} (a {type(x).__name__}) in {where}: use jc.scalar/jc.vector/jc.matrix symbols, "
        "numbers, or expressions built from them"
    )


def _const_make(value) -> Const:
    v = sp.sympify(value) if not isinstance(value, sp.Basic) else value
    return Const._new((v,), ())


Const.make = staticmethod(_const_make)


def _symbol(name, rows, cols, kind, latex=None, assume=()) -> Symbol:
    if not isinstance(name, str) or not name or not (name[0].isalpha()) or not name.replace("_", "a").isalnum():
        raise JacobiError(f"a symbol name must be an identifier such as 'x' or 'W1', not {name!r}")
    if latex is not None and not isinstance(latex, str):
        raise JacobiError(f"latex= must be a string, not {latex!r}")
    return Symbol._new((name, size(rows), size(cols), kind, latex, frozenset(assume)), ())


def scalar(name: str, *, latex: str | None = None) -> Symbol:
    """A scalar symbol.  ``jc.scalar("eta")``"""
    return _symbol(name, 1, 1, "scalar", latex)


def vector(name: str, n, *, latex: str | None = None, distribution: bool = False) -> Symbol:
    """A column vector of n entries; n is an int or a name.  ``jc.vector("x", "n")``

    distribution=True declares that the entries sum to one (a probability
    vector, such as a one-hot target); the simplifier may use sum(x) = 1.
    """
    return _symbol(name, n, 1, "vector", latex, ("distribution",) if distribution else ())


def matrix(name: str, m, n, *, latex: str | None = None, distribution: bool = False) -> Symbol:
    """An m x n matrix symbol.  ``jc.matrix("W", "m", "n")``

    distribution=True declares that every column sums to one.
    """
    return _symbol(name, m, n, "matrix", latex, ("distribution",) if distribution else ())


def zeros(m, n=1) -> Zero:
    return Zero._new((size(m), size(n)), ())


def ones(m, n=1) -> Ones:
    """The all-ones column 1 (n=1), row 1^T (m=1) or matrix."""
    return Ones._new((size(m), size(n)), ())


def identity(n) -> Expr:
    n = size(n)
    if n == 1:
        return Const.make(1)
    return Identity._new((n, n), ())


def commutation(m, n) -> Commutation:
    return Commutation._new((size(m), size(n)), ())


def _same_shape(op, a, b):
    if a.shape != b.shape:
        raise ShapeError(f"cannot {op} {describe(a)} and {describe(b)}: the shapes differ")


def broadcast(s: Expr, shape) -> Expr:
    s = as_expr(s)
    if not s.is_scalar:
        raise ShapeError(f"only a scalar expands to a shape, not {describe(s)}")
    if is_scalar_shape(shape):
        return s
    return Broadcast._new((shape[0], shape[1]), (s,))


def _expand_pair(op, a, b):
    """Scalar expansion for element-wise binary operators."""
    a, b = as_expr(a), as_expr(b)
    if a.shape == b.shape:
        return a, b
    if a.is_scalar:
        return broadcast(a, b.shape), b
    if b.is_scalar:
        return a, broadcast(b, a.shape)
    hint = " (for the matrix product use @)" if op == "multiply element-wise" and a.shape[1] == b.shape[0] else ""
    raise ShapeError(f"cannot {op} {describe(a)} and {describe(b)}: the shapes differ{hint}")


def add(*terms) -> Expr:
    if not terms:
        raise JacobiError("add needs at least one term")
    out = as_expr(terms[0])
    for t in terms[1:]:
        a, b = _expand_pair("add", out, t)
        parts = (a.args if isinstance(a, Add) else (a,)) + (b.args if isinstance(b, Add) else (b,))
        out = Add._new((), parts)
    return out


def neg(x) -> Expr:
    return scale(Const.make(-1), as_expr(x))


def sub(a, b) -> Expr:
    return add(a, neg(b))


def scale(s, X) -> Expr:
    s, X = as_expr(s), as_expr(X)
    if not s.is_scalar:
        raise ShapeError(f"a scale factor must be a scalar, not {describe(s)}")
    return Scale._new((), (s, X))


def hadamard(*factors) -> Expr:
    """The element-wise (Hadamard) product; both operands have one shape.  ``jc.hadamard(u, v)``"""
    if len(factors) < 2:
        raise JacobiError("hadamard needs at least two operands")
    out = as_expr(factors[0], "a Hadamard product")
    for f in factors[1:]:
        f = as_expr(f, "a Hadamard product")
        _same_shape("take the Hadamard product of", out, f)
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
    _expand_pair("multiply element-wise", a, b)
    raise AssertionError  # pragma: no cover


def div(a, b) -> Expr:
    a, b = _expand_pair("divide element-wise", a, b)
    return Div._new((), (a, b))


def power(a, k) -> Expr:
    a, k = as_expr(a), as_expr(k)
    if k.is_scalar or k.shape == a.shape:
        return Power._new((), (a, k))
    if a.is_scalar:
        return Power._new((), (broadcast(a, k.shape), k))
    raise ShapeError(f"cannot raise {describe(a)} to the power {describe(k)}: the exponent must be a scalar "
                     "or have the base's shape")


def matmul(*factors) -> Expr:
    if not factors:
        raise JacobiError("matmul needs at least one factor")
    out = as_expr(factors[0], "a matrix product")
    for f in factors[1:]:
        f = as_expr(f, "a matrix product")
        if out.shape[1] != f.shape[0]:
            hint = " (for a scalar multiple use *)" if out.is_scalar or f.is_scalar else ""
            raise ShapeError(
                f"cannot multiply {describe(out)} @ {describe(f)}: {out.shape[1]} columns against "
                f"{f.shape[0]} rows{hint}"
            )
        parts = (out.args if isinstance(out, MatMul) else (out,)) + (f.args if isinstance(f, MatMul) else (f,))
        out = MatMul._new((), parts)
    return out


def transpose(x) -> Expr:
    return Transpose._new((), (as_expr(x),))


def sum_(x) -> Expr:
    """The sum of all entries: a scalar.  ``jc.sum(x)``"""
    return Sum._new((), (as_expr(x, "sum"),))


def dot(u, v) -> Expr:
    """u . v = u^T v for two vectors of one size: a scalar."""
    u, v = as_expr(u, "dot"), as_expr(v, "dot")
    if u.shape[1] != 1 or v.shape[1] != 1 or u.shape != v.shape:
        raise ShapeError(f"dot takes two column vectors of one size, not {describe(u)} and {describe(v)}")
    return matmul(transpose(u), v)


def apply(fn, x) -> Expr:
    fn = F.from_sympy_function(fn)
    return Apply._new((fn,), (as_expr(x, fn.name),))


def elementwise(f, x, name: str | None = None) -> Expr:
    """Apply a scalar function to every entry: a registered name, a SymPy
    function class (sympy.sin) or a one-argument sympy.Lambda; its derivative
    is taken by SymPy.  ``jc.elementwise(sympy.sin, x)``"""
    return Apply._new((F.from_sympy_function(f, name),), (as_expr(x, "an element-wise function"),))


def softmax(x) -> Expr:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j); a matrix is taken column by column."""
    return Softmax._new((0,), (as_expr(x, "softmax"),))


def log_softmax(x, axis: int = 0) -> Expr:
    """log(softmax(z)) through log-sum-exp."""
    return LogSoftmax._new((axis,), (as_expr(x, "log_softmax"),))


def diag(v) -> Expr:
    """diag(vec(v)): the diagonal matrix with v's entries on its diagonal."""
    return Diag._new((), (as_expr(v, "diag"),))


def kron(a, b) -> Expr:
    return Kron._new((), (as_expr(a), as_expr(b)))


def vec(x) -> Expr:
    x = as_expr(x)
    if x.shape[1] == 1:
        return x
    if isinstance(x, Unvec):
        return x.args[0]
    return Vec._new((), (x,))


def reshape_like(G: Expr, shape) -> Expr:
    """G, a gradient laid out as vec, in the given shape (only the reshapes that
    keep vec unchanged: a column, a row, a scalar)."""
    if G.shape == shape:
        return G
    if numel(G.shape) != numel(shape):
        raise ShapeError(f"cannot reshape {describe(G)} to {fmt_shape(shape)}")
    if (G.shape[0] == 1 or G.shape[1] == 1) and (shape[0] == 1 or shape[1] == 1):
        return transpose(G)
    if G.shape[1] == 1:
        if isinstance(G, Vec):
            return G.args[0]
        return Unvec._new((shape[0], shape[1]), (G,))
    if shape[1] == 1:
        return vec(G)
    raise ShapeError(f"cannot reshape {describe(G)} to {fmt_shape(shape)}")


def apply_linear(J: Expr, v: Expr) -> Expr:
    """J v for a Jacobian block J and v laid out as vec(input)."""
    if v.shape[1] != 1:
        v = vec(v)
    return matmul(J, v)


def _for_each(name):
    fn = F.get(name)
    f = lambda x: apply(fn, x)
    f.fn = fn  # so a network can take jc.tanh as its activation
    f.__name__ = name
    return f


sigmoid = _for_each("sigmoid")
sigmoid.__doc__ = "sigma(x) = 1 / (1 + exp(-x)), element-wise."
tanh = _for_each("tanh")
tanh.__doc__ = "tanh(x), element-wise."
relu = _for_each("relu")
relu.__doc__ = "max(0, x), element-wise; its derivative at 0 is taken as 0."
exp = _for_each("exp")
exp.__doc__ = "exp(x), element-wise."
log = _for_each("log")
log.__doc__ = "The natural logarithm, element-wise."
softplus = _for_each("softplus")
softplus.__doc__ = "log(1 + exp(x)), element-wise."
step = _for_each("step")
step.__doc__ = "1 where x > 0, else 0, element-wise."


# ---------------------------------------------------------------------------
# Python operators, numpy meaning: @ matrix product, * / ** element-wise.


def _rev(f):
    return lambda self, other: f(other, self)


Expr.__add__ = lambda self, o: add(self, o)
Expr.__radd__ = _rev(add)
Expr.__sub__ = lambda self, o: sub(self, o)
Expr.__rsub__ = _rev(sub)
Expr.__mul__ = lambda self, o: mul(self, o)
Expr.__rmul__ = _rev(mul)
Expr.__truediv__ = lambda self, o: div(self, o)
Expr.__rtruediv__ = _rev(div)
Expr.__pow__ = lambda self, o: power(self, o)
Expr.__rpow__ = _rev(power)
Expr.__matmul__ = lambda self, o: matmul(self, o)
Expr.__rmatmul__ = _rev(matmul)
Expr.__neg__ = lambda self: neg(self)
Expr.__pos__ = lambda self: self
Expr.__array_ufunc__ = None  # numpy defers to our operators instead of broadcasting over us
