"""Sizes: union-find over size variables, and declared shapes.

The parser infers the sizes that were not declared: every vector length and
matrix dimension is a size variable, and the shape rules (jacobi.core's
sizerules, through the protocol that ``Sizes`` implements) unify them.
"""
from __future__ import annotations

import sympy as sp

from ..core.shapes import JacobiError
from ..core.shapes import size as _size_symbol
from .lexer import ASCII_DIGITS, NAME


class Size:
    """A size variable.  value: None (free: a vector length or a matrix
    dimension still to be named; never 1), an int, a declared size name,
    ('*', a, b), the product of two sizes (the side of diag of a matrix), or
    ('+', a, b), their sum (the columns of concat(A, B, axis=1))."""

    __slots__ = ("parent", "value")

    def __init__(self, value=None):
        self.parent = self
        self.value = value


def find(s: Size) -> Size:
    root = s
    while root.parent is not root:
        root = root.parent
    while s.parent is not root:
        s.parent, s = root, s.parent
    return root


def is_one(s: Size) -> bool:
    return find(s).value == 1


def resolve(s: Size):
    """The value of a size as an int, a name, a product tuple of resolved values, or the free root."""
    r = find(s)
    v = r.value
    if isinstance(v, tuple):
        a, b = resolve(v[1]), resolve(v[2])
        if isinstance(a, int) and isinstance(b, int):
            return a * b if v[0] == "*" else a + b
        return (v[0], a, b)
    return r if v is None else v


def occurs(r: Size, v) -> bool:
    return isinstance(v, tuple) and any(find(x) is r or occurs(r, find(x).value) for x in v[1:])


def factors(v) -> tuple[int, list]:
    """A resolved size as a product: its integer coefficient and its other factors (names, free roots)."""
    if isinstance(v, int):
        return v, []
    if isinstance(v, tuple) and v[0] == "*":
        (c1, f1), (c2, f2) = factors(v[1]), factors(v[2])
        return c1 * c2, f1 + f2
    return 1, [v]


def unify(a: Size, b: Size) -> bool:
    """Make a and b one size; False if they cannot be (a free size is never 1)."""
    a, b = find(a), find(b)
    if a is b:
        return True
    if a.value is None or b.value is None:
        free, other = (a, b) if a.value is None else (b, a)
        if other.value == 1 or occurs(free, other.value):
            return False
        free.parent = other
        return True
    ra, rb = resolve(a), resolve(b)
    if _has_sum(ra) or _has_sum(rb):
        return _unify_sums(a, b, ra, rb)
    if isinstance(ra, tuple) or isinstance(rb, tuple):
        if not _unify_products(factors(ra), factors(rb)):
            return False
    elif ra != rb:
        return False
    a, b = find(a), find(b)
    if a is not b:
        b.parent = a
    return True


def _has_sum(v) -> bool:
    return isinstance(v, tuple) and (v[0] == "+" or _has_sum(v[1]) or _has_sum(v[2]))


def to_sympy(v, roots: dict):
    """A resolved size as a SymPy expression; a free root is a positive integer symbol, recorded in roots."""
    if isinstance(v, int):
        return sp.Integer(v)
    if isinstance(v, str):
        return _size_symbol(v)
    if isinstance(v, Size):
        sym = sp.Symbol(f"_free{len(roots)}", integer=True, positive=True)
        for r, q in roots.items():
            if r is v:
                return q
        roots[v] = sym
        return sym
    a, b = to_sympy(v[1], roots), to_sympy(v[2], roots)
    return a * b if v[0] == "*" else a + b


def from_sympy(e, roots: dict) -> Size:
    """A size for a SymPy expression of to_sympy's (a free root's symbol is the root again)."""
    back = {q: r for r, q in roots.items()}
    if e in back:
        return back[e]
    if e.is_Integer:
        return Size(int(e))
    if e.is_Symbol:
        return Size(e.name)
    op = "*" if e.is_Mul else "+"
    parts = [from_sympy(a, roots) for a in e.args]
    out = parts[0]
    for p in parts[1:]:
        out = Size((op, out, p))
    return out


def _terms(s: Size) -> list:
    """The terms of a sum, in order (a size that is no sum is one term)."""
    v = find(s).value
    return _terms(v[1]) + _terms(v[2]) if isinstance(v, tuple) and v[0] == "+" else [s]


def _unify_sums(a: Size, b: Size, ra, rb) -> bool:
    """Two sizes, one a sum, as one: equal as polynomials, or a single free size in them that the equation
    gives as a positive integer expression (a + k is 5 where a is 2: k is 3)."""
    roots: dict = {}
    d = sp.expand(to_sympy(ra, roots) - to_sympy(rb, roots))
    if d == 0:
        b.parent = a
        return True
    free = [q for q in roots.values() if d.has(q)]
    if len(free) != 1 or sp.degree(d, free[0]) != 1:
        # two sums of as many terms (the blocks of two concatenations): term by term, in order
        ta, tb = _terms(find(a)), _terms(find(b))
        return len(ta) == len(tb) > 1 and all(unify(x, y) for x, y in zip(ta, tb))
    sol = sp.solve(d, free[0])
    if len(sol) != 1 or not (sol[0].is_positive and sol[0].is_integer):
        return False
    root = next(r for r, q in roots.items() if q is free[0])
    return unify(root, from_sympy(sol[0], roots))


