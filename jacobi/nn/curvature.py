"""Curvature products of a network's mean cost: H V and the Gauss-Newton G V, by Pearlmutter's R-operator.

R{q} = d/dt q(theta + t V) at t = 0 is the directional derivative of any quantity q of the forward and
backward passes along a direction V of the parameters (R{W^l} = VW^l, R{b^l} = Vb^l, R{X} = R{Y} = 0).
Applied to the mini-batch backpropagation equations it gives, layer by layer (examples as columns),

    R{Z^l} = VW^l A^{l-1} + W^l R{A^{l-1}} + Vb^l 1^T         R{A^l} = sigma'(Z^l) * R{Z^l}
    R{Delta^L} = the tangent of BP1 (the cost's second derivative along R{Z^L}, R{A^L})
    R{Delta^l} = sigma'(Z^l) * (VW^{l+1 T} Delta^{l+1} + W^{l+1 T} R{Delta^{l+1}})
                 + sigma''(Z^l) * R{Z^l} * (W^{l+1 T} Delta^{l+1})
    (H V)_{W^l} = (1/m) (R{Delta^l} A^{l-1 T} + Delta^l R{A^{l-1}}^T)      (H V)_{b^l} = (1/m) R{Delta^l} 1

None of these is written here: each is the tangent of the network's own derived equation (BP1-BP4 from
``net.backprop(batch=True)``), taken by jacobi's chain rule.  A tangent J v is the transpose of the pullback
J^T u: <J^T u, v> is linear in u and its gradient with respect to u is J v, so the tangents come out of the same
reverse accumulation (and the same Jacobian blocks' transpose rules) as the gradient, and sigma'' comes from
the function registry (sigmoid'' = sigmoid' (1 - 2 sigmoid), tanh'' = -2 tanh tanh', relu'' = 0).

The Gauss-Newton product G V = J^T H_C J V keeps the terms that carry R{...} of the output only: the
forward tangent pass (J V), the cost's second derivative H_C at the split (the logits z^L where the cost is
convex in them, the cost record's ``gauss_newton_logits``, else the output a^L), and the backward pass of that
through the linear backprop (J^T), without the sigma'' and VW^T Delta terms.
"""
from __future__ import annotations

import re

from .. import core as P
from ..calculus.chain import pullback_def, substitute
from ..calculus.derive import gradient
from ..codegen.backends import backend
from ..codegen.emit import Line
from ..core.expr import Expr
from ..core.shapes import JacobiError, ShapeError
from .costs import SOFTMAX
from .netgen import GradientFunction, NetSource, _plain, _unscale
from .rows import M, output_forms

HVP, GNVP = "hvp", "gnvp"


def tangent(e: Expr, dirs: dict, simplify) -> Expr:
    """R{e}: the directional derivative of e along dirs (symbol -> its direction, of its shape).

    Each term J_s v_s is the gradient, with respect to a stand-in u of e's shape, of <J_s^T u, v_s>:
    the pullback J_s^T u (reverse accumulation, as for the gradient) transposed once more."""
    U = P.new_symbol("U_tangent", e.shape[0], e.shape[1], "matrix" if e.shape[1] != 1 else "vector")
    terms = []
    for s in e.symbols():
        v = dirs.get(s)
        if v is None:
            continue
        pulled = pullback_def(e, s, U, e)
        terms.append(gradient(P.sum_(P.hadamard(pulled, v)), U))
    if not terms:
        return P.zeros(*e.shape)
    return simplify(P.add(*terms) if len(terms) > 1 else terms[0])


def split_at_logits(net) -> bool:
    """Where the Gauss-Newton product splits the network: at the logits z^L (True) or the output a^L."""
    out = net.activations[-1]
    name = out if out == SOFTMAX else out.name
    return name == "identity" or name in net.cost_record.gauss_newton_logits


