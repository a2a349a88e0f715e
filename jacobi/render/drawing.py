"""A Picture (its placed items: jacobi.render.pictures) and its two writers: TikZ for LaTeX documents and
SVG for notebooks and GitHub.  Both translate the same items; coordinates are rounded so that the output
is stable."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.shapes import JacobiError
from .pictures import COLOURS, FONTS, PT, STYLES, SVG_UNIT, Area, Line, Node, Text, border

SVG_FONT = "'DejaVu Serif', 'Cambria Math', 'STIX Two Math', 'Times New Roman', serif"
ARROW = 0.22  # the arrowhead's length, cm
MARGIN = 0.25  # cm around the drawing in the SVG
#: the SVG sets its text this much smaller than the layout measured it: a browser's serif or sans font runs
#: up to ~12% wider than TeX's, and a label must stay inside its box
SVG_SCALE = 0.88


@dataclass(eq=False)
class Picture:
    """A drawing: ``.tikz()``, ``.svg()``, ``.save(path)`` (.svg, .tex or .tikz), and in a notebook its SVG.

    ``nodes`` (key -> Node) and ``edges`` say what it shows, for tests and tools."""

    kind: str  # network | sequential | graph | program
    items: list = field(default_factory=list)
    nodes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    title: str = ""

    def add(self, item):
        self.items.append(item)
        if isinstance(item, Node) and item.key:
            self.nodes[item.key] = item
        return item

    def labels(self) -> list:
        """Every label's text, in drawing order."""
        return [i.label.text for i in self.items if getattr(i, "label", None) is not None]

    def bbox(self) -> tuple:
        xs, ys = [], []
        for i in self.items:
            if isinstance(i, Node):
                w = max(i.w, i.label.width(i.font) + 0.2) if i.label else i.w
                xs += [i.x - w / 2, i.x + w / 2]
                ys += [i.y - i.h / 2, i.y + i.h / 2]
            elif isinstance(i, Text):
                x0, y0, x1, y1 = i.extent()
                xs += [x0, x1]
                ys += [y0, y1]
            else:
                xs += [p[0] for p in i.points]
                ys += [p[1] for p in i.points]
        if not xs:
            return 0.0, 0.0, 1.0, 1.0
        return min(xs), min(ys), max(xs), max(ys)

    def size(self) -> tuple:
        """(width, height) in cm, as laid out."""
        x0, y0, x1, y1 = self.bbox()
        return x1 - x0, y1 - y0

    # -- writers -----------------------------------------------------------------------------------
    def tikz(self) -> str:
        """A tikzpicture environment (pgf alone: no TikZ library)."""
        return tikz(self)

    def svg(self) -> str:
        """A standalone SVG document (no dependency; the same bytes on every run)."""
        return svg(self)

    def figure(self) -> str:
        """The tikzpicture for a document, centred, scaled down to the text width where wider and to
        three quarters of the text height where taller."""
        return ("\\begin{center}\n"
                "\\resizebox{!}{\\ifdim\\totalheight>0.75\\textheight0.75\\textheight\\else\\totalheight\\fi}{%\n"
                "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
                + self.tikz() + "}}\n\\end{center}")

    def document(self) -> str:
        """A standalone LaTeX document holding the picture (amsmath, amssymb and tikz)."""
        return ("\\documentclass[11pt]{article}\n\\usepackage{amsmath,amssymb}\n\\usepackage{tikz}\n"
                "\\begin{document}\n" + self.figure() + "\n\\end{document}\n")

    def save(self, path) -> Path:
        """Write the picture: .svg (SVG), .tex (a standalone document), .tikz (the tikzpicture alone)."""
        path = Path(path)
        writers = {".svg": self.svg, ".tex": self.document, ".tikz": self.tikz}
        if path.suffix not in writers:
            raise JacobiError(f"a picture is saved as .svg, .tex or .tikz, not {path.name!r}")
        path.write_text(writers[path.suffix](), encoding="utf-8")
        return path

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self):
        w, h = self.size()
        return (f"<Picture of a {self.kind}: {len(self.nodes)} nodes, {len(self.edges)} edges, "
                f"{w:.1f} x {h:.1f} cm>")



def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _width(node: Node) -> float:
    return max(node.w, node.label.width(node.font) + 0.2) if node.label else node.w


