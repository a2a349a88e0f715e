"""Element-wise quotients u / v and powers u ** k.  Each class is followed by its constructor."""
from __future__ import annotations

import sympy as sp

from . import functions as F
from . import sizerules
from .elementwise import _Elementwise, _expand_pair, add, mul, neg
from .expr import ATOM, MATMUL, MUL, POW, Expr
from .leaves import Const, Symbol, as_expr
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError


@primitive
class Div(_Elementwise):
    """Element-wise division u / v."""

    __slots__ = ()
    precedence = MUL
    examples = ("x / y", "alpha / x", "A / beta")
    rules = {
        "u": Rule("element-wise quotient", "d(u / v)/du = diag(1 / v)",
                  r"\frac{\partial (u / v)}{\partial u} = \operatorname{diag}(1 / v)"),
        "v": Rule("element-wise quotient", "d(u / v)/dv = diag(-u / v^2)",
                  r"\frac{\partial (u / v)}{\partial v} = \operatorname{diag}(-u / v^{2})"),
    }

    def local_jacobian(self, i, out):
        u, v = self.args
        if i == 0:
            return diag(div(1, v)), self.rules["u"]
        return diag(neg(div(u, power(v, 2)))), self.rules["v"]

    def _text(self, p):
        u, v = self.args
        return p.operand(u, MUL, among=self.args) + " / " + p.operand(v, MUL + 1, among=self.args)

    def _tex(self, p):
        u, v = self.args
        if self.is_scalar or isinstance(v, Broadcast):
            return r"\frac{" + p.operand(u, 0, among=self.args) + "}{" + p.operand(v, 0, among=self.args) + r"}"
        return (p.operand(u, MUL + 1, MATMUL + 1, self.args) + r" \oslash "
                + p.operand(v, MUL + 1, MATMUL + 1, self.args))

    def _code(self, p):
        u, v = self.args
        if isinstance(v, Broadcast) or v.is_scalar:  # a scalar divisor joins a product's rows first
            return p.scaled(u, "/", p.ref(v, MUL + 1))
        return p.ref(u, MUL) + " / " + p.ref(v, MUL + 1)

    def _explicit(self, ev):
        u, v = ev(self.args[0]), ev(self.args[1])
        return sp.Matrix(u.rows, u.cols, lambda j, k: u[j, k] / v[j, k])

    def _index(self, p, i, j):
        u, v = self.args
        return r"\frac{" + p.entry(u, i, j)[0] + "}{" + p.entry(v, i, j)[0] + "}", ATOM

    def _sympy(self, go):
        return go(self.args[0]) / go(self.args[1])

    def _checked(self):
        from .lift import check_divisor  # lift builds with these constructors

        check_divisor(*self.args)
        return super()._checked()


def div(a, b) -> Expr:
    from .lift import check_divisor, check_real  # lift builds with these constructors

    check_divisor(as_expr(a), as_expr(b))
    a, b = _expand_pair(sizerules.DIV, a, b)
    return check_real(Div._new((), (a, b)))