class RPass:
    """The R-operator equations of a network, derived: ``eqs`` is a list of (symbol, right side, tag),
    in the order generated code computes them (examples as columns; names VW, Vb, RZ, RA, RDelta)."""

    def __init__(self, net, kind: str = HVP, src: NetSource | None = None):
        if kind not in (HVP, GNVP):
            raise JacobiError(f"kind must be {HVP!r} or {GNVP!r}, not {kind!r}")
        self.net, self.kind = net, kind
        self.src = src or NetSource(net, backend("numpy"))
        bp, S, L = self.src.bp, self.src.S, net.L
        self.VW = {l: P.matrix(f"VW{l}", net.sizes[l], net.sizes[l - 1]) for l in range(1, L + 1)}
        self.Vb = {l: P.vector(f"Vb{l}", net.sizes[l]) for l in range(1, L + 1)}
        self.RZ = {l: P.matrix(f"RZ{l}", net.sizes[l], "m") for l in range(1, L + 1)}
        self.RA = {l: P.matrix(f"RA{l}", net.sizes[l], "m") for l in range(1, L + 1)}
        self.RD = {l: P.matrix(f"RDelta{l}", net.sizes[l], "m") for l in range(1, L + 1)}
        Z, A, D = (lambda l: net.z(l, True)), (lambda l: net.a(l, True)), (lambda l: net.delta_symbol(l, True))
        eqs = []
        for l in range(1, L + 1):
            dirs = {net.W(l): self.VW[l], net.b(l): self.Vb[l]}
            if l > 1:
                dirs[A(l - 1)] = self.RA[l - 1]
            eqs.append((self.RZ[l], tangent(self.src.defs[Z(l)], dirs, S), "forward"))
            eqs.append((self.RA[l], tangent(self.src.defs[A(l)], {Z(l): self.RZ[l]}, S), "forward"))
        hvp = kind == HVP
        self.at_logits = hvp or split_at_logits(net)
        if self.at_logits:  # BP1's tangent: H_C (with respect to z^L) times R{z^L}
            top = tangent(bp.delta(L), {Z(L): self.RZ[L], A(L): self.RA[L]}, S)
        else:  # H_C with respect to a^L times R{a^L}, pulled back through a^L = f(z^L)
            Ha = tangent(bp.grad_a(), {A(L): self.RA[L]}, S)
            top = S(pullback_def(self.src.defs[A(L)], Z(L), Ha, A(L)))
        eqs.append((self.RD[L], top, "top"))
        for l in range(L - 1, 0, -1):
            dirs = {D(l + 1): self.RD[l + 1]}
            if hvp:
                dirs.update({net.W(l + 1): self.VW[l + 1], Z(l): self.RZ[l], A(l): self.RA[l]})
            eqs.append((self.RD[l], tangent(bp.delta(l), dirs, S), "back"))
        for l in range(L, 0, -1):
            dirs = {D(l): self.RD[l]}
            if hvp and l > 1:
                dirs[A(l - 1)] = self.RA[l - 1]
            eqs.append((("W", l), tangent(_unscale(bp.grad_W(l)), dirs, S), "product"))
            eqs.append((("b", l), tangent(_unscale(bp.grad_b(l)), dirs, S), "product"))
        self.eqs = eqs

    def __str__(self):
        H = "H" if self.kind == HVP else "G"
        out = []
        for lhs, rhs, _ in self.eqs:
            name = f"({H} V)_{lhs[0]}{lhs[1]}" if isinstance(lhs, tuple) else _rtext(lhs)
            out.append(f"{name} = {_rtext(rhs, 1 if isinstance(lhs, tuple) else 0)}")
        return "\n".join(out)


def _rtext(e, scaled=0) -> str:
    """An R-equation's text, R-quantities written R{z1} (the batch's names as the gradient's comments)."""
    text = _plain(e)
    text = re.sub(r"\bR(z|a|delta)(\d+)", r"R{\1\2}", text)
    return f"(1/m) ({text})" if scaled else text


