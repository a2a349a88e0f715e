"""The support functions generated code calls (softmax, log-sum-exp, the Gram product, the
commutation matrix, ...), as numpy source: backends.py renames them for jax and torch and
includes each where the code calls it."""
from __future__ import annotations

# the Euclidean (Frobenius) norm with the largest entry factored out: the library's norm squares the entries
# first, so 1e200 (1e30 in float32) overflows where the norm itself is finite; 0, inf and nan pass through
_NORM2 = '''def _norm2(x):
    m = np.max(np.abs(x))
    m = np.where(np.isfinite(m) & (m > 0), m, 1)
    return m * np.linalg.norm(x / m)
'''

# sum_{i<k} a^i g b^(k-1-i) is the upper right block of [[a, g], [0, b]]^k: log2(k) products, not k
_POWER_SUM = '''def _power_sum(a, g, b, k):
    r = a.shape[0]
    top = np.concatenate([a, g], axis=1)
    bottom = np.concatenate([np.zeros_like(g.T), b], axis=1)
    return np.linalg.matrix_power(np.concatenate([top, bottom], axis=0), k)[:r, r:]
'''

# G (mp x nq) as an m x p x n x q array: entry [i, k, j, l] is G[i p + k, j q + l]; a 1 x 1 operand may be 0-d
_BLOCKS = {
    "_matrix2": '''def _matrix2(a):
    return a if a.ndim == 2 else a.reshape(1, 1)
''',
    "_block_inner": '''def _block_inner(g, b):
    # entry (i, j): the inner product of the (i, j) block of g (b's shape) with b
    g, b = _matrix2(g), _matrix2(b)
    p, q = b.shape
    return np.einsum("ikjl,kl->ij", g.reshape(g.shape[0] // p, p, g.shape[1] // q, q), b)
''',
    "_block_sum": '''def _block_sum(g, a):
    # the blocks of g, one per entry of a, each weighted by that entry
    g, a = _matrix2(g), _matrix2(a)
    m, n = a.shape
    return np.einsum("ikjl,ij->kl", g.reshape(m, g.shape[0] // m, n, g.shape[1] // n), a)
''',
    "_rearrange": '''def _rearrange(g, p, q):
    # one row per p x q block of g (its entries column-major), the blocks column-major
    g = _matrix2(g)
    m, n = g.shape[0] // p, g.shape[1] // q
    return np.einsum("ikjl->jilk", g.reshape(m, p, n, q)).reshape(m * n, p * q)
''',
}

# the batch primitives (jacobi.core.axis): the first maximal entry (numpy's argmax, as torch's and jax's), and
# the Jacobian over vec of softmax or log-softmax along an axis, entry [k m + i, l m + j] = d out_ik / d z_jl
_AXIS = {
    "_argmax_mask": '''def _argmax_mask(x, axis):
    # 1 at the first entry that attains the maximum along axis (None: every entry, row-major), 0 elsewhere
    if axis is None:
        return (np.arange(x.size).reshape(x.shape) == np.argmax(x)).astype(x.dtype)
    idx = np.arange(x.shape[axis]).reshape((-1, 1) if axis == 0 else (1, -1))
    return (idx == np.argmax(x, axis=axis, keepdims=True)).astype(x.dtype)
''',
    "_softmax_jacobian_axis": '''def _softmax_jacobian_axis(s, axis, log):
    m, n = s.shape
    ei, ek = np.eye(m, dtype=s.dtype), np.eye(n, dtype=s.dtype)
    if axis == 0:  # block k: I - s_k 1^T, times diag(s_k) for softmax
        t = ek[:, None, :, None] * (ei[None, :, None, :] - s.T[:, None, None, :])
    else:  # row i: I - 1 s_i^T, times diag(s_i) for softmax, interleaved over vec
        t = ei[None, :, None, :] * (ek[:, None, :, None] - s[None, :, :, None])
    if not log:
        t = t * s.T[:, :, None, None]
    return t.reshape(m * n, m * n)
''',
}
_TORCH_AXIS = {
    "_argmax_mask": '''def _argmax_mask(x, axis):
    # 1 at the first entry that attains the maximum along axis (None: every entry, row-major), 0 elsewhere
    if axis is None:
        return (torch.arange(x.numel(), device=x.device).reshape(x.shape) == torch.argmax(x)).to(x.dtype)
    idx = torch.arange(x.shape[axis], device=x.device).reshape((-1, 1) if axis == 0 else (1, -1))
    return (idx == torch.argmax(x, dim=axis, keepdim=True)).to(x.dtype)
''',
    "_softmax_jacobian_axis": _AXIS["_softmax_jacobian_axis"].replace("np.", "torch.").replace(
        "dtype=s.dtype", "dtype=s.dtype, device=s.device"),
}

