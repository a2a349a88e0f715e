"""Generated code for a model written as a program (``ProgramBackprop.function``).

The code is the program itself: a line per let, in order, computing it once; then a line per adjoint,
from the loss inwards, each commented with its equation; common subexpressions are shared across the
whole program (lambdify's emit), and every array is deleted after its last use.  Only the lines that
the requested outputs need are written.  Examples stay as the mathematics writes them (lambdify's
layout), and the function takes the leaves' values in the order given.
"""
from __future__ import annotations

from .. import core as P
from ..codegen.backends import backend as _backend
from ..codegen.lambdify import Lambdified, generate
from ..core.expr import Expr, deep, describe, rewrite
from ..core.lets import Let, program_of
from ..core.shapes import JacobiError
from .rows import output_forms

_COMMENT = 72  # an equation longer than this is named in its comment, not written out


class ProgramFunction(Lambdified):
    """fn(*leaf values) -> [output values], generated from a program's backpropagation; ``fn.source``
    is its code.  Arguments are checked as lambdify's are (shapes, sizes bound consistently)."""

    def __call__(self, *values, **named):
        return list(super().__call__(*values, **named))


def _inputs(bp, inputs) -> list:
    if isinstance(inputs, Expr) or not isinstance(inputs, (list, tuple)):
        raise JacobiError(f"inputs must be a list of the program's leaf symbols, not {inputs!r}")
    out = []
    for s in inputs:
        if isinstance(s, Let):
            raise JacobiError(f"the input {s.name} is a let, computed from its definition {s.definition}; "
                              "the inputs are leaves")
        if not isinstance(s, P.Symbol):
            raise JacobiError(f"the inputs must be leaf symbols, not {s!r}")
        if s in out:
            raise JacobiError(f"the input {s.name} is given twice")
        out.append(s)
    return out


def _output(bp, o, compact: bool = False, through=()) -> Expr:
    """An output as an expression over the program's symbols: "grad:NAME" is NAME's adjoint, or with
    compact=True its compact form (``bp.compact(NAME, through)``, over the lets and the adjoints of the
    lets in through)."""
    if isinstance(o, str):
        if not o.startswith("grad:"):
            raise JacobiError(f"an output is an expression or 'grad:NAME', not {o!r}")
        name = o[len("grad:"):]
        try:
            v = bp._symbol(name)
        except JacobiError as err:
            raise JacobiError(f"the output {o!r} names no let or leaf of the program: {err}") from None
        if v is bp.output:
            return P.Const.make(1)
        return bp.compact(v, through) if compact else bp.adjoints[v]
    e = P.as_expr(o, "an output of the program's function")
    if e is bp.loss:
        return bp.output
    lets = set(bp.lets) | {bp.output}
    stray = [v for v in program_of(e) if v not in lets]
    if stray:
        raise JacobiError(f"the output {describe(e)} uses the let {stray[0].name}, which the program of "
                          f"{bp.output} does not have")
    return e


def _comment(eq) -> str:
    text = f"d{eq.loss}/d{eq.of} = {eq.rhs}"
    if len(text) <= _COMMENT:
        return text
    through = ", ".join("d" + str(c) if c is not eq.loss else str(c) for c in eq.users)
    return f"d{eq.loss}/d{eq.of}, through {through}"


def _through_lets(lines: list, defs: dict) -> list:
    """The program's lines with each subexpression that is an earlier let's definition replaced by the let
    (var(X)'s X - mean(X) is the let xc = X - mu, once mu = mean(X) is a let too), so that it is computed
    once; and softmax(z) written exp(log_softmax(z)) where the program computes log_softmax(z) too (one
    exp over z, not two)."""
    logs = {(n.args[0], n.params[0]) for _, e, _ in lines for n in e.walk() if isinstance(n, P.LogSoftmax)}
    by_def: dict = {}
    out = []
    for v, e, c in lines:
        def through(n, own=e):
            if n is not own and n in by_def:
                return by_def[n]
            if isinstance(n, P.Softmax) and (n.args[0], n.params[0]) in logs:
                return P.exp(P.log_softmax(n.args[0], n.params[0]))
            return None

        written = rewrite(e, through)
        out.append((v, written, c))
        if v in defs:
            by_def.setdefault(e, v)
            by_def.setdefault(written, v)
    return out


