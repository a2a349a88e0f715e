"""Expressions from text: a hand-written tokenizer and a recursive-descent parser.

Nothing the user types is ever evaluated: there is no eval, exec, compile or
sympify of the text.  The parser reads it into a small tree, infers the sizes
that were not declared (union-find over size variables), then builds the
expression with jacobi's own constructors.

Grammar, loosest first (Python's precedence; ``*``, ``/`` and ``**`` are
element-wise with scalar expansion, ``@`` is the matrix product)::

    statement := [NAME '='] sum
    sum       := product (('+' | '-') product)*
    product   := unary (('*' | '/' | '@') unary)*
    unary     := ('-' | '+') unary | power             -x**2 is -(x**2)
    power     := postfix ['**' unary]                  right-associative
    postfix   := atom ('.T' | "'")*                    transposes
    atom      := NUMBER | NAME | NAME ["'"] '(' [sum (',' sum)*] ')' | '(' sum ')'

Shapes.  A declared shape (``shapes={"W": "2x3"}``) is one of ``"3"`` or
``"n"`` (a column vector), ``"2x3"``, ``"mxn"`` or ``"m x n"`` (a matrix; a
``1xn`` matrix is a row), ``"1"``, ``"1x1"`` or ``"scalar"`` (a scalar); an
int, a pair ``(rows, cols)`` or a jacobi Symbol are accepted too.  An
undeclared name follows matrixcalculus.org's convention: a lower-case Greek
letter name (``alpha``, ``eta``, ``lambda``, ``sigma2`` ...) is a scalar, a
name with an upper-case initial is a matrix, any other name is a vector.
Their sizes are inferred so that every operation fits; sizes left free are
named n, m, p, k, q, r, s, t, n1, n2 ... (vector lengths first, in order of
appearance, then the columns and rows of the matrices), skipping names
already in use.  Numbers in a pure-number subexpression are combined exactly
(``1/2 * x`` is (1/2) x).

>>> parse("sum((sigmoid(W @ x + b) - y) ** 2) / 2")
sum((sigmoid(W @ x + b) - y) ** 2) / 2
>>> parse_result("W @ x").symbols["W"].shape
(m, n)
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr
from ..core.shapes import JacobiError, ShapeError

MAX_DEPTH = 100  # nesting levels; deeper input is refused (the printers and the chain rule recurse)
MAX_NUMBER = 60  # characters in one number literal

GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "varrho", "sigma", "varsigma", "tau",
         "upsilon", "phi", "varphi", "chi", "psi", "omega")
_GREEK_NAME = re.compile(r"^(?:" + "|".join(GREEK) + r")(?:[0-9]*|_[A-Za-z0-9_]*)$")
SIZE_NAMES = ("n", "m", "p", "k", "q", "r", "s", "t")

#: Functions that are not element-wise: name -> (arity, constructor, argument names for messages).
SPECIAL = {
    "sum": (1, P.sum_, "x"),
    "softmax": (1, P.softmax, "z"),
    "log_softmax": (1, P.log_softmax, "z"),
    "diag": (1, P.diag, "v"),
    "dot": (2, P.dot, "u, v"),
    "hadamard": (2, P.hadamard, "u, v"),
    "transpose": (1, P.transpose, "x"),
}


def known_functions() -> list[str]:
    """Every name that can be called: the element-wise registry plus SPECIAL."""
    return sorted(set(F.FUNCTIONS) | set(SPECIAL))


# ---------------------------------------------------------------------------
# Errors


class ParseError(JacobiError):
    """Text that is not an expression, or whose shapes do not fit.

    ``str(err)`` is one line, ``column 12: expected ...``; ``err.display`` is
    the expression and a caret under the offending character."""

    def __init__(self, message: str, text: str, column: int):
        self.message = message
        self.text = text
        self.column = column
        super().__init__(f"column {column}: {message}")

    @property
    def display(self) -> str:
        """Two lines: the expression (control characters shown as spaces) and a ``^`` under column."""
        text, i = self.text, self.column - 1
        lo, hi = 0, len(text)
        if len(text) > 100:  # a window around the column
            lo = max(0, min(i - 60, len(text) - 100))
            hi = min(len(text), lo + 100)
        shown = "".join(c if c.isprintable() else " " for c in text[lo:hi])
        pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in shown[:max(0, i - lo)])
        if lo > 0:
            shown, pad = "..." + shown, pad + 3
        if hi < len(text):
            shown += "..."
        return shown + "\n" + " " * pad + "^"


class ParseShapeError(ParseError, ShapeError):
    """Operands whose shapes do not fit, at the column of their operator."""


# ---------------------------------------------------------------------------
# Tokens

_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_OPS = ("**", "+", "-", "*", "/", "@", "(", ")", ",", ".", "'", "=")
_ASCII_DIGITS = frozenset("0123456789")
_HINTS = {
    "^": "for a power use **", "×": "use * (element-wise) or @ (matrix product)",
    "·": "use * (element-wise) or @ (matrix product)", "⊙": "the element-wise product is *",
    "∘": "the element-wise product is *", "−": "write the minus sign as -", "′": "write the transpose as ' or .T",
    "ᵀ": "write the transpose as .T", "[": "use parentheses", "]": "use parentheses", "{": "use parentheses",
    "}": "use parentheses", "_": "a name starts with a letter", "²": "write ** 2", "³": "write ** 3",
    "\"": "names are written without quotes",
}
_UNICODE_GREEK = {unicodedata.lookup(f"GREEK SMALL LETTER {g.upper()}"): g for g in GREEK
                  if not g.startswith("var") and g != "lambda"}
_UNICODE_GREEK["λ"] = "lambda"


@dataclass(frozen=True)
class Token:
    kind: str  # name | number | op | end
    text: str
    pos: int  # 0-based index into the text

    def describe(self) -> str:
        if self.kind == "end":
            return "end of input"
        if self.kind == "name":
            return f"the name {self.text}"
        if self.kind == "number":
            return f"the number {self.text}"
        return f"'{self.text}'"


def _char(c: str) -> str:
    return f"'{c}'" if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}"


def tokenize(text: str) -> list[Token]:
    """The tokens of text, ending with an 'end' token; ParseError on a character outside the grammar."""
    if not isinstance(text, str):
        raise JacobiError(f"an expression is text, not {type(text).__name__}")
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in _ASCII_DIGITS or (c == "." and i + 1 < n and text[i + 1] in _ASCII_DIGITS):
            m = _NUMBER.match(text, i)
            tok = m.group()
            j = m.end()
            if j < n and text[j] in "eE":  # an exponent without digits: 1e, 1e+
                k = j + 2 if j + 1 < n and text[j + 1] in "+-" else j + 1
                raise ParseError(f"malformed number {text[i:k]!r}: expected the digits of the exponent", text, k + 1)
            if len(tok) > MAX_NUMBER:
                raise ParseError(f"a number of more than {MAX_NUMBER} characters", text, i + 1)
            out.append(Token("number", tok, i))
            i = j
            continue
        if c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
            m = _NAME.match(text, i)
            out.append(Token("name", m.group(), i))
            i = m.end()
            continue
        op = "**" if text.startswith("**", i) else c
        if op in _OPS:
            out.append(Token("op", op, i))
            i += len(op)
            continue
        hint = _HINTS.get(c)
        if hint is None and c in _UNICODE_GREEK:
            hint = f"write {_UNICODE_GREEK[c]}"
        elif hint is None and c.isalpha():
            hint = "names use ASCII letters, digits and _"
        raise ParseError(f"unexpected character {_char(c)}" + (f" ({hint})" if hint else ""), text, i + 1)
    out.append(Token("end", "", n))
    return out


# ---------------------------------------------------------------------------
# The tree


@dataclass(eq=False)
class Node:
    """One node of the parse tree.  kind: num, name, neg, pos, bin (op is the
    operator), T (transpose), call (op is the function name; prime: f'(x))."""

    kind: str
    pos: int  # 0-based index of the operator, or of the atom
    start: int  # the span of source text the node covers
    end: int
    op: str = ""
    args: tuple = ()
    value: Fraction | None = None
    prime: bool = False
    depth: int = 1


class _Parser:
    def __init__(self, text: str, declared: set, strict: bool):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.level = 0
        self.declared = declared
        self.strict = strict
        self.names: dict = {}  # name -> first Node, in order of appearance

    # -- helpers -------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def is_op(self, tok: Token, *ops) -> bool:
        return tok.kind == "op" and tok.text in ops

    def fail(self, pos: int, message: str):
        raise ParseError(message, self.text, pos + 1)

    def node(self, kind, pos, args=(), **kw) -> Node:
        start = min([pos] + [a.start for a in args])
        end = max([kw.pop("end", pos + 1)] + [a.end for a in args])
        depth = 1 + max((a.depth for a in args), default=0)
        if depth > MAX_DEPTH:
            self.fail(pos, f"the expression nests more than {MAX_DEPTH} levels deep")
        return Node(kind, pos, start, end, args=tuple(args), depth=depth, **kw)

    def enter(self, pos: int):
        self.level += 1
        if self.level > MAX_DEPTH:
            self.fail(pos, f"the expression nests more than {MAX_DEPTH} levels deep")

    def leave(self):
        self.level -= 1

    def after_operand(self, tok: Token, expected: str):
        """The error for a token that cannot follow a complete operand."""
        found = tok.describe()
        if tok.kind in ("name", "number") or self.is_op(tok, "("):
            self.fail(tok.pos, f"expected {expected}, found {found} (a product needs * or @)")
        if self.is_op(tok, "="):
            self.fail(tok.pos, "unexpected '=': only 'NAME = expression' at the start names the expression")
        if self.is_op(tok, ","):
            self.fail(tok.pos, "unexpected ',' outside the arguments of a function call")
        if self.is_op(tok, ")"):
            self.fail(tok.pos, "unmatched ')'")
        self.fail(tok.pos, f"expected {expected}, found {found}")

    # -- grammar -------------------------------------------------------------
    def statement(self) -> tuple[str | None, Node]:
        name = None
        if self.peek().kind == "name" and self.is_op(self.peek(1), "="):
            name = self.take().text
            self.take()
        if self.peek().kind == "end":
            self.fail(self.peek().pos, "empty expression" if name is None else f"expected an expression after "
                      f"'{name} =', found end of input")
        e = self.sum()
        tok = self.peek()
        if tok.kind != "end":
            self.after_operand(tok, "an operator or the end of the input")
        return name, e

    def sum(self) -> Node:
        self.enter(self.peek().pos)
        left = self.product()
        while self.is_op(self.peek(), "+", "-"):
            op = self.take()
            left = self.node("bin", op.pos, (left, self.product()), op=op.text)
        self.leave()
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.is_op(self.peek(), "*", "/", "@"):
            op = self.take()
            left = self.node("bin", op.pos, (left, self.unary()), op=op.text)
        return left

    def unary(self) -> Node:
        tok = self.peek()
        if self.is_op(tok, "-", "+"):
            self.take()
            self.enter(tok.pos)
            arg = self.unary()
            self.leave()
            if tok.text == "-" and arg.kind == "num":  # a negative number is a number, as in Python
                return self.node("num", tok.pos, (), end=arg.end, value=-arg.value)
            return self.node("neg" if tok.text == "-" else "pos", tok.pos, (arg,))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.is_op(self.peek(), "**"):
            op = self.take()
            self.enter(op.pos)
            exp = self.unary()
            self.leave()
            return self.node("bin", op.pos, (base, exp), op="**")
        return base

    def postfix(self) -> Node:
        e = self.atom()
        while True:
            tok = self.peek()
            if self.is_op(tok, "'"):
                self.take()
                e = self.node("T", tok.pos, (e,))
            elif self.is_op(tok, "."):
                self.take()
                t = self.peek()
                if t.kind == "name" and t.text == "T":
                    self.take()
                    e = self.node("T", tok.pos, (e,), end=t.pos + 1)
                else:
                    self.fail(t.pos, f"expected T after '.' (x.T is the transpose of x), found {t.describe()}")
            else:
                return e

    def atom(self) -> Node:
        tok = self.peek()
        if tok.kind == "number":
            self.take()
            exponent = tok.text.lower().partition("e")[2]
            if exponent and abs(int(exponent)) > 400:  # Fraction would compute 10**exponent
                self.fail(tok.pos, f"the exponent of {tok.text} is out of range (at most 400)")
            try:
                v = Fraction(tok.text)
            except (ValueError, ZeroDivisionError, OverflowError):  # pragma: no cover - the regex admits none
                self.fail(tok.pos, f"malformed number {tok.text!r}")
            if abs(v.numerator).bit_length() > 4096 or v.denominator.bit_length() > 4096:
                self.fail(tok.pos, f"the number {tok.text} is too large")
            if self.is_op(self.peek(), "("):
                self.fail(tok.pos, f"{tok.text} is a number, not a function: write {tok.text} * (...) for a product")
            return self.node("num", tok.pos, (), end=tok.pos + len(tok.text), value=v)
        if tok.kind == "name":
            self.take()
            nxt = self.peek()
            if self.is_op(nxt, "("):
                return self.call(tok, prime=False)
            if self.is_op(nxt, "'") and self.is_op(self.peek(1), "(") and self.is_function(tok.text):
                self.take()
                return self.call(tok, prime=True)
            return self.name(tok)
        if self.is_op(tok, "("):
            self.take()
            if self.is_op(self.peek(), ")"):
                self.fail(self.peek().pos, "empty parentheses: expected an expression inside them")
            e = self.sum()
            close = self.peek()
            if not self.is_op(close, ")"):
                if close.kind == "end":
                    self.fail(close.pos, f"expected ')' to close the '(' at column {tok.pos + 1}, found end of input")
                self.after_operand(close, f"an operator or ')' to close the '(' at column {tok.pos + 1}")
            self.take()
            e.start, e.end = min(e.start, tok.pos), max(e.end, close.pos + 1)
            return e
        prev = self.toks[self.i - 1] if self.i > 0 else None
        where = f" after {prev.describe()}" if prev is not None else ""
        if self.is_op(tok, ")") and prev is None:
            self.fail(tok.pos, "unmatched ')'")
        self.fail(tok.pos, f"expected an operand (a name, a number or '('){where}, found {tok.describe()}")

    def is_function(self, name: str) -> bool:
        return name in SPECIAL or name in F.FUNCTIONS

    def name(self, tok: Token) -> Node:
        n = tok.text
        if n not in self.declared:
            if self.is_function(n):
                self.fail(tok.pos, f"{n} is a function: call it as {n}(...) (to use {n} as a variable, declare "
                          "its shape)")
            if self.strict:
                self.fail(tok.pos, f"unknown name {n!r}: declare its shape")
        node = self.node("name", tok.pos, (), end=tok.pos + len(n), op=n)
        self.names.setdefault(n, node)
        return node

    def call(self, tok: Token, prime: bool) -> Node:
        name = tok.text
        if not self.is_function(name):
            if name in self.declared:
                self.fail(tok.pos, f"{name} is a variable, not a function: write {name} * (...) for a product")
            near = difflib.get_close_matches(name, known_functions(), n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(near)}?)" if near else ""
            self.fail(tok.pos, f"unknown function {name!r}{hint}; known functions: {', '.join(known_functions())}")
        if prime and name in SPECIAL:
            self.fail(tok.pos, f"{name}' is not a function: only element-wise functions have a derivative f'(x)")
        self.take()  # '('
        args = []
        what = f"the call of {name}{chr(39) if prime else ''} at column {tok.pos + 1}"
        while True:
            if not args and self.is_op(self.peek(), ")"):
                close = self.take()
                break
            args.append(self.sum())
            t = self.peek()
            if self.is_op(t, ","):
                self.take()
                continue
            if self.is_op(t, ")"):
                close = self.take()
                break
            if t.kind == "end":
                self.fail(t.pos, f"expected ')' to close {what}, found end of input")
            self.after_operand(t, f"an operator, ',' or ')' to close {what}")
        arity, argnames = (SPECIAL[name][0], SPECIAL[name][2]) if name in SPECIAL else (1, "x")
        if len(args) != arity:
            s = "" if arity == 1 else "s"
            self.fail(tok.pos, f"{name}{chr(39) if prime else ''} takes {arity} argument{s} ({argnames}), "
                      f"got {len(args)}")
        return self.node("call", tok.pos, args, op=name, prime=prime, end=close.pos + 1)


