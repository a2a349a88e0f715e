"""Generated training code: a network's gradient function from its derivation.

The mini-batch derivation (examples as columns) is turned into straight-line
code that stores examples as rows, as numpy users do.  On the way, four
rewrites make the code as fast and as stable as careful hand-written backprop:

* sigma'(z^l) is computed from the layer's output (a (1 - a), 1 - a^2), the
  forms the registry gives, so no derivative function is evaluated;
* the mean's 1/m is applied once, to delta^L: BP2 is linear in delta^{l+1},
  so every later delta and gradient inherits it;
* the cost is computed from the logits, the stable form its record in
  jacobi.nn.costs gives: log(softmax(z)) through log-sum-exp,
  log(sigma(z)) = z - softplus(z), log(1 - sigma(z)) = -softplus(z);
* softmax and log-softmax of the same logits share one exp.
"""
from __future__ import annotations

import re

import numpy as np
import sympy as sp

from .. import core as P
from ..calculus.chain import substitute
from ..calculus.simplify import Simplifier
from ..codegen.backends import backend
from ..codegen.emit import Line, emit
from ..codegen.printer import CodePrinter
from ..core import functions as F
from ..core.expr import ATOM, Expr, SameShape, rewrite
from ..core.lift import Leaves, from_sympy
from ..core.shapes import JacobiError, ShapeError, fmt_shape

M = sp.Symbol("m", integer=True, positive=True)


class Flat(SameShape):
    """A column stored as a 1-D array (biases and their gradients)."""

    __slots__ = ()
    precedence = ATOM

    def _code(self, p):
        x = self.args[0]
        if isinstance(x, P.MatMul) and len(x.args) == 2 and isinstance(x.args[1], P.Ones):
            A = x.args[0]
            if isinstance(A, P.Transpose) and isinstance(A.args[0], P.Symbol):
                return f"{p.ref(A.args[0], ATOM)}.sum({p.be.axis}=0)"
            return f"{p.ref(A, ATOM)}.sum({p.be.axis}=1)"
        return f"{p.ref(x, ATOM)}.reshape(-1)"


class SoftmaxPair(SameShape):
    """softmax(z) and log(softmax(z)) from one exp."""

    __slots__ = ()
    precedence = ATOM

    def _code(self, p):
        return p.call("softmax_log", self.params[0], p.ref(self.args[0], 0))


# ---------------------------------------------------------------------------
# Rewrites


def output_forms(e: Expr, defs: dict) -> Expr:
    """sigma'(z) -> its form through a = sigma(z), where a is a named output."""
    by_def = {d: v for v, d in defs.items()}

    def through_output(n):
        if isinstance(n, P.Apply):
            primal = F.primal_of(n.fn)
            if primal is not None and primal.prime_in_output is not None:
                z = n.args[0]
                a = by_def.get(P.apply(primal, z))
                if a is not None:
                    leaves = Leaves()
                    form = primal.prime_in_output.subs({F.a: leaves.sym(a), F.t: leaves.sym(z)})
                    return from_sympy(form, leaves.by_sym, z.shape)
        return None

    return rewrite(e, through_output)


def tpush(e: Expr, T: bool = False) -> Expr:
    """e (or e^T) with every transpose moved onto a leaf."""
    if isinstance(e, P.Transpose):
        return tpush(e.args[0], not T)
    if isinstance(e, P.Sum):  # a sum is the same in either orientation: take the stored one
        x = e.args[0]
        return P.Sum._new((), (tpush(x, x.shape[1] == M),))
    if e.is_scalar:
        T = False
    if not T:
        return e.rebuild(tuple(tpush(a, False) for a in e.args)) if e.args else e
    if isinstance(e, (P.Symbol, P.Const)):
        return P.transpose(e)
    if isinstance(e, P.MatMul):
        return P.MatMul._new((), tuple(tpush(a, True) for a in reversed(e.args)))
    if isinstance(e, P.Scale):
        return P.Scale._new((), (tpush(e.args[0]), tpush(e.args[1], True)))
    if isinstance(e, P.Broadcast):
        return P.broadcast(tpush(e.args[0]), (e.shape[1], e.shape[0]))
    if isinstance(e, P.Ones):
        return P.ones(e.shape[1], e.shape[0])
    if isinstance(e, P.Zero):
        return P.zeros(e.shape[1], e.shape[0])
    if isinstance(e, (P.Softmax, P.LogSoftmax)):
        return type(e)._new((1 - e.params[0],), (tpush(e.args[0], True),))
    if isinstance(e, (P.Identity, P.Diag)):
        return e
    if isinstance(e, P.Power) and e.args[1].is_scalar:
        return P.Power._new((), (tpush(e.args[0], True), tpush(e.args[1])))
    if e.elementwise:
        return e.rebuild(tuple(tpush(a, True) for a in e.args))
    return P.transpose(e.rebuild(tuple(tpush(a, False) for a in e.args)))


# ---------------------------------------------------------------------------


