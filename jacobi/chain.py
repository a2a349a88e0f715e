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

from dataclasses import dataclass, field

from . import primitives as P
from .expr import ATOM, Expr, Rule, describe, rewrite
from .shapes import JacobiError, ShapeError, fmt_shape
from .simplify import Simplifier, smul


class Partial(Expr):
    """Display node: the derivative of f with respect to x (d f / d x)."""

    __slots__ = ()
    precedence = ATOM

    @classmethod
    def _shape(cls, params, args):
        f, x = args
        if params[0] == "gradient":
            return x.shape
        return (f.shape[0] * f.shape[1], x.shape[0] * x.shape[1])

    def _text(self, p):
        f, x = self.args
        return f"d{p.paren(f, ATOM)}/d{p.paren(x, ATOM)}"

    def _latex(self, p):
        f, x = self.args
        return r"\frac{\partial " + p.paren(f, ATOM) + r"}{\partial " + p.paren(x, ATOM) + "}"


def partial(f, x, kind="jacobian"):
    return Partial._new((kind,), (f, x))


@dataclass
class Step:
    """One line of a derivation: lhs = rhs, justified by rule."""

    kind: str  # define | local | chain | simplify | name | result
    lhs: Expr
    rhs: Expr
    rule: str = ""
    index: str | None = None  # LaTeX "lhs = rhs" by components, where the step states it

    def __str__(self):
        return f"{self.lhs} = {self.rhs}" + (f"    [{self.rule}]" if self.rule else "")


@dataclass
class Derivation:
    """The result of a derivative together with the ordered steps that gave it."""

    f: object
    wrt: list
    result: object
    steps: list = field(default_factory=list)
    definitions: list = field(default_factory=list)  # (Symbol, Expr): intermediates and named results
    kind: str = "gradient"

    def __str__(self):
        return "\n".join(str(s) for s in self.steps)

    def to_text(self) -> str:
        return str(self)

    def _repr_latex_(self):
        from .latex import derivation_latex

        return "$$" + derivation_latex(self, env="aligned") + "$$"

    def to_latex(self) -> str:
        from .latex import derivation_latex

        return derivation_latex(self)

    def to_document(self, title: str = "Derivation") -> str:
        from .latex import document

        return document([(title, self)], title=title)

    def to_markdown(self) -> str:
        from .latex import derivation_markdown

        return derivation_markdown(self)


# ---------------------------------------------------------------------------
# Programs of intermediate variables.


@dataclass
class Program:
    """Named intermediates in evaluation order: var_k = definition_k."""

    defs: dict  # Symbol -> Expr (ordered)
    output: Expr


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
            v = P._symbol(_fresh(name, taken), node.shape[0], node.shape[1], _kind(node.shape), latex)
        else:
            k += 1
            v = P._symbol(f"{base}{k}", node.shape[0], node.shape[1], _kind(node.shape), latex=f"{base}_{{{k}}}")
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
    """vec(G)^T J laid out in the input's shape: the transpose rule of a
    Jacobian block, so that no Jacobian is ever formed as a dense array."""
    meth = getattr(type(J), "_pullback", None)
    if meth is not None:
        return meth(J, G, in_shape)
    if isinstance(J, P.Add):
        return P.add(*[pullback(G, t, in_shape) for t in J.args])
    if isinstance(J, P.Scale):
        return smul(J.args[0], pullback(G, J.args[1], in_shape))
    if isinstance(J, P.Const):
        return smul(J, P.reshape_like(G, in_shape))
    if isinstance(J, P.MatMul) and any(hasattr(type(f), "_pullback") for f in J.args):
        g = G
        for k, f in enumerate(J.args):
            mid = in_shape if k == len(J.args) - 1 else (f.shape[1], P.ONE)
            g = pullback(g, f, mid)
        return g
    g = G if G.shape[1] == 1 else (P.transpose(G) if G.shape[0] == 1 else P.vec(G))
    return P.reshape_like(P.matmul(P.transpose(J), g), in_shape)


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


