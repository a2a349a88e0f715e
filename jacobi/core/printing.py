"""The printer protocol.  A node prints itself: ``_text`` (the syntax the
command line reads), ``_latex`` (textbook notation), ``_code`` (numeric code,
codegen's printer), ``_explicit`` (SymPy components), ``_index`` (one entry,
render's index printer).  The printer supplies parenthesisation, so every
sub-part is printed with the right precedence."""
from __future__ import annotations

import sympy as sp

from .expr import Expr


class Printer:
    method = "_text"

    def doprint(self, e: Expr) -> str:
        fn = getattr(e, self.method, None)
        if fn is None:
            raise TypeError(f"{type(e).__name__} has no {self.method} form")
        return fn(self)

    def paren(self, e: Expr, prec: int) -> str:
        s = self.doprint(e)
        return self.wrap(s) if e.precedence < prec else s

    def operand(self, e: Expr, prec: int, matmul_prec: int | None = None, among: tuple = ()) -> str:
        """An operand of an element-wise operator: a scalar expansion prints as its scalar,
        and the ones vector as 1, unless no operand among its siblings shows the shape."""
        from .elementwise import Broadcast
        from .leaves import Ones
        from .matrix import MatMul

        implied = any(not isinstance(a, (Broadcast, Ones)) and not a.is_scalar for a in among) or not among
        if isinstance(e, Broadcast):
            e = e.args[0]
        if isinstance(e, Ones) and implied:
            return self.one()
        if matmul_prec is not None and isinstance(e, MatMul) and not e.is_scalar:
            return self.wrap(self.doprint(e))
        return self.paren(e, prec)

    def wrap(self, s: str) -> str:
        return "(" + s + ")"

    def one(self) -> str:
        return "1"

    def base(self, e: Expr) -> str:
        from .elementwise import Broadcast

        if isinstance(e, Broadcast):
            e = e.args[0]
        return self.paren(e, 50 + 1)


class TextPrinter(Printer):
    method = "_text"


def text(e: Expr) -> str:
    """Plain text in the syntax the command line reads (@, *, /, **, .T)."""
    return TextPrinter().doprint(e)


class LatexPrinter(Printer):
    method = "_latex"

    def wrap(self, s: str) -> str:
        return r"\left(" + s + r"\right)"

    def base(self, e: Expr) -> str:
        """The base of a superscript: parenthesised if it is compound or carries one already (W^{2})."""
        from .elementwise import Broadcast

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
    if isinstance(e, sp.MatrixBase):
        return sp.latex(e, mat_str="bmatrix", mat_delim="")
    if isinstance(e, sp.Basic):
        return sp.latex(e)
    raise TypeError(f"no LaTeX form for {e!r}")
