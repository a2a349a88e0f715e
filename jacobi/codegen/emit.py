"""Straight-line code from assignments: common subexpressions and liveness.

Nodes used more than once become named temporaries (computed once across
all outputs), and every array is deleted after the statement that last reads
it, so that peak memory matches code written by hand.  What a statement reads
is recorded by the printer as it prints the statement's expression graph: the
temporaries, earlier targets and arguments it refers to (never read back
from the generated text).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .. import core as P
from ..core.expr import Expr, rewrite
from .printer import CodePrinter


@dataclass
class Line:
    """One assignment of generated code: target = expr, with a comment."""

    target: str
    expr: Expr
    comment: str = ""


#: the deepest an expression is written inline; a deeper one is cut into named temporaries (each level can open
#: a few parentheses, and Python refuses code nested 200 parentheses deep)
MAX_INLINE = 40


def _uses(roots) -> dict:
    count: dict = {}
    for r in roots:
        count[r] = count.get(r, 0) + 1
    seen = set()
    order = []
    for r in roots:
        for n in r.walk():
            if id(n) in seen:
                continue
            seen.add(id(n))
            order.append(n)
            for a in n.args:
                count[a] = count.get(a, 0) + 1
    # a spread row or column is never named (naming it would build the full array, where broadcasting
    # needs none): its uses are its operand's, which is named instead where it is shared
    for n in reversed(order):  # parents before children
        row = spread_operand(n)
        if row is not None and count.get(n, 0) > 1:
            count[row] += count[n] - 1
    return count


def spread_operand(n: Expr):
    """r of the spread row 1 r (a (1, d) row over n rows) or c of the spread column c 1^T; else None.
    Generated code broadcasts them in place: 1 r is r beside an (n, d) operand."""
    if not isinstance(n, P.MatMul) or len(n.args) != 2:
        return None
    a, b = n.args
    if isinstance(a, P.Ones) and a.shape[1] == 1 and a.shape[0] != 1 and b.shape[0] == 1:
        return b
    if isinstance(b, P.Ones) and b.shape[0] == 1 and b.shape[1] != 1 and a.shape[1] == 1:
        return a
    return None


def _targets(target: str) -> list:
    """The names a statement assigns ("a2, log_a2" assigns two)."""
    return [t.strip() for t in target.split(",")]


def _printed(e: Expr, printer: CodePrinter) -> tuple:
    """The code of e and the names it reads, as the printer refers to them while printing it
    (temporaries, earlier targets, arguments): nodes the printer builds on the way, such as
    the term under a minus sign, are counted too."""
    printer.read = set()
    code = printer.ref(e, 0)
    return code, printer.read


def emit(lines: list, printer: CodePrinter, *, keep: set = frozenset(), indent: str = "    ") -> list:
    """Straight-line code for the assignments: shared subexpressions become
    temporaries, and every array is deleted after its last use (so peak memory
    matches code written by hand)."""
    lines = _shared_products(lines)
    roots = [ln.expr for ln in lines]
    uses = _uses(roots)
    out = []  # (target, code, comment, names read)
    k = 0
    named = {}  # expression -> target that holds it
    inline: dict = {}  # node -> how deep its code nests until a name (MAX_INLINE caps it: Python's parser has a limit)
    made: set = set()  # the temporaries named here
    fresh: set = set()  # the names assigned an array their statement made (not a view, not an argument)
    for ln in lines:
        for n in ln.expr.walk():
            if not n.args or n in printer.temps or n in named:
                inline[n] = 0
                continue
            inline[n] = 1 + max(inline.get(a, 0) for a in n.args)
            if n is ln.expr:
                continue
            shared = uses.get(n, 0) > 1 and not isinstance(n, (P.Transpose, P.Broadcast)) and not _cheap(n) \
                and spread_operand(n) is None
            if shared or inline[n] >= MAX_INLINE:
                inline[n] = 0
                name = f"_t{k}"
                k += 1
                code, read = _printed(n, printer)
                out.append((name, code, "", read))
                made.add(name)
                if printer.owns(n):
                    fresh.add(name)
                printer.temps[n] = name
        code, read = _printed(ln.expr, printer)
        out.append((ln.target, code, ln.comment, read))
        if ln.expr not in printer.temps and printer.owns(ln.expr):
            fresh.add(ln.target)
        printer.temps[ln.expr] = ln.target
        named[ln.expr] = ln.target
    out = _live(out, made)
    # liveness: delete each assigned name after the statement that last reads it
    last: dict = {}
    for i, (_, _, _, read) in enumerate(out):
        for t in read:
            last[t] = i
    assigned = {t for name, *_ in out for t in _targets(name)}
    text = []
    for i, (name, code, comment, _) in enumerate(out):
        dead = [t for t, j in last.items() if j == i and t in assigned and t not in keep]
        code = _in_place(code, [t for t in dead if t in fresh], printer.be)
        text.append(f"{indent}{name} = {code}" + (f"  # {comment}" if comment else ""))
        if dead:
            text.append(f"{indent}del {', '.join(sorted(dead))}")
    return text


def _shared_products(lines: list) -> list:
    """The lines with each element-wise product that holds all the factors of another product in the code
    written through it: (dout * w * norm) is (dout * w) * norm where dout * w is computed anyway, so the
    shared product becomes one temporary and the full array is multiplied once fewer."""
    products: dict = {}
    first: dict = {}  # the line where a product first appears
    for k, ln in enumerate(lines):
        for n in ln.expr.walk():
            first.setdefault(n, k)
            # a factor that knows its sum against the rest (onehot(y): a gather) keeps its product whole
            if isinstance(n, P.Hadamard) and n not in products and not any(hasattr(a, "_summed_times")
                                                                            for a in n.args):
                products[n] = Counter(n.args)
    if len(products) < 2:
        return lines
    # the largest first; of two alike, the one the code computes later (dnorm = dout * w in the backward pass,
    # not norm * w of the forward pass, which would then be held from one to the other)
    by_size = sorted(products, key=lambda h: (-len(h.args), -first[h]))

    def through(n):
        own = products.get(n)
        if own is None:
            return None
        for h in by_size:  # the largest product inside n
            if len(h.args) < len(n.args) and not products[h] - own:
                rest = own - products[h]
                return P.Hadamard._new((), (h, *sorted(rest.elements(), key=lambda a: n.args.index(a))))
        return None

    return [Line(ln.target, rewrite(ln.expr, through), ln.comment) for ln in lines]


def _in_place(code: str, dying: list, be) -> str:
    """The statement with a copy of an array that dies here (made afresh by the code, read by this statement
    alone and only once) replaced by the array itself: it is written into in place (the target subtraction of
    softmax - onehot)."""
    for t in dying:
        copied = be.fmt("copy", x=t)
        if copied != t and code.count(copied) == 1 and len(re.findall(rf"(?<![\w.]){re.escape(t)}(?!\w)", code)) == 1:
            code = code.replace(copied, t)
    return code


def _live(out: list, made: set) -> list:
    """The statements without the temporaries that no statement reads: a node counted as shared may be
    printed otherwise where it is used (the one-hot matrix of sum(onehot(y) * L), a gather)."""
    while True:
        read = {t for *_, r in out for t in r}
        dead = [i for i, (name, *_) in enumerate(out) if name in made and name not in read]
        if not dead:
            return out
        out = [o for i, o in enumerate(out) if i not in set(dead)]


def _cheap(n):
    return isinstance(n, P.Scale) and isinstance(n.args[0], P.Const) and n.args[0].value == -1