_NP_HELPERS = {
    **_AXIS,
    **_BLOCKS,
    "_power_sum": _POWER_SUM,
    "_norm2": _NORM2,
    "_softmax": '''def _softmax(z, axis):
    # subtracting the maximum keeps exp from overflowing
    if z.shape[1 - axis] == 1:  # one vector: reductions over the whole array are the cheaper ones
        e = np.exp(z - z.max())
        e /= e.sum()
        return e
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e
''',
    "_log_softmax": '''def _log_softmax(z, axis):
    # z - logsumexp(z), never the log of an underflowed zero
    s = z - z.max(axis=axis, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s
''',
    "_softmax_log": '''def _softmax_log(z, axis):
    # softmax and log-softmax from one exp; the maximum is subtracted first
    s = z - z.max(axis=axis, keepdims=True)
    e = np.exp(s)
    t = e.sum(axis=axis, keepdims=True)
    e /= t
    s -= np.log(t)
    return e, s
''',
    "_logsumexp": '''def _logsumexp(z):
    # log(sum(exp(z))) with the largest entry factored out: exp never overflows
    m = np.max(z)
    m = np.where(np.isfinite(m), m, 0)
    return m + np.log(np.sum(np.exp(z - m)))
''',
    "_gram": '''def _gram(b, d):
    # b^T diag(d) b for d >= 0: t^T t with t = sqrt(d) b is one symmetric product, which the BLAS
    # computes for one triangle (above a size where that pays for the square root)
    if b.size < 65536:
        return b.T @ (d * b)
    t = np.sqrt(d) * b
    return t.T @ t
''',
    "_plus_diagonal": '''def _plus_diagonal(m, d):
    # m + diag(d) for a square m the code has just computed: d added to its diagonal in place
    m.reshape(-1)[::m.shape[0] + 1] += d.reshape(-1)
    return m
''',
    "_commutation": '''def _commutation(m, n, dtype=None):
    K = np.zeros((m * n, m * n), dtype=dtype)
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1
    return K
''',
    "_softmax_jacobian": """def _softmax_jacobian(s):
    n, m = s.shape
    J = np.zeros((n * m, n * m), dtype=s.dtype)
    for k in range(m):
        c = s[:, k:k + 1]
        J[k * n:(k + 1) * n, k * n:(k + 1) * n] = np.diagflat(c) - c @ c.T
    return J
""",
}

# without item assignment (jax arrays are immutable): row i n + j of K is row j m + i of I
_COMMUTATION = '''def _commutation(m, n, **like):
    return np.eye(m * n, **like)[np.arange(m * n).reshape(n, m).T.reshape(-1)]
'''
# block k (of n x n) is diag(s_k) - s_k s_k^T, built as one (m, n, m, n) array
# m + diag(d) without item assignment (jax arrays are immutable; torch's autograd keeps its inputs)
_PLUS_DIAGONAL = '''def _plus_diagonal(m, d):
    return m + np.diag(d.reshape(-1))
'''

# b^T diag(d) b as a broadcast product (the symmetric product gains nothing outside numpy's BLAS)
_GRAM = '''def _gram(b, d):
    return b.T @ (d * b)
'''
_SOFTMAX_JACOBIAN = '''def _softmax_jacobian(s):
    n, m = s.shape
    b = np.eye(n, dtype=s.dtype) * s.T[:, :, None] - s.T[:, :, None] * s.T[:, None, :]
    return (np.eye(m, dtype=s.dtype)[:, None, :, None] * b[:, :, None, :]).reshape(n * m, n * m)
'''

# the rows of g (n x k e) added into the rows of a v x e zero matrix that i (n x k) names; np.add.at
# accumulates where an index repeats (out[i] += g would keep only one of them)
# a + c onehot(y) for an array a that the line computed afresh: c added at each row's target, in place
_ADD_AT_TARGETS = '''def _add_at_targets(a, y, c):
    a[np.arange(a.shape[0]), y[:, 0]] += c
    return a
'''
_SCATTER_ADD = '''def _scatter_add(g, i, v, e):
    out = np.zeros((v, e), dtype=g.dtype)
    np.add.at(out, i.reshape(-1), g.reshape(-1, e))
    return out
'''