@primitive
class Power(_Elementwise):
    """The element-wise power u ** k (k a scalar or of u's shape); u ** (1/2) is the square root, printed
    sqrt(u), \\sqrt{u} and with the array library's sqrt."""

    __slots__ = ()
    examples = ("x ** 3", "x ** y", "alpha ** x", "sqrt(x * x + 1)")
    rules = {
        "u": Rule("element-wise power", "d(u^k)/du = diag(k u^(k-1))",
                  r"\frac{\partial u^{k}}{\partial u} = \operatorname{diag}(k u^{k-1})"),
        "k scalar": Rule("element-wise power", "d(u^k)/dk = u^k log u",
                         r"\frac{\partial u^{k}}{\partial k} = u^{k} \log u"),
        "k": Rule("element-wise power", "d(u^k)/dk = diag(u^k log u)",
                  r"\frac{\partial u^{k}}{\partial k} = \operatorname{diag}(u^{k} \log u)"),
        "sqrt": Rule("square root", "d sqrt(u)/du = diag(1 / (2 sqrt(u)))",
                     r"\frac{\partial \sqrt{u}}{\partial u} = \operatorname{diag}\left(\frac{1}{2 \sqrt{u}}\right)"),
    }

    @property
    def is_sqrt(self) -> bool:
        """u ** (1/2), exactly (the parser's sqrt(u)); a float exponent 0.5 reads back as itself."""
        k = self.args[1]
        return isinstance(k, Const) and k.value.is_Rational and k.value == sp.S.Half

    @property
    def precedence(self):
        return ATOM if self.is_sqrt else POW

    def _transpose(self, t, keep):
        u, k = self.args  # a scalar exponent keeps its orientation: (u^k)^T = (u^T)^k
        return Power._new((), (t(u), keep(k) if k.is_scalar else t(k)))

    def local_jacobian(self, i, out):
        u, k = self.args
        if i == 0 and self.is_sqrt:  # through the square root itself, as textbooks write it (and code reuses it)
            return diag(div(1, mul(2, out))), self.rules["sqrt"]
        if i == 0:
            km1 = Const.make(k.value - 1) if isinstance(k, Const) and k.value.is_number else add(k, -1)
            d = mul(k, power(u, km1))  # 2 u^1, not 2 u^(2 - 1)
            return diag(d), self.rules["u"]
        d = mul(out, apply(F.get("log"), u))
        if k.is_scalar and not u.is_scalar:
            return vec(d), self.rules["k scalar"]
        return diag(d), self.rules["k"]

    def _text(self, p):
        if self.is_sqrt:  # the parser reads sqrt(u) as u ** (1/2)
            return "sqrt(" + p.doprint(self.args[0]) + ")"
        return p.operand(self.args[0], POW + 1, among=self.args) + " ** " + p.operand(self.args[1], POW)

    def _tex(self, p):
        if self.is_sqrt:
            return r"\sqrt{" + p.doprint(self.args[0]) + "}"
        return p.base(self.args[0]) + "^{" + p.operand(self.args[1], 0) + "}"

    def _code(self, p):
        k = self.args[1]
        if isinstance(k, Const) and k.value.is_number and float(k.value) == 0.5:  # correctly rounded; faster
            return f"{p.np}.sqrt({p.ref(self.args[0], 0)})"
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

    def _index(self, p, i, j):
        b = p.entry(self.args[0], i, j)
        if self.is_sqrt:
            return r"\sqrt{" + b[0] + "}", ATOM
        base = b[0] if b[1] == ATOM and "^" not in b[0] else r"\left(" + b[0] + r"\right)"
        return base + "^{" + p.entry(self.args[1], None, None)[0] + "}", ATOM

    def _sympy(self, go):
        a, k = go(self.args[0]), go(self.args[1])
        check_power(a, k)
        return a ** k


#: the most bits an exact number power may have: 2**8192, about 2,466 decimal digits
NUMBER_BITS = 8192


def power_fits(a, k) -> bool:
    """Whether the number a**k is small enough to compute (and fold) exactly: |k| log2|a| bits
    within NUMBER_BITS, and a float result within float64's range.  Numbers only (SymPy or Python)."""
    a, k = sp.sympify(a), sp.sympify(k)
    if not (a.is_number and k.is_number) or a == 0 or abs(a) == 1:
        return True
    try:
        bits = abs(float(k)) * max(abs(float(sp.log(abs(a), 2))), 1.0)
    except (TypeError, ValueError, OverflowError):
        return False
    if a.is_Rational and k.is_Rational:
        return bits <= NUMBER_BITS
    return bits <= 1023  # a float (or irrational) result: float64's range


def check_power(a, k) -> None:
    """Refuse a number power too large to compute (SymPy would compute it exactly, without end)."""
    if a.is_number and k.is_number and not power_fits(a, k):
        raise JacobiError(f"the number {a} ** {k} is too large to compute: jacobi takes number powers of at most "
                          f"{NUMBER_BITS} bits (about 2,466 digits) exactly, and floats within float64's range")


def power(a, k) -> Expr:
    a, k = as_expr(a), as_expr(k)
    from .lift import check_real  # lift builds with these constructors

    sizerules.POW.check(a, k)
    if isinstance(a, Const) and isinstance(k, Const):
        check_power(a.value, k.value)
    if k.is_scalar or k.shape == a.shape:
        return check_real(Power._new((), (a, k)))
    return check_real(Power._new((), (broadcast(a, k.shape), k)))



# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .apply import apply  # noqa: E402
from .blocks import diag, vec  # noqa: E402
from .elementwise import Broadcast, broadcast  # noqa: E402