def _ends(line: Line) -> list:
    """The polyline's points with its ends clipped at the borders of the nodes it joins."""
    pts = list(line.points)
    if line.start is not None:
        pts.insert(0, border(line.start, pts[0] if pts else (line.end.x, line.end.y)))
    if line.end is not None:
        pts.append(border(line.end, pts[-1] if pts else (line.start.x, line.start.y)))
    return pts


def _order(p: Picture) -> list:
    """Filled areas first, then the nodes (TikZ must know a node before a line ends at it), the lines, the
    labels last (on top of the lines they name)."""
    rank = {Area: 0, Node: 1, Line: 2, Text: 3}
    return sorted(p.items, key=lambda i: rank[type(i)])


# -- TikZ ----------------------------------------------------------------------------------------------

def tikz(p: Picture) -> str:
    names = {id(i): f"n{k}" for k, i in enumerate(i for i in p.items if isinstance(i, Node))}
    out = ["\\begin{tikzpicture}[x=1cm, y=-1cm, line join=round, line cap=round]"]
    out += [f"\\definecolor{{jc{name}}}{{HTML}}{{{hexa}}}" for name, hexa in COLOURS.items()]
    for i in _order(p):
        if isinstance(i, Area):
            out.append(f"\\fill[jc{STYLES[i.style][1]}, opacity=0.55] "
                       + " -- ".join(f"({_n(x)},{_n(y)})" for x, y in i.points) + " -- cycle;")
        elif isinstance(i, Line):
            out.append(_tikz_line(i, names))
        elif isinstance(i, Node):
            out.append(_tikz_node(i, names[id(i)]))
        else:
            out.append(_tikz_text(i))
    out.append("\\end{tikzpicture}")
    return "\n".join(out)


def _draw(style: str) -> list:
    stroke, fill, width, dashed, _ = STYLES[style]
    opts = [f"draw=jc{stroke}", f"line width={_n(width)}pt"] if stroke else []
    if fill:
        opts.append(f"fill=jc{fill}")
    if dashed:
        opts.append("dash pattern=on 2pt off 1.5pt")
    return opts


def _tikz_line(line: Line, names: dict) -> str:
    opts = _draw(line.style) + (["-stealth"] if line.arrow else [])
    coords = [f"({_n(x)},{_n(y)})" for x, y in line.points]
    if line.start is not None:
        coords.insert(0, f"({names[id(line.start)]})")
    if line.end is not None:
        coords.append(f"({names[id(line.end)]})")
    return "\\draw[" + ", ".join(opts) + "] " + " -- ".join(coords) + ";"


def _tikz_node(node: Node, name: str) -> str:
    opts = _draw(node.style) if node.shape != "none" else []
    if node.shape == "circle":
        opts += ["circle", f"minimum size={_n(node.w)}cm", "inner sep=0pt"]
    else:
        opts += [f"minimum width={_n(node.w)}cm", f"minimum height={_n(node.h)}cm", "inner sep=2pt"]
        if node.shape == "round":
            opts.append("rounded corners=3pt")
    opts += [f"font={FONTS[node.font][1]}", f"text=jc{STYLES[node.style][4]}"]
    text = node.label.tex if node.label else ""
    return f"\\node[{', '.join(opts)}] ({name}) at ({_n(node.x)},{_n(node.y)}) {{{text}}};"


def _tikz_text(t: Text) -> str:
    anchor = {"center": "center", "west": "west", "east": "east"}[t.anchor]
    opts = [f"anchor={anchor}", "inner sep=1pt", f"font={FONTS[t.font][1]}", f"text=jc{STYLES[t.style][4]}"]
    if t.boxed:
        opts += ["fill=jcwhite", "fill opacity=0.9", "text opacity=1"]
    return f"\\node[{', '.join(opts)}] at ({_n(t.x)},{_n(t.y)}) {{{t.label.tex}}};"


# -- SVG -----------------------------------------------------------------------------------------------

