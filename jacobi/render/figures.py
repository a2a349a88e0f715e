"""``jc.picture(obj)``: the picture of a network, a model, a derivation or a program, and the pictures of
a document (placed as TikZ figures, saved beside it as SVG).

    >>> jc.picture(jc.Network([3, 4, 2]))                  # columns of neurons, W^l, b^l, z^l, a^l, C
    >>> jc.picture(jc.derive(C, W)).save("graph.svg")      # the computation graph of the chain rule
"""
from __future__ import annotations

from pathlib import Path

from ..calculus.derivation import Derivation
from ..core.shapes import JacobiError
from .drawing import Picture
from .graphs import derivation_graph, draw_graph, program_graph
from .networks import network_picture, sequential_picture

WHAT = ("jc.picture draws a Network, a Sequential, a network's backprop(), a Derivation (jc.derive) or a "
        "program's jc.backprop(...)")


def _is(obj, *names) -> bool:
    return all(hasattr(obj, n) for n in names)


def picture(obj) -> Picture:
    """The picture of obj, with ``.svg()``, ``.tikz()``, ``.save(path)``, shown as SVG in a notebook:

    - a ``Network``: its layers as columns of neurons (a box for a wide layer or a size that is a name),
      the connections labelled W^l, b^l, each layer's a^l = sigma(z^l), the cost C and the target y;
    - a network's ``backprop()``: the same with the errors delta^l flowing back from C;
    - a ``Sequential``: a box per layer with its parameters and activation, the shapes on the arrows;
    - a ``Derivation``: the computation graph of its intermediate variables, each edge labelled with the
      local Jacobian that joins them, and the chain rule read off the graph;
    - a program's ``jc.backprop(loss)``: the graph of its leaves, lets and loss, each with its adjoint.
    """
    if isinstance(obj, Picture):
        return obj
    if isinstance(obj, Derivation):
        return draw_graph(derivation_graph(obj), "graph", "the computation graph of a derivation")
    if _is(obj, "program", "adjoints", "leaves", "lets"):
        return draw_graph(program_graph(obj), "program", "the program of a backpropagation")
    if _is(obj, "net", "batch", "equations") and _is(obj.net, "sizes", "activations", "cost_record"):
        return network_picture(obj.net, backward=True, batch=obj.batch)
    if _is(obj, "sizes", "activations", "cost_record", "L"):
        return network_picture(obj)
    if _is(obj, "layers", "built", "cost_record", "target"):
        return sequential_picture(obj)
    shown = type(obj).__name__ if not isinstance(obj, (str, int, float)) else repr(obj)
    raise JacobiError(f"{WHAT}; got {shown}")


def place_pictures(sections, pictures: list | None = None) -> list:
    """A document's sections with each Picture replaced by its TikZ figure; the pictures are appended to
    ``pictures`` (to save beside the document)."""
    out = []
    for head, s in sections:
        if isinstance(s, Picture):
            if pictures is not None:
                pictures.append(s)
            s = s.figure()
        out.append((head, s))
    return out


def save_pictures(pictures, folder, stem: str) -> list:
    """Each picture as SVG in folder, named stem-1.svg, stem-2.svg, ...: the paths written."""
    folder = Path(folder)
    if pictures:
        folder.mkdir(parents=True, exist_ok=True)
    return [p.save(folder / f"{stem}-{k}.svg") for k, p in enumerate(pictures, start=1)]
