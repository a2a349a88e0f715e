"""How jacobi's objects show themselves: readable reprs, notebook forms, and SymPy's printers.

Every object the API tour displays (jacobi.notebook.tour_objects) has a repr of one screen (at most 20
lines of at most 100 characters, no object address), is the same from run to run, and emits LaTeX
that MathJax 2.7, MathJax 3 and KaTeX all read (no \\coloneqq, \\tag, sizing commands or raw _ ^
inside \\text).  Each kind of object's display is checked for what it says: a network's layers and
sizes, the four equations with their index forms, a step with its rule beneath, a check's figures,
a generated function's source.  SymPy's printers (sympy.latex, sstr, pretty) and init_printing in an
IPython shell print jacobi's objects as jacobi does, or leave them to their own repr, and never fail.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy

import jacobi as jc
from jacobi.calculus.check import GradientCheck
from jacobi.calculus.derivation import Derivation
from jacobi.core.display import SCREEN_ROWS, SCREEN_WIDTH, clip, markdown_text, rows, screen, shown_width, text_latex
from jacobi.notebook import bundle, tour_objects

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def objects():
    return tour_objects()


@pytest.fixture(scope="module")
def tour():
    W, x = jc.matrix("W", "m", "n"), jc.vector("x", "n")
    b, y = jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((W @ x + b - y) ** 2) / 2
    net = jc.Network([784, "n1", 10], activation="sigmoid", output="softmax", cost="cross_entropy")
    return {"W": W, "x": x, "b": b, "y": y, "C": C, "d": jc.derive(C, W, name="C"), "net": net,
            "bp": net.backprop()}


def latex_of(obj) -> list:
    """Every formula an object's notebook forms hold: its text/latex without $$, and the $...$ of its markdown."""
    data = bundle(obj)
    out = []
    if "text/latex" in data:
        out.append(data["text/latex"].strip("$").replace(r"\displaystyle ", "", 1))
    if "text/markdown" in data:
        md = re.sub(r"```.*?```", "", data["text/markdown"], flags=re.S)
        out += re.findall(r"\$\$?([^$]+)\$\$?", md)
    return out


# -- every object of the tour ------------------------------------------------------------------------
def test_the_tour_displays_every_kind_of_object(objects):
    kinds = {type(o).__name__ for _, o in objects}
    assert {"Derivation", "Step", "Network", "Backprop", "Equation", "ExplicitNetwork", "GradientCheck",
            "Lambdified", "GradientFunction", "ProgramBackprop", "ProgramFunction", "Sequential"} <= kinds


def test_every_repr_fits_one_screen_and_names_no_address(objects):
    for name, o in objects:
        r = repr(o)
        lines = r.split("\n")
        assert len(lines) <= SCREEN_ROWS, (name, len(lines))
        assert max(map(len, lines)) <= SCREEN_WIDTH, (name, max(lines, key=len))
        assert " at 0x" not in r and "object at" not in r, (name, r)


def test_every_object_has_a_rich_form(objects):
    for name, o in objects:
        data = bundle(o)
        assert "text/latex" in data or "text/markdown" in data or isinstance(o, str), name


def test_displays_are_the_same_from_run_to_run(objects):
    again = tour_objects()
    assert [n for n, _ in again] == [n for n, _ in objects]
    for (name, a), (_, b) in zip(objects, again):
        da, db = bundle(a), bundle(b)
        if isinstance(a, GradientCheck):  # the figures of a check are its own; the form is the same
            assert da.keys() == db.keys()
            continue
        assert da == db, name


FORBIDDEN = (r"\coloneqq", r"\tag", r"\footnotesize", r"\small", r"\scriptsize", r"\label", r"\eqref")


def renderer_safe(tex: str) -> list:
    """What in a formula one of MathJax 2.7, MathJax 3 or KaTeX does not read (empty: all three read it)."""
    bad = [c for c in FORBIDDEN if c in tex]
    depth = 0
    for k, ch in enumerate(tex):
        if ch == "{" and (k == 0 or tex[k - 1] != "\\"):
            depth += 1
        elif ch == "}" and (k == 0 or tex[k - 1] != "\\"):
            depth -= 1
        if depth < 0:
            bad.append("unbalanced }")
            break
    if depth > 0:
        bad.append("unbalanced {")
    for inner in re.findall(r"\\text\{((?:[^{}]|\{[^{}]*\})*)\}", tex):
        if re.search(r"(?<!\\)[_^$]", inner.replace(r"\^{}", "")):
            bad.append(f"a raw _, ^ or $ in \\text{{{inner}}}")
        if re.search(r"\\(?![_&%$#{}^~])[a-zA-Z]+", inner):
            bad.append(f"a command in \\text{{{inner}}}")
    envs = set(re.findall(r"\\begin\{(\w+\*?)\}", tex))
    bad += [f"environment {e}" for e in envs - {"aligned", "matrix", "bmatrix"}]
    return bad


