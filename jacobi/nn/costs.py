"""Named costs: one registry, one record per cost, each defined once.

A cost is a formula C(a, y, log) of the output activation a and the target y,
written with the ``log`` it is given.  With the plain log it is the cost the
network is derived from (and the explicit view evaluates); with ``LogitLog``,
the log of the output written from the logits z, it is the stable form that
generated code computes:

    log softmax(z) = log_softmax(z)            (log-sum-exp)
    log sigma(z)   = z - softplus(z)
    log(1 - sigma(z)) = -softplus(z)
    log(1 - softmax(z)) = logsumexp of the other entries - logsumexp(z)

so no log of an underflowed probability is ever taken.  A record also says
what target the cost expects: cross-entropy's y has columns that sum to one
(``distribution=True`` on y, which is what lets the simplifier cancel
delta^L to a^L - y), and what outputs it is defined on (``output_range``):
a network whose output activation takes values outside it (the function
record's ``image``) is refused.  Adding a cost is one ``register_cost(Cost(...))``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr, rewrite
from ..core.shapes import JacobiError
from .logits import log1m_softmax, softmax_bce_grad

SOFTMAX = "softmax"  # the output activation that is not element-wise


def softmax_image(n) -> sp.Set:
    """The values softmax takes on n entries: (0, 1), and {1} for one entry (a symbolic n is taken as >= 2)."""
    return sp.FiniteSet(1) if n == 1 else sp.Interval.open(0, 1)


def _fmt_set(s: sp.Set) -> str:
    if isinstance(s, sp.Interval):
        lo = "-inf" if s.start == -sp.oo else str(s.start)
        hi = "inf" if s.end == sp.oo else str(s.end)
        return f"{'(' if s.left_open else '['}{lo}, {hi}{')' if s.right_open else ']'}"
    if s == sp.Reals:
        return "(-inf, inf)"
    if isinstance(s, sp.FiniteSet):
        return "{" + ", ".join(str(v) for v in s.args) + "}"
    return str(s)


def _one_minus(x: Expr) -> Expr | None:
    """t where x is 1 - t."""
    if isinstance(x, P.Add) and len(x.args) == 2:
        c, t = x.args
        if isinstance(t, (P.Ones, P.Broadcast)):
            c, t = t, c
        is_one = isinstance(c, P.Ones) or (isinstance(c, P.Broadcast) and isinstance(c.args[0], P.Const)
                                            and c.args[0].value == 1)
        n = P.negated(t)
        if is_one and n is not None:
            return n
    return None


class LogitLog:
    """The log a cost takes of the output a = f(z), written from the logits z where f allows:
    log a and log(1 - a) for softmax and sigmoid; any other log is the plain one."""

    def __init__(self, a: Expr, z: Expr, output, axis=None):
        # axis: softmax's axis where examples are rows (1); None for the network's columns
        self.a, self.z, self.output, self.axis = a, z, output, axis

    def __call__(self, x) -> Expr:
        x = P.as_expr(x, "log")
        z, sig = self.z, self.output is F.get("sigmoid")
        if x is self.a:
            if self.output == SOFTMAX:
                return P.log_softmax(z) if self.axis is None else P.log_softmax(z, axis=self.axis)
            if sig:
                return P.sub(z, P.apply(F.get("softplus"), z))  # log sigma(z) = z - softplus(z)
        elif _one_minus(x) is self.a:
            if sig:
                return P.neg(P.apply(F.get("softplus"), z))  # log(1 - sigma(z)) = -softplus(z)
            if self.output == SOFTMAX and self.axis is None:
                return log1m_softmax(z)
        return P.log(x)


def plain_log(x) -> Expr:
    return P.log(x)


@dataclass(frozen=True)
class Cost:
    """One cost: C(a, y) for one example (or summed over a batch's columns)."""

    name: str
    formula: Callable  # (a, y, log) -> scalar expression; log is applied to the output's terms
    distribution: bool = False  # the target's columns sum to one (probabilities over the classes)
    text: str = ""  # the formula for people
    output_range: sp.Set | None = None  # the output values a on which C is defined (None: any real)
    range_reason: str = ""  # why, for the refusal's message
    target: str = "any real numbers"  # the target convention, for people (the README states it too)
    # (z, y, output) -> dC/dz computed from the logits, where the derived delta^L cancels catastrophically
    # (it divides by a - 1); None keeps the derived form
    logit_grad: Callable | None = None
    # the output activations (names, "softmax") on which C(output(z)) is convex in the logits z: the Gauss-Newton
    # product (jacobi.nn.curvature) splits the network there, and at the output a^L for any other
    gauss_newton_logits: tuple = ()

    def check_output(self, output, n) -> None:
        """Refuse an output activation (a record or SOFTMAX, on n entries) whose values leave output_range.

        An output whose range is not known (a user's function) is let through."""
        if self.output_range is None:
            return
        image = softmax_image(n) if output == SOFTMAX else getattr(output, "image", None)
        if image is None or image.is_subset(self.output_range) is not False:
            return
        name = output if output == SOFTMAX else output.name
        raise JacobiError(
            f"the cost {self.name} is not defined for the output activation {name}: {self.range_reason}, so it "
            f"needs outputs in {_fmt_set(self.output_range)}, and {name}"
            + (f" on {n} entr{'y' if n == 1 else 'ies'}" if output == SOFTMAX else "")
            + f" takes values in {_fmt_set(image)}; use {self._fits(n)} as the output, or the cost mse")

    def _fits(self, n) -> str:
        images = {f: F.get(f).image for f in F.activations()} | {SOFTMAX: softmax_image(n)}
        return " or ".join(f for f, im in images.items() if im is not None and im.is_subset(self.output_range))

    def expr(self, a: Expr, y: Expr) -> Expr:
        """The cost the network is derived from."""
        out = self.formula(a, y, plain_log)
        if not isinstance(out, Expr) or not out.is_scalar:
            raise JacobiError(f"the cost function must return a scalar jacobi expression, got {out!r}")
        stray = [s for s in out.symbols() if s is not a and s is not y]
        if stray:
            raise JacobiError(f"the cost may use only a^L and y; it uses {stray[0]}")
        return out

    def stable(self, a: Expr, y: Expr, z: Expr, output) -> Expr:
        """The same cost computed from the logits z of the output activation (a = output(z))."""
        return self.formula(a, y, LogitLog(a, z, output))

    @classmethod
    def custom(cls, fn: Callable) -> "Cost":
        """A user's function (a, y) -> C as a record; its logs are taken from the logits too."""
        log_fn = F.get("log")

        def formula(a, y, log):
            out = fn(a, y)
            if log is plain_log or not isinstance(out, Expr):
                return out
            return rewrite(out, lambda n: log(n.args[0]) if isinstance(n, P.Apply) and n.fn is log_fn else None)

        return cls("custom", formula, text=getattr(fn, "__name__", "custom"))


COSTS: dict[str, Cost] = {}


def register_cost(cost: Cost) -> Cost:
    """Make a cost available by name (Network(cost=name), the CLI's --cost)."""
    if not isinstance(cost, Cost):
        raise JacobiError(f"register_cost takes a Cost record, not {cost!r}")
    COSTS[cost.name] = cost
    return cost


def cost_of(cost) -> Cost:
    """The record of a cost given by name, as a record, or as a function (a, y) -> C."""
    if isinstance(cost, Cost):
        return cost
    if isinstance(cost, str):
        try:
            return COSTS[cost]
        except KeyError:
            raise JacobiError(f"unknown cost {cost!r}; use one of {', '.join(COSTS)} "
                              "or a function (a, y) -> C") from None
    if callable(cost):
        return Cost.custom(cost)
    raise JacobiError(f"cost must be a name or a function (a, y) -> scalar expression, not {cost!r}")


register_cost(Cost(
    "mse", lambda a, y, log: P.div(P.sum_(P.power(P.sub(a, y), 2)), 2),
    text="C = (1/2) sum (a - y)^2",
))
register_cost(Cost(
    "cross_entropy", lambda a, y, log: P.neg(P.sum_(P.mul(y, log(a)))), distribution=True,
    text="C = -sum y log a, the columns of y summing to one",
    output_range=sp.Interval.Lopen(0, 1),
    range_reason="it takes log a, and is bounded below only where a <= 1 (a probability)",
    target="a probability distribution over the classes for each example: entries summing to one",
    gauss_newton_logits=(SOFTMAX, "sigmoid"),  # log-sum-exp(z) - y.z; sum y softplus(-z)
))
register_cost(Cost(
    "binary_cross_entropy",
    lambda a, y, log: P.neg(P.sum_(P.add(P.mul(y, log(a)), P.mul(P.sub(1, y), log(P.sub(1, a)))))),
    text="C = -sum (y log a + (1 - y) log(1 - a))",
    output_range=sp.Interval.open(0, 1), range_reason="it takes log a and log(1 - a)",
    target="a probability in [0, 1] for each entry (several entries of an example may be 1)",
    logit_grad=lambda z, y, output: softmax_bce_grad(z, y) if output == SOFTMAX else None,
    gauss_newton_logits=("sigmoid",),  # sum softplus(z) - y z
))
