"""Numbers for structured symbols (jacobi.core.structure): sample values with their structure, and
central differences along the directions their structure admits.

A symmetric A is sampled as (M + M^T) / 2, a positive definite one as M M^T + n I, a diagonal one as
diag(m).  The gradient with respect to a structured A is the matrix of its space with
<grad, E> = df(A)[E] for every admissible direction E (README, "Structured matrices"); central
differences measure df along the basis E_jk = e_j e_k^T + e_k e_j^T (j < k, which gives 2 grad_jk)
and E_jj = e_j e_j^T (grad_jj), so they check that convention without reading jacobi's.
"""
from __future__ import annotations

import numpy as np

from ..core import structure


def structured(s, v: np.ndarray) -> np.ndarray:
    """v (an array of s's shape, drawn at random) made to have s's declared structure; v itself where s
    declares none."""
    st = structure.of(s.assumptions)
    if not st:
        return v
    if "diagonal" in st:
        v = np.diag(np.diag(v))
        return v + v.shape[0] * np.eye(v.shape[0]) if "positive_definite" in st else v
    if "positive_definite" in st:
        return v @ v.T + v.shape[0] * np.eye(v.shape[0])
    return (v + v.T) / 2


def directions(s, n: int) -> list:
    """The index pairs (j, k), j <= k, of the admissible directions of s (n x n): the diagonal of a diagonal
    matrix, the upper triangle of a symmetric one."""
    if "diagonal" in s.assumptions:
        return [(j, j) for j in range(n)]
    return [(j, k) for k in range(n) for j in range(k + 1)]


def evaluations(s, r: int, c: int) -> int:
    """Evaluations of f that central differences in s take: two per entry, or per admissible direction."""
    return 2 * (len(directions(s, r)) if structure.of(s.assumptions) else r * c)


def numeric_gradient_on(fn, values, k: int, s, eps: float) -> np.ndarray:
    """The gradient of the scalar fn with respect to values[k] on the space of s's structure, by central
    differences along each admissible direction (s symmetric or diagonal)."""
    values = [np.array(v, dtype=np.float64) for v in values]
    A = values[k]
    n = A.shape[0]
    G = np.zeros_like(A)
    for j, i in directions(s, n):
        E = np.zeros_like(A)
        E[j, i] = E[i, j] = 1.0
        values[k] = A + eps * E
        fp = float(np.asarray(fn(*values), dtype=np.float64).reshape(()))
        values[k] = A - eps * E
        fm = float(np.asarray(fn(*values), dtype=np.float64).reshape(()))
        d = (fp - fm) / (2 * eps)  # <grad, E>: 2 grad_ji off the diagonal, grad_jj on it
        G[j, i] = G[i, j] = d if i == j else d / 2
    return G