def _unify_products(pa: tuple, pb: tuple) -> bool:
    """Two products of sizes as one: m*n is n*m; a lone free factor is the rest of the other side (3*k is
    9: k is 3); else a name left on one side takes a free factor of the other, and the remaining free
    factors pair up in order."""
    (ca, fa), (cb, fb) = pa, pb
    left_a, left_b = [], [x for x in fb if isinstance(x, str)]  # the names of each side not on the other
    for x in fa:
        if isinstance(x, str):
            if x in left_b:
                left_b.remove(x)
            else:
                left_a.append(x)
    free_a, free_b = [x for x in fa if isinstance(x, Size)], [x for x in fb if isinstance(x, Size)]
    for (c1, left1, free1), (c2, left2, free2) in (((ca, left_a, free_a), (cb, left_b, free_b)),
                                                   ((cb, left_b, free_b), (ca, left_a, free_a))):
        if len(free1) == 1 and not free2 and not left1:  # 3*k is 9, or 2*k is 2*m*n: the free factor is the rest
            if c2 % c1 or (c2 == c1 and not left2):
                return False
            rest = Size(c2 // c1) if c2 != c1 else None
            for name in left2:
                rest = Size(name) if rest is None else Size(("*", rest, Size(name)))
            return unify(free1[0], rest)
    if ca != cb:
        return False
    if len(left_a) + len(free_a) != len(left_b) + len(free_b) or len(left_a) > len(free_b) or \
            len(left_b) > len(free_a):
        return False
    pairs = list(zip(free_b, left_a)) + list(zip(free_a, left_b))
    pairs += list(zip(free_a[len(left_b):], free_b[len(left_a):]))
    return all(unify(x, y if isinstance(y, Size) else Size(y)) for x, y in pairs)


class Sizes:
    """The parser's size algebra (the protocol of jacobi.core.sizerules): same() unifies."""

    def __init__(self, show):
        self._show = show  # a size as messages show it: an int, a name or a product

    @property
    def one(self) -> Size:
        return Size(1)

    @staticmethod
    def same(a: Size, b: Size) -> bool:
        return unify(a, b)

    @staticmethod
    def equal(a: Size, b: Size) -> bool:
        x, y = resolve(a), resolve(b)
        return x is y or (not isinstance(x, Size) and x == y)

    @staticmethod
    def is_one(a: Size) -> bool:
        return is_one(a)

    @staticmethod
    def known(a: Size) -> bool:
        """A size fixed by a declaration or the expression, not a free one (a free one does not broadcast)."""
        return not isinstance(resolve(a), Size)

    @staticmethod
    def times(a: Size, b: Size) -> Size:
        return Size(("*", a, b))

    @staticmethod
    def plus(a: Size, b: Size) -> Size:
        ra, rb = resolve(a), resolve(b)
        return Size(ra + rb) if isinstance(ra, int) and isinstance(rb, int) else Size(("+", a, b))

    @staticmethod
    def minus(a: Size, b: Size):
        """a - b where it is a size whatever the sizes are (2*d - d is d), else None."""
        roots: dict = {}
        d = sp.expand(to_sympy(resolve(a), roots) - to_sympy(resolve(b), roots))
        return from_sympy(d, roots) if d.is_positive and d.is_integer else None

    @staticmethod
    def over(a: Size, b: Size):
        """The size q with q*b = a (block_inner, rearrange), or None where a is no known multiple of b.  A free
        a becomes a fresh size times b."""
        ra, rb = resolve(a), resolve(b)
        if _has_sum(ra) or _has_sum(rb):
            return None
        if isinstance(ra, Size):
            q = Size()
            return q if unify(a, Size(("*", q, b))) else None
        (ca, fa), (cb, fb) = factors(ra), factors(rb)
        if ca % cb:
            return None
        rest = list(fa)
        for f in fb:
            k = next((i for i, g in enumerate(rest) if g is f or isinstance(f, str) and g == f), None)
            if k is None:
                return None
            rest.pop(k)
        out = Size(ca // cb) if ca // cb != 1 or not rest else None
        for f in rest:
            s = f if isinstance(f, Size) else Size(f)
            out = s if out is None else Size(("*", out, s))
        return out

    @staticmethod
    def fresh() -> Size:
        return Size()

    def show(self, a: Size):
        return self._show(a)


# ---------------------------------------------------------------------------
# Shape specifications


def spec_part(part: str):
    part = part.strip()
    if part and all(c in ASCII_DIGITS for c in part):
        return int(part)
    if NAME.fullmatch(part):
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
            if len(pieces) == 2 and all(spec_part(p) is not None for p in pieces):
                parts = pieces
        if len(parts) not in (1, 2):
            raise bad
        dims = tuple(spec_part(p) for p in parts)
        if len(dims) == 1:
            dims = (dims[0], 1)
    else:
        raise bad
    for d in dims:
        if isinstance(d, bool) or not (isinstance(d, str) and NAME.fullmatch(d) or isinstance(d, int) and d >= 1):
            raise bad
    return dims

