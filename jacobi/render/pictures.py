"""Pictures: a network's layers, a derivation's computation graph, a program's lets, drawn as TikZ (for
the LaTeX documents) and as SVG (for notebooks and GitHub), from one layout.

A picture (jacobi.render.drawing.Picture) is a list of the placed items defined here (boxes, circles,
lines, filled areas, labels) in centimetres, y pointing down; its two writers only translate it, so the
TikZ and the SVG show the same drawing.  Each label carries its LaTeX (typeset by TikZ) and its Unicode
text (shown by the SVG, which needs no TeX).  What is drawn is built in jacobi.render.graphs and
jacobi.render.networks; ``jc.picture(obj)`` (jacobi.render.figures) is the entry point.
"""
from __future__ import annotations

import math as _m
import shutil
import subprocess
from dataclasses import dataclass

from ..core.printing import latex
from ..core.shapes import JacobiError
from .mathtext import unicode_math

#: the font sizes: name -> (points, the LaTeX size command in an 11pt document)
FONTS = {"normal": (10.0, r"\small"), "small": (9.0, r"\footnotesize"), "tiny": (8.0, r"\scriptsize")}
PT = 2.54 / 72.27  # one TeX point in cm
SVG_UNIT = 40.0  # SVG user units per cm

#: colours, as the TikZ writer defines them and the SVG writer uses them
COLOURS = {"ink": "222222", "edge": "444444", "faint": "B4B9C0", "const": "8A8A8A", "back": "B03030",
           "input": "FCEBCF", "var": "E3EEF9", "out": "F9DCDC", "param": "E4F3E1", "white": "FFFFFF",
           "band": "C9DCF0", "layer": "EEF3F8", "note": "555555"}

#: item styles: stroke colour, fill colour, line width (pt), dashed, text colour
STYLES = {
    "input": ("ink", "input", 0.6, False, "ink"),
    "var": ("ink", "var", 0.6, False, "ink"),
    "out": ("ink", "out", 0.8, False, "ink"),
    "param": ("ink", "param", 0.6, False, "ink"),
    "const": ("const", "white", 0.6, True, "note"),
    "neuron": ("ink", "white", 0.6, False, "ink"),
    "layer": ("ink", "layer", 0.6, False, "ink"),
    "edge": ("edge", None, 0.6, False, "ink"),
    "faint": ("faint", None, 0.4, False, "ink"),
    "dashed": ("const", None, 0.6, True, "note"),
    "back": ("back", None, 0.8, False, "back"),
    "band": (None, "band", 0.0, False, "ink"),
    "text": (None, None, 0.0, False, "ink"),
    "note": (None, None, 0.0, False, "note"),
    "backtext": (None, None, 0.0, False, "back"),
}


@dataclass(frozen=True)
class Label:
    """What a label shows: ``tex`` for TikZ (a node's text: $math$ or words) and ``text`` for the SVG."""

    tex: str
    text: str

    def width(self, font: str = "normal") -> float:
        """An estimate of the text's width in cm (combining marks take no room, operators more)."""
        pt = FONTS[font][0]
        return max(sum(_advance(c) for c in self.text), 1.0) * 0.56 * pt * PT

    def height(self, font: str = "normal") -> float:
        return 1.25 * FONTS[font][0] * PT


_NARROW, _WIDE = set(" ,.;:'′|()[]ijlftrI/1"), set("⊙⊗⊘∂∇√‖ΣWMmw𝟏×")
_SCRIPTS = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")


def _advance(c: str) -> float:
    """A character's width in ems, roughly (TeX's math italic and a serif font agree to about 10%)."""
    if 0x300 <= ord(c) <= 0x36F:
        return 0.0
    return 0.7 if c in _SCRIPTS else 0.55 if c in _NARROW else 1.3 if c in _WIDE else 1.0


def math(tex: str, text: str | None = None) -> Label:
    """A label in math: tex without dollars; the SVG shows its Unicode form (or ``text``)."""
    shown = text if text is not None else unicode_math(tex)
    if shown is None:
        raise JacobiError(f"no text form for the label {tex!r}: give one")
    return Label("$" + tex + "$", shown)


def expr_label(e) -> Label:
    """An expression's label: its LaTeX, and for the SVG its Unicode form (or its text form, where its
    LaTeX uses a command the Unicode reading does not know)."""
    tex = latex(e)
    return Label("$" + tex + "$", unicode_math(tex) or str(e))


def words(s: str) -> Label:
    """Plain words (escaped for LaTeX)."""
    tex = "".join("\\" + c if c in "#$%&_{}" else c for c in s)
    return Label(tex, s)


@dataclass(eq=False)
class Node:
    """A box, rounded box, circle or bare label centred at (x, y), w by h cm."""

    x: float
    y: float
    w: float
    h: float
    label: Label | None = None
    shape: str = "box"  # box | round | circle | none
    style: str = "var"
    font: str = "normal"
    key: str = ""  # what the node stands for, for the picture's users (a variable's name, "layer 2")


@dataclass(eq=False)
class Line:
    """A polyline from ``start`` (a node, clipped at its border) through ``points`` to ``end``."""

    points: list
    style: str = "edge"
    arrow: bool = True
    start: Node | None = None
    end: Node | None = None


@dataclass(eq=False)
class Area:
    points: list
    style: str = "band"


@dataclass(eq=False)
class Text:
    """A label at (x, y); anchor "center", "west" (x is its left end) or "east"; ``boxed`` puts it on
    white, for a label over lines."""

    x: float
    y: float
    label: Label
    font: str = "small"
    style: str = "text"
    anchor: str = "center"
    boxed: bool = False

    def extent(self) -> tuple:
        w, h = self.label.width(self.font), self.label.height(self.font)
        left = self.x - w / 2 if self.anchor == "center" else self.x if self.anchor == "west" else self.x - w
        return left, self.y - h / 2, left + w, self.y + h / 2


@dataclass(frozen=True)
class Edge:
    """A connection the picture shows: from the node keyed src to the node keyed dst, with its label."""

    src: str
    dst: str
    label: Label | None = None


def tikz_installed() -> bool:
    """Whether the TeX system has pgf/TikZ (Debian: texlive-pictures), which the documents' pictures need."""
    exe = shutil.which("kpsewhich")
    if exe is None:
        return False
    try:
        r = subprocess.run([exe, "tikz.sty"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(r.stdout.strip())


def uses_tikz(tex: str) -> str:
    """A LaTeX document with \\usepackage{tikz} added before \\begin{document} where it draws a picture."""
    if "\\begin{tikzpicture}" not in tex or "\\usepackage{tikz}" in tex:
        return tex
    return tex.replace("\\begin{document}", "\\usepackage{tikz}\n\\begin{document}", 1)


def border(node: Node, toward: tuple) -> tuple:
    """The point where the segment from node's centre toward a point leaves the node."""
    dx, dy = toward[0] - node.x, toward[1] - node.y
    if dx == 0 and dy == 0:
        return node.x, node.y
    if node.shape == "circle":
        r = node.w / 2
        d = _m.hypot(dx, dy)
        return node.x + dx * r / d, node.y + dy * r / d
    w = max(node.w, node.label.width(node.font) + 0.2) if node.label else node.w
    sx = (w / 2) / abs(dx) if dx else _m.inf
    sy = (node.h / 2) / abs(dy) if dy else _m.inf
    s = min(sx, sy)
    return node.x + dx * s, node.y + dy * s
