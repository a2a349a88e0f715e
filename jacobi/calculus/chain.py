"""The Jacobian chain rule with intermediate variables.

A function is first written as a program of intermediate variables
(u1 = W x, u2 = u1 + b, ...), as the textbooks do.  Each local Jacobian comes
from the primitive's own rule.  For a scalar function the product of
Jacobians is taken from the outside in (reverse accumulation): the row
dC/du_k times the local Jacobian du_k/du_j is carried by the Jacobian block's
transpose rule, so Jacobians with respect to matrices (third-order objects,
written with kron) never need to be expanded: (delta^T)(a^T kron I) comes out
as delta a^T.  For a vector function the product is taken from the inside
out.  Every step is recorded in a Derivation.
"""
from __future__ import annotations

from .. import core as P
from ..core.expr import Expr, describe, rewrite
from ..core.printing import latex
from ..core.rules import Rule
from ..core.shapes import JacobiError, ShapeError, fmt_shape
from .derivation import Program, Step, partial
from .keysteps import split_simplify
from .simplify import Simplifier

# ---------------------------------------------------------------------------
# Programs of intermediate variables.


def _fresh(base: str, taken: set) -> str:
    if base not in taken:
        return base
    k = 1
    while f"{base}{k}" in taken:
        k += 1
    return f"{base}{k}"


def linearize(f: Expr, wrt: list, prefix: str = "u", name: str = "f", latex: str | None = None) -> Program:
    """Introduce an intermediate variable for every operation that depends on wrt."""
    taken = {s.name for s in f.symbols()}
    base = _fresh(prefix, taken) if any(n.startswith(prefix) for n in taken) else prefix
    sub: dict = {}
    defs: dict = {}
    k = 0
    for node in f.walk():
        if not node.args:
            continue
        if not any(node.depends_on(w) for w in wrt):
            continue
        d = node.rebuild(tuple(sub.get(a, a) for a in node.args))
        if node is f:
            v = P.new_symbol(_fresh(name, taken), node.shape[0], node.shape[1], _kind(node.shape), latex)
        else:
            k += 1
            v = P.new_symbol(f"{base}{k}", node.shape[0], node.shape[1], _kind(node.shape), latex=f"{base}_{{{k}}}")
        defs[v] = d
        sub[node] = v
    out = sub.get(f, f)
    return Program(defs, out)


def _kind(shape):
    if shape == P.SCALAR:
        return "scalar"
    return "vector" if shape[1] == 1 else "matrix"


def substitute(e: Expr, mapping: dict) -> Expr:
    """Replace symbols by expressions, over the shared graph."""
    memo: dict = {}

    def go(n):
        r = memo.get(n)
        if r is not None:
            return r
        if n in mapping:
            r = mapping[n]
        elif n.args:
            r = n.rebuild(tuple(go(a) for a in n.args))
        else:
            r = n
        memo[n] = r
        return r

    return go(e)


def inline(prog_defs: dict) -> dict:
    """Each variable's definition in terms of the inputs alone."""
    full: dict = {}
    for v, d in prog_defs.items():
        full[v] = substitute(d, full)
    return full


# ---------------------------------------------------------------------------
# Local Jacobians and their transposes inside one definition.


def local_jacobian(d: Expr, v: Expr, out: Expr | None = None) -> Expr:
    """d d / d v for one definition (forward accumulation over its nodes)."""
    memo: dict = {}

    def go(n, root):
        if n is v:
            return P.identity(P.numel(v.shape))
        if not n.depends_on(v):
            return None
        r = memo.get(n)
        if r is not None:
            return r
        total = None
        for i, a in enumerate(n.args):
            Ja = go(a, False)
            if Ja is None:
                continue
            Jl, _ = n.local_jacobian(i, out if (root and out is not None) else n)
            term = P.matmul(Jl, Ja) if not _is_id(Ja) else Jl
            total = term if total is None else P.add(total, term)
        memo[n] = total
        return total

    J = go(d, True)
    if J is None:
        return P.zeros(P.numel(d.shape), P.numel(v.shape))
    return J


def _is_id(J):
    return isinstance(J, P.Identity) or (isinstance(J, P.Const) and J.value == 1)


