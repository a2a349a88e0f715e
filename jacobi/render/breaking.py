"""Long right sides broken over lines, so that no displayed equation is wider than the page.

The LaTeX of a right side is read into a tree (braces, \\left ... \\right pairs, environments) with the
span of each node in the source, and its width is estimated in em at display size from the widths of
Computer Modern's glyphs.  A right side wider than the line is cut before the binary operators and
relations at its top level (the cut line starts with the operator, as textbooks print it); a single term
that is still too wide is cut inside its widest \\left ... \\right pair, each line closing or opening the
pair with the null delimiter.  The lines are set in an aligned block, continuation lines indented by a
quad.  Estimates err wide; tests/test_page_layout.py compiles every document and checks every glyph."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}]|\s+|[^\\{}\s]")

# Widths in em at display size (cmr/cmmi at 10pt, rounded up), spacing included for operators.
_BIN = {"+", "-", r"\odot", r"\otimes", r"\oslash", r"\cdot", r"\times", r"\circ"}
_REL = {"=", r"\le", r"\ge", r"\leftarrow", r"\mathrel", r"\to", r"\in", r"\succ"}
_WIDE = {"m": 0.9, "w": 0.75, "M": 1.0, "W": 1.05, "i": 0.35, "j": 0.42, "l": 0.3, "1": 0.5, "(": 0.39,
         ")": 0.39, "[": 0.28, "]": 0.28, ",": 0.45, ";": 0.45, ".": 0.28, "'": 0.3, "|": 0.28}
_CMD = {r"\,": 0.17, r"\;": 0.28, r"\!": -0.17, r"\quad": 1.0, r"\qquad": 2.0, r"\ ": 0.33, r"\top": 0.78,
        r"\sum": 1.45, r"\partial": 0.6, r"\infty": 1.0, r"\dots": 1.2, r"\cdots": 1.2, r"\ldots": 1.2,
        r"\lVert": 0.5, r"\rVert": 0.5, r"\lvert": 0.28, r"\rvert": 0.28, r"\{": 0.5, r"\}": 0.5}
_WORD_FONT = {r"\operatorname", r"\mathrm", r"\text", r"\mathbf", r"\texttt", r"\mathit"}  # words: ~0.5 em a letter
_ONE_ARG = {r"\sqrt": 1.0, r"\overline": 0.1, r"\hat": 0.0, r"\bar": 0.0, r"\boxed": 0.8, r"\mathbb": 0.0,
            r"\mathcal": 0.0, r"\mathop": 0.0, r"\mathrel": 0.0, r"\mathbin": 0.0, r"\fbox": 0.8}
_OPERATORS = {r"\log", r"\exp", r"\tanh", r"\sin", r"\cos", r"\tan", r"\ln", r"\det", r"\max", r"\min",
              r"\arcsin", r"\arccos", r"\arctan"}


@dataclass
class Node:
    """A piece of the LaTeX source: kind is "tok", "group" ({...}), "left" (\\left ... \\right ...) or "env";
    text is the token, or the source of a group or an environment."""

    kind: str
    start: int
    end: int
    text: str = ""
    children: list = field(default_factory=list)
    inner: tuple = (0, 0)  # the span between \left X and \right Y


def parse(s: str) -> list:
    """The nodes of s at its top level (whitespace dropped)."""
    toks = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(s)]
    pos = 0

    def read(stop) -> list:
        nonlocal pos
        out = []
        while pos < len(toks):
            t, a, b = toks[pos]
            if t in stop:
                return out
            pos += 1
            if t.isspace():
                continue
            if t == "{":
                kids = read({"}"})
                end = toks[pos][2] if pos < len(toks) else len(s)
                pos += 1
                out.append(Node("group", a, end, s[a:end], kids))
            elif t == r"\left":
                pos += 1  # the delimiter
                inner_start = toks[pos - 1][2] if pos <= len(toks) else len(s)
                kids = read({r"\right"})
                inner_end = toks[pos][1] if pos < len(toks) else len(s)
                pos += 2  # \right and its delimiter
                end = toks[pos - 1][2] if pos <= len(toks) else len(s)
                out.append(Node("left", a, end, r"\left", kids, (inner_start, inner_end)))
            elif t == r"\begin":
                depth = 1
                while pos < len(toks) and depth:  # an environment is one node: its inside is not broken
                    depth += {r"\begin": 1, r"\end": -1}.get(toks[pos][0], 0)
                    pos += 1
                while pos < len(toks) and toks[pos][0] != "}":  # {name} of the \end
                    pos += 1
                pos += 1
                end = toks[min(pos, len(toks)) - 1][2]
                out.append(Node("env", a, end, s[a:end]))
            else:
                out.append(Node("tok", a, b, t))
        return out

    return read(set())


def width(nodes, scale: float = 1.0) -> float:
    """The estimated width in em of a list of sibling nodes."""
    w, i = 0.0, 0
    while i < len(nodes):
        n = nodes[i]
        i += 1
        t = n.text
        if n.kind == "group":
            w += width(n.children, scale)
        elif n.kind == "left":
            w += width(n.children, scale) + 0.9 * scale
        elif n.kind == "env":
            w += _env_width(t) * scale
        elif t in ("^", "_"):
            if i < len(nodes):
                w += width([nodes[i]], scale * 0.7)
                i += 1
        elif t == r"\frac" or t == r"\tfrac":
            parts = nodes[i:i + 2]
            i += 2
            f = 1.0 if t == r"\frac" else 0.7
            w += max((width([p], scale * f) for p in parts), default=0) + 0.3 * scale
        elif t in _WORD_FONT:
            if i < len(nodes):
                w += 0.55 * len(re.sub(r"\\[A-Za-z]+|[{}\s\\]", "", nodes[i].text)) * scale
                i += 1
        elif t in _ONE_ARG:
            w += _ONE_ARG[t] * scale
        elif t in _BIN:
            w += 1.3 * scale
        elif t in _REL:
            w += 1.4 * scale
        elif t in _OPERATORS:
            w += 0.5 * (len(t) - 1) * scale + 0.2 * scale
        elif t in _CMD:
            w += _CMD[t] * scale
        elif t.startswith("\\"):
            w += 0.65 * scale  # a Greek letter or a symbol
        else:
            w += _WIDE.get(t, 0.6 if t.isupper() else 0.55) * scale
    return w


def _env_width(tex: str) -> float:
    """A matrix environment: its widest row, cells a quad apart, plus the brackets."""
    body = re.sub(r"^\\begin\{\w+\*?\}|\\end\{\w+\*?\}$", "", tex)
    best = 0.0
    for row in body.split(r"\\"):
        cells = row.split("&")
        best = max(best, sum(estimate(c) for c in cells) + 1.0 * (len(cells) - 1))
    return best + 1.2


def estimate(tex: str) -> float:
    """The estimated width in em of a formula at display size."""
    return width(parse(tex))


def _is_op(n: Node) -> bool:
    return n.kind == "tok" and (n.text in _BIN or n.text in _REL)


# A line breaks at the shallowest depth of \left ... \right pairs among the breaks that fill at least
# this much of it (else at its last break).
FILL = 0.6


@dataclass
class Item:
    r"""A piece of a right side in reading order: "text" (a node), "break" (before an operator), "open" or
    "close" (the \left X or \right Y of a pair); start and end are its span in the source."""

    kind: str
    start: int
    end: int
    width: float = 0.0
    depth: int = 0


def _items(s: str, nodes, depth: int, out: list) -> list:
    for k, n in enumerate(nodes):
        if _is_op(n) and k > 0 and not _is_op(nodes[k - 1]):
            out.append(Item("break", n.start, n.start, 0.0, depth))
        if n.kind == "left":
            a, b = n.inner
            out.append(Item("open", n.start, a, 0.45, depth))
            _items(s, n.children, depth + 1, out)
            out.append(Item("close", b, n.end, 0.45, depth))
        elif k and nodes[k - 1].kind == "tok" and nodes[k - 1].text in ("^", "_"):
            out.append(Item("text", n.start, n.end, width(nodes[k - 1:k + 1])))  # the script's width
        elif not (n.kind == "tok" and n.text in ("^", "_")):
            out.append(Item("text", n.start, n.end, width([n])))
        else:
            out.append(Item("text", n.start, n.end))
    return out


def _lead(piece: str) -> str:
    """A line that starts with an operator keeps it binary: {} before it."""
    head = piece.lstrip()
    m = _TOKEN.match(head)
    return "{} " + head if m and (m.group() in _BIN or m.group() in _REL) else head


def split(s: str, avail: float, indent: float = 1.0) -> list:
    r"""s cut into lines of at most about avail em (continuation lines indent em narrower), each line
    starting with the operator it breaks before; the pairs open at a break are closed with \right. at the
    end of the line and reopened with \left. on the next."""
    items = _items(s, parse(s), 0, [])
    lines, line, used, room = [], [], 0.0, avail
    for it in items:
        if line and used + it.width > room:
            cut = _cut(line, room)
            if cut is not None:
                lines.append(line[:cut])
                line = line[cut:]
                used, room = sum(x.width for x in line), avail - indent
        line.append(it)
        used += it.width
    lines.append(line)
    out, opened = [], 0
    for line in lines:
        text = s[line[0].start:line[-1].end] if line else ""
        depth = opened + sum((x.kind == "open") - (x.kind == "close") for x in line)
        out.append(r"\left. " * opened + _lead(text) + r" \right." * depth)
        opened = depth
    return out


def _cut(line, room: float) -> int | None:
    """Where a line that overflows breaks: the index of one of its break items, or None if it has none."""
    used, best, last = 0.0, None, None
    for i, it in enumerate(line):
        if it.kind == "break" and i > 0:
            last = i
            if used >= FILL * room and (best is None or it.depth <= line[best].depth):
                best = i
        used += it.width
    return best if best is not None else last


def fit(rhs: str, avail: float, boxed: bool = False) -> str:
    """rhs as it is where it fits in avail em, else its lines in an aligned block (boxed: in \\boxed, the
    box around all of them)."""
    room = avail - (0.8 if boxed else 0.0)
    if estimate(rhs) <= room:
        return r"\boxed{" + rhs + "}" if boxed else rhs
    parts = split(rhs, room)
    if len(parts) < 2:
        return r"\boxed{" + rhs + "}" if boxed else rhs
    block = (r"\begin{aligned}[t] &" + parts[0] + "".join(r" \\ &\quad " + _lead(p) for p in parts[1:])
             + r" \end{aligned}")
    return r"\boxed{" + block + "}" if boxed else block
