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


def pdflatex() -> str | None:
    """The pdflatex executable, or None where no TeX system is installed."""
    import shutil

    return shutil.which("pdflatex")


def compile_pdf(tex_path, timeout: float = 120.0):
    """Build tex_path into a PDF beside it with pdflatex; the PDF's path, or None without pdflatex.

    Raises JacobiError with the first LaTeX error line if the document does not compile."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from .shapes import JacobiError

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
