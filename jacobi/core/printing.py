"""The printer protocol.  A node prints itself: ``_text`` (the syntax the
command line reads), ``_tex`` (textbook notation; ``_latex`` is SymPy's hook, which
hands a jacobi node to jacobi's printer), ``_code`` (numeric code,
codegen's printer), ``_explicit`` (SymPy components), ``_index`` (one entry,
render's index printer).  The printer supplies parenthesisation, so every
sub-part is printed with the right precedence."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from .expr import ADD, ATOM, MATMUL, MUL, POSTFIX, POW, Expr, deep
from .shapes import JacobiError


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
    """The syntax the parser reads back (jacobi.parse): Python's precedence, where * / and @ are one level.

    A node whose text binds otherwise than its precedence says so with ``text_precedence``
    (a constant 6 + 6*exp(-2) is a sum, kron(A, B) is a call)."""

    method = "_text"

    def __init__(self):
        self._context: list = [(None, (False, False))]  # the nodes being printed: (node, (rows, cols) implied)
        self._shapes = _Shapes()

    def doprint(self, e: Expr) -> str:
        parent, outside = self._context[-1]
        implied = (False, False) if parent is None else self._shapes.implied(parent, outside, e)
        self._context.append((e, implied))
        try:
            return super().doprint(e)
        finally:
            self._context.pop()

    def size_implied(self) -> bool:
        """Whether the context of the node being printed gives its rows or its columns: I, whose size the
        parser infers, is I(n) where nothing around it gives its size."""
        return any(self._context[-1][1])

    def paren(self, e: Expr, prec: int) -> str:
        s = self.doprint(e)
        level = getattr(e, "text_precedence", e.precedence)
        # * / and @ share one level (left-associative): a matrix product needs parentheses wherever more
        # than a product is needed (right of * and /), and a number literal takes no .T (2.T is a number)
        if level < prec or level == MATMUL and MUL < prec < MATMUL or prec >= POSTFIX and s.isdigit():
            return self.wrap(s)
        return s

    def operand(self, e: Expr, prec: int, matmul_prec: int | None = None, among: tuple = ()) -> str:
        """An operand of an element-wise operator: a scalar expansion prints as its scalar, the ones
        (zero) matrix as 1 (0), where a sibling shows the shape (a scalar expansion also where the
        context does); else the first scalar expansion prints in full, s * ones(n)."""
        N = _nodes()
        node = self._context[-1][0]  # a sum prints a negated term by its negation
        implied = not among or _fixed_implied([N.negated(a) or a for a in among] if isinstance(node, N.Add)
                                              else among)
        if isinstance(e, N.Broadcast) and (implied or all(self._context[-1][1]) or any(
                isinstance(a, (N.Ones, N.Zero)) and not a.is_scalar for a in among) or e is not next(
                a for a in among if isinstance(a, N.Broadcast))):
            e = e.args[0]
        if isinstance(e, (N.Ones, N.Zero)) and implied:
            return self.one() if isinstance(e, N.Ones) else "0"
        if matmul_prec is not None and isinstance(e, N.MatMul) and not e.is_scalar:
            return self.wrap(self.doprint(e))
        return self.paren(e, prec)

    def constant(self, v: sp.Expr) -> str:
        """A SymPy number (or an expression in sizes) in the syntax: exp(1) for E, x ** (1/2) for sqrt(x)."""
        return _CONSTANT.doprint(v)


class _ConstantPrinter(StrPrinter):
    def _print_Exp1(self, expr):
        return "exp(1)"

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sp.S.Half or expr.exp == -sp.S.Half:
            base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=False)
            return f"{base}**(1/2)" if expr.exp > 0 else f"1/{base}**(1/2)"
        return super()._print_Pow(expr, rational)


_CONSTANT = _ConstantPrinter()


def constant_precedence(v: sp.Expr) -> int:
    """How the text of a constant binds: a sum or a negative number as a sum, a quotient or a product as a
    product, a power as a power, the rest as an atom."""
    if v.is_Add or v.could_extract_minus_sign() or v.is_number and v.is_negative:
        return ADD
    if v.is_Mul or v.is_Rational and not v.is_Integer or v.is_Pow and v.exp.is_negative:
        return MUL
    return POW if v.is_Pow else ATOM


# What the text shows of a shape, for the identity's size: the parser infers the sizes of I from what
# is around it, so I needs its size written, I(n), only where nothing gives it.


@functools.cache
def _nodes() -> SimpleNamespace:
    """The node classes the text printer asks about (their modules load after this one)."""
    from .apply import Apply
    from .blocks import Diag, SoftmaxJacobian, Unvec, Vec
    from .elementwise import Add, Broadcast, Hadamard, Scale, negated
    from .kronecker import Kron
    from .leaves import Identity, Ones, Zero
    from .matrix import LogSoftmax, MatMul, Softmax, Transpose
    from .powers import Div, Power

    return SimpleNamespace(Apply=Apply, Diag=Diag, Kron=Kron, SoftmaxJacobian=SoftmaxJacobian, Unvec=Unvec, Vec=Vec,
                           Add=Add, Broadcast=Broadcast, Hadamard=Hadamard, Scale=Scale, negated=negated,
                           Identity=Identity, Ones=Ones, Zero=Zero, LogSoftmax=LogSoftmax, MatMul=MatMul,
                           Softmax=Softmax, Transpose=Transpose, Div=Div, Power=Power,
                           elementwise=(Add, Hadamard, Div, Power), fixed=(Broadcast, Ones, Zero))


def _fixed_implied(operands) -> bool:
    """Whether an operand shows the shape, so that the ones and zero matrices print as 1 and 0."""
    fixed = _nodes().fixed
    return any(not isinstance(a, fixed) and not a.is_scalar for a in operands)


class _Shapes:
    """For one printing: which rows and columns the text shows (memoised over the shared graph)."""

    def __init__(self):
        self.N = _nodes()
        self._shows: dict = {}
        self._operands: dict = {}
        self._carriers: dict = {}

    def shows(self, e: Expr) -> tuple:
        """(rows, cols): whether e's own text determines them (given the declared variables); False where
        unsure, which costs only an I(n) where I would do."""
        r = self._shows.get(e)
        if r is None:
            r = self._shows[e] = self._own(e)
        return r

    def _own(self, e: Expr) -> tuple:
        N = self.N
        if isinstance(e, N.Identity):
            return (False, False)
        if not e.args or e.is_scalar or isinstance(e, (N.Unvec, N.Broadcast)):
            return (True, True)  # a leaf, a scalar, sizes written out: unvec(v, m, n), s * ones(n)
        if isinstance(e, N.Transpose):
            return self.shows(e.args[0])[::-1]
        if isinstance(e, N.MatMul):  # the first factor's rows, the last one's columns, through identities
            return (self._chain(e.args, 0), self._chain(e.args[::-1], 1))
        if isinstance(e, N.Kron):
            (a, b), (c, d) = self.shows(e.args[0]), self.shows(e.args[1])
            return (a and c, b and d)
        if isinstance(e, (N.Diag, N.SoftmaxJacobian, N.Vec)):
            return (all(self.shows(e.args[0])),) * 2
        if isinstance(e, N.Scale):
            return self.shows(e.args[1])
        carriers = self.carriers(e)  # element-wise operations and functions, softmax
        return (any(self.shows(a)[0] for a in carriers), any(self.shows(a)[1] for a in carriers))

    def _chain(self, factors, side) -> bool:
        for f in factors:
            if not isinstance(f, self.N.Identity):
                return self.shows(f)[side]
        return False

    def operands(self, e: Expr) -> list:
        """The operands as an element-wise node prints them: a sum prints a negated term by its negation."""
        r = self._operands.get(e)
        if r is None:
            negated = self.N.negated
            r = [negated(a) or a for a in e.args] if isinstance(e, self.N.Add) else list(e.args)
            self._operands[e] = r
        return r

    def carriers(self, e: Expr) -> list:
        """The operands of an element-wise node (or of a function) whose text shows its shape: not a
        scalar expansion (printed as its scalar), nor the ones or zero matrix printed as 1 or 0."""
        r = self._carriers.get(e)
        if r is None:
            N, operands = self.N, self.operands(e)
            fixed = _fixed_implied(operands)
            r = self._carriers[e] = [a for a in operands if a.shape == e.shape and not isinstance(a, N.Broadcast)
                                     and not (fixed and isinstance(a, (N.Ones, N.Zero)))]
        return r

    def implied(self, parent: Expr, outside: tuple, e: Expr) -> tuple:
        """(rows, cols) of e that its context gives: its parent's (outside) and its siblings'."""
        N, shows = self.N, self.shows
        if e.is_scalar or isinstance(parent, N.Unvec):
            return (True, True)
        if isinstance(parent, N.elementwise) and any(a is e for a in self.operands(parent)):
            rest = [a for a in self.carriers(parent) if a is not e]
            return (outside[0] or any(shows(a)[0] for a in rest), outside[1] or any(shows(a)[1] for a in rest))
        k = next((i for i, a in enumerate(parent.args) if a is e), None)
        if k is None:  # printed through a helper: the columns of a transposed sum
            return outside if e.shape == parent.shape else outside[::-1] if e.shape == parent.shape[::-1] else \
                (False, False)
        if isinstance(parent, N.Transpose):
            return outside[::-1]
        if isinstance(parent, N.MatMul):
            left, right = outside
            for f in parent.args[:k]:
                left = shows(f)[1] or isinstance(f, N.Identity) and left
            for f in parent.args[:k:-1]:
                right = shows(f)[0] or isinstance(f, N.Identity) and right
            return (left, right)
        if isinstance(parent, N.Kron):
            other = shows(parent.args[1 - k])
            return (outside[0] and other[0], outside[1] and other[1])
        if isinstance(parent, (N.Scale, N.Apply, N.Softmax, N.LogSoftmax)):
            return outside
        return (False, False)


@deep
def text(e: Expr) -> str:
    """Plain text in the syntax the command line reads (@, *, /, **, .T)."""
    _printable(e)
    return TextPrinter().doprint(e)


#: the most nodes a formula is written out with; a larger one is refused (name_shared names its shared parts)
PRINT_MAX = 200_000


def _printable(e: Expr) -> None:
    n = tree_size(e)
    if n > PRINT_MAX:
        raise JacobiError(f"the formula written out would have {n:,} terms (its graph has {e.count():,} nodes): "
                          "print it with its shared parts named, jacobi.core.printing.name_shared([e])")


class LatexPrinter(Printer):
    method = "_tex"

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


@deep
def latex(e) -> str:
    """LaTeX for an expression: sigma(z^{l}), \\odot, W^{\\top}, \\operatorname{diag} ..."""
    if isinstance(e, Expr):
        _printable(e)
        return LatexPrinter().doprint(e)
    if hasattr(e, "latex") and isinstance(e.latex, str):
        return e.latex
    if isinstance(e, sp.MatrixBase):
        return sp.latex(e, mat_str="bmatrix", mat_delim="")
    if isinstance(e, sp.Basic):
        return sp.latex(e)
    raise JacobiError(f"no LaTeX form for {e!r} (a {type(e).__name__}): jc.latex takes a jacobi or SymPy expression")


# ---------------------------------------------------------------------------
# Printing a graph whose tree is far larger than the graph itself.

#: the most nodes a printed formula may have as a tree before its shared parts are named
PRINT_LIMIT = 5000


def tree_size(e: Expr) -> int:
    """How many nodes e has written out as a tree (a shared node counts once per use); kept on each
    node, so asking again (every str and latex asks) walks only nodes never asked about."""
    stack = [e]
    while stack:
        n = stack[-1]
        if "tree" in n._cache:
            stack.pop()
            continue
        todo = [a for a in n.args if "tree" not in a._cache]
        if todo:
            stack.extend(todo)
        else:
            n._cache["tree"] = 1 + sum(a._cache["tree"] for a in n.args)
            stack.pop()
    return e._cache["tree"]


def name_shared(exprs: list, limit: int = PRINT_LIMIT) -> tuple[list, list]:
    """(bindings, exprs): where exprs written out as trees would exceed ``limit`` nodes (a derivative
    of nested softmaxes doubles at each level), every shared part of more than a few nodes is named
    t1, t2 ... (a (symbol, definition) binding each, definitions over earlier names) and the
    expressions refer to the names; the bindings are empty where nothing needs naming."""
    from .leaves import new_symbol

    if sum(tree_size(e) for e in exprs) <= limit:
        return [], list(exprs)
    uses: dict = {}
    for e in exprs:
        for n in e.walk():
            for a in n.args:
                uses[a] = uses.get(a, 0) + 1
    taken = {s.name for e in exprs for s in e.symbols()}
    bindings: list = []
    memo: dict = {}
    for e in exprs:
        for n in e.walk():
            if n in memo:
                continue
            r = n.rebuild(tuple(memo[a] for a in n.args)) if n.args else n
            if n.args and uses.get(n, 0) > 1 and tree_size(r) > 3:
                k = len(bindings) + 1
                while f"t{k}" in taken:
                    k += 1
                taken.add(f"t{k}")
                kind = "scalar" if r.is_scalar else "vector" if r.shape[1] == 1 else "matrix"
                sym = new_symbol(f"t{k}", r.shape[0], r.shape[1], kind)
                bindings.append((sym, r))
                r = sym
            memo[n] = r
    return bindings, [memo[e] for e in exprs]
