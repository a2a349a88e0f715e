"""Where the glyphs of a compiled document lie against its text area (tests/test_page_layout.py).

The text area comes from the document's own preamble: a probe document with that preamble makes
pdflatex type out its lengths, so the check follows whatever geometry the preamble sets.  The glyphs
come from ``pdftotext -bbox`` (poppler-utils): one box per word, in PDF points from the page's top
left corner."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PT_TO_BP = 72 / 72.27  # TeX points to PDF points
LENGTHS = ("hoffset", "voffset", "oddsidemargin", "textwidth", "topmargin", "headheight", "headsep",
           "textheight", "footskip", "maxdepth")
# PDF points.  A word's box is the font's advance and its ascent and descent, not the ink: it may overhang
# the text block by a little sideways (italic correction), and the descent of a font's box reaches a
# few points lower than the glyphs, so below the last baseline a box may reach \maxdepth and a little more.
TOLERANCE_X, TOLERANCE_Y = 2.0, 4.0


def tools() -> str | None:
    """Why the check cannot run here (pdflatex or pdftotext missing), or None."""
    missing = [t for t in ("pdflatex", "pdftotext") if shutil.which(t) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (apt-get install texlive-latex-base "
                f"texlive-latex-recommended poppler-utils)")
    return None


@dataclass(frozen=True)
class Area:
    """The text block in PDF points from the top left corner; the footer band holds the page number."""

    left: float
    right: float
    top: float
    bottom: float
    footer: float  # the baseline of the page number lies this far below the top of the page
    maxdepth: float  # how far below the last baseline (the bottom) the last line's descent may reach


def _pdflatex(tex: str, folder: Path, name: str) -> subprocess.CompletedProcess:
    src = folder / f"{name}.tex"
    src.write_text(tex, encoding="utf-8")
    return subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=folder,
                          capture_output=True, text=True, errors="replace", timeout=120)


def text_area(tex: str) -> Area:
    """The text area that the preamble of the document tex sets."""
    preamble = tex[:tex.index("\\begin{document}")]
    probe = "".join(rf"\typeout{{JACOBI-LENGTH {n}=\the\{n}}}" for n in LENGTHS)
    with tempfile.TemporaryDirectory() as tmp:
        r = _pdflatex(preamble + "\\begin{document}" + probe + "\\end{document}\n", Path(tmp), "probe")
    found = dict(re.findall(r"JACOBI-LENGTH (\w+)=(-?[\d.]+)pt", r.stdout))
    if set(found) != set(LENGTHS):
        raise AssertionError(f"the probe did not report the page's lengths:\n{r.stdout[-2000:]}")
    v = {k: float(x) * PT_TO_BP for k, x in found.items()}
    inch = 72.0
    left = inch + v["hoffset"] + v["oddsidemargin"]
    top = inch + v["voffset"] + v["topmargin"] + v["headheight"] + v["headsep"]
    bottom = top + v["textheight"]
    return Area(left, left + v["textwidth"], top, bottom, bottom + v["footskip"], v["maxdepth"])


def compile_to_pdf(tex: str, folder: Path, name: str) -> Path:
    r = _pdflatex(tex, folder, name)
    pdf = folder / f"{name}.pdf"
    if r.returncode != 0 or not pdf.exists():
        errors = [ln for ln in r.stdout.splitlines() if ln.startswith("!")]
        raise AssertionError(f"pdflatex could not compile {name}.tex: {errors[:1] or r.returncode}")
    return pdf


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>')


def words(pdf: Path) -> list:
    """Every word box of the PDF: (page number from 1, word, xMin, yMin, xMax, yMax)."""
    r = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, errors="replace",
                       check=True, timeout=120)
    out = []
    for n, (_, _, body) in enumerate(_PAGE.findall(r.stdout), start=1):
        for x0, y0, x1, y1, w in _WORD.findall(body):
            out.append((n, html.unescape(w), float(x0), float(y0), float(x1), float(y1)))
    return out


def outside(pdf: Path, area: Area) -> list:
    """The words that lie outside the text area, each as "page P: 'word' at x a..b, y c..d (how far
    out)"; the page number, in the footer, is the one word allowed below the text block."""
    bad = []
    low = area.bottom + area.maxdepth + TOLERANCE_Y
    for page, w, x0, y0, x1, y1 in words(pdf):
        why = []
        if x0 < area.left - TOLERANCE_X:
            why.append(f"{area.left - x0:.1f} pt left of the text block")
        if x1 > area.right + TOLERANCE_X:
            why.append(f"{x1 - area.right:.1f} pt right of the text block")
        if y0 < area.top - TOLERANCE_Y:
            why.append(f"{area.top - y0:.1f} pt above the text block")
        footer = w.isdigit() and y0 > low and y1 <= area.footer + TOLERANCE_Y
        if y1 > low and not footer:
            why.append(f"{y1 - area.bottom:.1f} pt below the text block")
        if why:
            bad.append(f"page {page}: {w!r} at x {x0:.1f}..{x1:.1f}, y {y0:.1f}..{y1:.1f} ({', '.join(why)})")
    return bad
