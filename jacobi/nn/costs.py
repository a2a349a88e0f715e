"""Named costs: one registry, one record per cost, each defined once.

A cost is a formula C(a, y, log) of the output activation a and the target y,
written with the ``log`` it is given.  With the plain log it is the cost the
network is derived from (and the explicit view evaluates); with ``LogitLog``,
the log of the output written from the logits z, it is the stable form that
generated code computes:

    log softmax(z) = log_softmax(z)            (log-sum-exp)
    log sigma(z)   = z - softplus(z)
    log(1 - sigma(z)) = -softplus(z)

so no log of an underflowed probability is ever taken.  A record also says
what target the cost expects: cross-entropy's y has columns that sum to one
(``distribution=True`` on y, which is what lets the simplifier cancel
delta^L to a^L - y).  Adding a cost is one ``register_cost(Cost(...))``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .. import core as P
from ..core import functions as F
from ..core.expr import Expr, rewrite
from ..core.shapes import JacobiError

SOFTMAX = "softmax"  # the output activation that is not element-wise


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
    log a for softmax and sigmoid, log(1 - a) for sigmoid; any other log is the plain one."""

    def __init__(self, a: Expr, z: Expr, output):
        self.a, self.z, self.output = a, z, output

    def __call__(self, x) -> Expr:
        x = P.as_expr(x, "log")
        z, sig = self.z, self.output is F.get("sigmoid")
        if x is self.a:
            if self.output == SOFTMAX:
                return P.log_softmax(z)
            if sig:
                return P.sub(z, P.apply(F.get("softplus"), z))  # log sigma(z) = z - softplus(z)
        elif sig and _one_minus(x) is self.a:
            return P.neg(P.apply(F.get("softplus"), z))  # log(1 - sigma(z)) = -softplus(z)
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
))
register_cost(Cost(
    "binary_cross_entropy",
    lambda a, y, log: P.neg(P.sum_(P.add(P.mul(y, log(a)), P.mul(P.sub(1, y), log(P.sub(1, a)))))),
    text="C = -sum (y log a + (1 - y) log(1 - a))",
))