def test_the_latex_of_the_reprs_renders_everywhere(objects):
    """A derivation's own notebook form is render/latex.py's (its layout is decided there): the rest here."""
    checked = 0
    for name, o in objects:
        if isinstance(o, Derivation):
            continue
        for tex in latex_of(o):
            assert not renderer_safe(tex), (name, renderer_safe(tex), tex[:300])
            checked += 1
    assert checked >= 20


def test_the_safety_check_can_fail():
    assert renderer_safe(r"a \coloneqq b") and renderer_safe(r"\text{a_b}") and renderer_safe(r"\text{\footnotesize a}")
    assert renderer_safe(r"\frac{a}{b") and renderer_safe(r"\begin{align*} a \end{align*}")
    assert not renderer_safe(r"\begin{aligned} a &= b \\ & \quad \text{sum rule: } x_{1} \end{aligned}")


# -- each kind ----------------------------------------------------------------------------------------
def test_derivation_repr_is_a_short_summary(tour):
    d, bp = tour["d"], tour["bp"]
    r = repr(d)
    assert r.split("\n")[0] == f"Derivation of dC/dW in {len(d.steps)} steps"
    assert "  C = sum((W @ x + b - y) ** 2) / 2" in r and "  dC/dW = (W @ x + b - y) @ x.T" in r
    kinds = {s.kind for s in d.steps}
    assert "definitions" in r and "local Jacobians" in r and len(kinds) >= 4
    net_r = repr(bp.derivation)
    assert len(net_r) < 1000 and "delta2 = a2 - y" in net_r and "C = -sum(y * log(a2))" in net_r
    assert str(d) == "\n".join(str(s) for s in d.steps)  # print(d) still gives every step


def test_step_shows_its_rule_beneath_and_a_results_index_form(tour):
    d = tour["d"]
    step = next(s for s in d.steps if s.kind == "local")
    tex = step._repr_latex_()
    lines = tex.strip("$").split("\n")
    assert lines[0] == r"\begin{aligned}" and lines[-1] == r"\end{aligned}"
    assert lines[1].startswith(jc.latex(step.lhs) + " &= " + jc.latex(step.rhs))
    assert lines[2].startswith(r"& \quad \text{") and step.rule.parts[0][2] in lines[2]  # the formula beneath
    result = d.steps[-1]
    rt = result._repr_latex_()
    assert r"\fbox{$\displaystyle " + jc.latex(result.rhs) + "$}" in rt and r"\frac{\partial C}{\partial w_{jk}}" in rt
    assert r"\text{index form}" in rt
    assert repr(result).startswith("Step (result): dC/dW = (W @ x + b - y) @ x.T")
    define = d.steps[1]
    assert r"\mathrel{:=}" in define._repr_latex_() and repr(define).startswith("Step (definition): u1 = W @ x")


def test_network_shows_layers_sizes_activations_and_cost(tour):
    net = tour["net"]
    r = repr(net)
    assert r.split("\n") == [
        "Network [784, n1, 10]: sigmoid hidden layer, softmax output, cross_entropy cost",
        "  layer 1: z1 = W1 @ x + b1, a1 = sigmoid(z1)    W1: n1 x 784, b1: n1",
        "  layer 2: z2 = W2 @ a1 + b2, a2 = softmax(z2)    W2: 10 x n1, b2: 10",
        "  cost: C = -sum(y * log(a2))"]
    md = net._repr_markdown_()
    table = [ln for ln in md.split("\n") if ln.startswith("|")]
    assert len(table) == 2 + 1 + net.L  # header, rule, input, a row per layer
    assert r"$784 \to n_{1} \to 10$" in md and r"$z^{1} = W^{1} x + b^{1}$" in md
    assert r"$a^{1} = \sigma(z^{1})$" in md and r"$W^{2}$: $10 \times n_{1}$" in md and "2 (output)" in md
    assert "cost (cross\\_entropy): $C = " + jc.latex(net.cost_expr(net.a(2), net.y())) + "$" in md
    assert sympy.latex(net).count(r"\\") == net.L  # z and a of each layer a row, then the cost


@pytest.mark.parametrize("sizes,acts", [([3, 2], "tanh"), ([8, 7, 6, 5, 4, 3, 2], ["relu", "tanh", "relu",
                                                                                       "sigmoid", "softplus"])])
