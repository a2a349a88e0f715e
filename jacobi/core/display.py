"""How jacobi's objects show themselves: a readable repr of one screen, SymPy's printing hooks, and
the pieces of notebook output (LaTeX, markdown) that every object's display is made of.

An object's ``__repr__`` is at most SCREEN_ROWS lines of at most SCREEN_WIDTH characters, with no
object address; its notebook form is ``_repr_latex_`` (math) or ``_repr_markdown_`` (text with math,
and generated code in a python fence).  The LaTeX is what MathJax 2.7, MathJax 3 and KaTeX all read:
aligned blocks, ``\\text`` without sizing commands, no tags, no ``\\coloneqq``; long right sides are
broken at their top-level sums (``rows``) so that a block stays narrow."""
from __future__ import annotations

import html
import re
import textwrap

from .elementwise import Add, add, negated
from .expr import ADD, Expr
from .hooks import SympyHooks
from .printing import latex

SCREEN_ROWS, SCREEN_WIDTH = 20, 100
#: a right side wider than this (in characters as they show, roughly ex) is broken at its sums
LATEX_WIDTH = 64


def clip(line: str, width: int = SCREEN_WIDTH) -> str:
    """One line of at most width characters: a longer one is cut and ends in '...'."""
    line = line.replace("\n", " ")
    return line if len(line) <= width else line[:width - 4].rstrip() + " ..."


def screen(lines, rows: int = SCREEN_ROWS, width: int = SCREEN_WIDTH) -> str:
    """Lines for a repr: each clipped to width, at most rows of them (the middle ones left out, said so)."""
    lines = [clip(s, width) for s in lines]
    if len(lines) > rows:
        keep = rows - 2
        head, tail = lines[:keep - 2], lines[-2:]
        lines = head + [f"... ({len(lines) - len(head) - len(tail)} more lines)"] + tail
    return "\n".join(lines)


def wrap(text: str, width: int = SCREEN_WIDTH, indent: str = "    ") -> list:
    """A line of prose for a repr, wrapped to width (later lines indented)."""
    return textwrap.wrap(text, width, subsequent_indent=indent, break_long_words=False) or [""]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def shown_width(tex: str) -> int:
    """About how many characters wide a LaTeX formula shows: a command counts one, braces, sub- and
    superscript markers and \\left/\\right none, a fraction its wider part."""
    tex = re.sub(r"\\(left|right|displaystyle|operatorname|mathrm|mathbf|boldsymbol|,|;|quad|qquad)(?![a-zA-Z])",
                 "", tex)
    while True:  # \frac{a}{b}: the wider of a and b
        m = re.search(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", tex)
        if m is None:
            break
        wide = max(m.group(1), m.group(2), key=len)
        tex = tex[:m.start()] + wide + tex[m.end():]
    tex = re.sub(r"\\[a-zA-Z]+", "x", tex)
    return len(re.sub(r"[{}^_\s]", "", tex)) + tex.count(" ") // 4


def rows(e, width: int = LATEX_WIDTH) -> list:
    """The LaTeX of e as one or more pieces: a sum wider than width is cut at its terms, each later
    piece beginning with its sign (a continuation line of an aligned block)."""
    tex = latex(e)
    if not isinstance(e, Add) or e.precedence != ADD or shown_width(tex) <= width:  # (a - y)^T stays whole
        return [tex]
    out, chunk = [], []
    for t in e.args:
        trial = chunk + [t]
        if chunk and shown_width(latex(add(*trial) if len(trial) > 1 else t)) > width:
            out.append(chunk)
            chunk = [t]
        else:
            chunk = trial
    out.append(chunk)
    pieces = []
    for k, c in enumerate(out):
        s = latex(add(*c) if len(c) > 1 else c[0])
        if k and negated(c[0]) is None:
            s = "+ " + s
        pieces.append(s)
    return pieces


# Characters that \text{} reads differently in MathJax 2.7 (verbatim), MathJax 3 and KaTeX: written in
# math mode, outside the \text, where all three read them alike.
_TEXT_SPECIAL = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
                 "_": r"\_", "^": r"\hat{}", "~": r"\sim "}