# ---------------------------------------------------------------------------
# Sizes: union-find over size variables


class _Size:
    """A size variable.  value: None (free: a vector length or a matrix
    dimension still to be named; never 1), an int, a declared size name, or
    ('*', a, b), the product of two sizes (the side of diag of a matrix)."""

    __slots__ = ("parent", "value")

    def __init__(self, value=None):
        self.parent = self
        self.value = value


def _find(s: _Size) -> _Size:
    root = s
    while root.parent is not root:
        root = root.parent
    while s.parent is not root:
        s.parent, s = root, s.parent
    return root


def _is_one(s: _Size) -> bool:
    return _find(s).value == 1


def _resolve(s: _Size):
    """The value of a size as an int, a name, a product tuple of resolved values, or the free root."""
    r = _find(s)
    v = r.value
    if isinstance(v, tuple):
        a, b = _resolve(v[1]), _resolve(v[2])
        if isinstance(a, int) and isinstance(b, int):
            return a * b
        return ("*", a, b)
    return r if v is None else v


def _occurs(r: _Size, v) -> bool:
    return isinstance(v, tuple) and any(_find(x) is r or _occurs(r, _find(x).value) for x in v[1:])


def _unify(a: _Size, b: _Size) -> bool:
    a, b = _find(a), _find(b)
    if a is b:
        return True
    if a.value is None or b.value is None:
        free, other = (a, b) if a.value is None else (b, a)
        if other.value == 1 or _occurs(free, other.value):
            return False
        free.parent = other
        return True
    va, vb = a.value, b.value
    if isinstance(va, tuple) and isinstance(vb, tuple) and not _concrete(a) and not _concrete(b):
        return _unify(va[1], vb[1]) and _unify(va[2], vb[2])
    ra, rb = _resolve(a), _resolve(b)
    if isinstance(ra, tuple) or isinstance(rb, tuple) or ra != rb:
        return False
    b.parent = a
    return True


