"""LaTeX output in textbook notation: expressions and step-by-step derivations."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import sympy as sp

from ..calculus.derivation import FORMATS, Partial
from ..calculus.explicit import Evaluator
from ..core.expr import Expr
from ..core.leaves import Symbol
from ..core.printing import latex
from ..core.rules import Rule, latex_text
from ..core.shapes import JacobiError, concrete
from . import breaking, notebook
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


class Line(NamedTuple):
    """A displayed line: lhs op rhs in LaTeX, the rule that justifies it, and whether it is a result."""

    lhs: str
    op: str
    rhs: str
    rule: object = None
    boxed: bool = False


def lines(d, explicit: bool | None = None, sizes: dict | None = None) -> list:
    """The displayed lines of a derivation: a line per step (intermediate variables first), each result
    followed by its index form.  explicit=None writes out Jacobians whose sizes are concrete and tiny."""
    out = []
    for s in d.steps:
        rhs = latex(s.rhs)
        if s.kind == "local" and explicit is not False:
            ex = explicit_latex(s.rhs, sizes)
            if ex is not None:
                rhs += " = " + ex
        op = notebook.DEFINE if s.kind in ("define", "name") else "="
        out.append(Line(latex(s.lhs), op, rhs, s.rule or None, s.kind == "result"))
        ix = index_form(s) if s.kind == "result" else None
        if ix is not None:
            left, right = ix.split(" = ", 1)
            out.append(Line(left, "=", right, "index form"))
    return out


# A step's rule sits on its own line under the step, in small type, indented, and wraps within the line
# width, so that no rule, however long, leaves the text block (a \tag* wider than the free space is moved
# left of the margin).  \\* before it keeps the two on one page; a page may break after it where the
# document allows display breaks.  After the last row the empty row that the final \\ opens is taken back.
RULE_MACROS = (
    r"\providecommand{\steprule}[1]{\noalign{\nobreak\vskip-2pt\moveright4em\vbox{\hsize=\dimexpr\linewidth-4em"
    r"\relax\footnotesize\raggedright\noindent#1\par}\penalty\interdisplaylinepenalty\vskip4pt}}" "\n"
    r"\providecommand{\laststeprule}[1]{\steprule{#1}\noalign{\vskip-\baselineskip\vskip-\jot}}" "\n")

# PREAMBLE's page in em of its 11pt type: the text width and the indent of a display (fleqn's \mathindent).
LINE_EM, INDENT_EM = 42.8, 1.5
SLACK = 0.92  # widths are estimated (jacobi.render.breaking): a right side may use this much of its room


def align_block(rows, env: str = "align*") -> str:
    """Lines (Line, or (lhs, op, rhs)) as one align* block: a right side too wide for the page broken over
    lines, each result boxed, each rule on a line of its own under its line (\\steprule)."""
    rows = [r if isinstance(r, Line) else Line(*r) for r in rows]
    widest = max((breaking.estimate(r.lhs) + breaking.estimate(r.op) for r in rows), default=0.0)
    room = (LINE_EM - INDENT_EM - widest) * SLACK
    out = []
    for i, r in enumerate(rows):
        row = f"{r.lhs} &{r.op} {breaking.fit(r.rhs, room, boxed=r.boxed)}"
        if r.rule:
            last = "laststeprule" if i == len(rows) - 1 else "steprule"
            row += " \\\\*\n\\" + last + "{" + rule_latex(r.rule) + "}\n"
        elif i < len(rows) - 1:
            row += " \\\\\n"
        out.append(row)
    return "\\begin{" + env + "}\n" + "".join(out).rstrip("\n") + "\n\\end{" + env + "}"


def derivation_latex(d, env: str = "align*", explicit: bool | None = None, sizes: dict | None = None,
                     macros: bool = True) -> str:
    """The steps of a derivation as one align* block, each step's rule on a line of its own under it
    (\\steprule; macros=True puts their two definitions first, so that the block compiles in any document
    with amsmath), intermediate variables defined first, each result boxed and followed by its index
    form, a right side too wide for the page broken over lines.  env="aligned" is the block for notebooks
    (jacobi.render.notebook): MathJax's and KaTeX's subset, the rules as rows."""
    found = lines(d, explicit, sizes)
    if env == "aligned":
        return notebook.aligned(notebook.aligned_rows(found))
    return (RULE_MACROS if macros else "") + align_block(found, env)


# Equations flush left at a small indent (fleqn), so that each rule line sits under its equation.
PREAMBLE = r"""\documentclass[11pt,fleqn]{article}
\usepackage{amsmath,amssymb}
\setlength{\textwidth}{16.5cm}
\setlength{\oddsidemargin}{0cm}
\setlength{\evensidemargin}{0cm}
\setlength{\textheight}{23cm}
\setlength{\topmargin}{-1cm}
\setlength{\mathindent}{1.5em}
\setlength{\jot}{4pt}
\ifdefined\pdftrailerid\pdftrailerid{}\fi
\allowdisplaybreaks
""" + RULE_MACROS


def document(sections, title: str = "Derivation") -> str:
    """A standalone LaTeX document: sections are (heading, Derivation) pairs, or
    (heading, str) for prose and ready-made LaTeX."""
    body = []
    for head, d in sections:
        part = d if isinstance(d, str) else derivation_latex(d, macros=False)
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
    for lhs, op, rhs, rule, result in lines(d, explicit=False):
        block = "$$" + lhs + " " + op + " " + (notebook.boxed(rhs) if result else rhs) + "$$"
        if rule:
            block += "\n\n" + (rule.render() if isinstance(rule, Rule) else str(rule))
        out.append(block)
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
    """The derivation for a notebook: $$ blocks of aligned rows, each of which MathJax and KaTeX render."""
    return notebook.display_blocks(notebook.aligned_rows(lines(d)))


FORMATS.update({
    "latex": derivation_latex,
    "markdown": derivation_markdown,
    "document": lambda d, title="Derivation": document([(title, d)], title=title),
    "repr_latex": _repr_latex,
})
