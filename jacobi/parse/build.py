"""From the parse tree to an expression: size inference, then construction.

Every name gets a shape (declared, or by convention with its sizes still to
be inferred); the shape rules of jacobi.core.callables (the same rules the
constructors check) unify the sizes node by node, and a mismatch is reported
at the column of its operator.  Then the expression is built with jacobi's
own constructors; numbers (and declared sizes used as numbers) combine
exactly, as Python's would.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from .. import core as P
from ..core import callables as C
from ..core import functions as F
from ..core import structure
from ..core.shapes import JacobiError, ShapeError
from . import syntax as X
from .grammar import Node, Parser
from .lexer import NAME, ParseError, ParseShapeError
from .sizes import Size, Sizes, find, from_sympy, resolve, shape_spec, unify

SIZE_NAMES = ("n", "m", "p", "k", "q", "r", "s", "t")


class Builder:
    """Shapes for the names, size inference over the tree (the core's shape rules), then the expression."""

    def __init__(self, parser: Parser, tree: Node, shapes: Mapping, distributions, structures: Mapping = None):
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
        self.structures = dict(structures or {})  # name -> the keywords of jc.matrix it is declared with
        for n, flags in self.structures.items():
            if n in self.kinds:
                self._square(n, flags)

    def _square(self, n: str, flags):
        """A name declared symmetric, positive definite or diagonal: a matrix whose two sizes are one."""
        kind, r, c = self.kinds[n]
        what = structure.words(flags)
        if isinstance(kind, P.Symbol):
            if structure.of(kind.assumptions) != structure.normalised(flags):
                raise JacobiError(f"{n} is declared {what}, but the symbol given for it is {kind.declaration}")
            return
        if kind != "matrix":
            raise JacobiError(f"{n} is declared {what}, but it is a {kind}" + (
                "" if n in self.p.declared else f" by the naming rule (declare its shape, e.g. {n}=nxn)"))
        if not unify(r, c):
            raise ShapeError(f"{n} is declared {what} but its shape is {resolve(r)} x {resolve(c)}: a {what} matrix is "
                             "square")

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
                else:  # an expression in sizes (a + b columns): its names are sizes
                    dims.append(from_sympy(d, {}))
                    self.taken |= {q.name for q in d.free_symbols}
            return (spec, *(d if isinstance(d, Size) else self._size(d) for d in dims))
        r, c = shape_spec(spec, name)
        kind = "scalar" if (r, c) == (1, 1) else ("vector" if c == 1 else "matrix")
        return (kind, self._size(r), self._size(c))

    def _convention(self, name):
        kind = X.convention(self.p.syntax, name)
        return (kind, Size(1) if kind == "scalar" else Size(), Size() if kind == "matrix" else Size(1))

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
            op, *parts = find(s).value
            a, b = (_sympy_size(self.size_value(x, names)) for x in parts)
            return a * b if op == "*" else a + b
        return v

    def fmt(self, node: Node) -> str:
        """An operand in an error message: its text and its shape, as jacobi's own messages show them."""
        src = self.text[node.start:node.end]
        if node.kind in ("size", "offset"):
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
        if k in ("num", "sizename", "default"):
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
        elif k == "offset":
            sh = None
            for sign, parts in node.value:
                term = Size(sign)
                for base in parts:
                    term = Size(("*", term, self._size(base) if isinstance(base, str) else Size(base)))
                sh = term if sh is None else self.S.plus(sh, term)
        else:
            rec = C.CALLABLES["transpose"] if k == "T" else X.operator(node.op) if k == "bin" else node.value
            flags = rec.flag_positions(len(node.args)) if hasattr(rec, "flag_positions") else ()
            args = [_flag(a) if k in flags else self.shape[a] for k, a in enumerate(node.args)]
            sh = rec.shape(args, self.S)
            if sh is None:
                self.mismatch(node, rec.shape.mismatch([self.fmt(a) for a in node.args], args, self.S))
        self.shape[node] = sh
        return sh

    def check_constants(self, root: Node):
        """Refuse a constant of inferred size, vector(c) or matrix(c), whose size nothing fixes: a size
        that is still free and that no variable shares (sum(vector(1)) has no length to take)."""
        fixed = {id(f) for _, r, c in self.kinds.values() for f in _free(r) + _free(c)}
        for node in _postorder(root):
            if node.kind != "call" or node.value is not X.CONSTANTS.get(node.value.name):
                continue
            for d, what in zip(self.shape[node], ("length" if node.op == "vector" else "number of rows",
                                                  "number of columns")):
                if any(id(f) not in fixed for f in _free(d)):
                    src = " ".join(self.text[node.start:node.end].split())
                    raise ParseError(f"cannot infer the {what} of {src}: nothing else in the expression has that "
                                     "size (combine it with a variable, as in x + vector(1))", self.text,
                                     node.pos + 1)

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
                flags = {k: True for k in self.structures.get(n, ())}
                out[n] = P.matrix(n, rows, cols, distribution=dist, **flags)
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
            if k == "offset":
                return sp.Add(*[sign * sp.Mul(*[_sympy_size(b) for b in parts]) for sign, parts in node.value])
            if k == "default":
                return None
            if k == "bare":
                return node.value.make(self.size_value(self.shape[node][0], self.size_names()))
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
                return X.build_operator(node.op, *vals)
            rec = node.value
            if rec is X.CONSTANTS.get(rec.name):  # vector(c), matrix(c): the inferred sizes follow c
                names = self.size_names()
                return rec.make(*vals, *(self.size_value(d, names) for d in self.shape[node]))
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


def _flag(node: Node):
    """An axis argument as the shape rule reads it: the number written, None where a keyword argument is not
    given, or False (no axis) for anything else."""
    if node.kind == "default":
        return None
    return node.value if node.kind == "num" and node.value == int(node.value) else False


def _sympy_size(v):
    """A size part as SymPy: an int as it is (0 and -1 occur in offsets), a name as the size it names."""
    return P.size(v) if isinstance(v, str) else sp.Integer(int(v))


def _free(s) -> list:
    """The free size variables (their roots) that a size is made of."""
    v = resolve(s)
    if isinstance(v, Size):
        return [v]
    if isinstance(v, tuple):
        return [f for x in find(s).value[1:] for f in _free(x)]
    return []


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
