"""The LaTeX jacobi shows in notebooks and markdown renders in MathJax 3 (as JupyterLab 4 configures it)
and KaTeX, and keeps to what MathJax 2.7 knows too.

Every _repr_latex_, _repr_markdown_ and to_markdown() of the README's objects (tests/notebook_objects.py)
and of the derivations/ documents (the Derivation objects their builders use, and each document's
displayed math) goes through tests/render_math.js in node; an error node in either renderer fails."""
from __future__ import annotations

import re

import mathrender
import pytest
from notebook_objects import objects

import jacobi as jc
from jacobi.calculus import Derivation
from jacobi.derivations import ALL_DOCUMENTS
from jacobi.render import derivation_latex
from jacobi.render.notebook import BLOCK_CHARS, rule_math, text

needs_renderers = pytest.mark.skipif(mathrender.missing() is not None, reason=str(mathrender.missing()))

# What one of the three renderers lacks or reads differently: mathtools' relations, text-size commands
# (math mode in MathJax, text mode in LaTeX), equation tags, LaTeX's own layout commands.
FORBIDDEN = [r"\coloneqq", r"\tag", r"\footnotesize", r"\small", r"\scriptsize", r"\tiny", r"\large",
             r"\noalign", r"\steprule", r"\intertext", r"\providecommand", r"\newcommand", r"\parbox",
             r"\hspace", r"\vspace"]


def _forbidden(text: str) -> list:
    return [c for c in FORBIDDEN if re.search(re.escape(c) + r"(?![A-Za-z])", text)]


def _tour_outputs() -> list:
    return [o for name, obj in objects() for o in mathrender.outputs_of(name, obj)]


def _document_outputs() -> list:
    out = []
    for stem, builder in ALL_DOCUMENTS:
        title, sections = builder()
        for k, (head, part) in enumerate(sections):
            where = f"{stem} section {k + 1}" + (f" ({head})" if head else "")
            if isinstance(part, Derivation):
                out += mathrender.outputs_of(where, part)
            elif isinstance(part, jc.Picture):
                continue  # a drawing (TikZ, SVG): its labels are checked by tests/test_pictures.py
            else:
                out += [(f"{where} math", m) for m in mathrender.document_math(part)]
    return out


@pytest.fixture(scope="module")
def tour():
    return _tour_outputs()


@pytest.fixture(scope="module")
def documents():
    return _document_outputs()


def test_the_api_tour_shows_objects_of_every_kind(tour):
    names = " ".join(n for n, _ in tour)
    for kind in ("_repr_latex_", "to_markdown", "aligned"):
        assert kind in names
    assert len(tour) >= 40


@pytest.mark.parametrize("which", ["tour", "documents"])
def test_notebook_latex_uses_only_what_every_renderer_knows(which, tour, documents):
    bad = [(name, _forbidden(t)) for name, t in (tour if which == "tour" else documents) if _forbidden(t)]
    assert not bad, bad[:5]


@pytest.mark.parametrize("which", ["tour", "documents"])
def test_every_display_block_is_short_enough_for_mathjax(which, tour, documents):
    """A $$ block over MathJax's 5 KB buffer fails as soon as a substituting macro sits early in it."""
    for name, t in tour if which == "tour" else documents:
        if "_repr_latex_" not in name:
            continue
        for block in re.findall(r"\$\$(.*?)\$\$", t, re.S):
            assert len(block) <= BLOCK_CHARS or r"\boxed" not in block, (name, len(block))


@needs_renderers
def test_the_api_tour_renders_in_mathjax_and_katex(tour):
    reports = mathrender.render(tour)
    math = [r for r in reports if "_repr_latex_" in r["name"]]  # markdown (code, a table) may hold no math
    assert sum(r["formulas"] for r in math) >= len(math)
    assert all(r["formulas"] for r in math), [r["name"] for r in math if not r["formulas"]]
    errors = mathrender.errors(reports)
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors[:20])


@needs_renderers
def test_the_derivation_documents_render_in_mathjax_and_katex(documents):
    reports = mathrender.render(documents)
    errors = mathrender.errors(reports)
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors[:20])
    assert sum(r["formulas"] for r in reports) > 1000


@needs_renderers
def test_the_renderers_report_what_they_cannot_render():
    """The test above can fail: each construct the issue names is reported, by the renderer that fails."""
    long = r"\boxed{x} " + " + ".join(f"x_{{{i}}}" for i in range(900))
    reports = mathrender.render([
        ("footnotesize in text", r"$$a \quad \text{\footnotesize the rule}$$"),
        ("buffer", "$$" + long + "$$"),
        ("unbalanced", r"$$\frac{1}{2$$"),
        ("unknown", r"$\notacommand x$"),
        ("unclosed", r"$$x = 1"),
        ("fine", r"$$x \mathrel{:=} \fbox{$\displaystyle y$} \quad \text{rule: } \frac{a}{b}$$"),
    ])
    by = {r["name"]: r for r in reports}
    assert any("footnotesize" in e["message"] for e in by["footnotesize in text"]["errors"])
    assert any("buffer size" in e["message"] for e in by["buffer"]["errors"])
    assert {e["renderer"] for e in by["unknown"]["errors"]} == {"MathJax 3", "KaTeX"}
    assert by["unclosed"]["errors"] and by["unbalanced"]["errors"]
    assert by["fine"]["errors"] == [] and by["fine"]["formulas"] == 1


@needs_renderers
def test_text_escapes_every_special_character():
    s = r"a_b {c} $d$ 50% #1 & ^ ~ \e"
    reports = mathrender.render([("text", "$$" + text(s) + "$$"), ("rule", "$$" + rule_math(s) + "$$")])
    assert mathrender.errors(reports) == []


def test_a_long_derivation_is_cut_into_blocks():
    net = jc.Network([784, "n1", 10], activation="sigmoid", output="softmax", cost="cross_entropy")
    d = net.backprop().derivation
    shown = d._repr_latex_()
    blocks = re.findall(r"\$\$(.*?)\$\$", shown, re.S)
    assert len(blocks) >= 2 and all(len(b) <= BLOCK_CHARS for b in blocks)
    assert shown.count(r"\begin{aligned}") == len(blocks)
    # the blocks hold every row of the one aligned block, in order
    one = derivation_latex(d, env="aligned")
    rows = [r.strip() for b in blocks for r in b.removeprefix("\\begin{aligned}\n")
            .removesuffix("\n\\end{aligned}").split(" \\\\\n")]
    assert rows == [r.strip() for r in one.removeprefix("\\begin{aligned}\n")
                    .removesuffix("\n\\end{aligned}").split(" \\\\\n")]