def pullback(G: Expr, J: Expr, in_shape) -> Expr:
    """vec(G)^T J laid out in the input's shape.  Every Jacobian block answers its own
    transpose rule (``_pullback``, beside its class), so no Jacobian is ever formed as a
    dense array; the chain rule only dispatches."""
    return J._pullback(G, in_shape)


def pullback_def(d: Expr, v: Expr, G: Expr, out: Expr) -> Expr:
    """G^T (d d / d v) for one definition, by reverse accumulation over its nodes."""
    order = [n for n in d.walk() if n.depends_on(v)]
    adj: dict = {d: G}
    for n in reversed(order):
        if n is v or n not in adj:
            continue
        g = adj[n]
        for i, a in enumerate(n.args):
            if not a.depends_on(v):
                continue
            J, _ = n.local_jacobian(i, out if n is d else n)
            c = pullback(g, J, a.shape)
            adj[a] = c if a not in adj else P.add(adj[a], c)
    return adj.get(v, P.zeros(*v.shape))


def _is_one(e) -> bool:
    return isinstance(e, P.Const) and e.value == 1


def _unit_free(e: Expr) -> Expr:
    """e without factors of the seed 1 (dC/dC = 1), so a chain product reads as the textbook's."""

    def drop(n):
        if isinstance(n, P.Scale) and _is_one(n.args[0]):
            return n.args[1]
        if isinstance(n, P.Hadamard):
            keep = [a for a in n.args if not _is_one(a)] or [n.args[0]]
            if len(keep) == 1 and keep[0].shape == n.shape:
                return keep[0]
            if 1 < len(keep) < len(n.args):
                return P.hadamard(*keep)
        return None

    return rewrite(e, drop)


# ---------------------------------------------------------------------------
# The engine.  Each loop computes; the derivation's steps are written by a
# _Steps beside it (below), from the pieces the loop has computed.


def _sum(terms: list) -> Expr:
    return P.add(*terms) if len(terms) > 1 else terms[0]


def _traced(S: Simplifier | None, e: Expr) -> tuple:
    """S(e) and the names of the rules that fired, in order (e itself and [] without S)."""
    if S is None:
        return e, []
    trace: list = []
    S.trace = trace
    val = S(e)
    S.trace = None
    return val, trace


def _users(defs: dict) -> dict:
    """For each symbol, the variables whose definitions use it, in program order."""
    users: dict = {}
    for var, d in defs.items():
        for s in d.symbols():
            users.setdefault(s, []).append(var)
    return users


def reverse(prog: Program, wrt: list, *, simplify=True, adjoint_names: dict | None = None,
            steps: list | None = None):
    """Adjoints dC/dv of a scalar program output for every variable and input: (adjoints, the
    named adjoints' definitions, the derivation's steps)."""
    S = Simplifier(prog.defs) if simplify else None
    log = _Steps(prog, S, steps)
    names = adjoint_names or {}
    defs, C = prog.defs, prog.output
    if C not in defs:
        raise JacobiError("the program's output must be one of its variables")
    users_of = _users(defs)
    adj: dict = {C: P.Const.make(1)}  # the seed dC/dC = 1
    ref: dict = dict(adj)  # how later adjoints refer to an adjoint (its name, if named)
    named_defs = []
    for v in [u for u in reversed(defs) if u is not C] + [w for w in wrt if w not in defs]:
        users = [c for c in users_of.get(v, []) if c in ref]
        if not users:  # C does not depend on v
            adj[v] = ref[v] = P.zeros(*v.shape)
            continue
        log.local_jacobians(v, users)
        # dC/dv = sum over the users c of (dc/dv)^T dC/dc, each pulled back through c's definition
        raw = _unit_free(_sum([pullback_def(defs[c], v, ref[c], c) for c in users]))
        adj[v], fired = _traced(S, raw)
        log.adjoint(v, users, raw, adj[v], fired)
        name = names.get(v)
        if name is None:
            ref[v] = adj[v]
            continue
        if name.shape != v.shape:
            raise ShapeError(f"the name {describe(name)} for dC/d{v} must have shape {fmt_shape(v.shape)}")
        log.name(v, name, adj[v])
        named_defs.append((name, adj[v]))
        ref[v] = name
    return adj, named_defs, log.steps


