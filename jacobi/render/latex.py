"""LaTeX output in textbook notation: expressions and step-by-step derivations."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sympy as sp

from ..calculus.derivation import FORMATS, Partial
from ..calculus.explicit import Evaluator
from ..core.expr import Expr
from ..core.leaves import Symbol
from ..core.printing import latex
from ..core.rules import Rule, latex_text
from ..core.shapes import JacobiError, concrete
from .indexform import element, free_indices, index_latex


def rule_latex(rule) -> str:
    """A step's rule in text-mode LaTeX (its formula, where it has one, in math)."""
    return rule.latex if isinstance(rule, Rule) else latex_text(str(rule))


# Explicit Jacobians are written out for concrete sizes up to this many rows and columns.
EXPLICIT_ROWS, EXPLICIT_COLS = 4, 6


def explicit_latex(J: Expr, sizes: dict | None = None) -> str | None:
    """A small Jacobian written out entry by entry (bmatrix), or None if its size is
    not concrete or too large to be worth reading."""

    if not isinstance(J, Expr):
        return None
    try:
        r, c = concrete(J.shape, sizes or {})
    except JacobiError:
        return None
    if r > EXPLICIT_ROWS or c > EXPLICIT_COLS or r * c < 2:
        return None
    ev = Evaluator(sizes, elementary=False)
    try:
        M = ev(J)
    except JacobiError:
        return None
    names = {}
    for s in J.symbols():
        if not isinstance(s, Symbol) or s.kind == "scalar":
            continue
        for v in ev(s):  # entries are named base_index (x_1, w_12) by the explicit view
            names[v] = element(s, v.name.rsplit("_", 1)[1])
    rows = [" & ".join(sp.latex(M[a, b], symbol_names=names) for b in range(M.cols)) for a in range(M.rows)]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def index_form(step) -> str | None:
    """The index form "lhs = rhs" of a result step, where it has one."""

    if step.tag and step.tag[0] in ("BP3", "BP4"):
        return _bp_index(*step.tag)
    lhs, rhs = step.lhs, step.rhs
    if isinstance(lhs, Partial) and lhs.params[0] == "gradient":
        f, x = lhs.args
        idx = free_indices(x.shape)
        if not idx or not isinstance(x, Symbol):
            return None
        left = r"\frac{\partial " + latex(f) + r"}{\partial " + element(x, "".join(idx)) + "}"
    elif isinstance(lhs, Symbol) and lhs.kind == "vector":
        idx = free_indices(lhs.shape)
        left = element(lhs, "".join(idx))
    else:
        return None
    right = index_latex(rhs, idx)
    return None if right is None else left + " = " + right


def _bp_index(name, l, batch) -> str:
    """BP3 and BP4 by components, as the textbook states them (batch: sums over the examples x)."""
    if name == "BP3":
        left = rf"\frac{{\partial C}}{{\partial b^{{{l}}}_{{j}}}}"
        if batch:
            return left + rf" = \frac{{1}}{{m}} \sum_{{x}} \delta^{{{l}}}_{{j}}(x)"
        return left + rf" = \delta^{{{l}}}_{{j}}"
    tex = "x" if l == 1 else f"a^{{{l - 1}}}"
    left = rf"\frac{{\partial C}}{{\partial w^{{{l}}}_{{jk}}}}"
    if batch:
        return left + rf" = \frac{{1}}{{m}} \sum_{{x}} {tex}_{{k}}(x) \delta^{{{l}}}_{{j}}(x)"
    return left + rf" = {tex}_{{k}} \delta^{{{l}}}_{{j}}"


