"""Models written as a program: the reverse chain rule over named intermediates (``jc.backprop``).

A researcher writes a model as lets (``h = jc.let("h", jc.tanh(W1 @ x + b1))``, ...) ending in a
scalar loss.  ``jc.backprop(loss)`` runs the core's chain rule over that program from the loss
inwards, in the lets' dependency order, and names the adjoint of every let and leaf (dh, written
\\overline{h}), so that each adjoint is written through the adjoints of the lets that use it, the
way BP2 writes delta^l through delta^{l+1}.  The simplifier brings each into its compact form;
every Jacobian is pulled back through, never formed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import core as P
from ..calculus.chain import _kind, reverse, substitute
from ..calculus.compact import compactor
from ..calculus.derivation import Derivation, Program, Step
from ..calculus.simplify import Simplifier
from ..core.display import Shown, aligned, equation_rows, plural, screen, wrap
from ..core.expr import Expr, deep, describe
from ..core.lets import Let, program_of
from ..core.rules import Rule
from ..core.shapes import JacobiError, ShapeError


@dataclass(repr=False)
class AdjointEquation(Shown):
    """d = rhs: the adjoint d of a let or leaf (dloss/dv, v's shape), written through the adjoints of
    the lets that use v (``users``)."""

    lhs: Expr  # the adjoint's name, a symbol
    rhs: Expr
    of: Expr  # the let or leaf
    users: tuple  # the lets (or the loss) whose definitions use it
    loss: Expr

    @property
    def kind(self) -> str:
        return "adjoint" if isinstance(self.of, Let) else "gradient"

    def __str__(self):
        return f"{self.lhs} = {self.rhs}    (d{self.loss}/d{self.of})"

    def __repr__(self):
        return screen([str(self)])

    def rows(self) -> list:
        """The equation's rows in an aligned block: dv = dloss/dv = rhs, a long right side broken."""
        return equation_rows(P.latex(self.lhs) + " = " + _d(self.loss, self.of), "=", self.rhs)

    def _latex_body(self) -> str:
        return aligned(self.rows())


def _fresh(base: str, taken: set) -> str:
    name = base
    while name in taken:
        name = name + "_"
    taken.add(name)
    return name


def _check_loss(loss) -> Expr:
    if not isinstance(loss, Expr):
        raise JacobiError(f"jc.backprop takes a jacobi expression (the loss), not {loss!r}")
    if not loss.is_scalar:
        raise ShapeError(f"jc.backprop needs a scalar loss; {describe(loss)} is not one (sum it, or take a norm)")
    return loss


def _check_constants(constants) -> frozenset:
    """The leaves held constant (data: targets, masks): symbols that are not lets."""
    if isinstance(constants, Expr) or not isinstance(constants, (list, tuple, set, frozenset)):
        raise JacobiError(f"constants must be a list of leaf symbols, not {constants!r}")
    for c in constants:
        if not isinstance(c, P.Symbol):
            raise JacobiError(f"constants must be leaf symbols, not {c!r}")
        if isinstance(c, Let):
            raise JacobiError(f"the constant {c.name} is a let; only leaves can be held constant")
    return frozenset(constants)


class ProgramBackprop(Shown):
    """The reverse chain rule over a model written with lets, ending in a scalar loss.

    >>> h = jc.let("h", jc.tanh(W1 @ x + b1))
    >>> bp = jc.backprop(jc.sum((W2 @ h - y) ** 2))
    >>> bp.grad(h)          # 2 * (W2.T @ (W2 @ h - y))
    >>> bp.grad(W1)         # (dh * tanh'(W1 @ x + b1)) @ x.T   (through dh, the adjoint of h)
    >>> bp.resolved(W1)     # the same in terms of the leaves alone
    """

    @deep
    def __init__(self, loss, simplify: bool = True, constants=()):
        loss = _check_loss(loss)
        lets = program_of(loss)
        constants = _check_constants(constants)
        defs = {v: v.definition for v in lets}
        if isinstance(loss, Let):
            C = loss
        else:
            taken = {s.name for e in [loss, *defs.values()] for s in e.symbols()} | {v.name for v in lets}
            name = _fresh("loss", taken)
            C = P.new_symbol(name, 1, 1, "scalar", r"\mathrm{" + name.replace("_", r"\_") + "}")
            defs[C] = loss
        # the leaves in the order the program first uses them
        # (an index matrix is data, not a variable: it has no gradient, and it is an input all the same;
        # so is a leaf declared constant, such as a target or a mask)
        leaves = list(dict.fromkeys(s for d in defs.values() for s in d.symbols()
                                    if not isinstance(s, Let) and not P.is_indices(s) and s not in constants))
        taken = {s.name for s in [*defs, *leaves]}
        self.loss, self.output, self.lets, self.leaves = loss, C, [v for v in lets if v is not C], leaves
        self.program = Program(defs, C)
        self.adjoints = {v: P.new_symbol(_fresh("d" + v.name, taken), v.shape[0], v.shape[1], _kind(v.shape),
                                         latex=r"\overline{" + v.latex_name + "}")
                         for v in [*reversed(self.lets), *leaves]}
        steps = [Step("define", v, d, Rule("let", "a named intermediate") if v is not C or isinstance(loss, Let)
                      else Rule("the loss")) for v, d in defs.items()]
        adj, named, steps = reverse(self.program, leaves, simplify=simplify, adjoint_names=self.adjoints,
                                    steps=steps)
        self._adj = adj
        named = dict(named)
        users: dict = {}
        for c, d in defs.items():
            for s in d.symbols():
                users.setdefault(s, []).append(c)
        self.equations = [AdjointEquation(a, named.get(a, adj[v]), v, tuple(users.get(v, ())), C)
                          for v, a in self.adjoints.items()]
        self._by_name = {v.name: v for v in [*self.lets, *leaves]}
        for eq in self.equations:
            steps.append(Step("result", eq.lhs, eq.rhs, Rule(eq.kind, f"d{C}/d{eq.of}", _d(C, eq.of))))
        self.derivation = Derivation(loss, leaves, [self.grad(w) for w in leaves], steps,
                                     list(defs.items()) + list(named.items()), "gradient",
                                     adjoints={a: (C, v) for v, a in self.adjoints.items()})
        self._resolved: dict | None = None
        self._compactors: dict = {}  # style -> the compactor of every compact form asked for
        self._through: dict = {}  # the adjoints kept -> every other adjoint substituted

    # -- the results ------------------------------------------------------------
    def _symbol(self, s) -> Expr:
        """The let or leaf s (or its name), refused where the program has none."""
        if isinstance(s, str):
            v = self._by_name.get(s)
            if v is None and s == self.output.name:
                return self.output
        else:
            v = s if s in self.adjoints or s is self.output else None
        if v is None:
            shown = describe(s) if isinstance(s, Expr) else repr(s)
            raise JacobiError(f"{shown} is not a let or leaf of the program; it has "
                              f"{', '.join(self._by_name) or 'none'}")
        return v

    def adjoint(self, s) -> Expr:
        """The name of dloss/ds (dh for the let h): the symbol other equations use."""
        v = self._symbol(s)
        if v is self.output:
            raise JacobiError(f"{v} is the loss: dloss/dloss = 1 has no name")
        return self.adjoints[v]

    def grad(self, s) -> Expr:
        """dloss/ds for a let or leaf s (or its name), written through the adjoints of the lets that use s."""
        v = self._symbol(s)
        if v is self.output:
            return P.Const.make(1)
        return self.equations[list(self.adjoints).index(v)].rhs

    def resolved(self, s) -> Expr:
        """dloss/ds with every adjoint and every let substituted back: in terms of the leaves alone,
        simplified."""
        v = self._symbol(s)
        if self._resolved is None:
            self._resolved = _resolve(self)
        if v is self.output:
            return P.Const.make(1)
        return self._resolved[self.adjoints[v]]

    def compact(self, s, through=(), style: str = "sum") -> Expr:
        """dloss/ds in the form written by hand: through the adjoints of the lets in ``through`` alone
        (every other adjoint substituted), over the lets of the forward pass, with the reductions'
        constant factors outside, earlier lets written through later ones and the sums that the
        definitions fix used (see jacobi.calculus.compact).  style="mean" writes reductions as means.

        >>> bp.compact(x, through=[y])  # batch norm: gamma * rstd * (n dy - 1^T dy - xhat 1^T (dy * xhat)) / n
        >>> bp.compact(logits)          # softmax then cross-entropy on integer targets: (probs - onehot(y)) / n
        """
        v = self._symbol(s)
        keep = set()
        for t in (through,) if isinstance(through, (str, Expr)) else through:
            u = self._symbol(t)
            if u is self.output:
                continue
            keep.add(self.adjoints[u])
        if v is self.output:
            return P.Const.make(1)
        key = frozenset(keep)
        mapping = self._through.get(key)
        if mapping is None:
            mapping = self._through[key] = {}
            for eq in self.equations:  # in reverse program order: each over the adjoints before it
                if eq.lhs not in keep:
                    mapping[eq.lhs] = substitute(eq.rhs, mapping)
        C = self._compactors.get(style)
        if C is None:
            C = self._compactors[style] = compactor(self.lets, style)
        return C.form(substitute(self.grad(v), mapping))

    @property
    def steps(self) -> list:
        return self.derivation.steps

    def to_latex(self) -> str:
        """The derivation as one align* block: the lets, each adjoint by the chain rule, the results."""
        return self.derivation.to_latex()

    def to_markdown(self) -> str:
        return self.derivation.to_markdown()

    def to_document(self, title: str = "Backpropagation through a program") -> str:
        return self.derivation.to_document(title)

    def function(self, inputs, outputs, backend: str = "numpy", compact: bool = False):
        """fn(*leaf values) -> [output values]: generated code computing each let once, then the adjoints.

        outputs are expressions over the program's lets and leaves, or "grad:NAME" for the adjoint of the
        let or leaf named NAME.  ``fn.source`` is the code, a line per let and per adjoint.

        With compact=True each "grad:NAME" is computed from its compact form (``bp.compact(NAME)``, the
        line written by hand, over the lets alone) rather than through the chain of adjoints.

        >>> fn = bp.function([W1, b1, W2, x, y], [loss, "grad:W1", "grad:h"])
        """
        from .progcode import program_function

        return program_function(self, inputs, outputs, backend, compact)

    def __str__(self):
        return "\n".join(str(e) for e in self.equations)

    def __repr__(self):
        names = ", ".join(v.name for v in self.lets)
        head = wrap(f"Backprop of {self.output} over {plural(len(self.lets), 'let')} ({names}): "
                    f"{plural(len(self.equations), 'adjoint equation')}")
        return screen(head + [str(e) for e in self.equations])

    def _latex_body(self) -> str:  # each adjoint, named and as the derivative it is
        return aligned([r for e in self.equations for r in e.rows()])


def _d(f, x) -> str:
    return r"\frac{\partial " + P.latex(f) + r"}{\partial " + P.latex(x) + "}"


@deep
def _resolve(bp: ProgramBackprop) -> dict:
    """Every adjoint in terms of the leaves: the lets inlined, then each adjoint's equation over the
    adjoints already resolved (the equations come in reverse program order)."""
    full: dict = {}
    for v, d in bp.program.defs.items():
        full[v] = substitute(d, full)
    S = Simplifier()
    out = {}
    for eq in bp.equations:
        full[eq.lhs] = substitute(eq.rhs, full)
        out[eq.lhs] = S(full[eq.lhs])
    return out


def backprop(loss, *, simplify: bool = True, constants=()) -> ProgramBackprop:
    """The reverse chain rule over a model written as a program of lets, ending in the scalar loss.
    The leaves in ``constants`` (data such as targets and masks) get no adjoint; they stay inputs.

    >>> h = jc.let("h", jc.tanh(W1 @ x + b1))
    >>> bp = jc.backprop(jc.sum((W2 @ h - y) ** 2))
    >>> print(bp)           # dh = 2 * (W2.T @ (W2 @ h - y)) ... dW1 = (dh * tanh'(W1 @ x + b1)) @ x.T ...
    """
    return ProgramBackprop(loss, simplify, constants)


__all__ = ["AdjointEquation", "ProgramBackprop", "backprop"]
