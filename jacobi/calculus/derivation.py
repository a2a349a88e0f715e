"""Derivation data: the steps of a derivative and the program of intermediate
variables they refer to.  Nothing here renders: the text form is the core's
text printer, and LaTeX, markdown and documents are jacobi.render's, which
registers them in FORMATS."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.expr import ATOM, Expr
from ..core.shapes import JacobiError


class Partial(Expr):
    """Display node: the derivative of f with respect to x (d f / d x)."""

    __slots__ = ()
    precedence = ATOM

    @classmethod
    def _shape(cls, params, args):
        f, x, y = args[0], args[1], args[-1]
        if params[0] == "gradient":
            return x.shape
        if params[0] == "hessian":  # d^2 f / d vec(x) d vec(y)^T
            return (x.shape[0] * x.shape[1], y.shape[0] * y.shape[1])
        return (f.shape[0] * f.shape[1], x.shape[0] * x.shape[1])

    def _text(self, p):
        f, x = self.args[:2]
        if self.params[0] == "hessian":
            y = self.args[2]
            return f"d2{p.paren(f, ATOM)}/d{p.paren(x, ATOM)}d{p.paren(y, ATOM)}"
        return f"d{p.paren(f, ATOM)}/d{p.paren(x, ATOM)}"

    def _tex(self, p):
        f, x = self.args[:2]
        if self.params[0] == "hessian":
            y = self.args[2]
            return (r"\frac{\partial^{2} " + p.paren(f, ATOM) + r"}{\partial " + p.paren(x, ATOM) + r" \, \partial "
                    + p.paren(y, ATOM) + r"^{\top}}")
        return r"\frac{\partial " + p.paren(f, ATOM) + r"}{\partial " + p.paren(x, ATOM) + "}"


def partial(f, x, kind="jacobian", y=None):
    """The display node d f/d x (kind "jacobian" or "gradient"), or d^2 f/d x d y^T (kind "hessian")."""
    if kind == "hessian":
        return Partial._new((kind,), (f, x, x if y is None else y))
    return Partial._new((kind,), (f, x))


@dataclass
class Step:
    """One line of a derivation: lhs = rhs, justified by rule."""

    kind: str  # define | local | chain | simplify | name | result
    lhs: Expr
    rhs: Expr
    rule: str = ""
    tag: tuple | None = None  # what the step states, for the renderers: ("BP4", layer, batch) ...

    def __str__(self):
        return f"{self.lhs} = {self.rhs}" + (f"    [{self.rule}]" if self.rule else "")


@dataclass
class Derivation:
    """The result of a derivative together with the ordered steps that gave it."""

    f: object
    wrt: list
    result: object
    steps: list = field(default_factory=list)
    definitions: list = field(default_factory=list)  # (Symbol, Expr): intermediates and named results
    kind: str = "gradient"
    adjoints: dict = field(default_factory=dict)  # a named adjoint -> (the output, the variable): d output/d var
    verified: bool = field(default=False, repr=False, compare=False)  # every step checked (verification.py)

    def __post_init__(self):
        if TIDY:
            self.steps = TIDY[0](self.steps)  # each step as a textbook prints it (display.py)

    def verify(self, *, sizes: dict | None = None, seed: int = 0) -> "Derivation":
        """Check every step numerically at a random point (jacobi.calculus.verification); raise a JacobiError
        naming the first step that does not hold.  Returns the derivation."""
        if not VERIFY:
            raise JacobiError("no verifier is loaded (import jacobi.calculus)")
        VERIFY[0](self, sizes=sizes, seed=seed)
        self.verified = True
        return self

    def __str__(self):
        return "\n".join(str(s) for s in self.steps)

    def to_text(self) -> str:
        return str(self)

    # The renderers sit above the calculus (jacobi.render) and register themselves in FORMATS.
    def _repr_latex_(self):
        return render(self, "repr_latex")

    def to_latex(self) -> str:
        """One align* block: a line per step, its rule on the right, each result boxed."""
        return render(self, "latex")

    def to_document(self, title: str = "Derivation") -> str:
        """A standalone LaTeX document (amsmath and amssymb only)."""
        return render(self, "document", title=title)

    def to_markdown(self) -> str:
        """One $$ block per step, with its rule beneath."""
        return render(self, "markdown")


#: output formats of a Derivation: name -> function(derivation, **options).  The renderers
#: (jacobi.render) register theirs; the data here carries no rendering of its own.
FORMATS: dict = {}


#: the display pass and the verifier (display.py and verify.py register themselves): the data here
#: imports neither, as it imports no renderer
TIDY: list = []
VERIFY: list = []


def render(d: Derivation, fmt: str, **options) -> str:
    """d in the format fmt; a derivation is verified before it is first shown."""
    fn = FORMATS.get(fmt)
    if fn is None:
        raise JacobiError(f"no renderer for the format {fmt!r} is loaded (import jacobi.render)")
    if not d.verified and VERIFY and isinstance(d.f, Expr):
        d.verify()
    return fn(d, **options)


@dataclass
class Program:
    """Named intermediates in evaluation order: var_k = definition_k."""

    defs: dict  # Symbol -> Expr (ordered)
    output: Expr