def _shared_adjoints(bp, outs) -> list:
    """The lets whose adjoints compact=True computes once, in program order: those that the chain-rule
    equations of two or more requested gradients read (dW2 = h^T dlogits and db2 = 1^T dlogits read
    dlogits), each from its compact form through the others: the structure of hand-written backprop
    (dlogits, dhpreact, dhprebn), every adjoint between them substituted.  An adjoint that one gradient
    alone reads is substituted too, so that batch norm's dx is its one line, not dxc and dmu."""
    adjoint_of = {a: v for v, a in bp.adjoints.items()}
    lets = set(bp.lets)
    wanted = {adjoint_of[o] for o in outs if o in adjoint_of}
    reads: dict = {}
    for v in wanted:
        for s in bp.grad(v).symbols():
            if s in adjoint_of and adjoint_of[s] in lets:
                reads[adjoint_of[s]] = reads.get(adjoint_of[s], 0) + 1
    return [v for v in bp.lets if reads.get(v, 0) >= 2]


@deep
def program_function(bp, inputs, outputs, backend: str = "numpy", compact: bool = False) -> ProgramFunction:
    be = _backend(backend)
    be.load()
    args = _inputs(bp, inputs)
    if isinstance(outputs, (str, Expr)) or not isinstance(outputs, (list, tuple)) or not outputs:
        raise JacobiError(f"outputs must be a non-empty list of expressions or 'grad:NAME' strings, not {outputs!r}")
    if not isinstance(compact, bool):
        raise JacobiError(f"compact is True or False, not {compact!r}")
    outs = [_output(bp, o) for o in outputs]  # each checked first
    through = _shared_adjoints(bp, outs) if compact else ()
    if compact:
        outs = [_output(bp, o, True, through) for o in outputs]
    # every assignment of the program, in order: the lets (and the loss), then the adjoints (with compact=True,
    # those in through alone, each from its compact form through the others)
    lines = [(v, d, "") for v, d in bp.program.defs.items()]
    # f'(z) through a let a = f(z) where the function has such a form (1 - a^2 for tanh), as in the network code
    for eq in bp.equations:
        if not compact:
            lines.append((eq.lhs, output_forms(eq.rhs, bp.program.defs), _comment(eq)))
        elif eq.of in through:
            form = bp.compact(eq.of, through)
            text = f"d{eq.loss}/d{eq.of} = {form}"
            lines.append((eq.lhs, output_forms(form, bp.program.defs),
                          text if len(text) <= _COMMENT else f"d{eq.loss}/d{eq.of}, its compact form"))
    lines = _through_lets(lines, bp.program.defs)
    # the ones the outputs need, read backwards
    need = {s for o in outs for s in o.symbols()}
    kept = []
    for s, e, c in reversed(lines):
        if s in need:
            kept.append((s, e, c))
            need.update(e.symbols())
    kept.reverse()
    assigned = {s for s, _, _ in kept}
    missing = [s for s in need if s not in assigned and s not in args]
    if missing:
        missing.sort(key=lambda s: s.name)
        raise JacobiError(f"the outputs need {', '.join(describe(s) for s in missing)}, which "
                          f"{'is' if len(missing) == 1 else 'are'} not among the inputs")
    P.check_declarations(*outs, *args)
    n = len(bp.lets)
    doc = f"Generated by jacobi from the backpropagation of {bp.output} over {n} let{'s' if n != 1 else ''}."
    # an output written over the lets (a compact form) reads f'(z) through a = f(z) as the adjoints do
    written = [output_forms(o, bp.program.defs) for o in outs]
    src, helpers = generate(args, written, be=be, program=tuple(kept), doc=doc)
    return ProgramFunction(args, outs, False, src, helpers, be, computed=[e for _, e, _ in kept])
