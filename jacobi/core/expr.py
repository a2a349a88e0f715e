"""The expression graph: interned, immutable, shaped nodes.

Every node is created once per structure (hash-consing), so structural
equality is identity, common subexpressions are shared automatically and the
size of a derivative is the number of distinct nodes in its graph.  Nothing
here depends on the numeric sizes of vectors and matrices.
"""
from __future__ import annotations

import functools
import hashlib
import sys
from typing import Iterator

import sympy as sp

from .hooks import SympyHooks
from .shapes import JacobiError, Shape, fmt_shape, is_scalar_shape

# Precedences shared by the printers (higher binds tighter).
ADD = 10
MUL = 20
MATMUL = 30
POW = 40
POSTFIX = 50
ATOM = 100

# The two forms that move a transpose down to the leaves (``Expr.moves_transpose``): the simplifier's
# textbook form, and generated code that stores examples as rows.
TEXTBOOK = "textbook"
ROWS = "rows"
BOTH = frozenset((TEXTBOOK, ROWS))

_TABLE: dict = {}

#: the deepest nesting of a node (Expr.depth): deeper construction is refused.  Printing, derivation,
#: simplification and code generation of expressions up to this depth run under ``deep``.
MAX_NESTING = 1000
_RECURSION = 200_000  # the recursion limit ``deep`` sets: about 60 Python frames per level, and then some


def deep(fn):
    """Run fn with a recursion limit that expressions nested MAX_NESTING levels deep need (the printers
    and the chain rule recurse over the graph); the old limit comes back afterwards."""
    @functools.wraps(fn)
    def run(*args, **kw):
        old = sys.getrecursionlimit()
        if old >= _RECURSION:
            return fn(*args, **kw)
        sys.setrecursionlimit(_RECURSION)
        try:
            return fn(*args, **kw)
        finally:
            sys.setrecursionlimit(old)

    return run