def test_one_layer_and_six_layer_networks(sizes, acts):
    net = jc.Network(sizes, activation=acts, cost="mse")
    r = repr(net)
    assert len(r.split("\n")) == 2 + net.L or len(r.split("\n")) == 3 + net.L  # the first line may wrap
    assert all(f"layer {l}: z{l} = W{l} @ " in r for l in range(1, net.L + 1))
    bp = net.backprop()
    assert repr(bp).count("\n") == len(bp.equations)
    tex = bp._repr_latex_()
    assert tex.count(r"\text{BP2}") == net.L - 1 and tex.count(r"\text{BP4}") == net.L
    assert tex.count(r"\\" + "\n") == len(bp.equations) - 1  # one row per equation, its index form beside


def test_backprop_shows_the_four_equations_with_their_index_forms(tour):
    bp = tour["bp"]
    r = repr(bp).split("\n")
    assert r[0] == "Backprop of the network [784, n1, 10], one example:"
    assert r[1:] == [str(e) for e in bp.equations] and len(r) == 7
    rows_ = bp._repr_latex_().strip("$").split("\n")[1:-1]
    assert len(rows_) == len(bp.equations)
    for row, eq in zip(rows_, bp.equations):
        assert row.startswith(rf"& \text{{{eq.name}}} & {jc.latex(eq.lhs)} &= {jc.latex(eq.rhs)}")
    assert r"\frac{\partial C}{\partial w^{2}_{jk}} &= a^{1}_{k} \delta^{2}_{j}" in rows_[-1]
    assert r"\frac{\partial C}{\partial b^{1}_{j}} &= \delta^{1}_{j}" in rows_[2]
    batch = tour["net"].backprop(batch=True)
    assert "a mini-batch of m examples" in repr(batch)
    assert r"\frac{1}{m} \sum_{x} \delta^{1}_{j}(x)" in batch._repr_latex_()
    eq = bp.equations[-1]
    assert repr(eq) == str(eq) == "BP4: dC/dW2 = delta2 @ a1.T    (dC/dw^2_jk = a^1_k delta^2_j)"
    et = eq._repr_latex_()
    assert r"\fbox{$\displaystyle \delta^{2} \left(a^{1}\right)^{\top}$}" in et
    assert r"\text{BP4: the gradient of the weights}" in et


def test_explicit_network_writes_each_layer_through_the_previous_one():
    net = jc.Network([2, 6, 1], activation="relu", cost="mse")
    ex = net.explicit()
    r = repr(ex)
    assert "  z^1_1 = w^1_11*x_1 + w^1_12*x_2 + b^1_1" in r and "  a^1_j = relu(z^1_j)" in r
    assert "  z^2_1 = w^2_11*a^1_1 + w^2_12*a^1_2 + ... + w^2_16*a^1_6 + b^2_1" in r
    tex = ex._repr_latex_()
    assert r"& \vdots" in tex and r"z^{1}_{6} &= w^{1}_{61} x_{1} + w^{1}_{62} x_{2} + b^{1}_{6}" in tex
    assert r"w^{2}_{12} a^{1}_{2} + \cdots + w^{2}_{16} a^{1}_{6} + b^{2}_{1}" in tex
    assert r"C &= \frac{\left(a^{2}_{1} - y_{1}\right)^{2}}{2}" in tex
    soft = jc.Network([2, 2], output="softmax", cost="cross_entropy").explicit()
    assert r"\frac{e^{z^{1}_{j}}}{\sum_{k} e^{z^{1}_{k}}}" in soft._repr_latex_()


def test_gradient_check_shows_its_figures_and_verdict():
    ok = GradientCheck({"W": 2.5e-10, "b": 1e-9}, 1e-6)
    md = ok._repr_markdown_()
    assert md.startswith("**gradient check passed**") and "| W | 2.50e-10 | within |" in md
    bad = GradientCheck({"W1": 3e-2, "b1": 1e-9}, 1e-6)
    assert repr(bad) == str(bad) and "FAILED" in repr(bad)
    md = bad._repr_markdown_()
    assert "**gradient check FAILED**" in md and "| W1 | 3.00e-02 | **above** |" in md