def _rules_in(d: Expr, v: Expr) -> Rule:
    rules = []
    for n in d.walk():
        for i, a in enumerate(n.args):
            if a.depends_on(v):
                rules.append(n.local_jacobian(i, n)[1])
    return Rule.join(rules)


def _d(f, x) -> tuple:
    """d f / d x as text and as LaTeX."""
    from .latex import latex

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


# ---------------------------------------------------------------------------
# The engine.


def _check_rules(f: Expr, ws) -> None:
    """Refuse, up front, a node on the way to the variables that has no derivative rule."""
    for node in f.walk():
        if node.args and not hasattr(node, "local_jacobian") and any(node.depends_on(w) for w in ws):
            raise JacobiError(f"jacobi has no derivative rule for {type(node).__name__.lower()} yet: "
                              f"cannot differentiate {describe(node)}")


def _check_wrt(wrt):
    many = isinstance(wrt, (list, tuple))
    ws = list(wrt) if many else [wrt]
    if not ws:
        raise JacobiError("nothing to differentiate with respect to")
    for w in ws:
        if not isinstance(w, P.Symbol):
            what = describe(w) if isinstance(w, Expr) else repr(w)
            raise JacobiError(
                f"can only differentiate with respect to a symbol (jc.scalar, jc.vector or jc.matrix); got {what}"
            )
    return ws, many


def reverse(prog: Program, wrt: list, *, simplify=True, adjoint_names: dict | None = None,
            steps: list | None = None, defs_for_simplify: dict | None = None):
    """Adjoints dC/dv of a scalar program output for every variable and input."""
    S = Simplifier(defs_for_simplify if defs_for_simplify is not None else prog.defs) if simplify else None
    adjoint_names = adjoint_names or {}
    steps = steps if steps is not None else []
    C = prog.output
    order = list(prog.defs)
    consumers: dict = {}
    for var in order:
        for s in prog.defs[var].symbols():
            consumers.setdefault(s, []).append(var)
    adj: dict = {}
    ref: dict = {}  # how later steps refer to an adjoint (its name, if named)
    named_defs = []
    if C not in prog.defs:
        raise JacobiError("the program's output must be one of its variables")
    adj[C] = P.Const.make(1)
    ref[C] = adj[C]
    targets = [v for v in reversed(order) if v is not C] + [w for w in wrt if w not in prog.defs]
    for v in targets:
        users = [c for c in consumers.get(v, []) if c in ref]
        if not users:
            adj[v] = P.zeros(*v.shape)
            ref[v] = adj[v]
            continue
        lhs = partial(C, v, "gradient")
        terms = []
        for c in users:
            if c is not C:  # the cost's own Jacobian is the gradient itself, shown once below
                J = local_jacobian(prog.defs[c], v, out=c)
                steps.append(Step("local", partial(c, v), S(J) if S else J, _rules_in(prog.defs[c], v)))
            terms.append(pullback_def(prog.defs[c], v, ref[c], c))
        raw = _unit_free(P.add(*terms) if len(terms) > 1 else terms[0])
        if users == [C]:
            rule = _rules_in(prog.defs[C], v)
        else:
            rule = _chain_rule(_transposed_product(_d(c, v), _d(C, c)) for c in users)
        steps.append(Step("chain", lhs, raw, rule))
        if S:
            trace = []
            S.trace = trace
            val = S(raw)
            S.trace = None
            if val is not raw:
                steps.append(Step("simplify", lhs, val, Rule.join(_RULE_TEXT.get(t, Rule(t)) for t in trace)))
        else:
            val = raw
        adj[v] = val
        name = adjoint_names.get(v)
        if name is not None:
            if name.shape != v.shape:
                raise ShapeError(f"the name {describe(name)} for dC/d{v} must have shape {fmt_shape(v.shape)}")
            steps.append(Step("name", name, val, Rule("name", f"dC/d{v}", _d(C, v)[1])))
            named_defs.append((name, val))
            ref[v] = name
        else:
            ref[v] = val
    return adj, ref, named_defs, steps


