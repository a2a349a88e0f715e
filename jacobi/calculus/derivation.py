"""Derivation data: the steps of a derivative and the program of intermediate
variables they refer to.  Nothing here renders: the text form is the core's
text printer, and LaTeX, markdown and documents are jacobi.render's, which
registers them in FORMATS."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..core.display import Shown, plural, screen, wrap
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


@dataclass(repr=False)
class Step(Shown):
    """One line of a derivation: lhs = rhs, justified by rule."""

    kind: str  # define | local | chain | simplify | name | result
    lhs: Expr
    rhs: Expr
    rule: str = ""
    tag: tuple | None = None  # what the step states, for the renderers: ("BP4", layer, batch) ...

    def __str__(self):
        return f"{self.lhs} = {self.rhs}" + (f"    [{self.rule}]" if self.rule else "")

    def __repr__(self):
        return screen([f"Step ({KINDS.get(self.kind, (self.kind,))[0]}): {self.lhs} = {self.rhs}"]
                      + ([f"    [{self.rule}]"] if self.rule else []))

    def _latex_body(self) -> str:  # the step, its rule beneath (jacobi.render.stepforms)
        return render(self, "step")


#: a step's kind in words: (one, many)
KINDS = {"define": ("definition", "definitions"), "local": ("local Jacobian", "local Jacobians"),
         "chain": ("chain-rule product", "chain-rule products"), "simplify": ("simplification", "simplifications"),
         "name": ("named result", "named results"), "result": ("result", "results")}


@dataclass(repr=False)
class Derivation(Shown):
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
            self.steps = TIDY[0](self.steps)  # each step as a textbook prints it (textbook.py)

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

    def __repr__(self):
        """What is derived, from what, in how many steps of each kind, and the results."""
        results = [s for s in self.steps if s.kind == "result"]
        what = ", ".join(str(s.lhs) for s in results[:3]) + (", ..." if len(results) > 3 else "")
        count = Counter(s.kind for s in self.steps)
        kinds = ", ".join(plural(count[k], words[0]) if count[k] == 1 else f"{count[k]} {words[1]}"
                          for k, words in KINDS.items() if count[k])
        lines = [f"Derivation of {what or 'nothing'} in {plural(len(self.steps), 'step')}"]
        name = next((s.lhs.args[0] for s in results if isinstance(s.lhs, Partial)), None)
        if name is not None and isinstance(self.f, Expr) and self.f is not name:
            lines.append(f"  {name} = {self.f}")
        lines += [f"  {s.lhs} = {s.rhs}" for s in results]
        return screen(lines + wrap(f"  steps: {kinds}"))

    def _latex_body(self) -> str:  # sympy.latex(d): the derivation as one aligned block
        return render(self, "aligned")

    def to_text(self) -> str:
        return str(self)

    # The renderers sit above the calculus (jacobi.render) and register themselves in FORMATS.
    def _repr_latex_(self):
        return render(self, "repr_latex")

    def to_latex(self) -> str:
        """One align* block: a line per step, its rule on a line under it, each result boxed."""
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


#: the display pass and the verifier (textbook.py and verification.py register themselves): the data here
#: imports neither, as it imports no renderer
TIDY: list = []
VERIFY: list = []


def render(d, fmt: str, **options) -> str:
    """d (a Derivation, or a Step where the format is a step's) in the format fmt; a derivation is verified
    before it is first shown."""
    fn = FORMATS.get(fmt)
    if fn is None:
        raise JacobiError(f"no renderer for the format {fmt!r} is loaded (import jacobi.render)")
    if isinstance(d, Derivation) and not d.verified and VERIFY and isinstance(d.f, Expr):
        d.verify()
    return fn(d, **options)


@dataclass
class Program:
    """Named intermediates in evaluation order: var_k = definition_k."""

    defs: dict  # Symbol -> Expr (ordered)
    output: Expr
