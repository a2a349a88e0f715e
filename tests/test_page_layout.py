"""Every glyph of every document lies in the page's text area: each document of derivations/ and the
demo's backprop.tex is compiled with pdflatex and read back with ``pdftotext -bbox`` (poppler-utils).

A rule label wider than the free space used to be moved left of the margin, where the paper edge cuts
it, and pdflatex reports no overfull box for that; a long right side runs off the right edge.  The text
area is the one the document's own preamble sets (tests/pagebox.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pagebox
import pytest

import jacobi as jc
from jacobi import demo
from jacobi.render import PREAMBLE
from jacobi.render.breaking import estimate, split

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted((ROOT / "derivations").glob("*.tex"))

needs_tools = pytest.mark.skipif(pagebox.tools() is not None, reason=str(pagebox.tools()))


def _outside(tex: str, folder: Path, name: str) -> list:
    pdf = pagebox.compile_to_pdf(tex, folder, name)
    return pagebox.outside(pdf, pagebox.text_area(tex))


@needs_tools
@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.stem for p in DOCUMENTS])
def test_no_glyph_of_a_document_leaves_the_text_area(path, tmp_path):
    bad = _outside(path.read_text(encoding="utf-8"), tmp_path, path.stem)
    assert not bad, f"{path.name}: {len(bad)} words outside the text area:\n" + "\n".join(bad[:20])


@needs_tools
def test_no_glyph_of_the_demo_document_leaves_the_text_area(tmp_path):
    bad = _outside(demo.document(), tmp_path, "backprop")
    assert not bad, "backprop.tex: " + "\n".join(bad[:20])


def _long_derivation():
    W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    inner = jc.sigmoid(W @ jc.tanh(W.T @ jc.sigmoid(W @ x + b) + x) + b)
    return jc.derive(jc.sum(jc.tanh(inner) * jc.softplus(W @ x - y)) ** 2 / 2, W, name="C")


@needs_tools
def test_a_long_result_is_broken_over_lines_within_the_page(tmp_path):
    tex = _long_derivation().to_document(title="A long derivative")
    assert r"\begin{aligned}[t]" in tex and r"\boxed{\begin{aligned}[t]" in tex
    bad = _outside(tex, tmp_path, "long")
    assert not bad, "\n".join(bad[:20])


@needs_tools
def test_the_check_finds_what_runs_off_the_page(tmp_path):
    """A wide \\tag* (moved left of the margin) and an unbroken long equation (past the right edge) are
    both reported, with the page and the word."""
    tag = r"\tag*{\footnotesize " + "a rule whose name is long " * 6 + "}"
    eq = " + ".join(f"x_{{{i}}}" for i in range(60))
    tex = (PREAMBLE + "\\begin{document}\n\\begin{align*}\nf &= \\sigma\\left(W x + b\\right) - y" + tag
           + " \\\\\ng &= " + eq + "\n\\end{align*}\n\\end{document}\n")
    bad = _outside(tex, tmp_path, "broken")
    assert any("left of the text block" in b and b.startswith("page 1: 'a'") for b in bad), bad[:3]
    assert any("right of the text block" in b for b in bad), bad[:3]


def test_every_document_states_its_rules_under_the_steps():
    for path in DOCUMENTS:
        tex = path.read_text(encoding="utf-8")
        assert r"\tag" not in tex and r"\coloneqq" not in tex, path.name
        assert r"\begin{document}" in tex and tex.startswith(PREAMBLE), path.name
    assert any(r"\steprule{" in p.read_text(encoding="utf-8") for p in DOCUMENTS)


@pytest.mark.parametrize("room", [6.0, 20.0, 30.0])
def test_split_lines_are_balanced_and_keep_every_symbol(room):
    d = _long_derivation()
    rhs = jc.latex(d.result)
    lines = split(rhs, room)
    assert len(lines) > 1
    for line in lines:
        assert line.count(r"\left") == line.count(r"\right"), line
        assert line.count("{") - line.count(r"\{") == line.count("}") - line.count(r"\}"), line

    def plain(t):
        return re.sub(r"\\left\.|\\right\.|\{\}|\s", "", t)

    assert plain("".join(lines)) == plain(rhs)
    if room >= 20:  # a line may hold one term wider than a narrow room; these rooms hold every term
        assert all(estimate(line) <= room * 1.25 for line in lines), [round(estimate(t), 1) for t in lines]
        assert len(lines) <= estimate(rhs) / room * 1.6  # and the lines are filled
