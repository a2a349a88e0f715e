"""LaTeX output in textbook notation: expressions and step-by-step derivations."""
from __future__ import annotations

import sympy as sp

from .expr import Expr
from .printing import Printer


class LatexPrinter(Printer):
    method = "_latex"

    def wrap(self, s: str) -> str:
        return r"\left(" + s + r"\right)"

    def base(self, e: Expr) -> str:
        """The base of a superscript: parenthesised if it is compound or carries one already (W^{2})."""
        from .primitives import Broadcast

        if isinstance(e, Broadcast):
            e = e.args[0]
        s = self.paren(e, 50 + 1)
        if s.startswith(r"\left("):
            return s
        depth = 0
        for ch in s:
            depth += ch == "{"
            depth -= ch == "}"
            if depth == 0 and ch in "^'":
                return self.wrap(s)
        return s


def latex(e) -> str:
    """LaTeX for an expression: sigma(z^{l}), \\odot, W^{\\top}, \\operatorname{diag} ..."""
    if isinstance(e, Expr):
        return LatexPrinter().doprint(e)
    if hasattr(e, "latex") and isinstance(e.latex, str):
        return e.latex
    if isinstance(e, sp.Basic):
        return sp.latex(e)
    raise TypeError(f"no LaTeX form for {e!r}")


def _rule_text(rule: str) -> str:
    return rule.replace("_", r"\_").replace("^", r"\^{}").replace("&", r"\&").replace("%", r"\%").replace("#", r"\#")


def derivation_latex(d, env: str = "align*") -> str:
    lines = []
    n = len(d.steps)
    for i, s in enumerate(d.steps):
        rhs = latex(s.rhs)
        if i == n - 1:
            rhs = r"\boxed{" + rhs + "}"
        op = ":=" if s.kind in ("define", "name") else "="
        row = latex(s.lhs) + " &" + op + " " + rhs
        if s.rule:
            row += r" && \text{" + _rule_text(s.rule) + "}"
        lines.append(row)
    return "\\begin{" + env + "}\n" + " \\\\\n".join(lines) + "\n\\end{" + env + "}"


def document(sections, title: str = "Derivation") -> str:
    body = []
    for head, d in sections:
        body.append("\\section*{" + head + "}\n" + derivation_latex(d))
    return (
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
        + "\\title{" + title + "}\\date{}\\maketitle\n"
        + "\n".join(body)
        + "\n\\end{document}\n"
    )


def derivation_markdown(d) -> str:
    out = []
    for s in d.steps:
        out.append("$$" + latex(s.lhs) + " = " + latex(s.rhs) + "$$")
    return "\n\n".join(out) + "\n"