class Expr(SympyHooks):
    """A node of the expression graph.  Build nodes with the jc.* functions and
    Python operators; never call the classes directly."""

    __slots__ = ("params", "args", "shape", "depth", "_cache")
    precedence = ATOM
    #: True for element-wise nodes whose output entry i depends only on entry i of the inputs.
    elementwise = False
    #: True for nodes that join an element-wise cluster (lift.py): they give ``_sympy``.
    cluster = False
    #: True for structured Jacobian blocks whose transpose rule is not the dense J^T g.
    block = False
    #: The shape rule (jacobi.core.sizerules.ShapeRule) of a node without parameters, where the class
    #: gives one instead of a ``_shape``: one rule for its constructor and the parser (register_callable).
    shape_rule = None
    #: Expressions in the parser's syntax that use the node (a differentiable primitive gives at least one):
    #: the rule tests differentiate each against finite differences and SymPy.
    examples: tuple = ()

    # -- construction -------------------------------------------------------
    @classmethod
    def _new(cls, params: tuple, args: tuple) -> "Expr":
        key = (cls, params, args)
        node = _TABLE.get(key)
        if node is None:
            depth = 1 + max((a.depth for a in args), default=0)
            if depth > MAX_NESTING:
                raise JacobiError(f"the expression nests more than {MAX_NESTING} levels deep (a node "
                                  f"over one {depth - 1} levels deep); jacobi works up to {MAX_NESTING}")
            shape = cls._shape(params, args)
            node = object.__new__(cls)
            node.params = params
            node.args = args
            node.shape = shape
            node.depth = depth
            node._cache = {}
            _TABLE[key] = node
        return node

    @classmethod
    def _shape(cls, params, args) -> Shape:
        """The shape from the class's shape rule (a ShapeError naming the operands if they do not fit);
        a class with no shape rule overrides this."""
        if cls.shape_rule is None:  # pragma: no cover - @primitive refuses such a class
            raise NotImplementedError
        return cls.shape_rule.check(*args)

    def rebuild(self, args: tuple) -> "Expr":
        """The same node over new children (children keep their shapes)."""
        if args == self.args:
            return self
        return type(self)._new(self.params, tuple(args))._checked()

    def _checked(self) -> "Expr":
        """self, or a JacobiError where the node is undefined: what its constructor refuses (a division by
        the zero constant, log(0)) is refused when children rewritten to constants reveal it too
        (x / (0 * x) simplifies to x / 0)."""
        return self

    # -- structure ----------------------------------------------------------
    @property
    def is_scalar(self) -> bool:
        return is_scalar_shape(self.shape)

    @property
    def T(self) -> "Expr":
        from .matrix import transpose

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
            from .leaves import Symbol

            kids = [a._cache.get("symbols") for a in self.args]
            if isinstance(self, Symbol):
                c = (self,)
            elif all(k is not None for k in kids):  # the children's, in order: no walk of the graph below
                c = tuple(dict.fromkeys(s for k in kids for s in k))
            else:
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
        from .printing import latex

        return "$\\displaystyle " + latex(self) + "$"

    def _latex_body(self) -> str:  # SymPy's hooks (hooks.py): sympy.latex of a node is jacobi's LaTeX
        from .printing import latex

        return latex(self)

    def __bool__(self):
        return True

    # -- operators: numpy's meaning, @ matrix product, * / ** element-wise ---------
    # The constructors live beside their nodes (elementwise.py, matrix.py), which
    # import this module: the one import cycle of the core, named in tests/test_layers.py.
    def __add__(self, o):
        return _ops().add(self, o)

    def __radd__(self, o):
        return _ops().add(o, self)

    def __sub__(self, o):
        return _ops().sub(self, o)

    def __rsub__(self, o):
        return _ops().sub(o, self)

    def __mul__(self, o):
        return _ops().mul(self, o)

    def __rmul__(self, o):
        return _ops().mul(o, self)

    def __truediv__(self, o):
        return _ops().div(self, o)

    def __rtruediv__(self, o):
        return _ops().div(o, self)

    def __pow__(self, o):
        return _ops().power(self, o)

    def __rpow__(self, o):
        return _ops().power(o, self)

    def __matmul__(self, o):
        return _ops().matmul(self, o)

    def __rmatmul__(self, o):
        return _ops().matmul(o, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pos__(self):
        return self

    __array_ufunc__ = None  # numpy defers to these operators instead of broadcasting over an Expr

    # -- the transpose moved one level down ---------------------------------------
    #: The forms that move a transpose through this node: TEXTBOOK writes (A B)^T as B^T A^T but keeps
    #: (u * v)^T whole; ROWS, code that stores examples as rows, moves it through element-wise nodes too.
    moves_transpose: frozenset = frozenset()
    #: The identity ``_transpose`` applies, as a simplification step cites it.
    transpose_rule = None

    def _transpose(self, t, keep) -> "Expr | None":
        """self^T with the transpose moved one level down, or None where none moves: t(a) is a child
        transposed, keep(a) a child in its own orientation (the simplifier passes jc.transpose and the
        identity; the network's code generator pushes on into both).  ``(A @ B).T -> B.T @ A.T``"""
        return None

    # -- the transpose rule of a Jacobian block ----------------------------------
    def _pullback(self, G: "Expr", in_shape) -> "Expr":
        """vec(G)^T J laid out in the input's shape, for this node J used as a Jacobian.
        The general rule, J^T vec(G); structured blocks (diag, kron, 1, I ...) override it."""
        from .blocks import reshape_like, vec
        from .matrix import matmul, transpose

        g = G if G.shape[1] == 1 else (transpose(G) if G.shape[0] == 1 else vec(G))
        return reshape_like(matmul(transpose(self), g), in_shape)


def _ops():
    """jacobi.core, which exports every constructor (looked up, not imported: this module loads first)."""
    return sys.modules[__package__]


class SameShape(Expr):
    """A node whose shape is its first operand's (element-wise operations,
    softmax, storage wrappers in generated code)."""

    __slots__ = ()

    @classmethod
    def _shape(cls, params, args):
        return args[0].shape


class Call(Expr):
    """A node printed as a function applied to its argument: name(x)."""

    __slots__ = ()
    precedence = ATOM
    text_name = ""
    latex_name = ""

    def _text(self, p):
        return f"{self.text_name}({p.doprint(self.args[0])})"

    def _tex(self, p):
        return self.latex_name + r"\left(" + p.doprint(self.args[0]) + r"\right)"


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


