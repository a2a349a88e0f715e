"""Pictures of networks: a dense ``Network`` as columns of neurons (a box where a layer is wide or its
size is a name), the connections between layers labelled W^l, b^l, each layer's z^l, a^l and activation,
the cost C with the target y, and for a derivation the errors delta^l flowing back; a ``Sequential`` as
a chain of layer boxes with their parameters and output shapes.

render sits beside nn, not above it (tests/test_layers.py), so these read a network's public data (its
sizes, activations, cost record and symbols) and import nothing from nn.
"""
from __future__ import annotations

import sympy as sp

from ..core.expr import Expr
from ..core.printing import latex
from .drawing import Picture
from .pictures import Area, Edge, Label, Line, Node, Text, expr_label, math, words

CIRCLES = 8  # a layer of at most this many neurons (a number) is drawn neuron by neuron
R, STEP = 0.19, 0.52  # a neuron's radius and the distance between two, cm
BOX_W, BOX_H = 0.8, 2.6  # a wide layer's box
GAP = 3.1  # cm between the centres of two layers
SOFTMAX = "softmax"


def _size_label(n) -> Label:
    tex = sp.latex(n)
    return math(tex, str(n) if isinstance(n, (int, sp.Integer)) else None)


def _activation(f) -> tuple:
    """(its LaTeX, its name) for an activation: a function record or "softmax"."""
    if isinstance(f, str):
        return r"\operatorname{softmax}", f
    return f.latex, f.name


def network_picture(net, backward: bool = False, batch: bool = False) -> Picture:
    """The layers of a dense network; backward=True adds the errors delta^l of backpropagation."""
    L, sizes = net.L, list(net.sizes)
    pic = Picture("network", title=f"a network of sizes {', '.join(str(s) for s in sizes)}")
    cols = []
    for l, n in enumerate(sizes):
        x = l * GAP
        if isinstance(n, (int, sp.Integer)) and int(n) <= CIRCLES:
            k = int(n)
            ys = [(i - (k - 1) / 2) * STEP for i in range(k)]
            nodes = [pic.add(Node(x, y, 2 * R, 2 * R, None, "circle", "input" if l == 0 else "neuron",
                                  key=f"{l}:{i + 1}")) for i, y in enumerate(ys)]
            top, bottom = ys[0] - R, ys[-1] + R
        else:
            lab = _size_label(n)
            nodes = [pic.add(Node(x, 0.0, max(BOX_W, lab.width() + 0.3), BOX_H, lab, "round",
                                  "input" if l == 0 else "layer", key=f"{l}"))]
            top, bottom = -BOX_H / 2, BOX_H / 2
        cols.append((nodes, top, bottom))
    head = min(t for _, t, _ in cols) - 0.45
    foot = max(b for _, _, b in cols) + 0.45
    for l in range(1, L + 1):
        _connect(pic, cols[l - 1], cols[l])
        W, b = net.W(l), net.b(l)
        pic.add(Text((l - 0.5) * GAP, head, math(latex(W) + ", " + latex(b)), "normal"))
        pic.edges.append(Edge(f"layer {l - 1}", f"layer {l}", math(latex(W))))
    x = net.x(batch)
    for l, n in enumerate(sizes):
        where = "input" if l == 0 else "output layer" if l == L else f"hidden layer {l}"
        pic.add(Text(l * GAP, head - 0.42, words(where), "tiny", "note"))
        if l == 0:
            row1 = expr_label(x)
            row2 = Label("$" + sp.latex(n) + "$ inputs", f"{_size_label(n).text} inputs")
        else:
            tex, name = _activation(net.activations[l - 1])
            z, a = latex(net.z(l, batch)), latex(net.a(l, batch))
            row1 = math(a + " = " + tex + "(" + z + ")")
            unit = "neuron" if n == 1 else "neurons"
            row2 = Label("$" + sp.latex(n) + f"$ {unit}, " + name, f"{_size_label(n).text} {unit}, {name}")
        pic.add(Text(l * GAP, foot, row1, "normal"))
        pic.add(Text(l * GAP, foot + 0.45, row2, "tiny", "note"))
    _cost(pic, net, cols[-1], L * GAP, batch)
    if backward:
        _errors(pic, net, foot + 1.05, batch)
    return pic


def _connect(pic, left, right) -> None:
    """Every neuron to every neuron where both layers are drawn neuron by neuron, else a band."""
    (ln, lt, lb), (rn, rt, rb) = left, right
    if len(ln) > 1 or ln[0].shape == "circle":
        if len(rn) > 1 or rn[0].shape == "circle":
            for a in ln:
                for b in rn:
                    pic.add(Line([], "faint", False, a, b))
            return
    lx = ln[0].x + (R if ln[0].shape == "circle" else ln[0].w / 2)
    rx = rn[0].x - (R if rn[0].shape == "circle" else rn[0].w / 2)
    pic.add(Area([(lx, lt), (rx, rt), (rx, rb), (lx, lb)]))


