"""The simplifier's structural rewrites: one small function per identity,
registered with the node classes it rewrites and the rule a derivation step
cites when it fires (diag(u) v = u * v, 1^T diag(v) = v^T, I A = A, sum(0) = 0 ...);
transposes move by each node class's own transpose rule (core).
Everything works on whole vectors and matrices; nothing is expanded."""
from . import concat, elementwise, indexing, kron, linalg, matrix, structure  # noqa: F401 - each module registers its rewrites
from .base import RULES, _cost, rule
