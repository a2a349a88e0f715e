"""Computation graphs: the intermediate variables of a derivation (or the lets of a program) as nodes, from
the inputs to the output, each edge labelled with the local Jacobian that joins its ends, so that the
chain rule's product reads off the graph: one factor per edge of a path, one term per path.

The edges are the definitions' operands (u_k := ... uses u_j: an edge u_j -> u_k); the Jacobian on an
edge is the one the derivation's steps show (its "local" step), listed under the graph.  Leaves that are
not differentiated (data, constants) are drawn dashed and carry no Jacobian.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..calculus.derivation import Derivation, Partial
from ..core.expr import Expr
from ..core.printing import latex
from ..core.shapes import JacobiError
from .drawing import Picture
from .layered import layout
from .mathtext import unicode_math
from .pictures import Edge, Label, Line, Node, Text, border, math, words

NODE_H = 0.62
MIN_GAP = 1.1
WIDE = 5  # a graph of more layers than this is drawn top down
MAX_PATHS = 3  # the chain rule is written out for a variable with at most this many paths to the output
SHORT = 24  # a definition shown inside its node when its text is at most this long


@dataclass
class Graph:
    """What a computation graph shows, before it is laid out."""

    nodes: list = field(default_factory=list)  # (key, Label, style) in topological order
    edges: list = field(default_factory=list)  # (src, dst, differentiated)
    names: dict = field(default_factory=dict)  # key -> the variable's LaTeX
    jacobians: dict = field(default_factory=dict)  # (src, dst) -> Label of the local Jacobian's value
    notes: dict = field(default_factory=dict)  # key -> Label under the node (a program's adjoints)
    inputs: list = field(default_factory=list)  # the keys differentiated with respect to
    outputs: list = field(default_factory=list)
    footer: list = field(default_factory=list)  # further lines under the graph: (Label, font)


def _tex(v) -> str:
    return latex(v) if isinstance(v, Expr) else sp.latex(v)


def _key(v) -> str:
    return v.name if isinstance(v, Expr) else str(v)


def _node_label(name_tex: str, definition=None) -> Label:
    if definition is not None:
        d = _tex(definition)
        full = name_tex + " = " + d
        text = unicode_math(full)
        if text is not None and len(text) <= SHORT:
            return Label("$" + full + "$", text)
    return math(name_tex, unicode_math(name_tex) or name_tex)


def _partial(f_tex: str, x_tex: str) -> Label:
    tex = r"\partial " + f_tex + r"/\partial " + x_tex
    return math(tex, unicode_math(tex) or tex)


def derivation_graph(d: Derivation) -> Graph:
    """The graph of a derivation: its inputs (d.wrt), the leaves it holds constant, its intermediate
    variables (the definitions its steps introduce) and its output."""
    if not isinstance(d, Derivation):
        raise JacobiError(f"a computation graph is drawn from a Derivation, not {type(d).__name__}")
    defined = {_key(s.lhs) for s in d.steps if s.kind == "define"}
    defs = [(v, e) for v, e in d.definitions if _key(v) in defined]
    scalar_route = any(not isinstance(v, Expr) for v in [*d.wrt, *(v for v, _ in defs)])
    if scalar_route:
        f = d.f if isinstance(d.f, sp.MatrixBase) else sp.Matrix([d.f])
        comps = list(f)
        outs = [(sp.Symbol("f"), comps[0])] if len(comps) == 1 else [
            (sp.Symbol(f"f_{i + 1}"), c) for i, c in enumerate(comps)]
        defs = defs + outs
    elif not defs:
        defs = [(d.f, d.f)] if isinstance(d.f, Expr) else []
    g = Graph(inputs=[_key(w) for w in d.wrt])
    known = {}
    for v, e in defs:
        ops = sorted(e.free_symbols, key=str) if scalar_route else list(e.symbols())
        for s in ops:
            if _key(s) not in known and _key(s) != _key(v):
                known[_key(s)] = s
                g.nodes.append((_key(s), _node_label(_tex(s)), "input" if _key(s) in g.inputs else "const"))
                g.names[_key(s)] = _tex(s)
        if v is e:  # an expression without intermediates: the output is the expression itself
            g.nodes.append(("f", _node_label("f", e), "out"))
            g.names["f"] = "f"
            key = "f"
        else:
            key = _key(v)
            g.nodes.append((key, _node_label(_tex(v), e), "var"))
            g.names[key] = _tex(v)
        known[key] = v
        for s in ops:
            if _key(s) != key:
                g.edges.append((_key(s), key, None))
    g.outputs = [_key(v) for v, _ in outs] if scalar_route else [g.nodes[-1][0]] if g.nodes else []
    g.nodes = [(k, lab, "out" if k in g.outputs else st) for k, lab, st in g.nodes]
    _mark_differentiated(g)
    if scalar_route:
        exprs = dict((_key(v), e) for v, e in defs)
        for s, t, dif in g.edges:
            if dif:
                g.jacobians[(s, t)] = _value_label(sp.diff(exprs[t], known[s]))
    else:
        for step in d.steps:
            if step.kind == "local" and isinstance(step.lhs, Partial):
                key = (_key(step.lhs.args[1]), _key(step.lhs.args[0]))
                g.jacobians.setdefault(key, _value_label(step.rhs))
    g.footer = _chain_lines(g, d.kind)
    return g


def _value_label(v) -> Label:
    tex = _tex(v)
    return Label("$" + tex + "$", unicode_math(tex) or str(v))


def _mark_differentiated(g: Graph) -> None:
    """An edge is differentiated where its source depends on an input."""
    live = set(g.inputs)
    for key, _, _ in g.nodes:
        if any(d == key and s in live for s, d, _ in g.edges):
            live.add(key)
    g.edges = [(s, d, s in live) for s, d, _ in g.edges]


def _paths(g: Graph, src: str, dst: str) -> list:
    out = []
    succ = {}
    for s, d, dif in g.edges:
        if dif:
            succ.setdefault(s, []).append(d)

    def walk(k, path):
        if len(out) > MAX_PATHS:
            return
        if k == dst:
            out.append(path)
            return
        for n in succ.get(k, []):
            walk(n, path + [n])

    walk(src, [src])
    return out


def _chain_lines(g: Graph, kind: str) -> list:
    """For each output and input joined by at most MAX_PATHS paths: the chain rule, a product of the
    edges' Jacobians per path (outermost first), summed over the paths."""
    lines = []
    for o in g.outputs:
        for w in g.inputs:
            paths = _paths(g, w, o)
            if not paths or len(paths) > MAX_PATHS:
                continue
            lhs = (r"\frac{\partial " + g.names[o] + r"}{\partial " + g.names[w] + "}",
                   f"∂{_txt(g.names[o])}/∂{_txt(g.names[w])}")
            terms_tex, terms_txt = [], []
            for p in paths:
                pairs = list(zip(p, p[1:]))[::-1]
                terms_tex.append(" ".join(r"\frac{\partial " + g.names[b] + r"}{\partial " + g.names[a] + "}"
                                          for a, b in pairs))
                terms_txt.append(" · ".join(f"∂{_txt(g.names[b])}/∂{_txt(g.names[a])}" for a, b in pairs))
            lines.append((Label("$" + lhs[0] + " = " + " + ".join(terms_tex) + "$",
                                lhs[1] + " = " + " + ".join(terms_txt)), "normal"))
    if lines and kind == "gradient":
        lines.append((words("(each product is a row, numerator layout; the gradient is its transpose)"), "tiny"))
    return lines


