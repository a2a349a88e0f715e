"""The entry points: text to an expression, in jacobi's syntax or matrixcalculus.org's.

The grammar reads the text (grammar.py, with the syntax's tables from
syntax.py), the builder infers the sizes and builds the expression (build.py).
Text refused in jacobi's syntax that reads in matrixcalculus.org's (``x'*A*x``)
is refused with a hint that says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .. import core as P
from ..core import structure
from ..core.expr import Expr
from ..core.shapes import JacobiError
from . import syntax as X
from .build import Builder
from .grammar import Parser
from .lexer import ParseShapeError
from .sizes import shape_spec


def known_functions() -> list[str]:
    """Every name that can be called in jacobi's syntax (the registry of jacobi.core.callables, and the
    constants vector(c), matrix(c))."""
    return X.names()


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


def parse_result(text: str, shapes: Mapping | None = None, *, strict: bool = False,
                 distributions=(), syntax: str = "jacobi", symmetric=(), positive_definite=(),
                 diagonal=()) -> ParseResult:
    """Parse text into an expression and its variables (see jacobi.parse.grammar for the grammar).

    shapes maps a name to its shape ("3", "n", "2x3", "mxn", "scalar", an int,
    a pair, or a jacobi Symbol to use as it is); undeclared names follow the
    naming convention and their sizes are inferred, unless strict=True, where
    every name must be declared.  distributions names the vectors or matrices
    whose entries (columns) sum to one; symmetric, positive_definite and
    diagonal name the square matrices declared so (jc.matrix's keywords; a
    name the text does not use is refused).  syntax is "jacobi" (the default) or
    "matrixcalculus", matrixcalculus.org's input syntax (jacobi.parse.syntax);
    the expression is the same either way, and prints in jacobi's.  Raises
    ParseError (ParseShapeError for shapes that do not fit) with the column of
    the offending character.

    >>> r = parse_result("C = sum((W @ x - y) ** 2)", {"x": 3})
    >>> r.name, r.symbols["W"].shape
    ('C', (n, 3))
    >>> parse_result("x'*A*x", syntax="matrixcalculus").expr
    x.T @ A @ x
    """
    if shapes is not None and not isinstance(shapes, Mapping):
        raise JacobiError(f"shapes must map names to shapes, such as {{'x': 3, 'W': '2x3'}}, not {shapes!r}")
    if isinstance(distributions, str) or not hasattr(distributions, "__iter__"):
        raise JacobiError(f"distributions names the variables whose entries sum to one, as a list such as ['y'], "
                          f"not {distributions!r}")
    X.check_syntax(syntax)
    shapes = dict(shapes or {})
    structures = _structures({"symmetric": symmetric, "positive_definite": positive_definite, "diagonal": diagonal})
    try:
        parser = Parser(text, set(shapes), strict, declared_sizes(shapes), syntax)
        name, tree = parser.statement()
        unused = [n for n in structures if n not in parser.names]
        if unused:
            n = unused[0]
            raise JacobiError(f"{n} is declared {structure.words(structures[n])}, but the expression has no variable "
                              f"{n} (its variables: {', '.join(parser.names) or 'none'})")
        b = Builder(parser, tree, shapes, distributions, structures)
        b.infer(tree)
        b.check_constants(tree)
    except ParseShapeError as err:
        if syntax == X.JACOBI and text[err.column - 1:err.column] == "*" and _reads_as_mc(text, shapes, strict):
            raise _with_mc_hint(err) from None
        raise
    syms = b.symbols()
    expr = P.as_expr(b.build(tree, syms))
    # a name in an index position (embedding(C, X)) was built as an index matrix: the expression's symbol
    used = {s.name: s for s in expr.symbols()}
    syms = {n: used.get(n, s) for n, s in syms.items()}
    return ParseResult(expr, syms, name, text)


def _structures(lists: dict) -> dict:
    """name -> the structures it is declared with, from symmetric=[...], positive_definite=[...], diagonal=[...]."""
    out: dict = {}
    for kw, names in lists.items():
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise JacobiError(f"{kw}= names the matrices declared so, as a list such as ['A'], not {names!r}")
        for n in names:
            if not isinstance(n, str):
                raise JacobiError(f"{kw}= names the matrices declared so, as strings such as 'A', not {n!r}")
            out.setdefault(n, []).append(kw)
    return out


def _reads_as_mc(text: str, shapes: dict, strict: bool) -> bool:
    """Whether text, refused in jacobi's syntax, reads in matrixcalculus.org's (x'*A*x, A*x - b)."""
    try:
        parse_result(text, shapes, strict=strict, syntax=X.MATRIXCALCULUS)
    except JacobiError:
        return False
    return True


def _with_mc_hint(err: ParseShapeError) -> ParseShapeError:
    message = err.message.removesuffix(" (for the matrix product use @)")
    transpose = " and .T for the transpose" if "'" in err.text else ""
    return ParseShapeError(f"{message} (use @ for the matrix product{transpose}, or --syntax matrixcalculus)",
                           err.text, err.column)


def parse(text: str, shapes: Mapping | None = None, *, strict: bool = False, distributions=(),
          syntax: str = "jacobi", symmetric=(), positive_definite=(), diagonal=()) -> Expr:
    """The expression that text denotes; ``parse("sum((W @ x + b - y) ** 2) / 2")``, or in
    matrixcalculus.org's syntax ``parse("(A*x-y)'*(A*x-y)", syntax="matrixcalculus")``.

    Same arguments as parse_result; the variables are ``expr.symbols()``."""
    return parse_result(text, shapes, strict=strict, distributions=distributions, syntax=syntax,
                        symmetric=symmetric, positive_definite=positive_definite, diagonal=diagonal).expr
