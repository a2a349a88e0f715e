"""A layered drawing of a directed acyclic graph, left to right (after Sugiyama, Tagawa and Toda): each node
in a column by its depth, edges that skip columns routed through bend points in the columns between,
the order inside each column chosen by barycentres to reduce crossings, and heights that follow the
neighbours without overlap.  Deterministic: ties keep the order the nodes were given in."""
from __future__ import annotations

from dataclasses import dataclass

SWEEPS = 8
GAP = 0.45  # cm between two nodes of a column


@dataclass
class Layout:
    columns: list  # one list of keys per column, top to bottom (a bend point is a tuple key)
    y: dict  # key -> centre height, cm
    routes: dict  # (src, dst) -> [src, bend points..., dst]


def columns_of(keys: list, edges: list) -> dict:
    """A column per node: one after its deepest operand; a node with no operand one before its first user."""
    preds = {k: [s for s, d in edges if d == k] for k in keys}
    col: dict = {}
    for k in keys:  # keys are in topological order
        if preds[k]:
            col[k] = 1 + max([col[s] for s in preds[k] if preds[s]] + [0])
    for k in reversed(keys):
        if not preds[k]:
            users = [col[d] for s, d in edges if s == k and d in col]
            col[k] = max(min(users) - 1, 0) if users else 0
    shift = min(col.values(), default=0)
    return {k: c - shift for k, c in col.items()}


def layout(keys: list, edges: list, height: dict, col: dict | None = None) -> Layout:
    """keys in topological order, edges (src, dst), each node's height in cm."""
    col = columns_of(keys, edges) if col is None else col
    ncols = 1 + max(col.values(), default=0)
    columns: list = [[] for _ in range(ncols)]
    for k in keys:
        columns[col[k]].append(k)
    routes, succ, pred = {}, {}, {}
    h = dict(height)
    for s, d in edges:
        chain = [s] + [("bend", s, d, c) for c in range(col[s] + 1, col[d])] + [d]
        for b in chain[1:-1]:
            columns[b[3]].append(b)
            h[b] = 0.2
        routes[(s, d)] = chain
        for a, b in zip(chain, chain[1:]):
            succ.setdefault(a, []).append(b)
            pred.setdefault(b, []).append(a)
    for sweep in range(SWEEPS):  # barycentres against the previous column, then the next one
        down = sweep % 2 == 0
        rng = range(1, ncols) if down else range(ncols - 2, -1, -1)
        for c in rng:
            ref = {k: i for i, k in enumerate(columns[c - 1 if down else c + 1])}
            near = pred if down else succ

            def bary(k, i, ref=ref, near=near):
                ns = [ref[n] for n in near.get(k, []) if n in ref]
                return (sum(ns) / len(ns), i) if ns else (i, i)

            columns[c] = [k for i, k in sorted(enumerate(columns[c]), key=lambda t: bary(t[1], t[0]))]
    y = _heights(columns, h, succ, pred)
    return Layout(columns, y, routes)


def _spine(columns, pred) -> set:
    """The longest path into the last node of the last column, through the deepest operand each time:
    drawn on one straight line, so that a chain reads as one."""
    depth: dict = {}
    for ks in columns:
        for k in ks:
            depth[k] = 1 + max([depth[p] for p in pred.get(k, [])] + [-1])
    k = columns[-1][0] if columns and columns[-1] else None
    out = set()
    while k is not None:
        out.add(k)
        ps = pred.get(k, [])
        k = max(ps, key=lambda p: (depth[p], not isinstance(p, tuple))) if ps else None  # a node before a bend
    return out


def _heights(columns, h, succ, pred) -> dict:
    """The spine at height 0; in each column the nodes above and below it in their order, each pulled to
    the mean of its neighbours' heights and pushed away from the one next to it toward the spine."""
    spine = _spine(columns, pred)
    y = {}
    for col in columns:  # stacked, centred
        total = sum(h[k] for k in col) + GAP * (len(col) - 1)
        pos = -total / 2
        for k in col:
            y[k] = pos + h[k] / 2
            pos += h[k] + GAP
    for col in columns:
        s = next((i for i, k in enumerate(col) if k in spine), None)
        if s is not None:
            shift = y[col[s]]
            for k in col:
                y[k] -= shift
    for _ in range(12):
        for col in columns:
            want = []
            for k in col:
                ns = succ.get(k, []) + pred.get(k, [])
                want.append(0.0 if k in spine else sum(y[n] for n in ns) / len(ns) if ns else y[k])
            _separate(col, want, h, next((i for i, k in enumerate(col) if k in spine), None))
            for k, v in zip(col, want):
                y[k] = v
    top = min(y[k] - h[k] / 2 for k in y) if y else 0.0
    return {k: round(v - top, 4) for k, v in y.items()}


def _separate(col, want, h, fixed) -> None:
    """Keep the column's order and gaps: from the fixed node (the spine's, or the middle one) outwards,
    each node moved only as far as the gap to its neighbour toward the fixed one needs."""
    n = len(col)
    if n < 2:
        return
    if fixed is None:
        fixed = n // 2
    for i in range(fixed + 1, n):
        want[i] = max(want[i], want[i - 1] + (h[col[i - 1]] + h[col[i]]) / 2 + GAP)
    for i in range(fixed - 1, -1, -1):
        want[i] = min(want[i], want[i + 1] - (h[col[i + 1]] + h[col[i]]) / 2 - GAP)
