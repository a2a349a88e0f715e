"""The expression graph: interned, immutable, shaped nodes.

Every node is created once per structure (hash-consing), so structural
equality is identity, common subexpressions are shared automatically and the
size of a derivative is the number of distinct nodes in its graph.  Nothing
here depends on the numeric sizes of vectors and matrices.
"""
from __future__ import annotations

import hashlib
from typing import Iterator

import sympy as sp

from .shapes import JacobiError, Shape, ShapeError, fmt_shape, is_scalar_shape, size

# Precedences shared by the printers (higher binds tighter).
ADD = 10
MUL = 20
MATMUL = 30
POW = 40
POSTFIX = 50
ATOM = 100

_TABLE: dict = {}


class Expr:
    """A node of the expression graph.  Build nodes with the jc.* functions and
    Python operators; never call the classes directly."""

    __slots__ = ("params", "args", "shape", "_cache")
    precedence = ATOM
    #: True for element-wise nodes whose output entry i depends only on entry i of the inputs.
    elementwise = False

    # -- construction -------------------------------------------------------
    @classmethod
    def _new(cls, params: tuple, args: tuple) -> "Expr":
        key = (cls, params, args)
        node = _TABLE.get(key)
        if node is None:
            shape = cls._shape(params, args)
            node = object.__new__(cls)
            node.params = params
            node.args = args
            node.shape = shape
            node._cache = {}
            _TABLE[key] = node
        return node

    @classmethod
    def _shape(cls, params, args) -> Shape:  # pragma: no cover - every class overrides
        raise NotImplementedError

    def rebuild(self, args: tuple) -> "Expr":
        """The same node over new children (children keep their shapes)."""
        if args == self.args:
            return self
        return type(self)._new(self.params, tuple(args))

    # -- structure ----------------------------------------------------------
    @property
    def is_scalar(self) -> bool:
        return is_scalar_shape(self.shape)

    @property
    def T(self) -> "Expr":
        from .primitives import transpose

        return transpose(self)

    def walk(self) -> Iterator["Expr"]:
        """Every distinct node once, children before parents (topological order)."""
        seen: set[int] = set()
        stack: list[tuple[Expr, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                yield node
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for a in reversed(node.args):
                if id(a) not in seen:
                    stack.append((a, False))

    def count(self) -> int:
        """Number of distinct nodes: the size of the expression as a shared graph."""
        return sum(1 for _ in self.walk())

    def symbols(self) -> tuple:
        """The Symbol leaves, in first-appearance order."""
        c = self._cache.get("symbols")
        if c is None:
            from .primitives import Symbol

            c = tuple(n for n in self.walk() if isinstance(n, Symbol))
            self._cache["symbols"] = c
        return c

    def depends_on(self, sym: "Expr") -> bool:
        memo = self._cache.setdefault("dep", {})
        r = memo.get(id(sym))
        if r is None:
            r = self is sym or any(a.depends_on(sym) for a in self.args)
            memo[id(sym)] = r
        return r

    def skey(self) -> str:
        """A structural digest, identical across runs and PYTHONHASHSEED values."""
        k = self._cache.get("skey")
        if k is None:
            h = hashlib.blake2b(digest_size=8)
            h.update(type(self).__name__.encode())
            h.update(_param_repr(self.params).encode())
            for a in self.args:
                h.update(a.skey().encode())
            k = h.hexdigest()
            self._cache["skey"] = k
        return k

    def leader(self) -> str:
        """Name of the first symbol in the expression (for textbook term order)."""
        k = self._cache.get("leader")
        if k is None:
            syms = self.symbols()
            k = syms[0].name if syms else ""
            self._cache["leader"] = k
        return k

    # -- printing ------------------------------------------------------------
    def __str__(self) -> str:
        from .printing import text

        return text(self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_latex_(self) -> str:
        from .latex import latex

        return "$\\displaystyle " + latex(self) + "$"

    def __bool__(self):
        return True

    # Operators are attached in primitives.py, next to the nodes they build.


class SameShape(Expr):
    """A node whose shape is its first operand's (element-wise operations,
    softmax, storage wrappers in generated code)."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return args[0].shape


def _param_repr(params) -> str:
    out = []
    for p in params:
        if isinstance(p, sp.Basic):
            out.append(sp.srepr(p))
        elif isinstance(p, (tuple, frozenset)):
            out.append("(" + _param_repr(tuple(sorted(p, key=str)) if isinstance(p, frozenset) else p) + ")")
        elif hasattr(p, "name"):
            out.append(p.name)
        else:
            out.append(repr(p))
    return "|".join(out)


def describe(e: Expr) -> str:
    """An operand as it appears in error messages: its text and its shape."""
    s = str(e)
    if len(s) > 60:
        s = s[:57] + "..."
    return f"{s} ({fmt_shape(e.shape)})"


__all__ = ["Expr", "JacobiError", "ShapeError", "describe", "size"]


def rewrite(e: "Expr", fn) -> "Expr":
    """e rebuilt from the leaves up over the shared graph; each rebuilt node is
    replaced by fn(node) where fn returns a node (None keeps it)."""
    memo: dict = {}

    def go(n):
        r = memo.get(n)
        if r is None:
            r = n.rebuild(tuple(go(a) for a in n.args)) if n.args else n
            new = fn(r)
            r = memo[n] = r if new is None else new
        return r

    return go(e)


class Rule(str):
    """The rule that justifies a step.  It reads as its text ("sum rule: d(u + v)/du = I")
    and carries the same rule for LaTeX: ``parts`` holds (name, text, formula in math) triples."""

    __slots__ = ("parts",)

    def __new__(cls, name: str, text: str = "", formula: str = ""):
        s = super().__new__(cls, f"{name}: {text}" if text else name)
        s.parts = ((name, text, formula),)
        return s

    def render(self, escape=str) -> str:
        """Each name, then its formula in $...$ (or its text, escaped, where it has no formula)."""
        return "; ".join(escape(n) + (f": ${f}$" if f else (": " + escape(t) if t else "")) for n, t, f in self.parts)

    @property
    def latex(self) -> str:
        """Text-mode LaTeX: each name, then its formula in math mode."""
        return self.render(latex_text)

    @classmethod
    def join(cls, rules) -> "Rule":
        """Several rules read as one annotation, "a; b", each kept once."""
        rules = [r if isinstance(r, Rule) else cls(r) for r in dict.fromkeys(rules)]
        if len(rules) == 1:
            return rules[0]
        out = super().__new__(cls, "; ".join(rules))
        out.parts = tuple(p for r in rules for p in r.parts)
        return out


def latex_text(s: str) -> str:
    """Plain text made safe for LaTeX's text mode."""
    out = []
    for ch in s:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "^":
            out.append(r"\^{}")
        elif ch == "~":
            out.append(r"\~{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)
