"""The steps that matter most, shown as steps of their own.

The simplifier may cancel a great deal in one go: softmax with cross-entropy collapses to s - y
under half a dozen rule names, and sigmoid with binary cross-entropy cancels sigma'(z) inside a
"substitute back".  A student needs to see where each fact is used, so a simplification that uses
one is split here:

* a fact about the data (the target y is a distribution: sum(y) = 1) is withheld first, so that one
  step shows the algebra (s sum(y) - y) and the next the fact alone (s - y);
* a derivative written through its function's output (sigma'(z) = sigma(z) (1 - sigma(z)), tanh'(z) =
  1 - tanh(z)^2, where the output has a name) is a step citing that identity, before the algebra
  that cancels it;
* intermediate variables that are sums and multiples of others (u5 = 1 - u1) are substituted first,
  so that a cancellation between them shows before the result is written out in the inputs.

Each step cites the fact it uses; every step is checked numerically like any other (verification.py).
"""
from __future__ import annotations

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr, rewrite
from ..core.lift import Leaves, from_sympy
from ..core.printing import latex
from ..core.rules import Rule
from .derivation import Step
from .rewrites.base import WITHHELD, _cost
from .textbook import display_form

#: the rewrites that use a fact about the data rather than algebra
FACTS = ("sum of distributions", "ones times distributions")

DISTRIBUTION = Rule("the target is a distribution", "sum(y) = 1: its entries sum to one",
                    r"\textstyle\sum_{j} y_{j} = 1")


def _uses_fact(fired) -> bool:
    return any(str(r).startswith(FACTS) for r in fired)


def _traced(S, e):
    trace: list = []
    S.trace = trace
    out = S(e)
    S.trace = None
    return out, trace


# ---------------------------------------------------------------------------
# Derivatives through their function's output.


def _through(fn_prime, arg: Expr, out: Expr) -> Expr | None:
    """f'(arg) written through out = f(arg) (sigma'(z) = a (1 - a)), where the registry has that form."""
    primal = F.primal_of(fn_prime)
    if primal is None or primal.prime_in_output is None or F.a not in primal.prime_in_output.free_symbols:
        return None
    leaves = Leaves()
    sa, sz = leaves.sym(out), leaves.sym(arg)
    return from_sympy(primal.prime_in_output.subs({F.a: sa, F.t: sz}), leaves.by_sym, out.shape)


def _output_rule(fn_prime) -> Rule:
    """f'(z) = its form through f(z), as a rule (from the function registry)."""
    z = P.scalar("z")
    primal = F.primal_of(fn_prime)
    form = display_form(_through(fn_prime, z, P.apply(primal, z)))
    lhs = P.apply(fn_prime, z)
    return Rule(f"{primal.text or primal.name}' through its output", f"{lhs} = {form}",
                f"{latex(lhs)} = {latex(form)}")


def through_outputs(e: Expr, defs: dict) -> tuple:
    """e with each f'(arg) whose f(arg) is a named variable written through it, and the rules used."""
    named = {d: v for v, d in defs.items()}
    used: dict = {}

    def fn(n):
        if not isinstance(n, P.Apply):
            return None
        primal = F.primal_of(n.fn)
        out = named.get(P.apply(primal, n.args[0])) if primal is not None else None
        if out is None:
            return None
        new = _through(n.fn, n.args[0], out)
        if new is not None:
            used.setdefault(n.fn, _output_rule(n.fn))
        return new

    return rewrite(e, fn), list(used.values())


# ---------------------------------------------------------------------------
# A simplification that uses a fact, split in two.