def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg(p: Picture) -> str:
    x0, y0, x1, y1 = p.bbox()
    ox, oy = MARGIN - x0, MARGIN - y0
    W, H = (x1 - x0 + 2 * MARGIN) * SVG_UNIT, (y1 - y0 + 2 * MARGIN) * SVG_UNIT

    def X(x):
        return _n((x + ox) * SVG_UNIT)

    def Y(y):
        return _n((y + oy) * SVG_UNIT)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(W)}" height="{_n(H)}" '
           f'viewBox="0 0 {_n(W)} {_n(H)}" font-family="{_esc(SVG_FONT)}">']
    if p.title:
        out.append(f"<title>{_esc(p.title)}</title>")
    out.append("<defs>")
    size = _n(ARROW * SVG_UNIT)
    for c in ("edge", "faint", "const", "back"):  # the same ids in every picture: inlined together they agree
        out.append(f'<marker id="jc-arrow-{c}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="{size}" '
                   f'markerHeight="{size}" markerUnits="userSpaceOnUse" orient="auto">'
                   f'<path d="M0,0.8 L10,5 L0,9.2 z" fill="#{COLOURS[c]}"/></marker>')
    out.append("</defs>")
    out.append(f'<rect x="0" y="0" width="{_n(W)}" height="{_n(H)}" fill="#{COLOURS["white"]}"/>')
    for i in _order(p):
        if isinstance(i, Area):
            pts = " ".join(f"{X(x)},{Y(y)}" for x, y in i.points)
            out.append(f'<polygon points="{pts}" fill="#{COLOURS[STYLES[i.style][1]]}" fill-opacity="0.55"/>')
        elif isinstance(i, Line):
            pts = " ".join(f"{X(x)},{Y(y)}" for x, y in _ends(i))
            stroke = STYLES[i.style][0]
            marker = f' marker-end="url(#jc-arrow-{stroke})"' if i.arrow else ""
            out.append(f'<polyline points="{pts}" fill="none"{_svg_stroke(i.style)}{marker}/>')
        elif isinstance(i, Node):
            out += _svg_node(i, X, Y)
        else:
            out += _svg_text(i, X, Y)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_stroke(style: str) -> str:
    stroke, fill, width, dashed, _ = STYLES[style]
    s = f' stroke="#{COLOURS[stroke]}" stroke-width="{_n(width * PT * SVG_UNIT)}"' if stroke else ""
    if dashed:
        s += f' stroke-dasharray="{_n(2 * PT * SVG_UNIT)} {_n(1.5 * PT * SVG_UNIT)}"'
    return s


def _svg_fill(style: str) -> str:
    fill = STYLES[style][1]
    return f' fill="#{COLOURS[fill]}"' if fill else ' fill="none"'


def _label(x: str, y: str, label, font: str, style: str, anchor: str = "middle") -> str:
    size = FONTS[font][0] * PT * SVG_UNIT * SVG_SCALE
    return (f'<text x="{x}" y="{y}" dy="0.35em" font-size="{_n(size)}" text-anchor="{anchor}" '
            f'fill="#{COLOURS[STYLES[style][4]]}">{_esc(label.text)}</text>')


def _svg_node(node: Node, X, Y) -> list:
    out = []
    if node.shape == "circle":
        out.append(f'<circle cx="{X(node.x)}" cy="{Y(node.y)}" r="{_n(node.w / 2 * SVG_UNIT)}"'
                   f'{_svg_fill(node.style)}{_svg_stroke(node.style)}/>')
    elif node.shape != "none":
        w = _width(node)
        rx = f' rx="{_n(3 * PT * SVG_UNIT)}"' if node.shape == "round" else ""
        out.append(f'<rect x="{X(node.x - w / 2)}" y="{Y(node.y - node.h / 2)}" width="{_n(w * SVG_UNIT)}" '
                   f'height="{_n(node.h * SVG_UNIT)}"{rx}{_svg_fill(node.style)}{_svg_stroke(node.style)}/>')
    if node.label is not None:
        out.append(_label(X(node.x), Y(node.y), node.label, node.font, node.style))
    return out


def _svg_text(t: Text, X, Y) -> list:
    out = []
    if t.boxed:
        x0, y0, x1, y1 = t.extent()
        out.append(f'<rect x="{X(x0 - 0.04)}" y="{Y(y0)}" width="{_n((x1 - x0 + 0.08) * SVG_UNIT)}" '
                   f'height="{_n((y1 - y0) * SVG_UNIT)}" fill="#{COLOURS["white"]}" fill-opacity="0.9"/>')
    anchor = {"center": "middle", "west": "start", "east": "end"}[t.anchor]
    out.append(_label(X(t.x), Y(t.y), t.label, t.font, t.style, anchor))
    return out
