"""Compact forms of batch expressions: the one-line backward passes people write by hand.

A gradient through batch statistics, derived step by step, is a chain of adjoints (dxhat, drstd, dvar,
dxc, dmu, dx for batch norm).  Written out it is one line, once three facts are used:

- broadcasting commutes with element-wise operations, so entry (i, j) of an (m, n) expression is a
  scalar expression in the entries (i, j) of its full operands, (j) of its rows, (i) of its columns;
  a sum along axis 0 takes every factor that is constant down the rows out of the sum
  (1^T (r * M) = r * 1^T M), and splits over the terms of a sum;
- an intermediate is written through the later one it defines: xc = xhat / rstd where xhat = xc * rstd,
  var = rstd^-2 - eps where rstd = (var + eps)^(-1/2), so that the result reads in the quantities the
  forward pass ends with;
- sums that a quantity's definition fixes: the rows of X - mean(X, 0) sum to zero down axis 0 (and so
  do they times a row), the entries of E * (1 / sum(E, a)) and of softmax(Z, a) sum to one along a,
  each row of onehot(y) sums to one.

``compact(e)`` lifts e into a SymPy expression over those operands (dimension-free: each operand stays
one symbol), uses the facts, expands, and takes the common factor out, so that batch norm's dx reads
gamma * rstd / n * (n dy - sum(dy, 0) - xhat * sum(dy * xhat, 0)); ``style="mean"`` writes the reduced
sums as means (llm.c's dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))).
"""
from __future__ import annotations

import sympy as sp

from .. import core as P
from ..core.elementwise import spread
from ..core.expr import Expr, deep
from ..core.lets import Let
from ..core.lift import from_sympy
from ..core.shapes import JacobiError
from .eliminate import positive, solve

STYLES = ("sum", "mean")
_ROUNDS = 8  # rewriting sums after an elimination settles in a round or two; a bound, not a budget