def split_simplify(lhs, raw: Expr, val: Expr, fired: list, defs: dict, make_simplifier) -> list:
    """The simplify steps from raw to val: one step citing what fired, or, where a fact or an output
    form was used, a step before it and the step that uses it."""
    steps = []
    if _uses_fact(fired):
        token = WITHHELD.set(True)
        try:
            before, fired0 = _traced(make_simplifier(), raw)
        finally:
            WITHHELD.reset(token)
        if before is not val and before is not raw:
            _, fired1 = _traced(make_simplifier(), before)
            steps.append(Step("simplify", lhs, before, Rule.join(fired0) if fired0 else Rule("simplify")))
            kept = [r for r in fired1 if not str(r).startswith(FACTS)]
            return steps + [Step("simplify", lhs, val, Rule.join([DISTRIBUTION, *kept]))]
    through, rules = through_outputs(raw, defs)
    if rules and through is not raw:
        after, fired1 = _traced(make_simplifier(), through)
        if after is val:
            steps.append(Step("simplify", lhs, through, Rule.join(rules)))
            return steps + [Step("simplify", lhs, val, Rule.join(fired1) if fired1 else Rule("simplify"))]
    return [Step("simplify", lhs, val, Rule.join(fired) if fired else Rule("simplify"))]


# ---------------------------------------------------------------------------
# A cancellation between intermediate variables, before the result is written in the inputs.


def _affine(d: Expr) -> bool:
    """Whether a definition only adds, negates or scales (u5 = 1 + u4, u4 = -u1): substituting it
    changes no function application."""
    return all(isinstance(n, (P.Add, P.Scale, P.Symbol, P.Const, P.Broadcast, P.Ones, P.Zero))
               for n in d.walk())


def cancellation(lhs, adj: Expr, defs: dict, make_simplifier) -> list:
    """Steps that show a cancellation hidden between intermediate variables: the affine ones
    substituted (u5 = 1 - u1), derivatives written through their outputs (sigma'(z) = u1 (1 - u1)),
    then the algebra; none where nothing cancels."""
    sub: dict = {}
    for v, d in defs.items():
        if _affine(d):
            sub[v] = _substitute(d, sub)
    used = [v for v in adj.symbols() if v in sub]
    e1 = _substitute(adj, sub) if used else adj
    e2, rules = through_outputs(e1, defs)
    if not used and not rules:
        return []
    S = make_simplifier()
    e3, fired = _traced(S, e2)
    if _cost(e3) >= _cost(adj) or e3 is e2:
        return []  # nothing cancels: the result is written out directly
    steps = []
    if used:
        text = ", ".join(f"{v} = {sub[v]}" for v in used)
        tex = r",\ ".join(f"{latex(v)} = {latex(sub[v])}" for v in used)
        steps.append(Step("simplify", lhs, e1, Rule("substitute the sums", text, tex)))
    if rules:
        steps.append(Step("simplify", lhs, e2, Rule.join(rules)))
    steps.append(Step("simplify", lhs, e3, Rule.join(fired) if fired else Rule("simplify")))
    return steps


def _substitute(e: Expr, mapping: dict) -> Expr:
    return rewrite(e, lambda n: mapping.get(n)) if mapping else e





# ---------------------------------------------------------------------------
# A result written through the forward quantities.


def in_terms_of(d, names: list):
    """d with each result written through named quantities of the forward pass, in order
    ([(z, w^T x + b), (a, ReLU(z))]: 2 (a - y) step(z) x), boxed, under the result in the inputs.
    The names join the derivation's definitions, so the new lines are verified like the others."""
    from .derivation import Derivation

    text = ", ".join(f"{v} = {e}" for v, e in names)
    tex = r",\ ".join(f"{latex(v)} = {latex(e)}" for v, e in names)
    rule = Rule("the forward quantities", text, tex)
    steps = []
    for s in d.steps:
        if s.kind != "result" or not isinstance(s.rhs, Expr):
            steps.append(s)
            continue
        e = s.rhs
        for v, defn in names:
            e = _substitute(e, {defn: v})
        if e is s.rhs:
            steps.append(s)
            continue
        steps += [Step("simplify", s.lhs, s.rhs, s.rule), Step("result", s.lhs, e, rule, s.tag)]
    return Derivation(d.f, d.wrt, d.result, steps, list(d.definitions) + list(names), d.kind,
                      adjoints=d.adjoints)