def forward(prog: Program, x: Expr, *, simplify=True, steps: list | None = None):
    """Jacobians dv/dx of every variable, from the inside out."""
    S = Simplifier(prog.defs) if simplify else None
    steps = steps if steps is not None else []
    jac: dict = {x: P.identity(P.numel(x.shape))}
    for var, d in prog.defs.items():
        terms = []
        shown = []
        for s in d.symbols():
            if s not in jac:
                continue
            J = local_jacobian(d, s, out=var)
            Js = S(J) if S else J
            steps.append(Step("local", partial(var, s), Js, _rules_in(d, s)))
            terms.append(Js if _is_id(jac[s]) else P.matmul(Js, jac[s]))
            shown.append(s)
        if not terms:
            continue
        raw = P.add(*terms) if len(terms) > 1 else terms[0]
        lhs = partial(var, x)
        steps.append(Step("chain", lhs, raw, _chain_rule(_product(_d(var, s), _d(s, x)) for s in shown)))
        val = S(raw) if S else raw
        if val is not raw:
            steps.append(Step("simplify", lhs, val, Rule("simplify")))
        jac[var] = val
    return jac, steps


_RULE_TEXT = {
    "matmul_rules": Rule("products", "diag(u) v = u * v, 1^T diag(v) = v^T, I A = A",
                         r"\operatorname{diag}(u)\, v = u \odot v,\ "
                         r"\mathbf{1}^{\top} \operatorname{diag}(v) = v^{\top},\ I A = A"),
    "add_canonical": Rule("collect terms"),
    "hadamard_rules": Rule("Hadamard product algebra"),
    "transpose_rules": Rule("transposes move to the leaves", "(A B)^T = B^T A^T",
                            r"(A B)^{\top} = B^{\top} A^{\top}"),
    "scale_rules": Rule("scalar factors"),
    "sum_rules": Rule("sum rules"),
    "diag_rules": Rule("diag rules"),
    "kron_rules": Rule("Kronecker product with a scalar"),
    "broadcast_rules": Rule("scalar expansion"),
    "div_rules": Rule("quotients"),
    "power_rules": Rule("powers"),
    "apply_rules": Rule("element-wise functions"),
}


def derive(f, wrt, *, simplify: bool = True, name: str = "f", latex: str | None = None, **kw) -> Derivation:
    """Differentiate f with respect to a symbol (or a list of symbols) and keep the steps.

    For a scalar f the result is the gradient (the shape of each variable);
    for a vector f it is the Jacobian in numerator layout.  SymPy scalar
    expressions are accepted as in the lecture examples.  name (and latex)
    is what the steps call the function: f, or C for a cost.

    >>> d = jc.derive(jc.sum(jc.sigmoid(W @ x + b)), W)
    >>> d.result        # sigmoid'(W @ x + b) @ x.T
    """
    from . import scalar_calculus as scalar_mod

    if scalar_mod.is_sympy_input(f):
        return scalar_mod.derive(f, wrt, **kw)
    if kw:
        raise JacobiError(f"unexpected options for a jacobi expression: {', '.join(kw)}")
    if not isinstance(f, Expr):
        raise JacobiError(f"cannot differentiate {f!r}: build it from jc.scalar/jc.vector/jc.matrix symbols")
    ws, many = _check_wrt(wrt)
    _check_rules(f, ws)
    out = (name, latex)
    if f.is_scalar:
        return _derive_reverse(f, ws, many, simplify, out)
    if many:
        return _derive_many_forward(f, ws, simplify, out)
    return _derive_forward(f, ws[0], simplify, out)


def _define_steps(prog, f):
    """The function under its name, then one intermediate variable per operation."""
    shown = prog.output in prog.defs and prog.defs[prog.output] is not f  # one operation: its define says it
    steps = [Step("define", prog.output, f, Rule("the function"))] if shown else []
    return steps + [Step("define", v, d, Rule("intermediate variable")) for v, d in prog.defs.items()]


