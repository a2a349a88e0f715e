"""Models written as programs of lets, shared by the tests (a helper module, not tests).

Each builder returns a ``Model``: the loss, the leaves in the order the generated function takes them
(index matrices among them), the lets by name, the sizes the code is run at, the sizes whose square
no derivation or generated array may have (the batch, the vocabulary, the normalised features), and a
function drawing the leaves' values.  Sizes are symbols in the program; they get numbers only here,
at run time, and they are distinct so that an array's shape says which sizes it has.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import jacobi as jc
from jacobi.core import size


@dataclass
class Model:
    loss: object
    inputs: list  # leaf symbols, in the order the generated function takes them
    lets: dict  # name -> let
    sizes: dict  # size name -> its number at run time
    forbidden: tuple  # size names: no (s, s) array anywhere
    draw: object  # (rng, dtype) -> list of values, one per input
    leaves: dict = field(default_factory=dict)  # name -> leaf symbol

    def values(self, seed: int = 0, dtype=np.float64) -> list:
        return self.draw(np.random.default_rng(seed), dtype)


def _lets(names, scope) -> dict:
    return {k: scope[k] for k in names}


# ---------------------------------------------------------------------------
# Karpathy's "Becoming a Backprop Ninja" (makemore part 4), exercise 1: his forward pass, one let per
# intermediate, at his sizes (vocab 27, block 3, n_embd 10, n_hidden 64, batch 32).

MAKEMORE_SIZES = {"V": 27, "k": 3, "e": 10, "H": 64, "n": 32}
MAKEMORE_LETS = ("embcat", "hprebn", "bnmeani", "bndiff", "bndiff2", "bnvar", "bnvar_inv", "bnraw", "hpreact",
                 "h", "logits", "logit_maxes", "norm_logits", "counts", "counts_sum", "counts_sum_inv", "probs",
                 "logprobs")


def makemore() -> Model:
    n = size("n")
    C = jc.matrix("C", "V", "e")  # the embedding table
    Xb = jc.indices("Xb", "n", "k", "V")  # block_size = k token ids per example
    Yb = jc.indices("Yb", "n", 1, "V")  # the next token
    W1, b1 = jc.matrix("W1", size("k") * size("e"), "H"), jc.matrix("b1", 1, "H")
    W2, b2 = jc.matrix("W2", "H", "V"), jc.matrix("b2", 1, "V")
    bngain, bnbias = jc.matrix("bngain", 1, "H"), jc.matrix("bnbias", 1, "H")

    embcat = jc.let("embcat", jc.embedding(C, Xb))  # torch: C[Xb].view(n, -1)
    hprebn = jc.let("hprebn", embcat @ W1 + b1)
    bnmeani = jc.let("bnmeani", 1 / n * jc.sum(hprebn, axis=0))
    bndiff = jc.let("bndiff", hprebn - bnmeani)
    bndiff2 = jc.let("bndiff2", bndiff ** 2)
    bnvar = jc.let("bnvar", 1 / (n - 1) * jc.sum(bndiff2, axis=0))  # Bessel's correction
    bnvar_inv = jc.let("bnvar_inv", (bnvar + 1e-5) ** -0.5)
    bnraw = jc.let("bnraw", bndiff * bnvar_inv)
    hpreact = jc.let("hpreact", bngain * bnraw + bnbias)
    h = jc.let("h", jc.tanh(hpreact))
    logits = jc.let("logits", h @ W2 + b2)
    logit_maxes = jc.let("logit_maxes", jc.max(logits, axis=1))
    norm_logits = jc.let("norm_logits", logits - logit_maxes)
    counts = jc.let("counts", jc.exp(norm_logits))
    counts_sum = jc.let("counts_sum", jc.sum(counts, axis=1))
    counts_sum_inv = jc.let("counts_sum_inv", counts_sum ** -1)
    probs = jc.let("probs", counts * counts_sum_inv)
    logprobs = jc.let("logprobs", jc.log(probs))
    loss = jc.let("loss", -jc.sum(jc.onehot(Yb, "V") * logprobs) / n)  # -logprobs[range(n), Yb].mean()
    inputs = [C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2]

    def draw(rng, dtype):
        # Karpathy's initialisation: nothing zero, so that a wrong backward pass cannot hide
        S = MAKEMORE_SIZES
        V, k, e, H, nn = S["V"], S["k"], S["e"], S["H"], S["n"]
        vals = [rng.standard_normal((V, e)),
                rng.integers(0, V, size=(nn, k)),
                rng.integers(0, V, size=(nn, 1)),
                rng.standard_normal((k * e, H)) * (5 / 3) / (k * e) ** 0.5,
                rng.standard_normal((1, H)) * 0.1,
                rng.standard_normal((1, H)) * 0.1 + 1.0,
                rng.standard_normal((1, H)) * 0.1,
                rng.standard_normal((H, V)) * 0.1,
                rng.standard_normal((1, V)) * 0.1]
        return [v if v.dtype.kind == "i" else v.astype(dtype) for v in vals]

    return Model(loss, inputs, _lets(MAKEMORE_LETS, locals()), dict(MAKEMORE_SIZES), ("n", "V"), draw,
                 {s.name: s for s in inputs})


# ---------------------------------------------------------------------------
# The layers people derive by hand, each ending in sum(y * G) for an upstream gradient G.

BATCH_SIZES = {"n": 7, "d": 5, "V": 11}


def _normal(shapes):
    def draw(rng, dtype):
        return [rng.standard_normal(s).astype(dtype) for s in shapes]
    return draw


def batchnorm(ddof: int = 0, as_lets: bool = True) -> Model:
    """Batch norm in training mode over the rows: the statistics step by step as lets, or through
    jc.mean and jc.var in one expression."""
    X, G = jc.matrix("X", "n", "d"), jc.matrix("G", "n", "d")
    gamma, beta = jc.matrix("gamma", 1, "d"), jc.matrix("beta", 1, "d")
    if as_lets:
        mu = jc.let("mu", jc.mean(X, axis=0))
        xc = jc.let("xc", X - mu)
        var = jc.let("var", jc.sum(xc ** 2, axis=0) / (size("n") - ddof))
        rstd = jc.let("rstd", (var + 1e-5) ** -0.5)
        xhat = jc.let("xhat", xc * rstd)
        lets = {"mu": mu, "xc": xc, "var": var, "rstd": rstd, "xhat": xhat}
    else:
        xhat = jc.let("xhat", (X - jc.mean(X, axis=0)) / jc.sqrt(jc.var(X, axis=0, ddof=ddof) + 1e-5))
        lets = {"xhat": xhat}
    y = jc.let("y", gamma * xhat + beta)
    lets["y"] = y
    n, d = BATCH_SIZES["n"], BATCH_SIZES["d"]
    inputs = [X, gamma, beta, G]
    return Model(jc.sum(y * G), inputs, lets, dict(BATCH_SIZES), ("n",),
                 _normal([(n, d), (1, d), (1, d), (n, d)]), {s.name: s for s in inputs})


def layernorm() -> Model:
    """Layer norm over the columns (each example's features), llm.c's layernorm_forward."""
    X, G = jc.matrix("X", "n", "d"), jc.matrix("G", "n", "d")
    gamma, beta = jc.matrix("gamma", 1, "d"), jc.matrix("beta", 1, "d")
    mu = jc.let("mu", jc.mean(X, axis=1))
    xc = jc.let("xc", X - mu)
    rstd = jc.let("rstd", (jc.mean(xc ** 2, axis=1) + 1e-5) ** -0.5)
    norm = jc.let("norm", xc * rstd)
    y = jc.let("y", norm * gamma + beta)
    n, d = BATCH_SIZES["n"], BATCH_SIZES["d"]
    inputs = [X, gamma, beta, G]
    return Model(jc.sum(y * G), inputs, {"mu": mu, "xc": xc, "rstd": rstd, "norm": norm, "y": y},
                 dict(BATCH_SIZES), ("n", "d"), _normal([(n, d), (1, d), (1, d), (n, d)]),
                 {s.name: s for s in inputs})


def softmax_cross_entropy(fused: bool = True) -> Model:
    """A linear layer, softmax along the rows and the mean cross-entropy of integer targets: through
    log_softmax (fused), or as softmax then log."""
    X, W, b = jc.matrix("X", "n", "d"), jc.matrix("W", "d", "V"), jc.matrix("b", 1, "V")
    y = jc.indices("y", "n", 1, "V")
    logits = jc.let("logits", X @ W + b)
    if fused:
        logp = jc.let("logp", jc.log_softmax(logits, 1))
        lets = {"logits": logits, "logp": logp}
    else:
        p = jc.let("p", jc.softmax(logits, 1))
        logp = jc.let("logp", jc.log(p))
        lets = {"logits": logits, "p": p, "logp": logp}
    loss = -jc.sum(jc.onehot(y, "V") * logp) / size("n")
    n, d, V = BATCH_SIZES["n"], BATCH_SIZES["d"], BATCH_SIZES["V"]

    def draw(rng, dtype):
        return [rng.standard_normal((n, d)).astype(dtype), rng.standard_normal((d, V)).astype(dtype),
                rng.standard_normal((1, V)).astype(dtype), rng.integers(0, V, size=(n, 1))]

    inputs = [X, W, b, y]
    return Model(loss, inputs, lets, dict(BATCH_SIZES), ("n", "V"), draw, {s.name: s for s in inputs})
