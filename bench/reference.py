"""Careful hand-written numpy backprop: the reference jacobi's generated code
is measured against.  Examples are rows (X is m x n_0), derivatives come from
the layers' outputs, the mean's 1/m is applied once, and the costs are
computed stably from the logits."""
import numpy as np


def sigmoid(x):
    s = np.tanh(x * 0.5)
    s *= 0.5
    s += 0.5
    return s


ACT = {
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)),
    "softplus": (lambda z: np.logaddexp(0, z), lambda z, a: sigmoid(z)),
    "identity": (lambda z: z, lambda z, a: 1),
}


def backprop(params, X, Y, hidden="sigmoid", output="sigmoid", cost="mse"):
    """(mean cost, [(dW, db), ...]) for a feed-forward network."""
    m = X.shape[0]
    L = len(params)
    zs, acts = [], [X]
    a = X
    for l, (W, b) in enumerate(params, start=1):
        z = a @ W.T + b
        if l < L:
            a = ACT[hidden][0](z)
        elif output == "softmax":
            s = z - z.max(axis=1, keepdims=True)
            e = np.exp(s)
            t = e.sum(axis=1, keepdims=True)
            a = e / t
            logp = s - np.log(t)
        else:
            a = ACT[output][0](z)
        zs.append(z)
        acts.append(a)
    if cost == "mse":
        d = a - Y
        C = 0.5 * np.sum(d * d) / m
        delta = d * ACT[output][1](z, a) / m
    elif cost == "cross_entropy":
        C = -np.sum(Y * logp) / m
        delta = (a - Y) / m
    else:  # binary cross-entropy from the logits
        C = np.sum(np.logaddexp(0, z) - Y * z) / m
        delta = (a - Y) / m
    grads = [None] * L
    for l in range(L, 0, -1):
        grads[l - 1] = (delta.T @ acts[l - 1], delta.sum(axis=0))
        if l > 1:
            delta = (delta @ params[l - 1][0]) * ACT[hidden][1](zs[l - 2], acts[l - 1])
    return C, grads


def _sigmoid_backward(delta, params, acts):
    """BP2-BP4 through sigmoid hidden layers, sigma' from the outputs."""
    grads = []
    for l in range(len(params), 0, -1):
        grads.append((delta.T @ acts[l - 1], delta.sum(axis=0)))
        if l > 1:
            a = acts[l - 1]
            delta = (delta @ params[l - 1][0]) * a * (1 - a)
    return grads[::-1]


def sigmoid_mse(params, X, Y):
    """The benchmark's first case, written out as a person would for two or three layers."""
    m = X.shape[0]
    acts = [X]
    a = X
    for W, b in params:
        a = sigmoid(a @ W.T + b)
        acts.append(a)
    d = a - Y
    C = 0.5 * np.sum(d * d) / m
    delta = d * a * (1 - a) / m
    return C, _sigmoid_backward(delta, params, acts)


def softmax_ce(params, X, Y):
    """The benchmark's second case: sigmoid hidden layers, softmax output, cross-entropy."""
    m = X.shape[0]
    acts = [X]
    a = X
    for W, b in params[:-1]:
        a = sigmoid(a @ W.T + b)
        acts.append(a)
    W, b = params[-1]
    z = a @ W.T + b
    s = z - z.max(axis=1, keepdims=True)
    e = np.exp(s)
    t = e.sum(axis=1, keepdims=True)
    e /= t
    s -= np.log(t)
    C = -np.sum(Y * s) / m
    delta = (e - Y) / m
    return C, _sigmoid_backward(delta, params, acts)


def softmax_ce_hvp(params, X, Y, V):
    """Pearlmutter's R-operator by hand: (mean cost, grads, H V) for sigmoid hidden layers, a softmax output and
    cross-entropy, any depth (the benchmark's 784-128-10 at batch 128); V is shaped like params.  The same
    return convention as jacobi's net.hvp_function()."""
    m = X.shape[0]
    L = len(params)
    acts, racts, rzs = [X], [None], [None]  # a^l, R{a^l} and R{z^l}; R{x} = 0
    a, ra = X, None
    for l, ((W, b), (VW, Vb)) in enumerate(zip(params, V), start=1):
        z = a @ W.T + b
        rz = a @ VW.T + Vb
        if ra is not None:
            rz += ra @ W.T
        if l < L:
            a = sigmoid(z)
            ra = rz * a * (1 - a)
            acts.append(a)
            racts.append(ra)
            rzs.append(rz)
    s = z - z.max(axis=1, keepdims=True)
    p = np.exp(s)
    t = p.sum(axis=1, keepdims=True)
    p /= t
    s -= np.log(t)
    C = -np.sum(Y * s) / m
    delta = (p - Y) / m
    rdelta = p * (rz - (p * rz).sum(axis=1, keepdims=True)) / m  # (diag(p) - p p^T) R{z^L}
    grads, hv = [None] * L, [None] * L
    for l in range(L, 0, -1):
        a, ra = acts[l - 1], racts[l - 1]
        grads[l - 1] = (delta.T @ a, delta.sum(axis=0))
        hW = rdelta.T @ a
        if ra is not None:
            hW += delta.T @ ra
        hv[l - 1] = (hW, rdelta.sum(axis=0))
        if l > 1:
            W, VW = params[l - 1][0], V[l - 1][0]
            a, rz = acts[l - 1], rzs[l - 1]
            sp = a * (1 - a)  # sigma'(z)
            back = delta @ W
            rdelta = (rdelta @ W + delta @ VW) * sp + back * sp * (1 - 2 * a) * rz  # sigma'' = sigma' (1 - 2 sigma)
            delta = back * sp
    return C, grads, hv
