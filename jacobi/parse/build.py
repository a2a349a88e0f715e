"""From the parse tree to an expression: size inference, then construction.

Every name gets a shape (declared, or by convention with its sizes still to
be inferred); the shape rules of jacobi.core.callables (the same rules the
constructors check) unify the sizes node by node, and a mismatch is reported
at the column of its operator.  Then the expression is built with jacobi's
own constructors; numbers (and declared sizes used as numbers) combine
exactly, as Python's would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import sympy as sp

from .. import core as P
from ..core import callables as C
from ..core import functions as F
from ..core.expr import Expr
from ..core.shapes import JacobiError, ShapeError
from .grammar import Node, Parser
from .lexer import GREEK_NAME, NAME, ParseError, ParseShapeError
from .sizes import Size, Sizes, find, resolve, shape_spec

SIZE_NAMES = ("n", "m", "p", "k", "q", "r", "s", "t")


def known_functions() -> list[str]:
    """Every name that can be called (the registry of jacobi.core.callables)."""
    return C.names()


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


def declared_sizes(shapes: Mapping) -> set:
    """The size names in declared shapes (a shape that is not one is left for the builder to refuse)."""
    out = set()
    for n, spec in shapes.items():
        if isinstance(spec, P.Symbol):
            out |= {str(d) for d in spec.shape if d.is_Symbol}
            continue
        try:
            out |= {d for d in shape_spec(spec, n) if isinstance(d, str)}
        except JacobiError:
            pass
    return out


class Builder:
    """Shapes for the names, size inference over the tree (the core's shape rules), then the expression."""

    def __init__(self, parser: Parser, tree: Node, shapes: Mapping, distributions):
        self.p = parser
        self.text = parser.text
        self.tree = tree
        self.shape: dict = {}  # Node -> (rows, cols) of Size; a size argument -> its Size
        self.named_sizes: dict = {}  # declared size name -> Size
        self.kinds: dict = {}  # variable name -> (kind, rows, cols) or a Symbol given as is
        self.dist = set(distributions)
        self.S = Sizes(lambda s: self.size_value(s, self.size_names()))
        self.taken = set(parser.names) | set(shapes) | parser.size_names  # size names must not read as variables
        for n, spec in shapes.items():
            self.kinds[n] = self._declared(n, spec)
        for n in parser.names:
            if n not in self.kinds:
                self.kinds[n] = self._convention(n)

    # -- variables -----------------------------------------------------------
    def _size(self, d) -> Size:
        if isinstance(d, int):
            return Size(d)
        s = self.named_sizes.get(d)
        if s is None:
            s = self.named_sizes[d] = Size(d)
            self.taken.add(d)
        return s

    def _declared(self, name, spec):
        if not isinstance(name, str) or not NAME.fullmatch(name):
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
        if GREEK_NAME.match(name):
            return ("scalar", Size(1), Size(1))
        if name[0].isupper():
            return ("matrix", Size(), Size())
        return ("vector", Size(), Size(1))

    # -- naming --------------------------------------------------------------
    def size_names(self) -> dict:
        """Names for the free size variables: vector lengths first, then matrix columns and rows, then
        the sizes of the rest (the identity's) in the order of the text."""
        order = []
        for kind, r, _ in self.kinds.values():
            if kind == "vector":
                order.append(r)
        for kind, r, c in self.kinds.values():
            if kind == "matrix":
                order += [c, r]
        for sh in self.shape.values():
            order += list(sh) if isinstance(sh, tuple) else [sh]
        names: dict = {}
        fresh = self._fresh_names()

        def name(s):
            root = find(s)
            if isinstance(root.value, tuple):
                name(root.value[1])
                name(root.value[2])
            elif root.value is None and root not in names:
                names[root] = next(fresh)

        for s in order:
            name(s)
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

    def size_value(self, s: Size, names: dict):
        v = resolve(s)
        if isinstance(v, Size):
            return names[v]
        if isinstance(v, tuple):
            a, b = (self.size_value(x, names) for x in find(s).value[1:])
            return P.size(a) * P.size(b)
        return v

    def fmt(self, node: Node) -> str:
        """An operand in an error message: its text and its shape, as jacobi's own messages show them."""
        src = self.text[node.start:node.end]
        if node.kind == "size":
            return src
        names = self.size_names()
        src = " ".join(src.split())
        if len(src) > 40:
            src = src[:37] + "..."
        r, c = (self.size_value(d, names) for d in self.shape[node])
        return f"{src} ({r}x{c})"

    # -- inference -----------------------------------------------------------
    def infer(self, root: Node):
        """The shape of every node, children first (iteratively: a long chain a + b + ... is a deep tree)."""
        for node in _postorder(root):
            self._infer(node)
        return self.shape[root]

    def _infer(self, node: Node):
        k = node.kind
        if k in ("num", "sizename"):
            sh = (self.S.one, self.S.one)
        elif k == "name":
            _, r, c = self.kinds[node.op]
            sh = (r, c)
        elif k in ("neg", "pos"):
            sh = self.shape[node.args[0]]
        elif k == "size":
            sh = None
            for base, exp in node.value:
                for _ in range(exp):
                    f = self._size(base)
                    sh = f if sh is None else (sh if self.S.is_one(f) else self.S.times(sh, f))
        else:
            rec = {"T": C.CALLABLES["transpose"], "bin": C.OPERATORS.get(node.op)}.get(k) or C.lookup(node.op)
            args = [self.shape[a] for a in node.args]
            sh = rec.shape(args, self.S)
            if sh is None:
                self.mismatch(node, rec.shape.mismatch([self.fmt(a) for a in node.args], args, self.S))
        self.shape[node] = sh
        return sh

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

    def build(self, root: Node, syms: dict):
        """The value of every node, children first (iteratively, as infer)."""
        built: dict = {}
        for node in _postorder(root):
            built[id(node)] = self._build(node, [built[id(a)] for a in node.args], syms)
        return built[id(root)]

    def _build(self, node: Node, vals: list, syms: dict):
        k = node.kind
        try:
            if k == "num":
                return node.value
            if k == "name":
                return syms[node.op]
            if k == "sizename":
                return P.size(node.op)
            if k == "size":
                return sp.Mul(*[P.size(b) ** e for b, e in node.value])
            if k == "bare":
                return C.lookup(node.op).make(self.size_value(self.shape[node][0], self.size_names()))
            if k == "neg":
                return -vals[0]
            if k == "pos":
                return vals[0]
            if k == "T":
                if isinstance(vals[0], (P.Ones, P.Zero)):  # ones(n).T is the row of ones, as jacobi prints it
                    r, c = vals[0].shape
                    return C.lookup("ones" if isinstance(vals[0], P.Ones) else "zeros").make(c, r)
                return C.CALLABLES["transpose"].make(vals[0])
            if k == "bin":
                return _binary(node.op, *vals)
            rec = C.lookup(node.op)
            if node.prime:
                try:
                    prime = F.prime_of(F.FUNCTIONS[node.op])
                except JacobiError:
                    prime = None
                if prime is None:
                    raise ParseError(f"{node.op}' is not a registered function (the derivative of {node.op} has "
                                     "no function of its own)", self.text, node.pos + 1)
                rec = C.lookup(prime.name)
            return rec.make(*vals)
        except ParseError:
            raise
        except ZeroDivisionError:
            raise ParseError("division by zero", self.text, node.pos + 1) from None
        except ShapeError as err:  # inference should have caught it; the constructors have the last word
            raise ParseShapeError(str(err), self.text, node.pos + 1) from None
        except JacobiError as err:
            raise ParseError(str(err), self.text, node.pos + 1) from None


def _postorder(root: Node) -> list:
    """The nodes of a parse tree, children before parents, without recursion."""
    out: list = []
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args))
    return out


