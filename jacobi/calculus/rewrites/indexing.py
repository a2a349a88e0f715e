"""Rewrites of index matrices' nodes (core/indexing.py), one identity each."""
from __future__ import annotations

from ... import core as P
from ...core.rules import Rule
from .matrix import PAIRS


@PAIRS.rule(Rule("rows of a one-hot sum to one", "onehot(y) 1 1^T = 1 1^T",
                 r"\operatorname{onehot}(y)\, \mathbf{1} \mathbf{1}^{\top} = \mathbf{1} \mathbf{1}^{\top}"))
def onehot_ones(a, b, n, ctx):
    """Each row of onehot(y, V) has a single 1: times ones(V, k) it is ones(n, k).  With it the gradient of
    cross-entropy on integer targets comes out as softmax - onehot, as it is written by hand."""
    if isinstance(a, P.Onehot) and isinstance(b, P.Ones):
        return P.ones(a.shape[0], b.shape[1])
    return None