def test_generated_functions_show_their_source(tour, monkeypatch):
    W, x, b, y, C = (tour[k] for k in "W x b y C".split())
    f = jc.lambdify([W, x, b, y], jc.gradient(C, W))
    r = repr(f)
    assert r.startswith("f(W, x, b, y): numpy code returning 1 array; .source has") and "\ndef f(W, x, b, y):" in r
    md = f._repr_markdown_()
    assert md.startswith("`f(W, x, b, y)`: numpy code") and "```python\n" + f.source.rstrip() + "\n```" in md
    html = f._repr_html_()
    assert "<pre" in html and "<span" in html and "<code>f(W, x, b, y)</code>" in html
    monkeypatch.setitem(sys.modules, "pygments", None)  # without pygments: no HTML, the markdown shows
    assert f._repr_html_() is None
    fn = jc.Network([4, 3, 2]).gradient_function()
    lines = repr(fn).split("\n")
    assert lines[0].startswith("gradient(params, X, Y): the gradient function of the network [4, 3, 2]")
    assert any(ln == "def gradient(params, X, Y):" for ln in lines) and lines[-1].startswith("    ... (")
    assert repr(jc.Network([4, 3, 2]).hvp_function()).startswith("hvp(params, X, Y, V): the Hessian-vector product")


def test_program_backprop_and_sequential(tour):
    W, x, b = tour["W"], tour["x"], tour["b"]
    W2, yk = jc.matrix("W2", "k", "m"), jc.vector("y", "k")
    h = jc.let("h", jc.tanh(W @ x + b))
    pb = jc.backprop(jc.sum((W2 @ h - yk) ** 2))
    r = repr(pb).split("\n")
    assert r[0] == "Backprop of loss over 1 let (h): 6 adjoint equations" and r[1:] == [str(e) for e in pb.equations]
    tex = pb._repr_latex_()
    assert r"\overline{h} = \frac{\partial \mathrm{loss}}{\partial h} &= 2 W_{2}^{\top} \left(W_{2} h - y\right)" in tex
    assert pb.equations[0]._repr_latex_().count("&=") == 1
    seq = jc.Sequential([jc.Dense("h", "tanh"), jc.Dense(3, "softmax")], input="d", cost="cross_entropy")
    sr = repr(seq).split("\n")
    assert sr[0] == "Sequential: X (n x d) through 2 layers, cost cross_entropy (targets y, n x 1)"
    assert sr[1] == "  1. Dense(out='h', activation='tanh'): a1 (n x h); W1 (d x h), b1 (1 x h)"
    assert "| 2 | `Dense(out=3, activation='softmax')` | $a^{2}$ | $n \\times 3$ |" in seq._repr_markdown_()
    assert repr(seq.gradient_function()).startswith("fn(params, X, Y): the gradient function of Sequential")


# -- the pieces --------------------------------------------------------------------------------------
def test_long_sums_are_broken_at_their_terms():
    xs = [jc.vector(f"x{k}", "n") for k in range(12)]
    W = jc.matrix("W", "n", "n")
    e = sum((W @ v for v in xs[1:]), W @ xs[0]) - jc.sigmoid(xs[0])
    pieces = rows(e, 30)
    assert len(pieces) > 2 and all(shown_width(p) <= 32 for p in pieces)
    assert pieces[-1].startswith("-") and all(p.startswith("+ ") for p in pieces[1:-1])
    assert "".join(pieces).replace(" ", "") == jc.latex(e).replace(" ", "")
    assert rows(W @ xs[0], 5) == [jc.latex(W @ xs[0])]  # no sum: one piece however wide


def test_screen_clip_and_escapes():
    assert clip("x" * 150).endswith(" ...") and len(clip("x" * 150)) <= SCREEN_WIDTH
    s = screen([f"line {k}" for k in range(50)])
    assert len(s.split("\n")) <= SCREEN_ROWS and "more lines" in s and s.endswith("line 49")
    assert markdown_text("cross_entropy [a]") == r"cross\_entropy \[a\]"
    assert text_latex("d_x^2 & 50%") == r"\text{d}\_\text{x}\hat{}\text{2 }\&\text{ 50}\%"


# -- SymPy's printers ----------------------------------------------------------------------------
def test_sympy_printers_print_expressions_as_jacobi_does(tour):
    g, C = jc.gradient(tour["C"], tour["W"]), tour["C"]
    assert sympy.latex(g) == jc.latex(g) and sympy.sstr(g) == str(g) == repr(g)
    assert str(sympy.pretty(g)) == str(g) and sympy.srepr(g) == str(g)
    assert sympy.latex([g, C]) == r"\left[ " + jc.latex(g) + r", \  " + jc.latex(C) + r"\right]"
    assert sympy.sstr((g, C)) == f"({g}, {C})" and str([g, C]) == f"[{g}, {C}]"
    assert str({"g": g}) == "{'g': " + str(g) + "}" and jc.latex(g) in sympy.latex({sympy.Symbol("g"): g})


