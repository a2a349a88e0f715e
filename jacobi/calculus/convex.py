"""Convexity read off the symbolic Hessian: "convex" only with a certificate, otherwise "unknown".

f is convex when its domain is convex and its Hessian is positive semidefinite there.  Both are
checked from the structure, never from numbers:

- the Hessian is a sum (with nonnegative multiples) of terms known to be positive semidefinite:
  B^T M B for a positive semidefinite M (B^T B itself), diag(d) with d >= 0 entry by entry (read off
  the functions' images: sigma' > 0, exp > 0, squares), the identity, kron of two such terms, a
  matrix declared positive definite, diag(s) - s s^T for a probability vector s (the softmax's
  covariance), a nonnegative 1 x 1 Hessian;
- the domain is convex: every log, square root, fractional power and arcsin/arccos of something
  that depends on x takes an affine function of x (a half-space or a slab) or something positive
  everywhere; every quotient and negative power divides by something positive everywhere; no
  function with a kink (abs, relu, step, sign, the norms), whose Hessian (0 by convention at the kink)
  does not see it; no inverse, determinant or matrix power of a matrix that depends on x.

Anything else is "unknown": the answer is never a wrong "convex".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import core as P
from ..core.expr import Expr, deep
from .second import _one, _scalar, derive_hessian

_LINEAR = (P.Add, P.Transpose, P.Sum, P.Broadcast, P.Vec, P.Unvec, P.Trace)
_BILINEAR = (P.MatMul, P.Hadamard, P.Kron)  # linear in each factor: affine when one factor depends on x
_KINKED = (P.Norm1, P.Norm2)


@dataclass
class Convexity:
    """is_convex's answer: verdict "convex" or "unknown", the Hessian it read and the reasons.
    ``bool(answer)`` is True only for "convex"."""

    f: Expr
    x: Expr
    hessian: Expr | None
    verdict: str
    reasons: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.verdict == "convex"

    def __str__(self) -> str:
        head = f"{self.verdict}: {self.f} in {self.x.name}"
        return "\n".join([head] + [f"  {r}" for r in self.reasons])

    def __repr__(self) -> str:
        return f"<Convexity {self.verdict}: {self.f} in {self.x.name}>"


@deep
def is_convex(f, x) -> Convexity:
    """Whether a scalar f is convex in x, proved from its Hessian in closed form ("convex", with the
    reasons) or not proved ("unknown", with what stopped the proof).

    >>> jc.is_convex(jc.sum(jc.softplus(X @ w) - y * (X @ w)), w).verdict    # 'convex'
    >>> str(jc.is_convex(x.T @ A @ x, x))                                   # unknown: A is not known PSD
    """
    f = _scalar(f, "is_convex")
    x = _one(x, "is_convex")
    why = _domain(f, x)
    if why is not None:
        return Convexity(f, x, None, "unknown", [why])
    H = derive_hessian(f, x).result
    reasons: list = []
    if _psd(H, reasons):
        reasons.insert(0, f"the Hessian is {H}")
        reasons.append("a positive semidefinite Hessian on a convex domain: f is convex")
        return Convexity(f, x, H, "convex", reasons)
    return Convexity(f, x, H, "unknown", [f"the Hessian is {H}",
                                          "no certificate that it is positive semidefinite"])


# ---------------------------------------------------------------------------
# The domain


def _affine(e: Expr, x: Expr) -> bool:
    """e is affine in x: built from x by sums, multiples, products with constants, transposes, sums."""
    if not e.depends_on(x) or e is x:
        return True
    if isinstance(e, _BILINEAR):
        return sum(a.depends_on(x) for a in e.args) == 1 and all(_affine(a, x) for a in e.args)
    if isinstance(e, P.Scale):
        return not e.args[0].depends_on(x) and _affine(e.args[1], x)
    if isinstance(e, _LINEAR):
        return all(_affine(a, x) for a in e.args)
    return False


def _domain(f: Expr, x: Expr) -> str | None:
    """None when f's domain in x is certainly convex; otherwise the node that stops the proof."""
    for node in f.walk():
        if not node.depends_on(x):
            continue
        what = _restriction(node, x)
        if what is not None:
            return f"{what}: {node} (convexity is not proved)"
    return None


