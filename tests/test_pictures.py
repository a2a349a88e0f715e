"""Pictures (jc.picture): what a network's, a model's, a derivation's and a program's picture shows, the SVG
(well-formed, the same bytes on every run), the TikZ (compiles with pdflatex, stays inside the page), the
SVG copies beside derivations/, and bad input."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp

import jacobi as jc
from jacobi import core as P
from jacobi.derivations import generate
from jacobi.derivations_layers import upstream
from jacobi.nn import BatchNorm, Dense, Residual
from jacobi.render import compile_pdf, pdflatex, tikz_installed, uses_tikz
from jacobi.render.mathtext import unicode_math

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
needs_tex = pytest.mark.skipif(pdflatex() is None or not tikz_installed(),
                               reason="pdflatex or TikZ is not installed (apt-get install texlive-pictures)")


def svg_texts(pic) -> list:
    root = ET.fromstring(pic.svg())
    return [t.text for t in root.iter(SVG + "text")]


def deep_net(layers: int, width=6):
    return jc.Network([4] + [width] * (layers - 1) + [3], activation="tanh", output="sigmoid", cost="mse")


def chain_derivation():
    """A derivation with many intermediate variables: three tanh layers and a sum."""
    x = jc.vector("x", "n")
    h = x
    for k in (1, 2, 3):
        h = jc.tanh(jc.matrix(f"W{k}", "n", "n") @ h + jc.vector(f"b{k}", "n"))
    return jc.derive(jc.sum(h), jc.matrix("W1", "n", "n"))


# -- networks ---------------------------------------------------------------------------------------

def test_a_small_network_is_drawn_neuron_by_neuron_with_every_name():
    net = jc.Network([2, 3, 2], activation="sigmoid", cost="mse")
    pic = jc.picture(net)
    neurons = [k for k in pic.nodes if ":" in k]
    assert sorted(neurons) == sorted(f"{l}:{i}" for l, n in enumerate([2, 3, 2]) for i in range(1, n + 1))
    texts = svg_texts(pic)
    for name in ("W¹, b¹", "W², b²", "a¹ = σ(z¹)", "a² = σ(z²)", "x", "C", "y", "2 inputs", "3 neurons, sigmoid",
                 "2 neurons, sigmoid", "input", "hidden layer 1", "output layer", "mse"):
        assert name in texts, name
    tikz = pic.tikz()
    for tex in ("W^{1}, b^{1}", "W^{2}, b^{2}", r"a^{1} = \sigma(z^{1})", "$x$", "$C$", "$y$"):
        assert tex in tikz, tex
    # every neuron of a layer joins every neuron of the next: 2*3 + 3*2 faint lines
    assert sum(1 for i in pic.items if type(i).__name__ == "Line" and i.style == "faint") == 12 + 2


def test_symbolic_and_wide_layers_are_boxes_that_show_their_size():
    net = jc.Network([784, "n1", 10], activation="relu", output="softmax", cost="cross_entropy")
    pic = jc.picture(net)
    assert {"0", "1", "2"} <= set(pic.nodes)  # one box per layer
    assert [pic.nodes[k].label.text for k in ("0", "1")] == ["784", "n₁"]
    texts = svg_texts(pic)
    assert "a² = softmax(z²)" in texts and "a¹ = ReLU(z¹)" in texts and "cross entropy" in texts
    assert "n₁ neurons, relu" in texts
    assert "n_{1}" in pic.tikz()


def test_the_backprop_picture_adds_the_errors_and_the_batch_names():
    bp = jc.Network(["n0", "n1", "n2", "n3"], activation="sigmoid").backprop()
    texts = svg_texts(jc.picture(bp))
    assert {"δ¹", "δ²", "δ³", "∂C/∂a³", "δˡ = ∂C/∂zˡ"} <= set(texts)
    batch = svg_texts(jc.picture(jc.Network(["n0", "n1"], activation="sigmoid").backprop(batch=True)))
    assert {"X", "A¹ = σ(Z¹)", "Δ¹", "Y", "mean over the batch"} <= set(batch)


@pytest.mark.parametrize("layers", [1, 6])
def test_a_one_layer_and_a_six_layer_network(layers):
    net = deep_net(layers)
    pic = jc.picture(net)
    texts = svg_texts(pic)
    for l in range(1, layers + 1):
        sup = "¹²³⁴⁵⁶"[l - 1]
        assert f"W{sup}, b{sup}" in texts
    assert [e.dst for e in pic.edges if e.dst.startswith("layer")] == [f"layer {l}" for l in range(1, layers + 1)]
    assert ("hidden layer 1" in texts) == (layers > 1)


def test_a_sequential_model_is_a_chain_of_layer_boxes():
    seq = jc.Sequential([Dense("h", "tanh"), BatchNorm(), Residual(Dense("h", "relu")), Dense(3, "softmax")],
                        input="d", cost="cross_entropy")
    pic = jc.picture(seq)
    assert [e.src for e in pic.edges] == ["X", "1", "2", "3", "4", "y"]
    texts = svg_texts(pic)
    for t in ("Dense 1", "BatchNorm 2", "Residual 3", "Dense 4", "W¹, b¹", "γ², β²", "tanh", "softmax",
              "n × d", "n × h", "n × 3", "x + f(x)", "cross entropy"):
        assert t in texts, t


# -- computation graphs -------------------------------------------------------------------------------

def in_edges(pic, key):
    return sorted(e.src for e in pic.edges if e.dst == key)


def test_the_graph_of_a_derivation_has_each_definitions_operands_as_its_in_edges():
    w, x, b = jc.vector("w", "n"), jc.vector("x", "n"), jc.scalar("b")
    d = jc.derive(jc.sigmoid(w.T @ x + b), [w, b], name="a")
    pic = jc.picture(d)
    for v, e in d.definitions:
        assert in_edges(pic, v.name) == sorted(s.name for s in e.symbols()), v
    assert pic.nodes["w"].style == "input" and pic.nodes["b"].style == "input"
    assert pic.nodes["x"].style == "const" and pic.nodes["a"].style == "out"
    labels = {(e.src, e.dst): e.label for e in pic.edges}
    assert labels[("x", "u2")] is None  # x is not differentiated: no Jacobian on its edge
    assert labels[("u1", "u2")].text == "∂u₂/∂u₁"
    texts = svg_texts(pic)
    # each local step's Jacobian, and the chain rule read off the graph, one factor per edge of the path
    for s in d.steps:
        if s.kind == "local":
            f, v = s.lhs.args
            assert any(t.startswith(f"∂{unicode_math(P.latex(f))}/∂{unicode_math(P.latex(v))} = ") for t in texts)
    assert "∂a/∂w = ∂a/∂u₃ · ∂u₃/∂u₂ · ∂u₂/∂u₁ · ∂u₁/∂w" in texts
    assert "∂a/∂b = ∂a/∂u₃ · ∂u₃/∂b" in texts


def test_the_lecture_routes_graph_has_a_node_per_component_and_the_chain_rule_per_path():
    x, y, g1, g2 = sp.symbols("x y g1 g2", real=True)
    pic = jc.picture(jc.derive([sp.sin(g1), sp.log(g2)], [x, y], via={g1: x**2 + y, g2: y**3}))
    assert in_edges(pic, "g1") == ["x", "y"] and in_edges(pic, "g2") == ["y"]
    assert in_edges(pic, "f_1") == ["g1"] and in_edges(pic, "f_2") == ["g2"]
    texts = svg_texts(pic)
    assert {"∂g₁/∂x = 2x", "∂g₂/∂y = 3y²", "∂f₁/∂g₁ = cos(g₁)", "∂f₂/∂y = ∂f₂/∂g₂ · ∂g₂/∂y"} <= set(texts)


def test_a_derivation_with_many_intermediates_is_drawn_top_down_without_overlaps():
    d = chain_derivation()
    defined = {s.lhs.name for s in d.steps if s.kind == "define"}
    pic = jc.picture(d)
    assert set(defined) <= set(pic.nodes) and len(defined) >= 10
    for v, e in d.definitions:
        if v.name in defined:
            assert in_edges(pic, v.name) == sorted(s.name for s in e.symbols())
    boxes = [(n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2, n.y + n.h / 2) for n in pic.nodes.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    w, h = pic.size()
    assert h > w / 2  # a long chain goes down the page, not across it


def test_a_programs_graph_shows_its_lets_uses_and_adjoints():
    bp = upstream(BatchNorm()(P.matrix("X", "n", "d")))
    pic = jc.picture(bp)
    for v, e in bp.program.defs.items():
        assert in_edges(pic, v.name) == sorted(s.name for s in e.symbols())
    assert pic.nodes["G"].style == "const" and pic.nodes["X"].style == "input" and pic.nodes["L"].style == "out"
    texts = svg_texts(pic)
    for v in bp.adjoints:  # every let and leaf carries its adjoint
        assert unicode_math(P.latex(bp.adjoint(v))) in texts
    assert "∂x̂/∂rstd = diag(x_c) (I ⊗ 𝟏)" in texts


def test_a_sequentials_backprop_is_its_programs_graph():
    seq = jc.Sequential([Dense(3, "tanh"), Dense(2, "softmax")], input=4, cost="cross_entropy")
    pic = jc.picture(seq.backprop())
    assert pic.kind == "program" and {"W1", "b1", "W2", "b2", "C"} <= set(pic.nodes)


# -- the writers ----------------------------------------------------------------------------------------

def every_picture():
    net = jc.Network([2, 3, 2], activation="sigmoid")
    x, y, g = sp.symbols("x y g", real=True)
    return [jc.picture(net), jc.picture(net.backprop()), jc.picture(deep_net(6, "n")), jc.picture(chain_derivation()),
            jc.picture(jc.derive([sp.sin(g)], [x], via={g: x**2})),
            jc.picture(upstream(BatchNorm()(P.matrix("X", "n", "d")))),
            jc.picture(jc.Sequential([Dense("h", "tanh"), Dense(3, "softmax")], input="d", cost="cross_entropy"))]


def test_the_svg_is_well_formed_deterministic_and_shown_in_notebooks():
    for pic in every_picture():
        text = pic.svg()
        root = ET.fromstring(text)
        assert root.tag == SVG + "svg" and float(root.get("width")) > 0
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
        assert pic._repr_svg_() == text
    assert [p.svg() for p in every_picture()] == [p.svg() for p in every_picture()]


def test_the_svg_is_the_same_across_hash_seeds():
    code = ("import jacobi as jc; from jacobi.derivations_layers import upstream; from jacobi.nn import BatchNorm;"
            "print(jc.picture(upstream(BatchNorm()(jc.matrix('X', 'n', 'd')))).svg())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "977")}
    assert len(outs) == 1


def test_every_label_lies_inside_the_svg():
    for pic in every_picture():
        root = ET.fromstring(pic.svg())
        W, H = float(root.get("width")), float(root.get("height"))
        for t in root.iter(SVG + "text"):
            assert 0 <= float(t.get("x")) <= W and 0 <= float(t.get("y")) <= H


def test_save_writes_svg_tex_and_tikz_and_refuses_other_suffixes(tmp_path):
    pic = jc.picture(jc.Network([2, 2]))
    assert pic.save(tmp_path / "n.svg").read_text(encoding="utf-8") == pic.svg()
    assert "\\usepackage{tikz}" in pic.save(tmp_path / "n.tex").read_text(encoding="utf-8")
    assert pic.save(tmp_path / "n.tikz").read_text(encoding="utf-8").startswith("\\begin{tikzpicture}")
    with pytest.raises(jc.JacobiError, match="saved as .svg, .tex or .tikz, not 'n.png'"):
        pic.save(tmp_path / "n.png")


def test_uses_tikz_adds_the_package_once():
    doc = "\\documentclass{article}\n\\begin{document}\n\\begin{tikzpicture}\\end{tikzpicture}\n\\end{document}\n"
    once = uses_tikz(doc)
    assert once.count("\\usepackage{tikz}") == 1 and uses_tikz(once) == once
    assert uses_tikz("\\begin{document}x\\end{document}") == "\\begin{document}x\\end{document}"


@pytest.mark.parametrize("bad", [3, "net", None, [784, 30, 10], jc.vector("x", 3)])
def test_bad_input_is_refused_naming_what_can_be_drawn(bad):
    with pytest.raises(jc.JacobiError, match="jc.picture draws a Network, a Sequential, .* got "):
        jc.picture(bad)


def test_unicode_text_of_latex():
    assert unicode_math(r"\frac{\partial u_{1}}{\partial x}") == "∂u₁/∂x"
    assert unicode_math(r"\operatorname{diag}\left(\sigma'(u_{1})\right) W") == "diag(σ'(u₁)) W"
    assert unicode_math(r"\left(W^{2}\right)^{\top} \delta^{2} \odot \mathbf{1}") == "(W²)ᵀ δ² ⊙ 𝟏"
    assert unicode_math(r"\overline{x_{c}}") == "x̅_c"
    assert unicode_math(r"\unknowncommand{x}") is None


# -- pdflatex ----------------------------------------------------------------------------------------

def glyph_boxes(pdf: Path) -> tuple:
    """(page width, page height, [(xMin, yMin, xMax, yMax) of every word]) from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    words = [tuple(float(v) for v in m) for m in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    return float(page.group(1)), float(page.group(2)), words


@needs_tex
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_tikz_compiles_and_wide_or_tall_pictures_stay_inside_the_text_block(tmp_path):
    # 1in margins and a 12 cm x 18 cm text block: the pictures are scaled to fit it
    preamble = ("\\documentclass[11pt]{article}\n\\usepackage{amsmath,amssymb}\n\\usepackage{tikz}\n"
                "\\setlength{\\oddsidemargin}{0pt}\\setlength{\\textwidth}{12cm}\n"
                "\\setlength{\\topmargin}{0pt}\\setlength{\\headheight}{0pt}\\setlength{\\headsep}{0pt}"
                "\\setlength{\\textheight}{18cm}\n\\pagestyle{empty}\n\\begin{document}\n")
    left, right = 72.0, 72.0 + 12 / 2.54 * 72
    for k, pic in enumerate(every_picture()):
        tex = tmp_path / f"p{k}.tex"
        tex.write_text(preamble + pic.figure() + "\n\\end{document}\n", encoding="utf-8")
        pdf = compile_pdf(tex)
        W, H, words = glyph_boxes(pdf)
        assert words, pic
        for x0, y0, x1, y1 in words:
            assert left - 1 <= x0 and x1 <= right + 1 and 0 <= y0 and y1 <= H, (pic, (x0, y0, x1, y1))
    doc = tmp_path / "standalone.tex"
    doc.write_text(jc.picture(jc.Network([3, 4, 2])).document(), encoding="utf-8")
    assert compile_pdf(doc).stat().st_size > 1000


# -- the documents --------------------------------------------------------------------------------------

def test_the_documents_carry_their_pictures_and_the_svg_copies_are_committed(tmp_path):
    generate(tmp_path, pdf=False, log=lambda *_: None)
    drawn = {p.name.split("-")[0] for p in (tmp_path / "figures").glob("*.svg")}
    assert {"02", "03", "06", "08", "09", "13"} <= drawn
    for path in (tmp_path / "figures").glob("*.svg"):
        stem = path.name.rsplit("-", 1)[0]
        tex = (tmp_path / f"{stem}.tex").read_text(encoding="utf-8")
        assert "\\usepackage{tikz}" in tex and "\\begin{tikzpicture}" in tex
        ET.fromstring(path.read_text(encoding="utf-8"))
    committed = sorted(p.name for p in (ROOT / "derivations" / "figures").glob("*.svg"))
    assert committed == sorted(p.name for p in (tmp_path / "figures").glob("*.svg"))
    for name in committed:
        assert (tmp_path / "figures" / name).read_bytes() == (ROOT / "derivations" / "figures" / name).read_bytes(), \
            f"{name} differs: run `make derivations`"
