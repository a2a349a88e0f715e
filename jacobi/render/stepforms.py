"""Notebook forms of a derivation's pieces, as math that MathJax 2.7, MathJax 3 and KaTeX all read:
one step (its rule on a line beneath it, a result's index form after it), the results of a
derivation (a network's four equations, each beside its index form), and the whole derivation as
latex.py's aligned block.  Importing registers them in FORMATS (jacobi.calculus.derivation), where
the objects of the calculus and of nn find them."""
from __future__ import annotations

from ..calculus.derivation import FORMATS, Step
from ..core.display import LATEX_WIDTH, aligned, equation_rows, shown_width, text_latex
from ..core.printing import latex
from .latex import derivation_latex, index_form
from .notebook import DEFINE, boxed, rule_math


def rule_rows(rule) -> list:
    """A step's rule as a math row for beneath the step (notebook.rule_math), or none."""
    return [rule_math(rule)] if rule else []


def _relation(step) -> str:
    return DEFINE if step.kind in ("define", "name") else "="


def _index_pair(step):
    ix = index_form(step) if step.kind == "result" else None
    return None if ix is None else ix.split(" = ", 1)


def step_latex(step: Step) -> str:
    """One step as an aligned block: lhs = rhs (a result boxed), its rule beneath, then a result's
    index form."""
    rhs = step.rhs
    if step.kind == "result":
        rhs = boxed(latex(step.rhs))
    rows = equation_rows(latex(step.lhs), _relation(step), rhs)
    rows += [r"& \quad " + r for r in rule_rows(step.rule)]
    pair = _index_pair(step)
    if pair is not None:
        rows += [pair[0] + " &= " + pair[1], r"& \quad " + text_latex("index form")]
    return aligned(rows)


def results_latex(d) -> str:
    """The results of a derivation, one per row: a network's BP1 ... BP4 named in a first column,
    each equation beside its index form where the two fit on one line (beneath it otherwise)."""
    results = [s for s in d.steps if s.kind == "result"]
    labelled = any(s.tag for s in results)
    rows = []
    for s in results:
        label = text_latex(s.tag[0]) if labelled and s.tag else ("" if labelled else None)
        lhs = latex(s.lhs)
        eq = equation_rows(lhs, "=", s.rhs, label)
        pair = _index_pair(s)
        if pair is not None:
            wide = shown_width(lhs + latex(s.rhs)) + shown_width(" ".join(pair))
            if len(eq) == 1 and wide <= LATEX_WIDTH:
                eq[0] += r" & \qquad " + pair[0] + " &= " + pair[1]
            else:
                eq.append(("& & " if label is not None else "") + pair[0] + " &= " + pair[1])
        rows += eq
    return aligned(rows)


def derivation_aligned(d) -> str:
    """The whole derivation as latex.py's aligned block (what sympy.latex of a Derivation gives)."""
    return derivation_latex(d, env="aligned")


FORMATS.update({
    "step": step_latex,
    "results": results_latex,
    "aligned": derivation_aligned,
})