def _restriction(node: Expr, x: Expr) -> str | None:
    if isinstance(node, P.Apply):
        u = node.args[0]
        fn = node.fn
        if not fn.smooth or fn.name in ("abs", "relu", "step", "sign", "relu_prime"):
            return f"{fn.text or fn.name} has a kink that its second derivative does not see"
        if fn.name in ("log", "arcsin", "arccos") and not (_affine(u, x) or (fn.name == "log" and P.positive(u))):
            return f"the domain of {fn.text or fn.name} of a non-affine argument may not be convex"
        if fn.name == "tan":
            return "the domain of tan is not convex"
        return None
    if isinstance(node, _KINKED):
        return "a norm has a kink that its second derivative does not see"
    if isinstance(node, (P.Inv, P.LogDet)) or isinstance(node, P.MatrixPower) and not node.power.is_nonnegative:
        return "the invertible matrices are not a convex set"
    if isinstance(node, P.Div) and not P.positive(node.args[1]):
        return "a quotient by something not known positive has no convex domain"
    if isinstance(node, P.Power):
        u, k = node.args
        if not isinstance(k, P.Const):
            return "a power with a variable exponent"
        k = k.value
        if k.is_integer and k >= 0 or P.positive(u):
            return None
        if k.is_integer:  # a negative power: the domain u != 0 is not convex
            return "a negative power of something not known positive has no convex domain"
        if not _affine(u, x):  # a fractional power: u >= 0
            return "the domain of a fractional power of a non-affine argument may not be convex"
    return None


# ---------------------------------------------------------------------------
# Positive semidefinite terms


def _psd(H: Expr, why: list) -> bool:
    """H is certainly positive semidefinite (and symmetric); why gets the reasons."""
    if isinstance(H, (P.Zero, P.Identity)):
        return True
    if H.is_scalar and P.nonnegative(H):
        why.append(f"{H} >= 0")
        return True
    if isinstance(H, P.Symbol):
        if "positive_definite" in H.assumptions:
            why.append(f"{H.name} is declared positive definite")
            return True
        return False
    if isinstance(H, P.Scale):
        s, M = H.args
        if P.nonnegative(s) and _psd(M, why):
            why.append(f"{s} >= 0 times a positive semidefinite matrix")
            return True
        return False
    if isinstance(H, P.Transpose):
        return _psd(H.args[0], why)
    if isinstance(H, P.Diag):
        d = H.args[0]
        if d.shape[1] == 1 and P.nonnegative(d):
            why.append(f"diag({d}) has nonnegative entries")
            return True
        return False
    if isinstance(H, P.Kron):
        return _psd(H.args[0], why) and _psd(H.args[1], why)
    if isinstance(H, P.Inv):
        A = H.args[0]
        if isinstance(A, P.Symbol) and "positive_definite" in A.assumptions:
            why.append(f"the inverse of the positive definite {A.name} is positive definite")
            return True
        return False
    if isinstance(H, P.MatMul):
        return _gram(list(H.args), why)
    if isinstance(H, P.Add):
        return _sum(list(H.args), why)
    return False


def _gram(fs: list, why: list) -> bool:
    """B^T M B with M positive semidefinite (B^T B with nothing between)."""
    if len(fs) < 2 or P.transpose(fs[-1]) is not fs[0]:
        return False
    B = fs[-1]
    if len(fs) == 2:
        why.append(f"{P.matmul(*fs)} is a Gram matrix B^T B")
        return True
    inner = P.matmul(*fs[1:-1])
    if _psd(inner, why):
        why.append(f"B^T M B is positive semidefinite for B = {B} and M = {inner} positive semidefinite")
        return True
    return False


def _sum(terms: list, why: list) -> bool:
    """Every term positive semidefinite, with diag(s) - s s^T (s a probability vector) read as one."""
    rest = list(terms)
    for t in terms:
        if isinstance(t, P.Diag) and _probability(t.args[0]):
            s = t.args[0]
            cov = P.neg(P.matmul(s, P.transpose(s)))
            if cov in rest:
                rest.remove(t)
                rest.remove(cov)
                why.append(f"diag(s) - s s^T for the probability vector s = {s} is its covariance matrix")
    return all(_psd(t, why) for t in rest)


def _probability(s: Expr) -> bool:
    return isinstance(s, P.Softmax) and s.shape[1] == 1 or isinstance(s, P.Symbol) and "distribution" in s.assumptions