class _Compactor:
    """One lift of expressions over a program's lets: the operands and their SymPy symbols, the sums
    along an axis, the lets written through later ones, and the sums their definitions fix."""

    def __init__(self, lets, style: str = "sum"):
        self.lets, self.style, self._elim = list(lets), style, None
        self.atoms: dict = {}      # jacobi operand -> SymPy symbol
        self.lowered: dict = {}    # SymPy symbol -> jacobi expression, or (axis, summand, shape) for a sum
        self.shapes: dict = {}     # SymPy symbol -> the operand's shape
        self.sums: dict = {}       # (axis, summand) -> SymPy symbol of the sum
        self.facts: dict = {}      # (operand, axis) -> 0, 1 or None
        self.memo: dict = {}
        # each let's definition, as written and written out to the leaves: where the same node is built
        # again (exp(z) in the chain rule's f'(z), var(X)'s own X - mean(X, 0)), it is that let
        self.named: dict = {}
        for L in self.lets:
            self.named.setdefault(L.definition, L)
            self.named.setdefault(P.inline(L.definition), L)

    # -- operands ------------------------------------------------------------------
    def atom(self, e: Expr) -> sp.Symbol:
        s = self.atoms.get(e)
        if s is None:
            name = f"_c{len(self.atoms)}"
            s = sp.Symbol(name, positive=True) if positive(e) else sp.Symbol(name)
            self.atoms[e], self.lowered[s], self.shapes[s] = s, e, e.shape
        return s

    def reduction(self, inner: sp.Expr, axis: int, shape) -> sp.Expr:
        """The sum along axis of the (lifted) expression inner of the given shape: terms apart, the
        factors constant along the axis outside, the sums fixed by a definition replaced by 0 or 1."""
        out = sp.S.Zero
        for term in sp.Add.make_args(sp.expand(inner)):
            const, vary = [], []
            for f in sp.Mul.make_args(term):
                (const if self._constant_along(f, axis) else vary).append(f)
            c, v = sp.Mul(*const), sp.Mul(*vary)
            fact = shape[axis] if v == 1 else self._fact(v, axis) if v.is_Symbol else None
            if fact is not None:
                out += c * fact
                continue
            key = (axis, v)
            s = self.sums.get(key)
            if s is None:
                name = f"_s{len(self.sums)}"
                s = self.sums[key] = sp.Symbol(name, positive=True) if v.is_positive else sp.Symbol(name)
                self.shapes[s] = (P.ONE, shape[1]) if axis == 0 else (shape[0], P.ONE)
                self.lowered[s] = (axis, v, shape)
            out += c * s
        return out

    def _constant_along(self, f: sp.Expr, axis: int) -> bool:
        return all(self.shapes[s][axis] == 1 for s in f.free_symbols if s in self.shapes)

    def _fact(self, v: sp.Symbol, axis: int):
        """0 or 1 where the operand's definition fixes its sum along axis, else None."""
        e = self.lowered.get(v)
        if not isinstance(e, Expr):
            return None
        key = (e, axis)
        if key not in self.facts:
            self.facts[key] = None  # a definition that refers back to itself fixes nothing
            self.facts[key] = self._fixed_sum(e, axis)
        return self.facts[key]

    def _fixed_sum(self, e: Expr, axis: int):
        if isinstance(e, P.Onehot):
            return sp.S.One if axis == 1 else None
        if isinstance(e, P.Softmax):
            return sp.S.One if e.axis == axis else None
        if not isinstance(e, Let):
            return None
        total = sp.cancel(self.reduction(_Inline(self, axis).lift(e.definition), axis, e.shape))
        return total if total in (sp.S.Zero, sp.S.One) else None

    # -- lifting -------------------------------------------------------------------
    def lift(self, e: Expr) -> sp.Expr:
        r = self.memo.get(e)
        if r is None:
            r = self.memo[e] = self._lift(e, fold=True)
        return r

    def lift_definition(self, L: Let) -> sp.Expr:
        """L's definition lifted (the definition itself not folded back into L)."""
        return self._lift(L.definition, fold=False)

    def _lift(self, e: Expr, fold: bool) -> sp.Expr:
        L = self.named.get(e) if fold else None
        if L is not None:
            return self.lift(L)
        if isinstance(e, P.MatMul):
            r = self._matmul(e.args)
            if r is not None:
                return r
        if isinstance(e, P.Const):
            return _exact(e._sympy(self.lift))
        if e.cluster:
            return e._sympy(self.lift)
        return self.atom(self.opaque(e))

    def opaque(self, e: Expr) -> Expr:
        """A node the lift keeps whole, with its operands in their compact forms."""
        if not e.args or isinstance(e, P.Symbol):
            return e
        return e.rebuild(tuple(self.form(a) for a in e.args))

    def form(self, e: Expr) -> Expr:
        return _form(self, e)

    def _matmul(self, fs):
        """1^T M, M 1, 1 r and c 1^T (and the products with ones(m, k) that stand for them), lifted."""
        first, last = fs[0], fs[-1]
        if len(fs) == 1:
            return self.lift(first)
        if isinstance(first, P.Ones):
            rest = P.matmul(*fs[1:])
            if first.shape[1] == 1 and rest.shape[0] == 1:
                return self.lift(rest)  # a row, broadcast down
            if rest.shape[0] != 1:  # ones(m, k) @ M = ones(m) @ (1^T M): a sum, broadcast if m > 1
                return self.reduction(self.lift(rest), 0, rest.shape)
        if isinstance(last, P.Ones):
            front = P.matmul(*fs[:-1])
            if last.shape[0] == 1 and front.shape[1] == 1:
                return self.lift(front)  # a column, broadcast along
            if front.shape[1] != 1:
                return self.reduction(self.lift(front), 1, front.shape)
        return None

    # -- the lets written through later ones ---------------------------------------
    def eliminations(self) -> dict:
        """Each operand that a later let of its shape defines invertibly, written through that let:
        xc = xhat / rstd where xhat = xc * rstd, var = rstd^-2 - eps where rstd = (var + eps)^(-1/2),
        X = xc + mu where xc = X - mu, E = A * 1^T E where A = E / 1^T E."""
        out: dict = {}
        for L in reversed(self.lets):
            Ls = self.lift(L)
            got = solve(Ls, self.lift_definition(L), self)
            if got is not None and got[0] not in out and got[0] != Ls:
                out[got[0]] = got[1]
        return out

    def normal(self, r: sp.Expr) -> sp.Expr:
        """r with the eliminations made, inside the sums too (each sum taken again over its new summand,
        but for a sum that an elimination is written through: 1^T E in E = A * 1^T E)."""
        if self._elim is None:
            self._elim = {}  # the definitions' own operands are compacted without them
            self._elim = self.eliminations()
        elim = self._elim
        if not elim:
            return r
        keep = set().union(*(v.free_symbols for v in elim.values())) & set(self.sums.values())
        for _ in range(_ROUNDS):
            subs = dict(elim)
            for (axis, v), s in list(self.sums.items()):  # in the order made: inner sums first
                if s not in keep and s not in elim:
                    w = v.xreplace(subs)
                    if w != v:
                        subs[s] = self.reduction(w, axis, self.lowered[s][2])
            new = r.xreplace(subs)
            if new == r:
                break
            r = new
        return r

    # -- back to jacobi ------------------------------------------------------------
    def natural(self, s: sp.Expr, shape):
        """The shape s has before it is broadcast to shape: a row where every operand is one."""
        shapes = [self.shapes[x] for x in s.free_symbols if x in self.shapes]
        return (shape[0] if any(h[0] != 1 for h in shapes) else P.ONE,
                shape[1] if any(h[1] != 1 for h in shapes) else P.ONE)

    def lower(self, s: sp.Expr, shape) -> Expr:
        leaf_map = {sym: self._lower_symbol(sym)
                    for sym in sorted(s.free_symbols & set(self.lowered), key=lambda x: x.name)}
        natural = self.natural(s, shape)
        shapes = {v.shape for v in leaf_map.values()}
        if any(h[0] == 1 and h[1] != 1 for h in shapes) and any(h[1] == 1 and h[0] != 1 for h in shapes):
            # a row and a column do not multiply element-wise: each spread to the whole first
            leaf_map = {k: v if v.is_scalar else spread(v, natural) for k, v in leaf_map.items()}
        return spread(from_sympy(s, leaf_map, natural), shape)

    def _lower_symbol(self, sym):
        e = self.lowered[sym]
        if isinstance(e, Expr):
            return e
        axis, v, shape = e
        inner = self.lower(v, shape)
        return P.mean(inner, axis) if self.style == "mean" else P.sum_(inner, axis)


