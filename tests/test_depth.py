"""Deep element-wise chains: sum(f(f(...f(x)))) for k nested calls.

The derivative is the product of k factors f'(.), one per layer; as a shared
graph it grows linearly in k, and simplifying it must not blow it up.  Nothing
here is timed: bench/bench_depth.py measures time and memory.
"""
from __future__ import annotations

import numpy as np
import pytest

import jacobi as jc
from jacobi import core as P
from jacobi.calculus.check import numeric_jacobian

NUMPY = {"sigmoid": lambda t: 1 / (1 + np.exp(-t)), "tanh": np.tanh}
NUMPY_PRIME = {"sigmoid": lambda t: NUMPY["sigmoid"](t) * (1 - NUMPY["sigmoid"](t)),
               "tanh": lambda t: 1 - np.tanh(t) ** 2}


def chain(name, k, x):
    e = x
    for _ in range(k):
        e = getattr(jc, name)(e)
    return e


def gradient(name, k):
    x = jc.vector("x", "n")
    f = jc.sum(chain(name, k, x))
    return x, f, jc.derive(f, x).result


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_derivative_of_a_deep_chain_grows_linearly(name):
    counts = {k: gradient(name, k)[2].count() for k in (30, 60)}
    assert counts[60] <= 60 / 30 * counts[30] + 4, counts


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_derivative_of_a_deep_chain_is_a_product_of_k_factors(name):
    k = 60
    _, _, g = gradient(name, k)
    assert isinstance(g, P.Hadamard) and len(g.args) == k
    assert all(isinstance(a, P.Apply) and str(a).startswith(name + "'(") for a in g.args)
    # the factors are f'(x), f'(f(x)), ..., f'(f^(k-1)(x)): one of each depth
    depths = sorted(str(a).count(name + "(") for a in g.args)
    assert depths == list(range(k))


def _numeric_chain_rule(name, k, xv):
    """prod_i f'(f^i(x)), evaluated in numpy: exact, even where it is far below what differences resolve."""
    out, t = np.ones_like(xv), xv
    for _ in range(k):
        out = out * NUMPY_PRIME[name](t)
        t = NUMPY[name](t)
    return out


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("k", [5, 40])
def test_derivative_of_a_deep_chain_matches_central_differences(name, k):
    x, f, g = gradient(name, k)
    xv = np.random.default_rng(k).uniform(-2.0, 2.0, size=5)
    fn, grad = jc.lambdify([x], f), jc.lambdify([x], g)
    got = np.asarray(grad(xv), dtype=np.float64).reshape(-1)
    J = numeric_jacobian(lambda v: fn(v), [xv], 0)
    np.testing.assert_allclose(got, J.reshape(-1), rtol=1e-6, atol=1e-9)
    # sigmoid'(.) <= 1/4, so sigmoid^40's derivative is about 1e-26: below what
    # differences resolve; the chain rule evaluated in numpy checks it to rounding
    np.testing.assert_allclose(got, _numeric_chain_rule(name, k, xv), rtol=1e-10)
