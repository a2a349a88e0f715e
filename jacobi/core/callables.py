"""The registry of callable names: what the text syntax can call, and its operators.

One record per name: how many arguments it takes, the constructor that
builds it, the arguments' names for messages, and its shape rule (one rule,
shared by the constructors and the parser's size inference: sizerules.py).
Every element-wise function of the function registry (functions.FUNCTIONS)
is callable by its name, and ``f'(x)`` names its derivative.  The parser
reads arities, argument kinds and shape rules from here and keeps no copy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable as _Fn

from . import functions as F
from . import sizerules as R
from .apply import apply
from .axis import ALONG, REDUCE, argmax_mask, max_, mean, var
from .blocks import diag, softmax_jacobian, unvec, vec
from .elementwise import add, hadamard, mul, sub
from .kronecker import block_inner, block_sum, kron, rearrange
from .leaves import commutation, identity, ones, zeros
from .mathfunctions import sqrt
from .matrix import dot, log_softmax, matmul, softmax, sum_, transpose
from .norms import norm1, norm2
from .powers import div, power
from .shapes import JacobiError


@dataclass(frozen=True)
class Callable:
    """A callable name (or an operator) of the text syntax."""

    name: str
    arity: tuple  # the numbers of arguments it takes
    make: _Fn  # the constructor, over the built arguments (SymPy sizes for size arguments)
    args: str  # the arguments' names, for messages: "u, v"
    shape: R.ShapeRule  # its one shape rule
    sizes: tuple = ()  # positions of the arguments that are sizes (ones(m, n)), not expressions
    # positions of integer arguments: a number written as an expression (-1, 3), or a size name (k)
    integers: tuple = ()
    # positions of axis arguments (an axis, ddof): numbers written as they are, whose values the shape rule
    # reads (sum(X, 0) is a row, sum(X, 1) a column)
    flags: tuple = ()
    # positions of offsets: an integer >= 0 or an expression in sizes (cols(X, 0, d), rows(X, d, 2*d))
    offsets: tuple = ()
    # the names of the flags also given as name=value (sum(X, axis=1)); for a variadic record, keyword-only
    # flags after the repeated arguments (concat(A, B, axis=1)), passed to make last, None where not given
    keywords: tuple = ()
    variadic: bool = False  # any number of arguments from arity[0] on (concat's blocks)
    elementwise: bool = False  # an element-wise function: f'(x) names its derivative
    bare: bool = False  # also written alone, its size inferred: I is I(n)
    variable: bool = False  # the name alone, not called, is a variable as any other name (K)

    def takes(self) -> str:
        """'takes 1 argument', 'takes 1 or 2 arguments', 'takes 1 or more arguments'."""
        n = f"{self.arity[0]} or more" if self.variadic else " or ".join(str(k) for k in self.arity)
        return f"takes {n} argument" + ("" if self.arity == (1,) and not self.variadic else "s")

    def accepts(self, n: int) -> bool:
        """Whether n positional arguments are a call of it."""
        return n >= self.arity[0] if self.variadic else n in self.arity

    def position(self, keyword: str) -> int | None:
        """The position of a keyword argument given by position too (sum(X, 1)), or None: keyword only."""
        if self.variadic:
            return None
        return [a.strip() for a in self.args.split(",")].index(keyword)

    def flag_positions(self, n: int) -> tuple:
        """The positions of the flags among n arguments (a variadic record's keywords come last)."""
        return tuple(range(n - len(self.keywords), n)) if self.variadic else self.flags


def _record(name, arity, make, args, shape, **kw) -> Callable:
    return Callable(name, arity if isinstance(arity, tuple) else (arity,), make, args, shape, **kw)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


#: the callable names other than the element-wise functions, in the order the help lists them
CALLABLES: dict[str, Callable] = {r.name: r for r in (
    _record("sum", (1, 2), sum_, "x, axis", REDUCE, flags=(1,), keywords=("axis",)),
    _record("mean", (1, 2), mean, "x, axis", REDUCE, flags=(1,), keywords=("axis",)),
    _record("var", (1, 2, 3), var, "x, axis, ddof", REDUCE, flags=(1, 2), keywords=("axis", "ddof")),
    _record("max", (1, 2), max_, "x, axis", REDUCE, flags=(1,), keywords=("axis",)),
    _record("argmax_mask", (1, 2), argmax_mask, "x, axis", R.SAME, flags=(1,), keywords=("axis",)),
    _record("norm1", 1, norm1, "x", R.SUM),
    _record("norm2", 1, norm2, "x", R.SUM),
    _record("sqrt", 1, sqrt, "x", R.SAME),  # the power x ** (1/2)
    _record("softmax", (1, 2), softmax, "z, axis", ALONG, flags=(1,), keywords=("axis",)),
    _record("log_softmax", (1, 2), log_softmax, "z, axis", ALONG, flags=(1,), keywords=("axis",)),
    _record("dot", 2, dot, "u, v", R.DOT),
    _record("hadamard", 2, hadamard, "u, v", R.HADAMARD),
    _record("diag", 1, diag, "v", R.DIAG),
    _record("transpose", 1, transpose, "x", R.TRANSPOSE),
    _record("kron", 2, kron, "A, B", R.KRON),
    _record("block_inner", 2, block_inner, "G, B", R.BLOCK_INNER),
    _record("block_sum", 2, block_sum, "G, A", R.BLOCK_SUM),
    _record("rearrange", 3, rearrange, "G, p, q", R.REARRANGE, sizes=(1, 2)),
    _record("vec", 1, vec, "X", R.VEC),
    _record("unvec", 3, unvec, "v, m, n", R.UNVEC, sizes=(1, 2)),
    _record("ones", (1, 2), ones, "m, n", R.FIXED, sizes=(0, 1)),
    _record("zeros", (1, 2), zeros, "m, n", R.FIXED, sizes=(0, 1)),
    _record("K", 2, commutation, "m, n", R.COMMUTATION, sizes=(0, 1), variable=True),
    _record("softmax_jacobian", 1, softmax_jacobian, "S", R.DIAG),
    _record("I", 1, identity, "n", R.IDENTITY, sizes=(0,), bare=True),
    _record("eye", 1, identity, "n", R.IDENTITY, sizes=(0,)),  # I(n) by numpy's name
)}

#: the binary operators, by their symbol
OPERATORS: dict[str, Callable] = {op: _record(op, 2, make, "a, b", R.OPERATORS[op]) for op, make in (
    ("+", add), ("-", sub), ("*", mul), ("/", div), ("**", power), ("@", matmul))}


def register_callable(name: str, make: _Fn, *, args: str, shape: R.ShapeRule, arity=None, sizes: tuple = (),
                      integers: tuple = (), offsets: tuple = (), variadic: bool = False,
                      keywords: tuple = ()) -> Callable:
    """Make ``name(...)`` callable in the text syntax (jc.parse, the command line) and as ``jc.name``.

    make builds the node from the built arguments; args names them for messages ("X", "u, v");
    shape is its one shape rule (jacobi.core.sizerules), which the parser's size inference reads
    too; arity defaults to the number of names in args; sizes are the positions of arguments that
    are sizes, not expressions (ones(m, n)); integers those of integer arguments, a number or a size
    name (matrix_power(X, -1), matrix_power(X, k)); offsets those of integers >= 0 or expressions in sizes
    (cols(X, 0, d)).  variadic: any number of arguments from the first arity on (concat(A, B, ...)), with
    keywords the names of keyword-only integer arguments that follow them (concat(A, B, axis=1)), passed
    to make last (None where the text does not give one); without variadic, keywords name arguments
    (integers: an axis) that may be given by position or as name=value (sum(X, axis=1))."""
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise JacobiError(f"a callable name is an identifier, not {name!r}")
    if name in CALLABLES or name in F.FUNCTIONS:
        raise JacobiError(f"the name {name!r} is already callable")
    if not callable(make):
        raise JacobiError(f"register_callable({name!r}) needs a constructor, not {make!r}")
    if not isinstance(shape, R.ShapeRule):
        raise JacobiError(f"register_callable({name!r}) needs a ShapeRule (jacobi.core.sizerules), not {shape!r}")
    if arity is None:
        arity = len([a for a in args.split(",") if a.strip() and a.strip() != "..."])
    if isinstance(keywords, str) or any(not (isinstance(k, str) and _NAME.fullmatch(k)) for k in keywords):
        raise JacobiError(f"register_callable({name!r}): keywords is a tuple of identifiers, not {keywords!r}")
    names = [a.strip() for a in args.split(",")]
    missing = [k for k in keywords if k not in names] if not variadic else []
    if missing:
        raise JacobiError(f"register_callable({name!r}): the keyword {missing[0]} is none of its arguments ({args})")
    flags = () if variadic else tuple(names.index(k) for k in keywords)
    rec = _record(name, arity, make, args, shape, sizes=tuple(sizes), integers=tuple(integers), flags=flags,
                  offsets=tuple(offsets), variadic=bool(variadic), keywords=tuple(keywords))
    CALLABLES[name] = rec
    return rec


def unregister_callable(name: str) -> None:
    """Forget a callable name (for throwaway ones defined in tests)."""
    CALLABLES.pop(name, None)


@lru_cache(maxsize=None)
def _elementwise(fn: F.ElementwiseFunction) -> Callable:
    return _record(fn.name, 1, lambda x: apply(fn, x), "x", R.SAME, elementwise=True)


def lookup(name: str) -> Callable | None:
    """The record of a callable name (an element-wise function's is made on first use), or None."""
    rec = CALLABLES.get(name)
    if rec is not None:
        return rec
    fn = F.FUNCTIONS.get(name)
    return None if fn is None else _elementwise(fn)


def names() -> list[str]:
    """Every name that can be called, sorted: the element-wise functions and the others."""
    return sorted(set(F.FUNCTIONS) | set(CALLABLES))


def operations() -> list[str]:
    """The callable names that are not element-wise functions, in the registry's order."""
    return list(CALLABLES)