def _derive_reverse(f, ws, many, simplify, out=("f", None)):
    prog = linearize(f, ws, name=out[0], latex=out[1])
    steps = _define_steps(prog, f)
    if prog.output not in prog.defs:  # f is one of the variables, or does not depend on them
        res = [P.Const.make(1) if w is f else P.zeros(*w.shape) for w in ws]
        for w, r in zip(ws, res):
            why = "d f/d f = 1" if w is f else "f does not depend on " + w.name
            steps.append(Step("result", partial(f, w, "gradient"), r, why))
        return Derivation(f, ws, res if many else res[0], steps, [], "gradient")
    adj, ref, named, steps = reverse(prog, ws, simplify=simplify, steps=steps)
    full = inline(prog.defs)
    S = Simplifier() if simplify else None
    res = []
    for w in ws:
        g = substitute(adj[w], full)
        if S:
            g = S(g)
        steps.append(Step("result", partial(prog.output, w, "gradient"), g, Rule("substitute back")))
        res.append(g)
    return Derivation(f, ws, res if many else res[0], steps, list(prog.defs.items()), "gradient")


def _derive_forward(f, x, simplify, out=("f", None)):
    prog = linearize(f, [x], name=out[0], latex=out[1])
    steps = _define_steps(prog, f)
    if prog.output not in prog.defs:
        if f is x:
            J = P.identity(P.numel(x.shape))
            steps.append(Step("result", partial(f, x), J, "d x/d x = I"))
        else:
            J = P.zeros(P.numel(f.shape), P.numel(x.shape))
            steps.append(Step("result", partial(f, x), J, "f does not depend on " + x.name))
        return Derivation(f, [x], J, steps, [], "jacobian")
    jac, steps = forward(prog, x, simplify=simplify, steps=steps)
    full = inline(prog.defs)
    J = substitute(jac[prog.output], full)
    if simplify:
        J = Simplifier()(J)
    steps.append(Step("result", partial(prog.output, x), J, Rule("substitute back")))
    return Derivation(f, [x], J, steps, list(prog.defs.items()), "jacobian")


def _derive_many_forward(f, ws, simplify, out=("f", None)):
    parts = [_derive_forward(f, w, simplify, out) for w in ws]
    steps = [s for d in parts for s in d.steps]
    return Derivation(f, ws, [d.result for d in parts], steps, parts[0].definitions, "jacobian")


def gradient(f, wrt, *, simplify: bool = True):
    """The gradient of a scalar f: the shape of each variable.

    >>> jc.gradient(jc.sum((W @ x + b - y) ** 2) / 2, W)   # (W @ x + b - y) @ x.T
    """
    from . import scalar_calculus as scalar_mod

    if scalar_mod.is_sympy_input(f):
        return scalar_mod.gradient(f, wrt)
    if isinstance(f, Expr) and not f.is_scalar:
        raise ShapeError(f"the gradient needs a scalar function; {describe(f)} is not one (use jc.jacobian)")
    return derive(f, wrt, simplify=simplify).result


def jacobian(f, wrt, *, simplify: bool = True):
    """The Jacobian in numerator layout: one row per component of f, one
    column per component of wrt (vec, column-major, for matrices).

    >>> jc.jacobian(jc.sigmoid(W @ x), x)   # diag(sigmoid'(W @ x)) @ W
    """
    from . import scalar_calculus as scalar_mod

    if scalar_mod.is_sympy_input(f):
        return scalar_mod.jacobian(f, wrt)
    if not isinstance(f, Expr):
        raise JacobiError(f"cannot differentiate {f!r}: build it from jc.scalar/jc.vector/jc.matrix symbols")
    ws, many = _check_wrt(wrt)
    if f.is_scalar:
        d = derive(f, ws, simplify=simplify)
        rows = [_row(g, simplify) for g in d.result]
        return rows if many else rows[0]
    return derive(f, wrt, simplify=simplify).result


def _row(g, simplify):
    r = P.transpose(P.vec(g)) if g.shape[1] != 1 else P.transpose(g)
    return Simplifier()(r) if simplify else r