def _concrete(s: _Size) -> bool:
    return isinstance(_resolve(s), int)


# ---------------------------------------------------------------------------
# Shape specifications


def _spec_part(part: str):
    part = part.strip()
    if part and all(c in _ASCII_DIGITS for c in part):
        return int(part)
    if _NAME.fullmatch(part):
        return part
    return None


def shape_spec(spec, name: str = "a variable") -> tuple:
    """(rows, cols) from a declared shape: "3", "n", "2x3", "m x n", "1", "1x1", "scalar", an int or a pair."""
    bad = JacobiError(f"the shape {spec!r} of {name} is not a shape: use 3, n, 2x3, mxn or scalar")
    if isinstance(spec, bool):
        raise bad
    if isinstance(spec, int):
        dims = (spec, 1)
    elif isinstance(spec, (tuple, list)) and len(spec) == 2:
        dims = tuple(spec)
    elif isinstance(spec, str):
        s = spec.strip()
        if s.lower() == "scalar":
            return (1, 1)
        parts = None
        for sep in (",", "×", "*", " x "):
            if sep in s:
                parts = s.split(sep)
                break
        if parts is None:
            parts = [s]
            pieces = s.split("x")
            if len(pieces) == 2 and all(_spec_part(p) is not None for p in pieces):
                parts = pieces
        if len(parts) not in (1, 2):
            raise bad
        dims = tuple(_spec_part(p) for p in parts)
        if len(dims) == 1:
            dims = (dims[0], 1)
    else:
        raise bad
    for d in dims:
        if isinstance(d, bool) or not (isinstance(d, str) and _NAME.fullmatch(d) or isinstance(d, int) and d >= 1):
            raise bad
    return dims


