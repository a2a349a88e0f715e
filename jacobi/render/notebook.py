"""LaTeX for notebooks and markdown: what MathJax 2.7, MathJax 3 (JupyterLab's configuration) and KaTeX
all render, and what pdflatex with amsmath alone compiles.

Only plain TeX and amsmath commands that the three renderers define as their own primitives: no
mathtools (``\\coloneqq``), no text-size commands (MathJax knows them in math mode only, LaTeX in text
mode only), no ``\\tag``, and no macro that MathJax defines by substitution (``\\boxed`` is
``\\fbox{$\\displaystyle{#1}$}`` there, and each substitution copies the rest of the formula into a
buffer of 5 KB: a long derivation then fails with "internal buffer size exceeded").  A derivation is
cut into display blocks of at most ``BLOCK_CHARS`` characters, each of which renders on its own.
tests/test_notebook_math.py renders every output with MathJax 3 and KaTeX."""
from __future__ import annotations

from ..core.display import text_latex as text
from ..core.rules import Rule

#: ":=", defining an intermediate variable (\coloneqq needs mathtools in LaTeX and in MathJax)
DEFINE = r"\mathrel{:=}"

#: the most characters of one $$ block; MathJax's buffer holds 5,120
BLOCK_CHARS = 3000

def rule_math(rule) -> str:
    """A step's rule in math mode: each name in words, then its formula (or its text in words)."""
    parts = rule.parts if isinstance(rule, Rule) else ((str(rule), "", ""),)
    out = []
    for name, words, formula in parts:
        if formula:
            out.append(text(name + ": ") + formula)
        else:
            out.append(text(name + (": " + words if words else "")))
    return text("; ").join(out)


def boxed(tex: str) -> str:
    """A boxed result: what \\boxed means, written without MathJax's substitution."""
    return r"\fbox{$\displaystyle " + tex + "$}"


def aligned_rows(lines) -> list:
    """The rows of an aligned block, one group per displayed line: (lhs, op, rhs, rule, result) gives
    "lhs &op rhs" (rhs boxed for a result) and, under it, the rule indented, its formulas inline-sized
    ("& \\qquad \\textstyle rule")."""
    groups = []
    for lhs, op, rhs, rule, result in lines:
        rows = [f"{lhs} &{op} {boxed(rhs) if result else rhs}"]
        if rule:
            rows.append(r"& \qquad \textstyle " + rule_math(rule))
        groups.append(rows)
    return groups


def aligned(groups) -> str:
    return "\\begin{aligned}\n" + " \\\\\n".join(r for g in groups for r in g) + "\n\\end{aligned}"


def blocks(groups, limit: int = BLOCK_CHARS) -> list:
    """The groups of rows cut into aligned blocks of at most limit characters where they can be (a
    group longer than limit is a block of its own: it has no substitution to overflow MathJax's buffer)."""
    wrapper = len(aligned([]))  # \begin{aligned} ... \end{aligned}
    out, cur, size = [], [], wrapper
    for g in groups:
        n = sum(len(r) + 4 for r in g)
        if cur and size + n > limit:
            out.append(aligned(cur))
            cur, size = [], wrapper
        cur.append(g)
        size += n
    if cur:
        out.append(aligned(cur))
    return out


def display_blocks(groups) -> str:
    """The groups as $$ blocks, one per line: a notebook's _repr_latex_ and a markdown cell alike."""
    return "\n".join("$$" + b + "$$" for b in blocks(groups))