def text_latex(s: str) -> str:
    """Plain text as math-mode LaTeX that every renderer reads alike: \\text{...} runs, the special
    characters between them, in math mode."""
    out, run = [], []
    for ch in str(s):
        if ch in _TEXT_SPECIAL:
            if run:
                out.append(r"\text{" + "".join(run) + "}")
                run = []
            out.append(_TEXT_SPECIAL[ch])
        else:
            run.append(ch)
    if run:
        out.append(r"\text{" + "".join(run) + "}")
    return "".join(out)


def equation_rows(lhs: str, rel: str, e, label: str | None = None, width: int = LATEX_WIDTH) -> list:
    """Rows of an aligned block for lhs rel e: the relation aligned, a long right side continued on
    indented rows; a label (LaTeX, or "" for none in a labelled block) goes in a column pair of its own
    before the equation."""
    pieces = rows(e, width) if isinstance(e, Expr) else [e if isinstance(e, str) else latex(e)]
    lead = "" if label is None else "& " + label + " & "
    first = lead + lhs + " &" + rel + " " + pieces[0]
    cont = [("" if label is None else "& & ") + r"& \quad " + p for p in pieces[1:]]
    return [first] + cont


def aligned(rows_: list) -> str:
    """One aligned block (the environment MathJax, KaTeX and amsmath share) of the given rows."""
    return "\\begin{aligned}\n" + " \\\\\n".join(rows_) + "\n\\end{aligned}"


def display_math(body: str) -> str:
    """A display-math block for a notebook's text/latex output."""
    return "$$" + body + "$$"


def markdown_text(s: str) -> str:
    """Plain text that markdown shows as written (its emphasis, code and link characters escaped)."""
    return re.sub(r"([\\`*_{}\[\]<>#|$])", r"\\\1", str(s))


class Shown(SympyHooks):
    """An object whose notebook form is its LaTeX, as display math (and SymPy's hooks besides)."""

    __slots__ = ()

    def _repr_latex_(self):
        return display_math(self._latex_body())


class ShowsSource:
    """The display of a generated function: a repr with its signature and the first lines of its
    code, and the whole code in a notebook (markdown with a python fence; HTML highlighted by pygments
    where it is installed).  A subclass gives ``source``, ``_signature()`` (how it is called) and
    ``_about()`` (what it computes, with which library)."""

    __slots__ = ()
    #: how many lines of code the repr shows
    REPR_LINES = 12

    def _signature(self) -> str:  # pragma: no cover - every subclass gives its own
        raise NotImplementedError

    def _about(self) -> str:  # pragma: no cover - every subclass gives its own
        raise NotImplementedError

    def _describe(self, code: str = "{}", escape=str, in_code=str) -> str:
        return code.format(in_code(self._signature())) + ": " + escape(self._about())

    def __repr__(self) -> str:
        """The description, then the function's own lines (after the helpers it calls), the first ones."""
        code = self.source.rstrip("\n").splitlines()
        lines = wrap(self._describe() + f"; .source has {plural(len(code), 'line')}, from its def:")
        name = self._signature().split("(", 1)[0]
        start = next((k for k, c in enumerate(code) if c.startswith(f"def {name}(")), 0)
        body = code[start:]
        if len(body) > self.REPR_LINES:
            body = body[:self.REPR_LINES - 1] + [f"    ... ({len(body) - self.REPR_LINES + 1} more lines)"]
        return screen(lines + body)

    def _repr_markdown_(self) -> str:
        fence = "```"
        while fence in self.source:
            fence += "`"
        about = self._describe("`{}`", markdown_text)
        return f"{about}\n\n{fence}python\n{self.source.rstrip()}\n{fence}\n"

    def _repr_html_(self):
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return None  # IPython shows the markdown form instead
        body = highlight(self.source, PythonLexer(), HtmlFormatter(noclasses=True))
        esc = lambda t: html.escape(t, quote=False)  # noqa: E731
        about = self._describe("<code>{}</code>", esc, esc)
        return f"<p>{about}</p>\n{body}"
