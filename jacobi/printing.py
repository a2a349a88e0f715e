"""Printers.  A node prints itself through ``_text``/``_latex``; the printer
supplies parenthesisation, so every sub-part is printed with the right
precedence."""
from __future__ import annotations

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
        from .primitives import Broadcast, MatMul, Ones

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
        from .primitives import Broadcast

        if isinstance(e, Broadcast):
            e = e.args[0]
        return self.paren(e, 50 + 1)


class TextPrinter(Printer):
    method = "_text"


def text(e: Expr) -> str:
    """Plain text in the syntax the command line reads (@, *, /, **, .T)."""
    return TextPrinter().doprint(e)