def forward(prog: Program, x: Expr, *, simplify=True, steps: list | None = None):
    """Jacobians dv/dx of every variable, from the inside out."""
    S = Simplifier(prog.defs) if simplify else None
    log = _Steps(prog, S, steps)
    jac: dict = {x: P.identity(P.numel(x.shape))}
    for var, d in prog.defs.items():
        ins = [s for s in d.symbols() if s in jac]
        if not ins:
            continue
        # dvar/dx = sum over its inputs s of (dvar/ds)(ds/dx)
        local = {s: log.simplified(local_jacobian(d, s, out=var)) for s in ins}
        raw = _sum([J if _is_id(jac[s]) else P.matmul(J, jac[s]) for s, J in local.items()])
        jac[var] = log.simplified(raw)
        log.product(var, x, local, raw, jac[var])
    return jac, log.steps


# ---------------------------------------------------------------------------
# The derivation's steps: what the engine computed, stated with its rules.


def _rules_in(d: Expr, v: Expr) -> Rule:
    rules = []
    for n in d.walk():
        for i, a in enumerate(n.args):
            if a.depends_on(v):
                rules.append(n.local_jacobian(i, n)[1])
    return Rule.join(rules)


def _d(f, x) -> tuple:
    """d f / d x as text and as LaTeX."""
    return f"d{f}/d{x}", r"\frac{\partial " + latex(f) + r"}{\partial " + latex(x) + "}"


def _product(a, b) -> tuple:
    return f"{a[0]} {b[0]}", f"{a[1]} {b[1]}"


def _transposed_product(J, g) -> tuple:
    """(d c/d v)^T (dC/dc): a gradient pulled back through one Jacobian."""
    return f"({J[0]})^T {g[0]}", r"\left(" + J[1] + r"\right)^{\top} " + g[1]


def _chain_rule(terms) -> Rule:
    """The chain-rule product as a rule: terms are (text, latex) pairs."""
    terms = list(terms)
    return Rule("chain rule", " + ".join(t for t, _ in terms), " + ".join(x for _, x in terms))


class _Steps:
    """The steps of one reverse or forward pass, appended to steps (a new list if None):
    local Jacobians, the chain-rule product, its simplification, the adjoint's name."""

    def __init__(self, prog: Program, S: Simplifier | None, steps: list | None):
        self.defs, self.C, self.S = prog.defs, prog.output, S
        self.steps = steps if steps is not None else []

    def simplified(self, e: Expr) -> Expr:
        return self.S(e) if self.S else e

    def local(self, c, v, J):
        """dc/dv = J, with the rules of c's definition."""
        self.steps.append(Step("local", partial(c, v), J, _rules_in(self.defs[c], v)))

    def local_jacobians(self, v, users):
        """The local Jacobians dc/dv that reverse accumulation pulls back through without
        forming; formed here for show.  The cost's own is the gradient itself, shown once
        by the chain step."""
        for c in users:
            if c is not self.C:
                self.local(c, v, self.simplified(local_jacobian(self.defs[c], v, out=c)))

    def adjoint(self, v, users, raw, val, fired):
        """dC/dv = raw by the chain rule over v's users, then = val if simplifying changed it."""
        C = self.C
        lhs = partial(C, v, "gradient")
        if users == [C]:
            rule = _rules_in(self.defs[C], v)
        else:
            rule = _chain_rule(_transposed_product(_d(c, v), _d(C, c)) for c in users)
        self.steps.append(Step("chain", lhs, raw, rule))
        if val is not raw:  # a fact or an output form it uses is a step of its own (keysteps.py)
            self.steps += split_simplify(lhs, raw, val, fired, self.defs, lambda: Simplifier(self.defs))

    def name(self, v, name, val):
        """name = val, the adjoint dC/dv given a name for later steps to use."""
        self.steps.append(Step("name", name, val, Rule("name", _d(self.C, v)[0], _d(self.C, v)[1]),
                               tag=("adjoint", self.C, v)))

    def product(self, var, x, local, raw, val):
        """dvar/ds = J for each input s (local maps s to J), then dvar/dx = raw by the chain
        rule, then = val if simplifying changed it."""
        for s, J in local.items():
            self.local(var, s, J)
        lhs = partial(var, x)  # dx/dx = I is no factor: d var/d x itself where var uses x
        self.steps.append(Step("chain", lhs, raw, _chain_rule(_d(var, s) if s is x else _product(_d(var, s), _d(s, x))
                                                              for s in local)))
        if val is not raw:
            self.steps.append(Step("simplify", lhs, val, Rule("simplify")))