def curvature_source(net, backend_name="numpy", kind: str = HVP, fname: str | None = None,
                     gradient: bool = True) -> str:
    """The generated module's source; an HVP returns the cost and the gradient too unless gradient=False
    (then (cost, H V): the gradient's own weight products are left out)."""
    be = backend(backend_name)
    src = NetSource(net, be)
    rp = RPass(net, kind, src)
    L, hvp = net.L, kind == HVP
    fname = fname or kind
    for l in range(1, L + 1):
        src.param(rp.VW[l], f"VW{l}")
        src.param(rp.Vb[l], f"Vb{l}")
        src.stored(rp.RZ[l], f"Rz{l}")
        src.stored(rp.RA[l], f"Ra{l}")
        src.stored(rp.RD[l], f"Rdelta{l}")
    by_def = {d: v for v, d in src.defs.items() if v is not src.bp.program.output}
    inv_m = P.Const.make(1 / M)
    H = "H" if hvp else "G"

    def code(e, stored_T=True):
        return src.code_expr(src.S.structural(output_forms(substitute(e, by_def), src.defs)), stored_T)

    forward = src.forward_lines()
    rlines, plines = [], []
    for lhs, rhs, tag in rp.eqs:
        if tag == "product":
            what, l = lhs
            target, e = f"{H}{what}{l}", code(rhs, False)
            word = f"({H} V) for {what}{l}"
            plines.append(Line(target, src.flat_line(rhs) if what == "b" else e, f"{word} = {_rtext(rhs)}"))
            continue
        e = P.Scale._new((), (inv_m, rhs)) if tag == "top" else rhs
        comment = f"{src.names[lhs]} = {_rtext(rhs)}" + (" (times 1/m)" if tag == "top" else "")
        rlines.append(Line(src.names[lhs], code(e), "R{" + comment[1:].replace(" =", "} =", 1)))
    lines = forward + rlines[:2 * L]
    if hvp:
        lines += src.delta_lines()
    lines += rlines[2 * L:]
    if hvp and gradient:
        lines += src.grad_lines()
    lines += plines
    prods = "[" + ", ".join(f"({H}W{l}, {H}b{l})" for l in range(1, L + 1)) + "]"
    keep = {"cost"} | {f"{H}{w}{l}" for l in range(1, L + 1) for w in "Wb"}
    if hvp and not gradient:
        ret = "cost, " + prods
        summary = "Mean cost and its Hessian times V"
        doc = "hvp(params, X, Y, V) -> (cost, H V), by Pearlmutter's R-operator.\n"
    elif hvp:
        keep |= {f"d{w}{l}" for l in range(1, L + 1) for w in "Wb"}
        ret = "cost, [" + ", ".join(f"(dW{l}, db{l})" for l in range(1, L + 1)) + "], " + prods
        summary = "Mean cost, its gradient and its Hessian times V"
        doc = "hvp(params, X, Y, V) -> (cost, grads, H V), by Pearlmutter's R-operator.\n"
    else:
        ret = "cost, " + prods
        split = "the logits z^L" if rp.at_logits else "the output a^L"
        summary = "Mean cost and its Gauss-Newton matrix times V"
        doc = f"gnvp(params, X, Y, V) -> (cost, G V), G = J^T H_C J split at {split}.\n"
    direction = ("V", [(rp.VW[l], rp.Vb[l]) for l in range(1, L + 1)])
    return src.source(lines, fname, [direction], keep, ret, summary, doc)


class CurvatureFunction(GradientFunction):
    """fn(params, X, Y, V), generated: H V (``net.hvp_function``) -> (cost, grads, hv), or the Gauss-Newton
    product (``net.gnvp_function``) -> (cost, gv); V and the products are lists of (VW, Vb) pairs shaped
    like params."""

    what = "curvature product"

    def __init__(self, net, source, fname, backend_name, kind, gradient: bool = False):
        super().__init__(net, source, fname, backend_name)
        self.kind = kind
        self.what = "Hessian-vector product" if kind == HVP else "Gauss-Newton product"
        self.returns = ("(mean cost, grads, H V)" if gradient else "(mean cost, H V)") if kind == HVP \
            else "(mean cost, G V)"

    def __call__(self, params, X, Y, V):
        check_direction(params, V)
        return super().__call__(params, X, Y, V)


def _shape(x) -> tuple | None:
    s = getattr(x, "shape", None)
    if s is None:
        try:
            import numpy as np

            s = np.shape(x)
        except (ValueError, TypeError):
            return None
    return tuple(int(d) for d in s)


def check_direction(params, V) -> None:
    """Refuse a direction V that is not shaped like params, naming the layer and the shape expected."""
    try:
        n, nv = len(params), len(V)
    except TypeError:
        raise JacobiError("V must be a list of (VW, Vb) pairs of arrays shaped like params") from None
    if nv != n:
        raise ShapeError(f"V has {nv} layer(s); params has {n}: V must be a list of (VW, Vb) pairs, one per layer")
    for l, (pair, ppair) in enumerate(zip(V, params), start=1):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ShapeError(f"V[{l - 1}] (layer {l}) must be a pair (VW{l}, Vb{l}), not {type(pair).__name__}")
        try:
            want = [_shape(p) for p in ppair]
        except TypeError:
            return  # params are malformed: the call reports them
        for v, w, what in zip(pair, want, ("VW", "Vb")):
            got = _shape(v)
            if w is not None and got != w:
                raise ShapeError(f"V[{l - 1}]: {what}{l}, the direction for layer {l}'s "
                                 f"{'weights' if what == 'VW' else 'biases'}, should have shape {w} "
                                 f"(that of {what[1:]}{l}), got {got}")


def curvature_function(net, backend_name: str = "numpy", kind: str = HVP, gradient: bool = True) -> CurvatureFunction:
    if not isinstance(gradient, bool):
        raise JacobiError(f"gradient must be True or False, not {gradient!r}")
    be = backend(backend_name)
    be.load()
    return CurvatureFunction(net, curvature_source(net, be, kind, gradient=gradient), kind, be.name, kind,
                             gradient and kind == HVP)