def test_sympy_printers_print_jacobi_objects_as_jacobi_does(tour):
    bp, d = tour["bp"], tour["d"]
    shown = [bp, bp.equations[0], d.steps[3], d, tour["net"], jc.Network([2, 3, 2]).explicit()]
    for o in shown:
        tex = sympy.latex(o)
        assert tex == o._latex_body() and "mathtt" not in tex, type(o).__name__
        assert sympy.sstr(o) == str(o)
        assert str(sympy.pretty(o, wrap_line=False)).split("\n")[0].strip() == str(o).split("\n")[0].strip()
    assert sympy.latex([bp.equations[0], bp.equations[1]]).count(r"\begin{aligned}") == 2


IPYTHON_SCRIPT = textwrap.dedent("""
    import json, sys, io, contextlib
    import sympy
    from IPython.core.interactiveshell import InteractiveShell
    sys.path.insert(0, {root!r})
    import jacobi as jc
    from jacobi.notebook import tour_objects

    objs = dict(tour_objects())
    g = objs["jc.gradient(C, W)"]
    picked = {{"expr": g, "derivation": objs["d"], "network": objs["net"], "backprop": objs["bp"],
              "equation": objs["bp.equations[-1]"], "function": objs["f"],
              "exprs": [g, objs["jc.gradient(C, x)"]], "tuple": (g, g), "dict": {{"g": g}},
              "networks": [objs["net"]], "mixed": [objs["bp"], objs["d"], g], "backprops": [objs["bp"]]}}
    sh = InteractiveShell.instance()
    out = {{}}
    for phase in ("plain", "init_printing"):
        if phase == "init_printing":
            sympy.init_printing(ip=sh, use_latex="mathjax")
        for name, o in picked.items():
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                data, _ = sh.display_formatter.format(o)
            out[phase + ":" + name] = {{"data": {{k: v for k, v in data.items() if isinstance(v, str)}},
                                       "noise": buf.getvalue()}}
    print(json.dumps(out))
""")


def test_ipython_display_with_and_without_init_printing():
    pytest.importorskip("IPython")
    r = subprocess.run([sys.executable, "-c", IPYTHON_SCRIPT.format(root=str(ROOT))], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().split("\n")[-1])
    for key, v in out.items():
        assert not v["noise"], (key, v["noise"][-2000:])  # a formatter that raised prints its traceback
        assert "text/plain" in v["data"], key
        assert " at 0x" not in v["data"]["text/plain"], key
    for phase in ("plain", "init_printing"):
        got = {k.split(":")[1]: v["data"] for k, v in out.items() if k.startswith(phase)}
        assert got["expr"]["text/plain"] == "(W @ x + b - y) @ x.T"
        assert got["expr"]["text/latex"] == r"$\displaystyle \left(W x + b - y\right) x^{\top}$"
        assert got["derivation"]["text/plain"].startswith("Derivation of dC/dW in ")
        assert got["derivation"]["text/latex"].startswith("$$")
        assert got["network"]["text/plain"].startswith("Network [784, n1, 10]")
        assert "| layer | size |" in got["network"]["text/markdown"] and "text/latex" not in got["network"]
        assert got["backprop"]["text/latex"].count(r"\text{BP") == 6
        assert got["equation"]["text/plain"].startswith("BP4: dC/dW2 = delta2 @ a1.T")
        assert "```python" in got["function"]["text/markdown"]
    plain = {k.split(":")[1]: v["data"] for k, v in out.items() if k.startswith("plain")}
    init = {k.split(":")[1]: v["data"] for k, v in out.items() if k.startswith("init_printing")}
    assert "text/latex" not in plain["exprs"]  # IPython leaves a list to its repr
    assert init["exprs"]["text/latex"].startswith(r"$\displaystyle \left[ \left(W x + b - y\right) x^{\top}, \ ")
    assert init["networks"]["text/latex"].count(r"\begin{aligned}") == 1  # SymPy prints the list through _latex
    assert init["backprops"]["text/latex"].count(r"\text{BP") == 6
    assert plain["mixed"]["text/plain"].startswith("[Backprop of the network [784, n1, 10], one example:")
    mixed = init["mixed"]  # SymPy prints a list of jacobi objects through their hooks: jacobi's own forms
    assert "BP1: delta2 = a2 - y" in mixed["text/plain"] and "(W @ x + b - y) @ x.T" in mixed["text/plain"]
    assert r"\text{BP1}" in mixed["text/latex"] and r"\left(W x + b - y\right) x^{\top}" in mixed["text/latex"]