# ---------------------------------------------------------------------------
# Numbers: Fractions, and SymPy expressions in declared sizes; they combine exactly


def _is_number(a) -> bool:
    return isinstance(a, (Fraction, sp.Expr))


def _sympy(a):
    return sp.Rational(a.numerator, a.denominator) if isinstance(a, Fraction) else a


def _numbers(op, a, b):
    """a op b for two numbers: Fractions stay Fractions, anything with a size is SymPy."""
    if op == "**":
        if b.denominator == 1 and abs(b) <= 64 and P.power_fits(_sympy(a), _sympy(b)):
            return a ** int(b)
        return P.power(a, b)
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()


def _sized(op, a, b):
    a, b = _sympy(a), _sympy(b)
    if op == "/" and b == 0:
        raise ZeroDivisionError
    if op == "**" and not (b.is_Integer and abs(b) <= 64):
        return P.power(a, b)
    return {"+": sp.Add, "-": lambda x, y: x - y, "*": sp.Mul, "/": lambda x, y: x / y,
            "**": sp.Pow}[op](a, b)


def _binary(op, a, b):
    """Python's operators on numbers and expressions: numbers combine exactly, expressions through jacobi."""
    if op != "@" and isinstance(a, Fraction) and isinstance(b, Fraction):
        return _numbers(op, a, b)
    if op != "@" and _is_number(a) and _is_number(b):
        return _sized(op, a, b)
    return C.OPERATORS[op].make(a, b)


def parse_result(text: str, shapes: Mapping | None = None, *, strict: bool = False,
                 distributions=()) -> ParseResult:
    """Parse text into an expression and its variables (see jacobi.parse.grammar for the grammar).

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
    if shapes is not None and not isinstance(shapes, Mapping):
        raise JacobiError(f"shapes must map names to shapes, such as {{'x': 3, 'W': '2x3'}}, not {shapes!r}")
    if isinstance(distributions, str) or not hasattr(distributions, "__iter__"):
        raise JacobiError(f"distributions names the variables whose entries sum to one, as a list such as ['y'], "
                          f"not {distributions!r}")
    shapes = dict(shapes or {})
    parser = Parser(text, set(shapes), strict, declared_sizes(shapes))
    name, tree = parser.statement()
    b = Builder(parser, tree, shapes, distributions)
    b.infer(tree)
    syms = b.symbols()
    expr = P.as_expr(b.build(tree, syms))
    return ParseResult(expr, syms, name, text)


def parse(text: str, shapes: Mapping | None = None, *, strict: bool = False, distributions=()) -> Expr:
    """The expression that text denotes; ``parse("sum((W @ x + b - y) ** 2) / 2")``.

    Same arguments as parse_result; the variables are ``expr.symbols()``."""
    return parse_result(text, shapes, strict=strict, distributions=distributions).expr