def _txt(tex: str) -> str:
    return unicode_math(tex) or tex


def program_graph(bp) -> Graph:
    """The graph of a program of lets (``jc.backprop``): leaves, lets and the loss, an edge per use, each
    node with its adjoint beneath it, and the local Jacobians the steps show."""
    defs = list(bp.program.defs.items())
    g = Graph(inputs=[_key(v) for v in bp.leaves])
    seen = set()
    for v, e in defs:
        for s in e.symbols():
            if _key(s) not in seen and s not in bp.program.defs:
                seen.add(_key(s))
                g.nodes.append((_key(s), _node_label(latex(s)), "input" if _key(s) in g.inputs else "const"))
                g.names[_key(s)] = latex(s)
        seen.add(_key(v))
        g.nodes.append((_key(v), _node_label(latex(v), e), "var"))
        g.names[_key(v)] = latex(v)
        g.edges += [(_key(s), _key(v), None) for s in e.symbols()]
    g.outputs = [_key(bp.output)]
    g.nodes = [(k, lab, "out" if k in g.outputs else st) for k, lab, st in g.nodes]
    _mark_differentiated(g)
    for v, a in bp.adjoints.items():
        g.notes[_key(v)] = _node_label(latex(a))
    for step in bp.steps:
        if step.kind == "local" and isinstance(step.lhs, Partial):
            g.jacobians.setdefault((_key(step.lhs.args[1]), _key(step.lhs.args[0])), _value_label(step.rhs))
    g.footer = [(words("in red: the adjoint of each node, the gradient of the loss with respect to it"),
                 "tiny")]
    return g