class _Inline(_Compactor):
    """The lift of a definition whose sum along an axis is asked: the lets constant along the axis
    written out, so that 1^T (X - mu) with mu = 1^T X / n is seen to vanish; no let folded."""

    def __init__(self, base: _Compactor, axis: int):
        self.__dict__.update(base.__dict__)
        self.memo, self.named, self.axis = {}, {}, axis

    def _lift(self, e, fold):
        if isinstance(e, Let) and e.shape[self.axis] == 1:
            return self.lift(e.definition)
        return super()._lift(e, fold)

    def opaque(self, e):
        return e


def _exact(v: sp.Expr) -> sp.Expr:
    """A constant's floats that are short binary fractions (-0.5, -1.5 from x ** -0.5, -1.0/n) as
    rationals, so that powers combine; others (an epsilon 1e-5) as written."""
    subs = {f: sp.Rational(f) for f in v.atoms(sp.Float) if sp.Rational(f).q <= 64}
    return v.xreplace(subs) if subs else v


def _split(r: sp.Expr, atoms):
    """The terms of r, each as (coefficient free of the operands, monomial in them); the monomial every
    term shares (lowest power); the coefficient to take out: the one leaving the simplest coefficients
    inside (1/n for 1 - 1/n - 1/(n - 1)), positive where a sign is all that differs."""
    terms = sp.Add.make_args(r)
    split = []
    for t in terms:
        c, m = [], []
        for f in sp.Mul.make_args(t):
            (m if f.free_symbols & atoms else c).append(f)
        split.append((sp.Mul(*c), sp.Mul(*m)))
    powers = [m.as_powers_dict() for _, m in split]
    common = sp.S.One
    if len(split) > 1:
        for base in powers[0]:
            ks = [sp.S(p.get(base, 0)) for p in powers]
            if all(k.is_Rational for k in ks):
                low = min(ks) if all(k > 0 for k in ks) else (max(ks) if all(k < 0 for k in ks) else 0)
                if low:
                    common *= base ** low
    best = None
    for c in dict.fromkeys([sp.S.One] + [x for ci, _ in split for x in (ci, -ci)]):
        inner = [sp.cancel(ci / c) for ci, _ in split]
        cost = (sum(sp.count_ops(-x if x.could_extract_minus_sign() else x) for x in inner),
                c.could_extract_minus_sign(), sum(x.could_extract_minus_sign() for x in inner))
        if best is None or cost < best[0]:
            best = (cost, c, inner)
    _, c, inner = best
    body = [(ci, sp.cancel(m / common)) for ci, (_, m) in zip(inner, split)]
    return c, common, body