# ---------------------------------------------------------------------------
# Inference and construction


@dataclass(frozen=True)
class ParseResult:
    """A parsed expression with its variables.

    expr: the jacobi expression; symbols: name -> Symbol in order of first
    appearance; name: "C" when the text reads "C = ..." (else None); text."""

    expr: Expr
    symbols: dict = field(default_factory=dict)
    name: str | None = None
    text: str = ""

    @property
    def size_names(self) -> list[str]:
        """The named sizes of the variables, in order of first appearance."""
        out: list[str] = []
        for s in self.symbols.values():
            for d in s.shape:
                for f in sorted(d.free_symbols, key=str):
                    if f.name not in out:
                        out.append(f.name)
        return out


class _Builder:
    def __init__(self, parser: _Parser, tree: Node, shapes: Mapping, distributions):
        self.p = parser
        self.text = parser.text
        self.tree = tree
        self.shape: dict = {}  # Node -> (rows, cols) of _Size
        self.named_sizes: dict = {}  # declared size name -> _Size
        self.kinds: dict = {}  # variable name -> (kind, rows, cols) or a Symbol given as is
        self.dist = set(distributions)
        self.taken = set(parser.names) | set(shapes)  # size names must not read as variables
        for n, spec in shapes.items():
            self.kinds[n] = self._declared(n, spec)
        for n in parser.names:
            if n not in self.kinds:
                self.kinds[n] = self._convention(n)

    # -- variables -----------------------------------------------------------
    def _size(self, d) -> _Size:
        if isinstance(d, int):
            return _Size(d)
        s = self.named_sizes.get(d)
        if s is None:
            s = self.named_sizes[d] = _Size(d)
            self.taken.add(d)
        return s

    def _declared(self, name, spec):
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise JacobiError(f"a variable name must be an identifier such as 'x' or 'W1', not {name!r}")
        if isinstance(spec, P.Symbol):
            if spec.name != name:
                raise JacobiError(f"the symbol given for {name} is named {spec.name}")
            dims = []
            for d in spec.shape:
                if d.is_Integer:
                    dims.append(int(d))
                elif d.is_Symbol:
                    dims.append(d.name)
                else:
                    raise JacobiError(f"the symbol given for {name} has a size {d} that is neither a number nor a name")
            return (spec, self._size(dims[0]), self._size(dims[1]))
        r, c = shape_spec(spec, name)
        kind = "scalar" if (r, c) == (1, 1) else ("vector" if c == 1 else "matrix")
        return (kind, self._size(r), self._size(c))

    def _convention(self, name):
        if _GREEK_NAME.match(name):
            return ("scalar", _Size(1), _Size(1))
        if name[0].isupper():
            return ("matrix", _Size(), _Size())
        return ("vector", _Size(), _Size(1))

    # -- naming --------------------------------------------------------------
    def size_names(self) -> dict:
        """Names for the free size variables: vector lengths first, then matrix columns and rows."""
        order = []
        for kind, r, _ in self.kinds.values():
            if kind == "vector":
                order.append(r)
        for kind, r, c in self.kinds.values():
            if kind == "matrix":
                order += [c, r]
        names: dict = {}
        fresh = self._fresh_names()
        for s in order:
            root = _find(s)
            if root.value is None and root not in names:
                names[root] = next(fresh)
        return names

    def _fresh_names(self):
        for n in SIZE_NAMES:
            if n not in self.taken:
                yield n
        k = 1
        while True:
            if f"n{k}" not in self.taken:
                yield f"n{k}"
            k += 1

    def size_value(self, s: _Size, names: dict):
        v = _resolve(s)
        if isinstance(v, _Size):
            return names[v]
        if isinstance(v, tuple):
            a, b = (self.size_value(x, names) for x in _find(s).value[1:])
            return P.size(a) * P.size(b)
        return v

    def fmt(self, node: Node) -> str:
        """An operand in an error message: its text and its shape, as jacobi's own messages show them."""
        names = self.size_names()
        src = self.text[node.start:node.end]
        src = " ".join(src.split())
        if len(src) > 40:
            src = src[:37] + "..."
        r, c = (self.size_value(d, names) for d in self.shape[node])
        return f"{src} ({r}x{c})"

    # -- inference -----------------------------------------------------------
    def infer(self, node: Node) -> tuple:
        for a in node.args:
            self.infer(a)
        k = node.kind
        one = lambda: _Size(1)  # noqa: E731
        if k == "num":
            sh = (one(), one())
        elif k == "name":
            _, r, c = self.kinds[node.op]
            sh = (r, c)
        elif k in ("neg", "pos"):
            sh = self.shape[node.args[0]]
        elif k == "T" or (k == "call" and node.op == "transpose"):
            r, c = self.shape[node.args[0]]
            sh = (c, r)
        elif k == "bin":
            sh = self._binary(node)
        else:
            sh = self._call(node)
        self.shape[node] = sh
        return sh

    def _scalar(self, sh) -> bool:
        return _is_one(sh[0]) and _is_one(sh[1])

    def _binary(self, node):
        a, b = node.args
        sa, sb = self.shape[a], self.shape[b]
        op = node.op
        if op == "@":
            if not _unify(sa[1], sb[0]):
                names = self.size_names()
                cols, rows = self.size_value(sa[1], names), self.size_value(sb[0], names)
                hint = " (for a scalar multiple use *)" if self._scalar(sa) or self._scalar(sb) else ""
                if not hint and _is_one(sa[1]) and not _is_one(sb[0]) and _is_one(sb[1]):
                    hint = " (for the outer product of two vectors write u @ v.T)"
                self.mismatch(node, f"cannot multiply {self.fmt(a)} @ {self.fmt(b)}: {_count(cols, 'column')} "
                              f"against {_count(rows, 'row')}{hint}")
            return (sa[0], sb[1])
        if self._scalar(sa):
            return sb
        if self._scalar(sb):
            return sa
        if not (_unify(sa[0], sb[0]) and _unify(sa[1], sb[1])):
            if op == "**":
                self.mismatch(node, f"cannot raise {self.fmt(a)} to the power {self.fmt(b)}: the exponent must "
                              "be a scalar or have the base's shape")
            verb = {"+": "add", "-": "subtract", "*": "multiply element-wise", "/": "divide element-wise"}[op]
            hint = ""
            if op == "*" and self._fits_matmul(sa, sb):
                hint = " (for the matrix product use @)"
            self.mismatch(node, f"cannot {verb} {self.fmt(a)} and {self.fmt(b)}: the shapes differ{hint}")
        return sa

    def _fits_matmul(self, sa, sb) -> bool:
        x, y = _resolve(sa[1]), _resolve(sb[0])
        return x is y or (not isinstance(x, _Size) and x == y)

    def _call(self, node):
        name = node.op
        shapes = [self.shape[a] for a in node.args]
        if name in ("sum", "dot"):
            if name == "dot":
                (ur, uc), (vr, vc) = shapes
                if not (_unify(uc, _Size(1)) and _unify(vc, _Size(1)) and _unify(ur, vr)):
                    u, v = node.args
                    self.mismatch(node, f"dot takes two column vectors of one size, not {self.fmt(u)} and "
                                  f"{self.fmt(v)}")
            return (_Size(1), _Size(1))
        if name == "hadamard":
            (ar, ac), (br, bc) = shapes
            if not (_unify(ar, br) and _unify(ac, bc)):
                a, b = node.args
                self.mismatch(node, f"cannot take the Hadamard product of {self.fmt(a)} and {self.fmt(b)}: the "
                              "shapes differ (use * for scalar expansion)")
            return shapes[0]
        if name == "diag":
            r, c = shapes[0]
            if _is_one(c):
                n = r
            elif _is_one(r):
                n = c
            else:
                n = _Size(("*", r, c))
            return (n, n)
        return shapes[0]  # element-wise functions, softmax, log_softmax

    def mismatch(self, node: Node, message: str):
        raise ParseShapeError(message, self.text, node.pos + 1)

    # -- construction --------------------------------------------------------
    def symbols(self) -> dict:
        names = self.size_names()
        out = {}
        for n in self.p.names:
            kind, r, c = self.kinds[n]
            if isinstance(kind, P.Symbol):
                out[n] = kind
                continue
            rows, cols = self.size_value(r, names), self.size_value(c, names)
            dist = n in self.dist
            if dist and kind == "scalar":
                raise JacobiError(f"{n} is a scalar; only a vector or a matrix can be a distribution")
            if kind == "scalar":
                out[n] = P.scalar(n)
            elif kind == "vector":
                out[n] = P.vector(n, rows, distribution=dist)
            else:
                out[n] = P.matrix(n, rows, cols, distribution=dist)
        return out

    def build(self, node: Node, syms: dict):
        vals = [self.build(a, syms) for a in node.args]
        k = node.kind
        try:
            if k == "num":
                return node.value
            if k == "name":
                return syms[node.op]
            if k == "neg":
                return -vals[0]
            if k == "pos":
                return vals[0]
            if k == "T":
                return P.transpose(vals[0])
            if k == "bin":
                return _BINARY[node.op](*vals)
            if node.op in SPECIAL:
                return SPECIAL[node.op][1](*vals)
            fn = F.FUNCTIONS[node.op]
            if node.prime:
                try:
                    prime = F.prime_of(fn)
                except JacobiError:
                    prime = None
                if prime is None:
                    raise ParseError(f"{node.op}' is not a registered function (the derivative of {node.op} has "
                                     "no function of its own)", self.text, node.pos + 1)
                fn = prime
            return P.apply(fn, vals[0])
        except ParseError:
            raise
        except ZeroDivisionError:
            raise ParseError("division by zero", self.text, node.pos + 1) from None
        except ShapeError as err:  # inference should have caught it; the constructors have the last word
            raise ParseShapeError(str(err), self.text, node.pos + 1) from None
        except JacobiError as err:
            raise ParseError(str(err), self.text, node.pos + 1) from None