def _cost(pic, net, last, x, batch) -> None:
    nodes, top, bottom = last
    cx = x + GAP * 0.75
    C = pic.add(Node(cx, 0.0, 0.7, 0.6, math("C"), "round", "out", key="C"))
    if len(nodes) == 1:
        pic.add(Line([], "edge", True, nodes[0], C))
    else:
        for n in nodes:
            pic.add(Line([], "faint", True, n, C))
    y = pic.add(Node(cx, -1.35, 0.6, 0.5, expr_label(net.y(batch)), "round", "const", key="y"))
    pic.add(Line([], "dashed", True, y, C))
    rec = net.cost_record
    pic.add(Text(cx, 0.62, words(rec.name.replace("_", " ") if isinstance(rec.name, str) else "cost"), "tiny",
                 "note"))
    if batch:
        pic.add(Text(cx, 0.95, words("mean over the batch"), "tiny", "note"))
    pic.edges += [Edge(f"layer {net.L}", "C"), Edge("y", "C")]


def _errors(pic, net, y, batch) -> None:
    """delta^l = dC/dz^l under each layer, each computed from the next (BP1, BP2), arrows pointing back."""
    L = net.L
    grad = math(r"\partial C/\partial " + latex(net.a(L, batch)))
    pic.add(Text(L * GAP + GAP * 0.75, y, grad, "normal", "backtext"))
    start = L * GAP + GAP * 0.75 - grad.width() / 2 - 0.15
    for l in range(L, 0, -1):
        pic.add(Text(l * GAP, y, math(latex(net.delta_symbol(l, batch))), "normal", "backtext"))
        pic.add(Line([(start, y), (l * GAP + 0.4, y)], "back", True))
        start = l * GAP - 0.4
    d = latex(net.delta_symbol(1, batch)).replace("1", "l")
    pic.add(Text(0.0, y, math(d + r" = \partial C/\partial " + ("Z" if batch else "z") + "^{l}"), "small",
                 "backtext"))


def sequential_picture(seq) -> Picture:
    """The layers of a Sequential in order: input, a box per layer (its kind, parameters, activation),
    the output shape on each arrow, then the cost with its target."""
    pic = Picture("sequential", title="a sequential model")
    inputs = seq.inputs if isinstance(seq.inputs, (list, tuple)) else [seq.inputs]
    x = 0.0
    first = [pic.add(Node(x, (i - (len(inputs) - 1) / 2) * 0.8, 0.7, 0.55, expr_label(v), "round", "input",
                          key=v.name)) for i, v in enumerate(inputs)]
    prev, prev_w = first, max(n.label.width() + 0.3 for n in first)
    shape = _shape(inputs[0]) if len(inputs) == 1 else words(f"{len(inputs)} inputs")
    for layer, built in zip(seq.layers, seq.built):
        rows = _layer_rows(layer, built)
        w = max(r.width(f) for r, f in rows) + 0.4
        gap = max(1.3, shape.width("tiny") + 0.4)
        x += prev_w / 2 + gap + w / 2
        box = pic.add(Node(x, 0.0, w, 0.45 * len(rows) + 0.3, None, "round", "layer", key=layer.name))
        for i, (r, f) in enumerate(rows):
            pic.add(Text(x, (i - (len(rows) - 1) / 2) * 0.45, r, f, "note" if f == "tiny" else "text"))
        for p in prev:
            pic.add(Line([], "edge", True, p, box))
            pic.edges.append(Edge(p.key, box.key))
        pic.add(Text(x - w / 2 - gap / 2, 0.22 + (0.0 if len(prev) == 1 else 0.2), shape, "tiny", "note"))
        if type(layer).__name__ == "Residual":
            top = -box.h / 2 - 0.35
            pic.add(Line([(x - w / 2 - gap / 2, 0.0), (x - w / 2 - gap / 2, top), (x + w / 2 + 0.5, top),
                          (x + w / 2 + 0.5, -0.05)], "edge", True))
            pic.add(Text(x, top - 0.2, words("x + f(x)"), "tiny", "note"))
        prev, prev_w, shape = [box], w, _shape(built.output)
    cx = x + prev_w / 2 + 1.6
    C = pic.add(Node(cx, 0.0, 0.7, 0.6, math("C"), "round", "out", key="C"))
    pic.add(Line([], "edge", True, prev[0], C))
    pic.add(Text(cx - 0.8 - 0.35, 0.22, shape, "tiny", "note"))
    t = pic.add(Node(cx, -1.3, 0.6, 0.5, expr_label(seq.target), "round", "const", key=seq.target.name))
    pic.add(Line([], "dashed", True, t, C))
    pic.add(Text(cx, 0.62, words(seq.cost_record.name.replace("_", " ")), "tiny", "note"))
    pic.edges += [Edge(prev[0].key, "C"), Edge(seq.target.name, "C")]
    return pic


def _shape(e: Expr) -> Label:
    r, c = e.shape
    return math(sp.latex(r) + r" \times " + sp.latex(c))


def _layer_rows(layer, built) -> list:
    """A layer's box: its kind, its parameters, and its activation or what it computes."""
    kind = type(layer).__name__
    rows = [(words(kind + (f" {layer.name}" if layer.name else "")), "normal")]
    if built.params:
        rows.append((math(", ".join(latex(p) for p in built.params)), "small"))
    act = getattr(layer, "activation", None) or getattr(layer, "fn", None)
    if act is not None and not (isinstance(act, str) and act == "identity"):
        rows.append((words(act if isinstance(act, str) else getattr(act, "name", str(act))), "tiny"))
    if kind == "Residual":
        rows.append((words(" + ".join(type(inner).__name__ for inner in layer.layers)), "tiny"))
    return rows