class GradientFunction:
    """fn(params, X, Y) -> (cost, grads), generated from a network's derivation.

    params is a list of (W, b) pairs, W of shape (n_l, n_{l-1}) and b of shape
    (n_l,); X is (m, n_0) and Y is (m, n_L), one example per row.  cost is the
    mean over the batch; grads has the structure and dtype of params.
    ``fn.source`` is the generated code; ``fn.write(path)`` saves it as a
    module that depends on the array library alone."""

    def __init__(self, net, source: str, fname: str, backend_name: str):
        self.net = net
        self.source = source
        self.backend = backend_name
        ns: dict = {}
        exec(compile(source, f"<jacobi.{backend_name}>", "exec"), ns)  # noqa: S102 - generated by jacobi
        self._f = ns[fname]

    def __call__(self, params, X, Y):
        try:
            return self._f(params, X, Y)
        except (ValueError, TypeError, IndexError) as err:
            self._diagnose(params, X, Y)
            raise ShapeError(f"the gradient function failed: {err}") from err

    def _diagnose(self, params, X, Y):
        net = self.net
        if len(params) != net.L:
            raise ShapeError(f"params has {len(params)} layers; the network has {net.L}")
        ns = [int(s) if s.is_Integer else None for s in net.sizes]
        for l, pair in enumerate(params, start=1):
            W, b = (np.asarray(t) for t in pair)
            want = (ns[l], ns[l - 1])
            if W.ndim != 2 or any(w is not None and w != g for w, g in zip(want, W.shape)):
                raise ShapeError(f"W{l} should have shape {fmt_shape(tuple(net.sizes[l - 1:l + 1][::-1]))}, "
                                 f"got {W.shape}")
            if b.ndim != 1 or (ns[l] is not None and b.shape[0] != ns[l]):
                raise ShapeError(f"b{l} should have shape ({net.sizes[l]},), got {b.shape}")
        X, Y = np.asarray(X), np.asarray(Y)
        if X.ndim != 2 or (ns[0] is not None and X.shape[1] != ns[0]):
            raise ShapeError(f"X should have shape (m, {net.sizes[0]}), one example per row; got {X.shape}")
        if Y.ndim != 2 or Y.shape[0] != X.shape[0] or (ns[-1] is not None and Y.shape[1] != ns[-1]):
            raise ShapeError(f"Y should have shape ({X.shape[0]}, {net.sizes[-1]}), got {Y.shape}")

    def write(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.source)


def gradient_source(net, backend_name="numpy", fname: str = "gradient") -> str:
    be = backend(backend_name)
    L = net.L
    bp = net.backprop(batch=True)
    defs = dict(bp.program.defs)
    S = Simplifier(defs)
    # storage: batch quantities are kept transposed (examples as rows)
    batch = [net.x(True), net.y(True)] + [s for l in range(1, L + 1) for s in (net.z(l, True), net.a(l, True),
                                                                                 net.delta_symbol(l, True))]
    names = {net.x(True): "X", net.y(True): "Y"}
    for l in range(1, L + 1):
        names[net.z(l, True)] = f"z{l}"
        names[net.a(l, True)] = f"a{l}"
        names[net.delta_symbol(l, True)] = f"delta{l}"
    store = {s: P.matrix(names[s], s.shape[1], s.shape[0]) for s in batch}
    to_store = {s: P.transpose(store[s]) for s in batch}

    def code_expr(e, stored_T):
        e = substitute(e, to_store)
        return tpush(e, stored_T)

    lines = []
    for l in range(1, L + 1):
        z, a = net.z(l, True), net.a(l, True)
        prev = "x" if l == 1 else f"a{l - 1}"
        lines.append(Line(f"z{l}", code_expr(defs[z], True), f"z{l} = W{l} {prev} + b{l}"))
        lines.append(Line(f"a{l}", code_expr(defs[a], True), f"a{l} = {_act_name(net, l)}(z{l})"))
    cost = S.structural(net.stable_cost(batch=True))  # the cost record's form from the logits
    cost = S(P.Scale._new((), (P.Const.make(1 / M), cost)))
    lines.append(Line("cost", code_expr(cost, False), "the mean cost, from the logits"))
    inv_m = P.Const.make(1 / M)
    for l in range(L, 0, -1):
        d = output_forms(bp.delta(l), defs)
        if l == L:
            d = P.Scale._new((), (inv_m, d))
        tag = "BP1" if l == L else "BP2"
        lines.append(Line(f"delta{l}", code_expr(S.structural(d), True),
                          f"{tag}: delta{l} = {_plain(bp.delta(l))}" + (" (times 1/m)" if l == L else "")))
    for l in range(L, 0, -1):
        gW = _unscale(bp.grad_W(l))
        gb = _unscale(bp.grad_b(l))
        prev = "x" if l == 1 else f"a{l - 1}"
        lines.append(Line(f"dW{l}", code_expr(gW, False), f"BP4: dC/dW{l} = delta{l} {prev}^T"))
        lines.append(Line(f"db{l}", Flat._new((), (code_expr(gb, False),)), f"BP3: dC/db{l} = sum of delta{l}"))
    # softmax and log-softmax of one z share an exp
    pairs = _fuse_softmax(lines)
    params = [(net.W(l), net.b(l)) for l in range(1, L + 1)]
    pnames = {}
    for l, (W, b) in enumerate(params, start=1):
        pnames[W], pnames[b] = f"W{l}", f"b{l}"
    allnames = {**pnames, **{store[s]: names[s] for s in batch}}
    flat = {b for _, b in params}
    p = CodePrinter(allnames, {M: "m"}, {}, be, flat=flat, like="X")
    for node, name in pairs.items():
        p.temps[node] = name
    keep = {"cost"} | {f"dW{l}" for l in range(1, L + 1)} | {f"db{l}" for l in range(1, L + 1)} | \
        {"X", "Y"} | set(pnames.values())
    body = emit(lines, p, keep=keep)
    unpack = ", ".join(f"({pnames[W]}, {pnames[b]})" for W, b in params)
    head = [f"def {fname}(params, X, Y):",
            f'    """Mean cost and its gradient for the network {_sizes(net)}; examples are rows."""',
            f"    {unpack}{',' if L == 1 else ''} = params",
            "    m = X.shape[0]"]
    ret = "    return cost, [" + ", ".join(f"(dW{l}, db{l})" for l in range(1, L + 1)) + "]"
    helpers = dict(p.helpers)
    helpers.update(be.support("\n".join(body) + "".join(helpers.values())))
    helpers = "".join(helpers[k] + "\n\n" for k in sorted(helpers))
    doc = (f'"""Generated by jacobi from the derivation of the network {_sizes(net)}\n'
           f"(activation {', '.join(_act_name(net, l) for l in range(1, L + 1))}; cost {_cost_name(net)}).\n"
           f'Depends on {be.library} alone."""\n')
    # the layer sizes, so that `jacobi check --module` can build params and data for the module
    sizes = "[" + ", ".join(str(s) if s.is_Integer else repr(str(s)) for s in net.sizes) + "]"
    record = f"\nSIZES = {sizes}  # n_0, ..., n_L\n"
    return doc + be.header + record + "\n\n" + helpers + "\n".join(head + body + [ret]) + "\n"


