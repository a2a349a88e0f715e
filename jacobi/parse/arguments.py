"""The arguments of a call that are not expressions: sizes (ones(m, n)), offsets (cols(X, 0, d)) and
keyword arguments (sum(X, axis=1)), as the grammar (grammar.py) reads them: a part of its Parser."""
from __future__ import annotations

from .lexer import ASCII_DIGITS, Token

MAX_SIZE_POWER = 64  # the largest exponent of a size factor: n**2


class Arguments:
    """The Parser's readers of size, offset and keyword arguments (grammar.py's Parser is one)."""

    def keyword(self, rec, name: str, given: dict, positional: int, what: str):
        """A keyword argument name=value of the call of name (an integer: an axis, ddof), into given."""
        t = self.take()
        k = t.text
        if k not in rec.keywords:
            takes = ", ".join(f"{w}=" for w in rec.keywords)
            hint = f" (it takes {takes})" if takes else " (it takes its arguments by position only)"
            self.fail(t.pos, f"{name} has no keyword argument {k!r}{hint}")
        if k in given:
            self.fail(t.pos, f"the keyword argument {k}= is given twice in {what}")
        at = rec.position(k)
        if at is not None and at < positional:
            self.fail(t.pos, f"{k} is given twice in {what}: by position and as {k}=")
        self.take()  # '='
        start = self.peek()
        if start.kind == "end" or self.is_op(start, ",", ")"):
            self.fail(start.pos, f"expected a value after {k}=, found {start.describe()}")
        v = self.sum()
        if v.kind != "num" or v.value.denominator != 1:
            self.fail(start.pos, f"{k}= takes an integer, not {' '.join(self.text[v.start:v.end].split())}")
        given[k] = v

    def offset(self) -> "Node":  # noqa: F821 - grammar.Node, which this module must not import
        """An offset argument (where a slice starts or stops): an integer >= 0, or sums and differences of
        products of integers and size names (d, 2*d, n - 1)."""
        start = self.peek().pos
        terms = []
        sign = 1
        if self.is_op(self.peek(), "-"):
            self.take()
            sign = -1
        while True:
            parts = []
            while True:
                tok = self.peek()
                if tok.kind == "number" and all(c in ASCII_DIGITS for c in tok.text):
                    parts.append(int(self.take().text))
                elif tok.kind == "name":
                    if tok.text in self.declared:
                        self.fail(tok.pos, f"{tok.text} is a variable, not a size")
                    self.size_names.add(self.take().text)
                    parts.append(tok.text)
                else:
                    self.fail(tok.pos, "expected an offset (an integer >= 0, or sizes such as d or 2*d), found "
                              f"{tok.describe()}")
                if not self.is_op(self.peek(), "*"):
                    break
                self.take()
            terms.append((sign, tuple(parts)))
            if not self.is_op(self.peek(), "+", "-"):
                break
            sign = 1 if self.take().text == "+" else -1
        end = self.toks[self.i - 1].pos + len(self.toks[self.i - 1].text)
        return self.node("offset", start, (), end=end, op=self.text[start:end], value=tuple(terms))

    def size_name(self) -> bool:
        """Whether the next argument is a name alone that is not a declared variable: an integer argument
        written so is a size (matrix_power(X, k)); anything else there is a number (-1, 2 * 3)."""
        tok = self.peek()
        return tok.kind == "name" and tok.text not in self.declared and self.is_op(self.peek(1), ",", ")")

    def size(self) -> "Node":  # noqa: F821 - grammar.Node, which this module must not import
        """A size argument: a positive integer, a name, or a product of them (m*n, n**2)."""
        start = self.peek().pos
        factors = []
        while True:
            tok = self.take_size_part("a size (a positive integer or a name)")
            exp = 1
            if self.is_op(self.peek(), "**"):
                self.take()
                t = self.take_size_part("the exponent of a size (a positive integer)", number=True)
                exp = int(t.text)
                if exp > MAX_SIZE_POWER:
                    self.fail(t.pos, f"the exponent of a size is at most {MAX_SIZE_POWER}")
            factors.append((int(tok.text) if tok.kind == "number" else tok.text, exp))
            if tok.kind == "name":
                self.size_names.add(tok.text)
            if not self.is_op(self.peek(), "*"):
                break
            self.take()
        end = self.toks[self.i - 1].pos + len(self.toks[self.i - 1].text)
        return self.node("size", start, (), end=end, op=self.text[start:end], value=tuple(factors))

    def take_size_part(self, expected: str, number: bool = False) -> Token:
        tok = self.peek()
        if tok.kind == "number" and all(c in ASCII_DIGITS for c in tok.text) and int(tok.text) >= 1:
            return self.take()
        if tok.kind == "name" and not number:
            if tok.text in self.declared:
                self.fail(tok.pos, f"{tok.text} is a variable, not a size")
            return self.take()
        self.fail(tok.pos, f"expected {expected}, found {tok.describe()}")
