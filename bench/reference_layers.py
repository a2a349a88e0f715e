"""The backward passes people write by hand, in numpy: the reference `bench_layers.py` measures jacobi's
generated code against.  Each function computes its forward as well and returns the loss and the
gradients from the inputs (the measured thing), as careful hand-written code does: batch statistics once,
the column sums reused, the one-liners of CS231n, Karpathy's makemore part 4 and llm.c.  Examples are rows;
the upstream gradient G of a layer's output stands for the rest of a network (loss = sum(out * G))."""
import numpy as np

EPS = 1e-5


def batchnorm(X, gamma, beta, G):
    """Batch norm, training mode, Bessel-corrected variance (Karpathy's bnvar); dX is the one-liner
    dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0)),
    with the two column sums taken once (they are dbeta and dgamma)."""
    n = X.shape[0]
    xc = X - X.sum(axis=0, keepdims=True) / n
    var = (xc * xc).sum(axis=0, keepdims=True) / (n - 1)
    rstd = (var + EPS) ** -0.5
    xhat = xc * rstd
    out = gamma * xhat + beta
    loss = np.sum(out * G)
    dgamma = (G * xhat).sum(axis=0, keepdims=True)
    dbeta = G.sum(axis=0, keepdims=True)
    dX = gamma * rstd / n * (n * G - dbeta - n / (n - 1) * xhat * dgamma)
    return loss, dX, dgamma, dbeta


def layernorm(x, w, b, dout):
    """Layer norm over each row, llm.c's layernorm_forward/backward:
    dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), dnorm = dout * w."""
    C = x.shape[1]
    xc = x - x.sum(axis=1, keepdims=True) / C
    rstd = ((xc * xc).sum(axis=1, keepdims=True) / C + EPS) ** -0.5
    norm = xc * rstd
    out = norm * w + b
    loss = np.sum(out * dout)
    dw = (dout * norm).sum(axis=0, keepdims=True)
    db = dout.sum(axis=0, keepdims=True)
    dnorm = dout * w
    dx = rstd * (dnorm - dnorm.sum(axis=1, keepdims=True) / C - norm * ((dnorm * norm).sum(axis=1, keepdims=True) / C))
    return loss, dx, dw, db


def attention(Q, K, V, M, dO):
    """Single-head scaled dot-product attention with an additive mask M (0 where attended, -inf where
    masked): A = softmax(Q K^T / sqrt(d) + M) row by row (the maximum subtracted), O = A V;
    dV = A^T dO, dA = dO V^T, dS = A * (dA - rowsum(A * dA)), dQ = dS K / sqrt(d), dK = dS^T Q / sqrt(d)."""
    scale = 1 / Q.shape[1] ** 0.5  # a Python float: float32 stays float32
    S = Q @ K.T * scale + M
    A = np.exp(S - S.max(axis=1, keepdims=True))
    A /= A.sum(axis=1, keepdims=True)
    O = A @ V
    loss = np.sum(O * dO)
    dV = A.T @ dO
    dA = dO @ V.T
    dS = A * (dA - (A * dA).sum(axis=1, keepdims=True))
    dQ = dS @ K * scale
    dK = dS.T @ Q * scale
    return loss, dQ, dK, dV


def makemore(C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2):
    """Karpathy's makemore part 4 network (embedding, linear, batch norm with Bessel's correction, tanh,
    linear, cross-entropy over integer targets): the loss and the parameters' gradients, with the fused
    backward of his exercises 2 and 3 (dlogits = (softmax - onehot) / n written as a gather, the batch
    norm one-liner, dC by a scatter-add).  Yb is an (n, 1) integer column."""
    n = Xb.shape[0]
    y = Yb[:, 0]
    rows = np.arange(n)
    emb = C[Xb].reshape(n, -1)
    hprebn = emb @ W1 + b1
    bndiff = hprebn - hprebn.sum(axis=0, keepdims=True) / n
    bnvar_inv = ((bndiff * bndiff).sum(axis=0, keepdims=True) / (n - 1) + EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    h = np.tanh(bngain * bnraw + bnbias)
    logits = h @ W2 + b2
    s = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(s)
    t = e.sum(axis=1, keepdims=True)
    loss = (np.log(t[:, 0]) - s[rows, y]).sum() / n
    dlogits = e / t
    dlogits[rows, y] -= 1
    dlogits /= n
    return (loss, *_backward(dlogits, h, W2, bnraw, bngain, bnvar_inv, emb, W1, C, Xb))


def makemore_ex1(C, Xb, Yb, W1, b1, bngain, bnbias, W2, b2):
    """The same network with the forward pass of Karpathy's exercise 1 as he writes it (bndiff2, bnvar,
    logit_maxes, counts, counts_sum_inv, probs, logprobs: the program the exercise-1 rows differentiate)
    and the fused backward of his exercises 2 and 3 on it: dlogits = probs with 1 subtracted at the targets,
    over n; the batch norm one-liner; dC by a scatter-add."""
    n = Xb.shape[0]
    y = Yb[:, 0]
    rows = np.arange(n)
    embcat = C[Xb].reshape(n, -1)
    hprebn = embcat @ W1 + b1
    bnmeani = hprebn.sum(axis=0, keepdims=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = bndiff2.sum(axis=0, keepdims=True) / (n - 1)
    bnvar_inv = (bnvar + EPS) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = np.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(axis=1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(axis=1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[rows, y].sum() / n
    dlogits = probs
    dlogits[rows, y] -= 1
    dlogits /= n
    return (loss, *_backward(dlogits, h, W2, bnraw, bngain, bnvar_inv, embcat, W1, C, Xb))


def _backward(dlogits, h, W2, bnraw, bngain, bnvar_inv, embcat, W1, C, Xb):
    """The fused backward from dlogits (his exercises 2 and 3): the parameters' gradients, with the batch norm
    one-liner and dC by a scatter-add."""
    n = Xb.shape[0]
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0, keepdims=True)
    dhpreact = (1 - h * h) * (dlogits @ W2.T)
    dbngain = (bnraw * dhpreact).sum(axis=0, keepdims=True)
    dbnbias = dhpreact.sum(axis=0, keepdims=True)
    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dbnbias - n / (n - 1) * bnraw * dbngain)
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(axis=0, keepdims=True)
    dC = np.zeros_like(C)
    np.add.at(dC, Xb.reshape(-1), (dhprebn @ W1.T).reshape(-1, C.shape[1]))
    return dC, dW1, db1, dbngain, dbnbias, dW2, db2