def _fuse_softmax(lines):
    pairs = {}
    logs = {}
    for ln in lines:
        for n in ln.expr.walk():
            if isinstance(n, P.LogSoftmax):
                logs[(n.args[0], n.params[0])] = n
    for ln in lines:
        e = ln.expr
        if isinstance(e, P.Softmax) and (e.args[0], e.params[0]) in logs:
            lg = logs[(e.args[0], e.params[0])]
            pair = SoftmaxPair._new(e.params, e.args)
            name = "log_" + ln.target
            ln.target = f"{ln.target}, {name}"
            ln.expr = pair
            pairs[lg] = name
            pairs[e] = ln.target.split(",")[0]
    return pairs


def _unscale(g):
    if isinstance(g, P.Scale) and isinstance(g.args[0], P.Const) and g.args[0].value == 1 / M:
        return g.args[1]
    raise JacobiError(f"expected (1/m) times a gradient, got {g}")  # pragma: no cover


def _plain(e):
    """An equation's text for a comment, the ones written as the textbook's 1 (no ones() in the source)."""
    text = str(e).replace("Delta", "delta").replace("Z", "z").replace("A", "a")
    return re.sub(r"\bones\([^()]*\)(\.T)?", lambda mt: "1^T" if mt.group(1) else
                  ("1 1^T" if "," in mt.group(0) else "1"), text)


def _act_name(net, l):
    f = net.activations[l - 1]
    return f if isinstance(f, str) else f.name


def _cost_name(net):
    return net.cost_record.name


def _sizes(net):
    return "[" + ", ".join(str(s) for s in net.sizes) + "]"


def gradient_function(net, backend_name: str = "numpy") -> GradientFunction:
    be = backend(backend_name)
    be.load()  # a missing library: a JacobiError naming the extra to install
    src = gradient_source(net, be)
    return GradientFunction(net, src, "gradient", be.name)


def init_params(net, seed: int = 0, dtype=np.float64) -> list:
    """Glorot-uniform weights and zero biases, as a list of (W, b) pairs."""
    rng = np.random.default_rng(seed)
    ns = []
    for s in net.sizes:
        if not s.is_Integer:
            raise JacobiError("init_params needs numbers for every layer size")
        ns.append(int(s))
    out = []
    for l in range(1, len(ns)):
        lim = np.sqrt(6.0 / (ns[l] + ns[l - 1]))
        W = rng.uniform(-lim, lim, size=(ns[l], ns[l - 1])).astype(dtype)
        out.append((W, np.zeros(ns[l], dtype=dtype)))
    return out
