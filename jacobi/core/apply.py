"""Element-wise functions: the node sigma(x) for every function of the
registry (functions.py), and the constructors jc.sigmoid, jc.tanh ...
jc.elementwise for SymPy functions and Lambdas."""
from __future__ import annotations

from . import functions as F
from .elementwise import _Elementwise
from .expr import ATOM, POSTFIX, Expr
from .leaves import as_expr
from .registry import primitive
from .rules import Rule
from .shapes import JacobiError


@primitive
class Apply(_Elementwise):
    """An element-wise function sigma(x)."""

    __slots__ = ()
    precedence = ATOM
    examples = ("sigmoid(A @ x)", "log(x) * exp(x)")
    rules = {"x": Rule("element-wise function", "d f(x)/dx = diag(f'(x))",
                       r"\frac{\partial f(x)}{\partial x} = \operatorname{diag}(f'(x))")}

    @property
    def fn(self) -> F.ElementwiseFunction:
        return self.params[0]

    def local_jacobian(self, i, out):
        from .lift import from_sympy  # lift builds with these constructors

        d = from_sympy(self.fn.derivative_sympy(), {F.t: self.args[0]}, self.shape)
        return diag(d), self.rules["x"]

    def _text(self, p):
        return f"{_text_name(self.fn)}({p.doprint(self.args[0])})"

    def _tex(self, p):
        x = self.args[0]
        inner = p.doprint(x)
        if self.fn.latex_form is not None:  # a delimiter form, |x|: no parentheses
            return self.fn.latex_form.format(x=inner)
        if x.precedence >= POSTFIX:
            return self.fn.latex + "(" + inner + ")"
        return self.fn.latex + r"\left(" + inner + r"\right)"

    def _code(self, p):
        x = self.args[0]
        if self.fn.name == "log" and _is_sum_of_exp(x):  # log-sum-exp: the stable form, never exp's overflow
            return p.be.fmt("logsumexp", x=p.ref(x.args[0].args[0], 0))
        return p.apply(self.fn, p.ref(x, ATOM))

    def _explicit(self, ev):
        f = self.fn.definition if ev.elementary else self.fn.sympy
        return ev(self.args[0]).applyfunc(f)

    def _index(self, p, i, j):
        inner = p.entry(self.args[0], i, j)[0]
        if self.fn.latex_form is not None:
            return self.fn.latex_form.format(x=inner), ATOM
        return self.fn.latex + r"\left(" + inner + r"\right)", ATOM

    def _sympy(self, go):
        return self.fn.sympy(go(self.args[0]))


def _is_sum_of_exp(x) -> bool:
    from .matrix import Sum

    return isinstance(x, Sum) and isinstance(x.args[0], Apply) and x.args[0].fn.name == "exp"


_TEXT_NAMES: dict = {}  # function -> (size of the registry, its text name)


def _text_name(fn: F.ElementwiseFunction) -> str:
    """The name the parser reads back as fn: its text (sigmoid' for sigmoid_prime) if it names fn, else
    its registered name."""
    known = _TEXT_NAMES.get(fn)
    if known is not None and known[0] == len(F.FUNCTIONS):
        return known[1]
    name = fn.text or fn.name
    if F.FUNCTIONS.get(name) is not fn:
        primal = F.FUNCTIONS.get(name[:-1]) if name.endswith("'") else None
        try:
            if primal is None or F.prime_of(primal) is not fn:
                name = fn.name
        except JacobiError:
            name = fn.name
    _TEXT_NAMES[fn] = (len(F.FUNCTIONS), name)
    return name


def apply(fn, x) -> Expr:
    from .lift import check_real  # lift builds with these constructors

    fn = F.from_sympy_function(fn)
    return check_real(Apply._new((fn,), (as_expr(x, fn.name),)))


def elementwise(f, x, name: str | None = None) -> Expr:
    """Apply a scalar function to every entry: a registered name, a SymPy
    function class (sympy.sin) or a one-argument sympy.Lambda; its derivative
    is taken by SymPy.  ``jc.elementwise(sympy.sin, x)``"""
    from .lift import check_real  # lift builds with these constructors

    return check_real(Apply._new((F.from_sympy_function(f, name),), (as_expr(x, "an element-wise function"),)))


def _for_each(name, doc):
    fn = F.get(name)
    f = lambda x: apply(fn, x)
    f.fn = fn  # so a network can take jc.tanh as its activation
    f.__name__, f.__doc__ = name, doc
    return f


sigmoid = _for_each("sigmoid", "sigma(x) = 1 / (1 + exp(-x)), element-wise.")
tanh = _for_each("tanh", "tanh(x), element-wise.")
relu = _for_each("relu", "max(0, x), element-wise; its derivative at 0 is taken as 0.")
exp = _for_each("exp", "exp(x), element-wise.")
log = _for_each("log", "The natural logarithm, element-wise.")
softplus = _for_each("softplus", "log(1 + exp(x)), element-wise.")
step = _for_each("step", "1 where x > 0, else 0, element-wise.")



# The nodes these refer to; their modules are loaded with this one (core/__init__.py).
from .blocks import diag  # noqa: E402