def derivation_latex(d, env: str = "align*", explicit: bool | None = None, sizes: dict | None = None) -> str:
    """The steps of a derivation as one align* block: a line per step, its rule on the
    right, intermediate variables defined first, each result boxed and followed by its
    index form.  explicit=None writes out Jacobians whose sizes are concrete and tiny."""
    rows = []
    tagged = env != "aligned"  # \tag* needs an equation environment of its own

    def note(text):
        return r" \tag*{\footnotesize " + text + "}" if tagged else r" && \text{\footnotesize " + text + "}"

    for s in d.steps:
        lhs, op, rhs = _parts(s, r"\coloneqq")
        if s.kind == "local" and explicit is not False:
            ex = explicit_latex(s.rhs, sizes)
            if ex is not None:
                rhs += " = " + ex
        rows.append(lhs + " &" + op + " " + rhs + (note(rule_latex(s.rule)) if s.rule else ""))
        ix = index_form(s) if s.kind == "result" else None
        if ix is not None:
            left, right = ix.split(" = ", 1)
            rows.append(left + " &= " + right + note("index form"))
    return "\\begin{" + env + "}\n" + " \\\\\n".join(rows) + "\n\\end{" + env + "}"


def _parts(s, define_op: str) -> tuple:
    """A step's left side, relation and right side (a result boxed), in LaTeX."""
    rhs = latex(s.rhs)
    if s.kind == "result":
        rhs = r"\boxed{" + rhs + "}"
    return latex(s.lhs), (define_op if s.kind in ("define", "name") else "="), rhs


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
\setlength{\textwidth}{16.5cm}
\setlength{\oddsidemargin}{0cm}
\setlength{\evensidemargin}{0cm}
\setlength{\textheight}{23cm}
\setlength{\topmargin}{-1cm}
\providecommand{\coloneqq}{\mathrel{\mathop:}=}
\setlength{\jot}{7pt}
\ifdefined\pdftrailerid\pdftrailerid{}\fi
\allowdisplaybreaks
"""


def document(sections, title: str = "Derivation") -> str:
    """A standalone LaTeX document: sections are (heading, Derivation) pairs, or
    (heading, str) for prose and ready-made LaTeX."""
    body = []
    for head, d in sections:
        part = d if isinstance(d, str) else derivation_latex(d)
        body.append(("\\section*{" + head + "}\n" if head else "") + part)
    return (
        PREAMBLE + "\\begin{document}\n"
        + "\\begin{center}{\\Large " + title + "}\\end{center}\n\n"
        + "\n\n".join(body)
        + "\n\\end{document}\n"
    )


def derivation_markdown(d) -> str:
    """One $$ block per step, for GitHub and notebooks, with the rule in words beneath."""
    out = []
    for s in d.steps:
        lhs, op, rhs = _parts(s, ":=")
        block = "$$" + lhs + " " + op + " " + rhs + "$$"
        if s.rule:
            block += "\n\n" + (s.rule.render() if isinstance(s.rule, Rule) else str(s.rule))
        out.append(block)
        ix = index_form(s) if s.kind == "result" else None
        if ix is not None:
            out.append("$$" + ix + "$$\n\nindex form")
    return "\n\n".join(out) + "\n"


def pdflatex() -> str | None:
    """The pdflatex executable, or None where no TeX system is installed."""
    return shutil.which("pdflatex")


def compile_pdf(tex_path, timeout: float = 120.0):
    """Build tex_path into a PDF beside it with pdflatex; the PDF's path, or None without pdflatex.

    Raises JacobiError with the first LaTeX error line if the document does not compile."""
    exe = pdflatex()
    if exe is None:
        return None
    tex_path = Path(tex_path).resolve()
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "-interaction=nonstopmode", "-halt-on-error", "-output-directory", tmp, str(tex_path)]
        try:
            r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, errors="replace",
                               timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise JacobiError(f"pdflatex took longer than {timeout:.0f} s on {tex_path.name}") from None
        pdf = Path(tmp) / (tex_path.stem + ".pdf")
        if r.returncode != 0 or not pdf.exists():
            errs = [ln for ln in r.stdout.splitlines() if ln.startswith("!")]
            why = errs[0] if errs else f"exit status {r.returncode}"
            raise JacobiError(f"pdflatex could not compile {tex_path.name}: {why}")
        out = tex_path.with_suffix(".pdf")
        out.write_bytes(pdf.read_bytes())
    return out


def _repr_latex(d) -> str:
    return "$$" + derivation_latex(d, env="aligned") + "$$"


FORMATS.update({
    "latex": derivation_latex,
    "markdown": derivation_markdown,
    "document": lambda d, title="Derivation": document([(title, d)], title=title),
    "repr_latex": _repr_latex,
})