def _count(n, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _both_numbers(a, b) -> bool:
    return isinstance(a, Fraction) and isinstance(b, Fraction)


def _power(a, b):
    if _both_numbers(a, b) and b.denominator == 1 and abs(b) <= 64 and \
            max(abs(a.numerator).bit_length(), a.denominator.bit_length()) * abs(b) <= 8192:
        return a ** int(b)
    return P.power(a, b)


# Python's operators on numbers and expressions: numbers combine exactly, expressions through jacobi.
_BINARY = {
    "+": lambda a, b: a + b if _both_numbers(a, b) else P.add(a, b),
    "-": lambda a, b: a - b if _both_numbers(a, b) else P.sub(a, b),
    "*": lambda a, b: a * b if _both_numbers(a, b) else P.mul(a, b),
    "/": lambda a, b: a / b if _both_numbers(a, b) else P.div(a, b),
    "**": _power,
    "@": P.matmul,
}


def parse_result(text: str, shapes: Mapping | None = None, *, strict: bool = False,
                 distributions=()) -> ParseResult:
    """Parse text into an expression and its variables (see the module docstring for the grammar).

    shapes maps a name to its shape ("3", "n", "2x3", "mxn", "scalar", an int,
    a pair, or a jacobi Symbol to use as it is); undeclared names follow the
    naming convention and their sizes are inferred, unless strict=True, where
    every name must be declared.  distributions names the vectors or matrices
    whose entries (columns) sum to one.  Raises ParseError (ParseShapeError
    for shapes that do not fit) with the column of the offending character.

    >>> r = parse_result("C = sum((W @ x - y) ** 2)", {"x": 3})
    >>> r.name, r.symbols["W"].shape
    ('C', (n, 3))
    """
    shapes = dict(shapes or {})
    parser = _Parser(text, set(shapes), strict)
    name, tree = parser.statement()
    b = _Builder(parser, tree, shapes, distributions)
    b.infer(tree)
    syms = b.symbols()
    expr = P.as_expr(b.build(tree, syms))
    return ParseResult(expr, syms, name, text)


def parse(text: str, shapes: Mapping | None = None, *, strict: bool = False, distributions=()) -> Expr:
    """The expression that text denotes; ``parse("sum((W @ x + b - y) ** 2) / 2")``.

    Same arguments as parse_result; the variables are ``expr.symbols()``."""
    return parse_result(text, shapes, strict=strict, distributions=distributions).expr


__all__ = ["GREEK", "MAX_DEPTH", "ParseError", "ParseResult", "ParseShapeError", "Token", "known_functions",
           "parse", "parse_result", "shape_spec", "tokenize"]
