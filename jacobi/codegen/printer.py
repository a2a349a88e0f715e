"""The code printer: expressions as code for one backend and one storage layout.

Every node prints its own numeric form (``_code``); the printer gives the
nodes the services they call (names, sizes, sums, broadcasts, the backend's
templates) and parenthesises by precedence.
"""
from __future__ import annotations

import keyword

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from .. import core as P
from ..core.expr import ATOM, MATMUL, MUL, POSTFIX, Expr, describe
from ..core.shapes import JacobiError
from .backends import BACKENDS, Backend
from .fused import _ARITHMETIC, FusedForms, _diagonal, _has_full


class CodePrinter(FusedForms):
    """Prints expressions as code for one backend and one storage layout.

    like names an array whose dtype (and device) every array the code creates
    takes, so that float32 in gives float32 out."""

    method = "_code"

    def __init__(self, names: dict, sizes: dict, temps: dict, be: Backend = BACKENDS["numpy"],
                 flat: set = frozenset(), like: str | None = None):
        self.names = names  # Symbol -> python name
        self.sizes = sizes  # size Symbol -> python name
        self.temps = temps  # node -> temp name (assigned)
        self.be = be
        self.np = be.alias
        self.flat = flat  # column-vector symbols stored 1-D
        self.like = like
        self.helpers: dict = {}
        self.read: set = set()  # the names the code printed since the last reset refers to
        self.stack: list = []  # the nodes being printed, outermost first

    def name_read(self, name: str) -> str:
        """A name the code refers to, recorded for liveness ("a2, log_a2" is two names)."""
        self.read.update(t.strip() for t in name.split(","))
        return name

    # -- services the nodes call ------------------------------------------------
    def need(self, helpers: dict):
        for k, v in helpers.items():
            self.helpers.setdefault(k, v)

    def arg_name(self, s):
        try:
            name = self.name_read(self.names[s])
        except KeyError:
            raise JacobiError(f"the expression uses {describe(s)}, which is not among the arguments") from None
        return name + "[:, None]" if s in self.flat else name

    def apply(self, fn, x: str) -> str:
        if fn.definition.has(sp.core.function.AppliedUndef, sp.Derivative) and fn.name not in self.be.elementwise:
            raise JacobiError(f"the element-wise function {fn.text or fn.name} has no numeric definition, so no "
                              "code can compute it; give jc.elementwise a sympy.Lambda")
        tpl, helpers = self.be.function(fn)
        self.need(helpers)
        return tpl.format(x=x)

    def call(self, what: str, axis: int, x: str, scalar: bool = False) -> str:
        """softmax, log_softmax or softmax_log of x along an axis; a scalar's array may be 0-d, which has
        no axis 0 (jax, torch), so it goes through as 1 x 1 and comes back 0-d."""
        if scalar:
            return self.be.fmt(what, x=_postfix(x) + ".reshape(1, 1)", axis=axis) + ".reshape(())"
        return self.be.fmt(what, x=x, axis=axis)

    def transpose(self, e: Expr) -> str:
        if e.is_scalar:
            return self.ref(e, ATOM)
        if isinstance(e, P.Symbol) and e in self.flat:
            return self.name_read(self.names[e])  # a 1-D array broadcasts as a row
        return self.ref(e, ATOM) + ".T"

    def reduce(self, M: Expr, axis: int) -> str:
        """M 1 (axis 1) or 1^T M (axis 0): a sum, kept two-dimensional."""
        if isinstance(M, P.Transpose) and isinstance(M.args[0], P.Symbol) and M.args[0] not in self.flat:
            inner = self.ref(M.args[0], ATOM)
            return f"{inner}.sum({self.be.axis}={1 - axis}, keepdims=True).T"
        return f"{self.ref(M, ATOM)}.sum({self.be.axis}={axis}, keepdims=True)"

    def broadcast(self, v: Expr, shape, prec: int = ATOM) -> str:
        """1 r^T, c 1^T or a scalar expanded: inside an element-wise operation broadcasting does it."""
        return self.spread(self.ref(v, ATOM if self.parent_elementwise else prec), shape)

    def spread(self, code: str, shape) -> str:
        """An array that broadcasts to shape, at that shape (code is an operand of *)."""
        if self.parent_elementwise:
            return code
        return f"{code} * {self.ones(shape)}"

    def _like(self) -> str:
        return self.be.like.format(x=self.like) if self.like else ""

    def ones(self, shape) -> str:
        if self.parent_elementwise:
            return "1"
        return self.be.fmt("ones", shape=self.shape(shape), like=self._like())

    def zeros(self, shape) -> str:
        return self.be.fmt("zeros", shape=self.shape(shape), like=self._like())

    def eye(self, n) -> str:
        return self.be.fmt("eye", n=self.size(n), like=self._like())

    def kron(self, a: Expr, b: Expr) -> str:
        """a kron b; the template gets each factor as an argument ({a}) and as an operand of a postfix ({pa})."""
        ca, cb = self.ref(a, 0), self.ref(b, 0)
        return self.be.fmt("kron", a=ca, b=cb, pa=_postfix(ca), pb=_postfix(cb))

    def commutation(self, m, n) -> str:
        """K with vec(X^T) = K vec(X) for an m x n matrix X."""
        return self.be.fmt("commutation", m=self.size(m), n=self.size(n), like=self._like())

    def vec(self, x: Expr) -> str:
        return self.be.fmt("vec", x=self.ref(x, POSTFIX))

    def unvec(self, v: Expr, shape) -> str:
        return self.be.fmt("unvec", x=self.ref(v, ATOM), shape=self.shape(shape), r=self.size(shape[0]),
                           c=self.size(shape[1]))

    def product(self, factors) -> str:
        """A chain of matrix factors.  A 1 x 1 factor multiplies (its array may be 0-d).  An inverse
        that multiplies something is a solve, never formed: inv(A) B is solve(A, B), and B inv(A) (the
        inverse last) is solve(A^T, B^T)^T; an inverse that is already named (used elsewhere too) is
        used as it is."""
        fs = list(factors)
        for i, f in enumerate(fs):
            if not isinstance(f, P.Inv) or f.is_scalar or f in self.temps or len(fs) == 1:
                continue
            A = f.args[0]
            if i + 1 < len(fs):  # inv(A) B ...: its neighbour has A's rows, so it is no 1 x 1 factor
                code = self.be.fmt("solve", a=self.ref(A, 0), b=self.ref(_chain(fs[i + 1:]), 0))
                return self._chain_code(fs[:i] + [(code, f.shape[0], fs[-1].shape[1])])
            code = self.be.fmt("solve", a=self._transposed(A), b=self._transposed(_chain(fs[:i])))
            return code + ".T"
        gram = self._gram(fs)
        if gram is not None:
            return gram
        if len(fs) == 2 and fs[0].shape[0] == 1 and fs[1].shape[1] == 1 and not fs[0].is_scalar \
                and not fs[1].is_scalar and fs[0].shape[1] != 1:  # u^T v: an inner product, not a 2-D product
            row = fs[0].args[0] if isinstance(fs[0], P.Transpose) and fs[0] not in self.temps else fs[0]
            return self.be.fmt("inner", a=self.ref(row, 0), b=self.ref(fs[1], 0))
        if len(fs) == 2 and fs[0].shape[1] == 1 and not fs[0].is_scalar and not fs[1].is_scalar:
            # an outer product a b^T by broadcasting, not a matrix product with an inner size of 1
            return f"{self.ref(fs[0], MUL)} * {self.ref(fs[1], MUL + 1)}"
        return self._chain_code(self._diagonals(fs))

    def _diagonals(self, fs) -> list:
        """diag(d) B as d * B and B diag(d) as B * d^T, by broadcasting: a diagonal matrix is never
        built to multiply by it (one already named, used elsewhere too, is used as it is)."""
        out = []
        i = 0
        while i < len(fs):
            f = fs[i]
            d = _diagonal(f, self.temps)
            if d is not None and i + 1 < len(fs) and not fs[i + 1].is_scalar:
                nxt = fs[i + 1]
                out.append((f"({self.ref(d, MUL)} * {self.ref(nxt, MUL + 1)})", f.shape[0], nxt.shape[1]))
                i += 2
                continue
            if d is not None and out and i == len(fs) - 1 and not fs[i - 1].is_scalar:
                rows = out[-1][1] if isinstance(out[-1], tuple) else out[-1].shape[0]
                left = self._chain_code(out)
                return [(f"({left}) * {self.transpose(d)}", rows, f.shape[1])]
            out.append(f)
            i += 1
        return out

    def _gram(self, fs):
        """B^T diag(d) B with d >= 0 (sigma'(z), a probability, a square): the symmetric Gram product
        T^T T of T = sqrt(d) * B, which the BLAS computes once for both triangles (above a size where
        that pays for the square root)."""
        if len(fs) != 3 or not isinstance(fs[0], P.Transpose) or fs[0].args[0] is not fs[2]:
            return None
        d = _diagonal(fs[1], self.temps)
        if d is None or fs[2].is_scalar or not P.nonnegative(d):
            return None
        return self.be.fmt("gram", b=self.ref(fs[2], 0), d=self.ref(d, 0))

    def _chain_code(self, items) -> str:
        """Factors (nodes, or (code, rows, columns) of a computed one) joined by @, or by * beside a
        1 x 1 one."""
        out, acc = None, None
        for a in items:
            code, shape = (a[0], (a[1], a[2])) if isinstance(a, tuple) else (None, a.shape)
            if out is None:
                out, acc = code or self.ref(a, MATMUL), shape
                continue
            scalar = code is None and a.is_scalar
            op = " * " if scalar or acc == P.SCALAR else " @ "
            out = out + op + (code or self.ref(a, MATMUL + 1))
            acc = (acc[0], shape[1])
        return out

    def _transposed(self, e: Expr) -> str:
        """e^T as an argument: a transpose's operand as it is."""
        if isinstance(e, P.Transpose):
            return self.ref(e.args[0], 0)
        return self.transpose(e)

    def linalg(self, what: str, **kw) -> str:
        """A function of a square matrix by the backend's template: trace, det, logdet, inv, matrix_power."""
        return self.be.fmt(what, **kw)

    def size_or_number(self, v) -> str:
        """An integer parameter: a number, or a size read off the arguments' shapes."""
        v = sp.sympify(v)
        return str(int(v)) if v.is_Integer else self.size(v)

    in_elementwise = False
    parent_elementwise = False

    def size(self, s) -> str:
        return self._sym(sp.sympify(s))

    def shape(self, shape) -> str:
        return f"({self.size(shape[0])}, {self.size(shape[1])})"

    def _sym(self, v) -> str:
        if v.is_Integer:
            return str(int(v))
        rep = {}
        for s in v.free_symbols:
            if s not in self.sizes:
                raise JacobiError(f"the size {s} cannot be read off the arguments' shapes")
            rep[s] = sp.Symbol(self.sizes[s])
        return _SizePrinter().doprint(v.xreplace(rep))

    def constant(self, v) -> str:
        """A constant: a plain number as an operand of arithmetic over variables, whose arrays give it
        dtype and shape (x * 2); anywhere else (log(2), softmax(3), step(-1), a constant result) a 0-d
        array of the code's dtype, so that no function or method meets a Python int, float or bool."""
        for up in reversed(self.stack[:-1]):  # a scalar expansion of the number is the number itself
            if not isinstance(up, P.Broadcast):
                if isinstance(up, _ARITHMETIC) and up.symbols():
                    return self.number(v)
                break
        num = repr(float(v)) if v.is_number else "(" + self._sym(v) + ")"
        return self.be.fmt("array", x=num, like=self._like())

    def number(self, v) -> str:
        if v.is_Integer:
            return str(int(v))
        if v.is_number:
            return repr(float(v))
        return "(" + self._sym(v) + ")"

    def ref(self, e: Expr, prec: int = 0) -> str:
        t = self.temps.get(e)
        if t is not None:
            return self.name_read(t)
        saved = self.in_elementwise, self.parent_elementwise
        self.parent_elementwise = self.in_elementwise
        # an element-wise node broadcasts its operands where one of them, or of an element-wise node above it
        # at its shape, has the full shape: a spread row or column is then the row or column itself
        self.in_elementwise = e.elementwise and not isinstance(e, P.Broadcast) and (
            _has_full(e) or (saved[0] and not isinstance(e, P.Apply)))
        self.stack.append(e)
        try:
            code = e._code(self)
        finally:
            self.in_elementwise, self.parent_elementwise = saved
            self.stack.pop()
        if isinstance(e, P.Symbol) or (isinstance(e, P.Const) and e.value.is_Integer and e.value >= 0):
            return code
        if prec == 0 or _atomic(code):
            return code
        return "(" + code + ")"


def _chain(fs) -> Expr:
    return fs[0] if len(fs) == 1 else P.MatMul._new((), tuple(fs))


def _postfix(code: str) -> str:
    return code if _atomic(code) else "(" + code + ")"


def _atomic(code: str) -> bool:
    """A name, a call or an attribute chain: no operator at depth 0."""
    depth = 0
    for ch in code:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in " +-*/@":
            return False
    return not code.startswith("-")


def py_names(symbols, taken=()) -> dict:
    """Python names for symbols: clear of keywords, of the array modules' names and of each other."""
    out = {}
    used = {"np", "jnp", "jax", "torch", "math"} | set(taken)
    for s in symbols:
        n = s.name
        if keyword.iskeyword(n) or n in used or n.startswith("_"):
            n = n + "_"
        while n in used:
            n += "_"
        used.add(n)
        out[s] = n
    return out


class _SizePrinter(PythonCodePrinter):
    """Python arithmetic on sizes with no module to import: sqrt(d) as d**(1/2), not math.sqrt(d), which
    the generated code's namespace lacks."""

    def _print_Pow(self, expr, rational=False):
        fractional = expr.exp.is_Rational and not expr.exp.is_Integer
        return super()._print_Pow(expr, rational=rational or fractional)
