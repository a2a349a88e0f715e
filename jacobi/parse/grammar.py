"""The recursive-descent parser: tokens to a small parse tree, never evaluated.

Grammar, loosest first (Python's precedence; ``*``, ``/`` and ``**`` are
element-wise with scalar expansion, ``@`` is the matrix product)::

    statement := [NAME '='] sum
    sum       := product (('+' | '-') product)*
    product   := unary (('*' | '/' | '@') unary)*
    unary     := ('-' | '+') unary | power             -x**2 is -(x**2)
    power     := postfix ['**' unary]                  right-associative
    postfix   := atom ('.T' | "'")*                    transposes
    atom      := NUMBER | NAME | NAME ["'"] '(' [args] ')' | '(' sum ')'
    args      := arg (',' arg)* (',' keyword)* | keyword (',' keyword)*
    arg       := sum | size | offset                   a size where the function takes one: ones(m, n)
    keyword   := NAME '=' sum                          an integer, where the function declares it: axis=1
    size      := factor ('*' factor)*                  m*n, n**2, 3
    factor    := (INTEGER | NAME) ['**' INTEGER]
    offset    := ['-'] term (('+' | '-') term)*        where a slice starts or stops: 0, d, 2*d, n - 1
    term      := (INTEGER | NAME) ('*' (INTEGER | NAME))*

The callable names, their arities and which arguments are sizes come from
jacobi.core.callables: the element-wise functions (``sigmoid(x)``, and
``sigmoid'(x)`` for a derivative), sum, softmax, log_softmax, dot, hadamard,
diag, transpose, kron, vec, unvec(v, m, n), ones(m[, n]), zeros(m[, n]),
K(m, n) (the commutation matrix), softmax_jacobian, I(n), trace, det, logdet, inv and
matrix_power(X, k) (k an integer: a number, or a size name), concat(A, B, ...,
axis=a), cols(X, start, stop) and rows(X, start, stop).  The axis and ddof of
the reductions and of softmax are given by position or by keyword: sum(X, 1)
is sum(X, axis=1); concat takes its axis by keyword only.  ``I`` alone is
the identity matrix, its size inferred, unless it is declared as a variable
(``K`` alone is a variable as any other name).  A size name (``n`` of a
declared ``x: n``, or one written as a size, ``ones(n)``) that is not itself a
declared variable is that size, a number: ``sum(x) / n``.  ``vector(c)`` and
``matrix(c)`` are the constants whose entries are all c, their sizes inferred.

matrixcalculus.org's syntax (syntax.py) is the same grammar with its own
operators: product := unary (('*' | '/' | '.*' | './') unary)*, power :=
postfix [('^' | '.^') exponent], exponent := ('-' | '+') exponent | postfix
(``a^b^c`` is refused: MATLAB reads it (a^b)^c, mathematics a^(b^c)), its own
function names (syntax.MC_FUNCTIONS) and ``eye`` alone for the identity.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction

from . import syntax as X
from .arguments import MAX_SIZE_POWER, Arguments  # noqa: F401 - MAX_SIZE_POWER: the limit, named here too
from .lexer import ParseError, Token, tokenize

MAX_DEPTH = 100  # nesting levels; deeper input is refused (the printers and the chain rule recurse)


@dataclass(eq=False)
class Node:
    """One node of the parse tree.  kind: num, name, neg, pos, bin (op is the
    operator), T (transpose), call (op is the function name; prime: f'(x)),
    size (a size argument; value: its factors, (int or name, exponent) pairs),
    sizename (a declared size used as a number; op is its name), bare (I)."""

    kind: str
    pos: int  # 0-based index of the operator, or of the atom
    start: int  # the span of source text the node covers
    end: int
    op: str = ""
    args: tuple = ()
    value: object = None  # a num's Fraction, a size's factors, the callable record of a call or a bare name
    prime: bool = False
    depth: int = 1


class Parser(Arguments):
    """Tokens to a parse tree; the names it meets are recorded for the builder (build.py)."""

    def __init__(self, text: str, declared: set, strict: bool, sizes=frozenset(), syntax: str = X.JACOBI):
        self.text = text
        self.syntax = syntax
        self.mc = syntax == X.MATRIXCALCULUS
        self.toks = tokenize(text, syntax)
        self.i = 0
        self.level = 0
        self.declared = declared  # the declared variables
        self.sizes = sizes  # the declared size names
        self.strict = strict
        self.names: dict = {}  # variable name -> first Node, in order of appearance
        self.occurrences: list = []  # every name Node
        self.size_names: set = set()  # the names used as sizes: ones(n)

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

    def node(self, kind, pos, args=(), chain=False, **kw) -> Node:
        """A parse-tree node.  chain: args[0] is the chain of operators of one level that this node
        continues (a + b + c): a chain is as deep as its deepest operand, however long, as the
        expression it builds is one flat sum or product."""
        start = min([pos] + [a.start for a in args])
        end = max([kw.pop("end", pos + 1)] + [a.end for a in args])
        if chain:
            depth = max(args[0].depth, 1 + max(a.depth for a in args[1:]))
        else:
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
        for node in self.occurrences:  # a name used as a size elsewhere (ones(n) ... / n) is that size
            if node.op in self.size_names:
                node.kind = "sizename"
                self.names.pop(node.op, None)
        return name, e

    def sum(self) -> Node:
        self.enter(self.peek().pos)
        left = self.product()
        first = True
        while self.is_op(self.peek(), "+", "-"):
            op = self.take()
            left = self.node("bin", op.pos, (left, self.product()), chain=not first, op=op.text)
            first = False
        self.leave()
        return left

    def product(self) -> Node:
        ops = X.PRODUCT_OPS[self.syntax]
        left = self.unary()
        first = True
        while self.is_op(self.peek(), *ops):
            op = self.take()
            left = self.node("bin", op.pos, (left, self.unary()), chain=not first, op=ops[op.text])
            first = False
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
        ops = X.POWER_OPS[self.syntax]
        base = self.postfix()
        if self.is_op(self.peek(), *ops):
            op = self.take()
            self.enter(op.pos)
            exp = self.exponent() if self.mc else self.unary()
            self.leave()
            if self.is_op(self.peek(), *ops):  # MATLAB reads a^b^c as (a^b)^c, mathematics as a^(b^c)
                self.fail(self.peek().pos, f"a{op.text}b{self.peek().text}c is ambiguous: add parentheses, "
                          f"(a{op.text}b){self.peek().text}c or a{op.text}(b{self.peek().text}c)")
            return self.node("bin", op.pos, (base, exp), op=ops[op.text])
        return base

    def exponent(self) -> Node:
        """matrixcalculus.org's exponent: a signed operand without a power of its own (a^-1, a^(b^c))."""
        tok = self.peek()
        if self.is_op(tok, "-", "+"):
            self.take()
            self.enter(tok.pos)
            arg = self.exponent()
            self.leave()
            if tok.text == "-" and arg.kind == "num":
                return self.node("num", tok.pos, (), end=arg.end, value=-arg.value)
            return self.node("neg" if tok.text == "-" else "pos", tok.pos, (arg,))
        return self.postfix()

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
                    hint = {"*": " (use * for the element-wise product)", "/": " (use / for the element-wise "
                            "division)"}.get(t.text, "") if t.kind == "op" else ""
                    self.fail(t.pos, f"expected T after '.' (x.T is the transpose of x), found {t.describe()}{hint}")
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
            if not self.mc and self.is_op(nxt, "'") and self.is_op(self.peek(1), "(") and self.function(tok.text):
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

    def function(self, name: str):
        """The record of a name that can be called in this syntax, or None."""
        return X.lookup(self.syntax, name)

    def name(self, tok: Token) -> Node:
        n = tok.text
        end = tok.pos + len(n)
        if n not in self.declared:
            if n in self.sizes:
                return self.node("sizename", tok.pos, (), end=end, op=n)
            rec = self.function(n)
            if self.mc and rec is None and n in X.MC_FUNCTIONS:
                self.fail(tok.pos, X.unknown_function(self.syntax, n))
            if rec is not None and rec.bare:
                return self.node("bare", tok.pos, (), end=end, op=n, value=rec)
            if rec is not None and not rec.variable:
                self.fail(tok.pos, f"{n} is a function: call it as {n}(...) (to use {n} as a variable, declare "
                          "its shape)")
            if self.strict:
                self.fail(tok.pos, f"unknown name {n!r}: declare its shape")
        node = self.node("name", tok.pos, (), end=end, op=n)
        self.names.setdefault(n, node)
        self.occurrences.append(node)
        return node

    def call(self, tok: Token, prime: bool) -> Node:
        name = tok.text
        rec = self.function(name)
        if rec is None:
            if name in self.declared:
                self.fail(tok.pos, f"{name} is a variable, not a function: write {name} * (...) for a product")
            message = X.unknown_function(self.syntax, name)
            if message:
                self.fail(tok.pos, message)
            known = X.names()
            near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(near)}?)" if near else ""
            self.fail(tok.pos, f"unknown function {name!r}{hint}; known functions: {', '.join(known)}")
        if prime and not rec.elementwise:
            self.fail(tok.pos, f"{name}' is not a function: only element-wise functions have a derivative f'(x)")
        self.take()  # '('
        args: list = []
        given: dict = {}  # keyword -> its value's node, in the order written
        what = f"the call of {name}{chr(39) if prime else ''} at column {tok.pos + 1}"
        while True:
            t = self.peek()
            if not args and not given and self.is_op(t, ")"):
                close = self.take()
                break
            if t.kind == "name" and self.is_op(self.peek(1), "="):
                self.keyword(rec, name, given, len(args), what)
            elif given:
                self.fail(t.pos, f"a positional argument follows the keyword argument {list(given)[-1]}= in {what}")
            elif len(args) in rec.offsets and not rec.variadic:
                args.append(self.offset())
            else:
                args.append(self.size() if len(args) in rec.sizes or len(args) in rec.integers and self.size_name()
                            else self.sum())
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
        if not rec.accepts(len(args)):
            self.fail(tok.pos, f"{name}{chr(39) if prime else ''} {rec.takes()} ({rec.args}), got {len(args)}")
        if rec.variadic:  # the keyword-only arguments follow the others, each given or left to its default
            args += [given.get(k) or self.node("default", close.pos) for k in rec.keywords]
        elif given:  # by position, the ones left out before the last one given taking their defaults
            names = [a.strip() for a in rec.args.split(",")]
            last = max(names.index(k) for k in given)
            args += [given.get(names[k]) or self.node("default", close.pos) for k in range(len(args), last + 1)]
        return self.node("call", tok.pos, args, op=name, prime=prime, end=close.pos + 1, value=rec)