def draw_graph(g: Graph, kind: str, title: str = "") -> Picture:
    """Lay out a Graph and draw it: left to right up to WIDE columns, else top down (a long program fits
    the page's height better than its width); nodes, edges with their labels, the lines under it."""
    pic = Picture(kind, title=title)
    keys = [k for k, _, _ in g.nodes]
    pairs = [(s, d) for s, d, _ in g.edges]
    widths = {k: lab.width("normal") + 0.35 for k, lab, _ in g.nodes}
    notes = {k: lab.width("tiny") + 0.1 for k, lab in g.notes.items()}
    across = {k: NODE_H + (0.34 if g.notes else 0.0) for k in keys}
    lay = layout(keys, pairs, across)
    down = len(lay.columns) > WIDE
    if down:  # the layers are rows; across a row each node takes its width and its note's
        lay = layout(keys, pairs, {k: widths[k] + notes.get(k, 0.0) for k in keys})
    labels = {(s, d): _partial(g.names[d], g.names[s]) for s, d, dif in g.edges if dif}
    col_of = {k: c for c, col in enumerate(lay.columns) for k in col}
    along, pos = [], 0.0
    for c, col in enumerate(lay.columns):
        size = max([(NODE_H if down else widths.get(k, 0.2)) for k in col] + [0.2])
        if c:  # room for the labels of the edges into this layer: they sit on the edges' last segments
            need = [lab.height("small") + 0.75 if down else lab.width("small") + 0.8
                    for r, lab in labels.items() if col_of[r[1]] == c]
            pos += max([MIN_GAP] + need)
        along.append(pos + size / 2)
        pos += size

    def at(k):
        return (lay.y[k], along[col_of[k]]) if down else (along[col_of[k]], lay.y[k])

    placed = {}
    for k, lab, style in g.nodes:
        x, y = at(k)
        if down:
            x -= notes.get(k, 0.0) / 2
        else:
            y -= (across[k] - NODE_H) / 2
        placed[k] = pic.add(Node(x, y, widths[k], NODE_H, lab, "round", style, "normal", key=k))
        if k in g.notes:
            where = (x + widths[k] / 2 + 0.08, y, "west") if down else (x, y + NODE_H / 2 + 0.2, "center")
            pic.add(Text(where[0], where[1], g.notes[k], "tiny", "backtext", where[2]))
    boxes = [_extent(n) for n in placed.values()]
    for s, d, dif in g.edges:
        bends = [at(b) for b in lay.routes[(s, d)][1:-1]]
        pic.add(Line(bends, "edge" if dif else "dashed", True, placed[s], placed[d]))
        pic.edges.append(Edge(s, d, labels.get((s, d))))
        if dif:
            pts = [border(placed[s], (bends or [(placed[d].x, placed[d].y)])[0]), *bends]
            pts.append(border(placed[d], pts[-1]))
            boxes.append(_place_label(pic, labels[(s, d)], pts, boxes))
    _footer(pic, g, beside=down or pic.size()[0] < 9.0)
    return pic


def _extent(n: Node) -> tuple:
    w = max(n.w, n.label.width(n.font) + 0.2) if n.label else n.w
    return n.x - w / 2, n.y - n.h / 2, n.x + w / 2, n.y + n.h / 2


def _place_label(pic, label, pts, boxes) -> tuple:
    """The edge's label on the edge: on its last segment where it overlaps no node and no other label, else
    on an earlier one, else where it overlaps least (the first such place)."""
    best, least = None, None
    segments = list(zip(pts, pts[1:]))[::-1]
    for (a, b), t in ((seg, t) for seg in segments for t in (0.5, 0.35, 0.65, 0.22, 0.78)):
        text = Text(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), label, "small", boxed=True)
        e = text.extent()
        overlap = sum(max(0.0, min(e[2], q[2]) - max(e[0], q[0])) * max(0.0, min(e[3], q[3]) - max(e[1], q[1]))
                      for q in boxes)
        if least is None or overlap < least - 1e-9:
            best, least = text, overlap
        if overlap == 0:
            break
    pic.add(best)
    return best.extent()


def _footer(pic, g: Graph, beside: bool = False) -> None:
    """The chain rule per input, then each edge's Jacobian, left-aligned under the graph (or beside it,
    for a graph drawn top down)."""
    x0, y0, x1, y1 = pic.bbox()
    x0, y = (x1 + 0.6, y0 + 0.1) if beside else (x0, y1 + 0.55)
    rows = list(g.footer)
    rows += [(Label(lab.tex[:-1] + " = " + g.jacobians[(s, d)].tex[1:], lab.text + " = " + g.jacobians[(s, d)].text),
              "small") for s, d, _ in g.edges if (s, d) in g.jacobians
             for lab in [_partial(g.names[d], g.names[s])]]
    for label, font in rows:
        tall = label.tex.count(r"\frac") > 0
        y += 0.18 if tall else 0.0
        pic.add(Text(x0, y, label, font, "note" if font == "tiny" else "text", "west"))
        y += 0.62 if tall else 0.45