@deep
def compact(e: Expr, lets=(), style: str = "sum") -> Expr:
    """e in its compact form over the program of lets (see the module's doc): the reductions' own
    factors taken out, earlier lets written through the later ones, the sums their definitions fix
    used, the common factor outside.  Its value is e's."""
    if not isinstance(e, Expr):
        raise JacobiError(f"compact takes a jacobi expression, not {e!r}")
    return compactor(P.program_of(e) if not lets else lets, style).form(e)


def compactor(lets, style: str = "sum") -> _Compactor:
    """A compactor over a program's lets: ``.form(e)`` is e's compact form.  One compactor serves any
    number of expressions over those lets, each operand and sum lifted once (a program's every
    gradient in time linear in the program)."""
    if style not in STYLES:
        raise JacobiError(f"a compact form's style is one of {', '.join(STYLES)}, not {style!r}")
    return _Compactor(list(lets), style=style)


def _form(C: _Compactor, e: Expr) -> Expr:
    """The compact form of e over the compactor C: lifted, the eliminations made, expanded, the common
    factor outside, the terms in the order a hand writes them (positive first, fewest sums first)."""
    r = C.normal(C.lift(e))
    if C.style == "mean":
        r = _means(C, r)
    r = sp.expand(r)
    if r == 0:
        return P.zeros(*e.shape)
    c, common, body = _split(r, set(C.shapes))

    def lowered(x):
        return C.lower(x, C.natural(x, e.shape))

    sums = set(C.sums.values())

    def order(term):
        ci, m = term
        return (bool(ci.could_extract_minus_sign()), len(m.free_symbols & sums), sp.count_ops(m),
                sp.default_sort_key(m))

    out = None
    for ci, m in sorted(body, key=order):
        minus = out is not None and ci.could_extract_minus_sign()
        ci = -ci if minus else ci
        t = lowered(m) if ci == 1 else P.mul(lowered(ci), lowered(m))
        out = t if out is None else (P.sub(out, t) if minus else P.add(out, t))
    for f in sorted(sp.Mul.make_args(common), key=sp.default_sort_key, reverse=True):
        if f != 1:
            out = P.mul(lowered(f), out)
    if c != 1:
        num, den = sp.fraction(sp.factor_terms(c))
        if num != 1:
            out = P.mul(lowered(num), out)
        if den != 1:
            out = P.div(out, lowered(den))
    return spread(out, e.shape)


def _means(C: _Compactor, r: sp.Expr) -> sp.Expr:
    """Each sum along an axis written as N times the mean (lowered as mean(M, axis))."""
    subs = {}
    for s in C.sums.values():
        axis, _, shape = C.lowered[s]
        subs[s] = shape[axis] * s
    return r.xreplace(subs)


__all__ = ["STYLES", "compact", "compactor"]
