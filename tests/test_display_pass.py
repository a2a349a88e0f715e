"""The display pass (jacobi/calculus/textbook.py) and the key steps (keysteps.py): every form that issue 14
lists as one no textbook prints is named here and must appear nowhere in derivations/*.tex nor in the
derivations of the README's API tour; the key steps (the cancellations, ReLU's convention, the softmax
Jacobian by entries) must appear, each citing the fact it uses."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
import sympy as sp

import jacobi as jc
from jacobi import core as P
from jacobi.calculus import Simplifier, display_form
from jacobi.core import latex

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "derivations").glob("*.tex"))

# (name, pattern over the LaTeX of a derivation): the forms of issue 14, "forms no textbook prints" and
# "steps that show nothing"
FORBIDDEN = [
    ("a power 2 - 1 left unfolded, (1/2) (2 u^{2-1})", r"\^\{2 - 1\}|\^\{\d+ - \d+\}"),
    ("a numeric factor in parentheses, (1/2) (.) or (-1) (.) or (-2) u",
     r"\\left\(-?\d+\\right\)|\\left\(\\frac\{1\}\{2\}\\right\)"),
    ("the transposed identity, I^T delta x^T", r"(?<![\\\w])I\^\{\\top\}"),
    ("an unbold 1 transposed, 1^T sigma'(u) x^T", r"(?<![\\\w{])1\^\{\\top\}|\\left\(1\\right\)\^\{\\top\}"),
    ("a 1 times the bold ones, 1 1 (reads as eleven)", r"(?<![\w}.\d])1 \\mathbf\{1\}"),
    ("a (-1) factor", r"\(-1\)|\\left\(-1\\right\)"),
    ("a double minus, - -", r"- -|\+ -(?![>])"),
    ("an element-wise product with 1 / a, y (1 / a^2)", r"\\odot \\left\(1 \\oslash"),
    ("a nested subscript, sigma'((u_1)_1)", r"\\left\([A-Za-z\\]+_\{[^{}]*\}\\right\)_\{"),
    ("a chain rule through d x/d x", r"\\frac\{\\partial ([^{}]+)\}\{\\partial \1\}"),
    ("the transpose of a row of ones transposed, (1^T)^T", r"\\left\(\\mathbf\{1\}\^\{\\top\}\\right\)\^\{\\top\}"),
    ("a boxed result with a leading -2, (-2)(y - ReLU(...)) ...", r"\\boxed\{-2 \\left\(\\left\(y -"),
    ("the square of a square root, sqrt(var + eps)^2", r"\\sqrt\{(?:[^{}]|\{[^{}]*\})*\}\^\{2\}"),
]


def _lines(tex: str) -> list:
    """The rows of every align block: (left side, right side without its box, rule)."""
    rows = []
    for block in re.findall(r"\\begin\{(?:align\*|aligned)\}(.*?)\\end\{(?:align\*|aligned)\}", tex, re.S):
        for row in block.split("\\\\\n"):
            row = row.strip()
            if "&" not in row:
                continue
            lhs, rest = row.split("&", 1)
            rule = ""
            if r"\tag*{" in rest:
                rest, rule = rest.split(r"\tag*{", 1)
            rhs = re.sub(r"^(=|\\coloneqq)\s*", "", rest.strip())
            rhs = re.sub(r"\\boxed\{(.*)\}$", r"\1", rhs.strip())
            rows.append((lhs.strip(), rhs.strip(), rule))
    return rows


def _problems(tex: str) -> list:
    found = [name for name, pattern in FORBIDDEN if re.search(pattern, tex)]
    rows = _lines(tex)
    for (l1, r1, _), (l2, r2, _) in zip(rows, rows[1:]):
        if l1 == l2 and r1 == r2:
            found.append(f"a line repeated: {l1} = {r1[:60]}")
    for lhs, rhs, _ in rows:
        if lhs == rhs:
            found.append(f"a definition of a name as itself: {lhs} := {rhs}")
    return found


@pytest.mark.parametrize("name, pattern", FORBIDDEN)
def test_each_forbidden_form_is_caught_by_its_pattern(name, pattern):
    # every pattern is live: it finds the form as the issue quotes it (before the display pass)
    samples = {
        "a power": r"2 u_{6}^{2 - 1}", "a numeric": r"\left(-2\right) u_{6}", "the transposed": r"I^{\top} \delta^{1}",
        "an unbold": r"= 1^{\top} \sigma'(u_{3})", "a 1 times": r"&= 1 \mathbf{1}", "a (-1)": r"\left(-1\right)",
        "a double": r"a - -b", "an element-wise": r"y \odot \left(1 \oslash u_{1}\right)",
        "a nested": r"\sigma'\left(\left(u_{1}\right)_{1}\right)",
        "a chain": r"\frac{\partial u_{1}}{\partial x} \frac{\partial x}{\partial x}",
        "the transpose of a row": r"\left(\mathbf{1}^{\top}\right)^{\top}",
        "a boxed": r"\boxed{-2 \left(\left(y - \operatorname{ReLU}",
        "the square of": r"2 \left(\sqrt{\mathrm{var} + \frac{1}{100000}}^{2} \odot",
    }
    sample = next(v for k, v in samples.items() if name.startswith(k))
    assert re.search(pattern, sample), name


def test_the_document_folder_holds_every_document():
    assert len(DOCS) == 19


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_no_document_prints_a_form_no_textbook_prints(path):
    assert _problems(path.read_text(encoding="utf-8")) == []


def _readme_blocks() -> list:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def _block(marker: str, stop: str | None = None) -> str:
    block = next(b for b in _readme_blocks() if marker in b)
    return block.split(stop)[0] if stop else block


def _tour_derivations() -> list:
    """Every derivation the README's API tour builds, run as written (a block, cut before the lines that
    need data the README does not give)."""
    runs = [[_block("import jacobi as jc\n\nW, x = ")],
            [_block("import jacobi as jc\n\nW, x = "), _block('d = jc.derive(C, W, name="C")')],
            [_block("import sympy as sp\nx, y, g1, g2").replace("\njc.derive(", "\nlecture = jc.derive(")],
            [_block('net = jc.Network([784, "n1", 10]')],
            [_block('h = jc.let("h", jc.tanh(W1 @ x + b1))', "fn = bp.function")]]
    found = []
    for blocks in runs:
        ns: dict = {"jc": jc, "sp": sp}
        with contextlib.redirect_stdout(io.StringIO()):
            for b in blocks:
                exec(compile(b, "README.md", "exec"), ns)
        found += [v.derivation if hasattr(v, "derivation") else v for v in ns.values()
                  if isinstance(v, jc.Derivation) or hasattr(v, "derivation")]
    return found


def test_the_api_tour_derivations_print_no_form_no_textbook_prints():
    ds = _tour_derivations()
    assert len(ds) >= 5
    for d in ds:
        for shown in (d.to_latex(), d.to_markdown()):
            assert _problems(shown) == [], shown[:200]
        assert not re.search(r"\(-\d+\) \*|- -|\bI\.T\b|\(1\)\.T", str(d)), str(d)


# ---------------------------------------------------------------------------
# The display pass, form by form.

W, x, b, y = P.matrix("W", "m", "n"), P.vector("x", "n"), P.vector("b", "m"), P.vector("y", "m")
u = P.vector("u", "m")


@pytest.mark.parametrize("raw, shown", [
    (P.hadamard(P.broadcast(P.div(1, 2), u.shape), P.mul(2, P.power(u, P.add(2, -1)))), "u"),
    (P.matmul(P.transpose(P.identity("m")), u, x.T), r"u x^{\top}"),
    (P.matmul(P.transpose(P.Const.make(1)), P.scalar("s"), x.T), r"s x^{\top}"),
    (P.broadcast(P.Const.make(-1), u.shape), r"-\mathbf{1}"),
    (P.hadamard(P.broadcast(P.Const.make(-1), u.shape), y), "-y"),
    (P.hadamard(P.neg(y), P.div(1, P.power(u, 2))), r"-y \oslash u^{2}"),
    (P.neg(P.neg(u)), "u"),
    (P.mul(-2, P.sub(y, u)), r"2 \left(u - y\right)"),
    (P.transpose(P.transpose(P.ones(1, "m"))), r"\mathbf{1}^{\top}"),
])
def test_display_forms(raw, shown):
    assert latex(display_form(raw)) == shown


def test_a_negative_number_leads_its_product_without_parentheses():
    assert latex(P.mul(-2, u)) == "-2 u" and str(P.mul(-2, u)) == "-2 * u"
    assert str(P.mul(P.Const.make(-sp.Rational(1, 2)), u)) == "-1/2 * u"
    assert latex(P.hadamard(u, P.mul(-2, y))) == r"u \odot \left(-2 y\right)"


def test_relu_derivative_is_introduced_with_its_convention_then_written_as_step():
    w, xx, bb = P.vector("w", "n"), P.vector("x", "n"), P.scalar("b")
    d = jc.derive(P.relu(P.add(P.dot(w, xx), bb)), w, name="a")
    rules = [str(s.rule) for s in d.steps]
    k = next(i for i, r in enumerate(rules) if r.startswith("ReLU's derivative"))
    assert "convention" in rules[k] and "step" in str(d.steps[k].rhs)
    assert all("relu'" not in str(s.rhs) for s in d.steps[k + 1:])


def test_the_neuron_cites_the_dot_product_not_the_kronecker_rule():
    w, bb = P.vector("w", "n"), P.scalar("b")
    d = jc.derive(P.sigmoid(P.add(P.dot(w, P.vector("x", "n")), bb)), [w, bb], name="a")
    rules = " ".join(str(s.rule) for s in d.steps)
    assert "dot product" in rules and "kron" not in rules


def test_softmax_cross_entropy_shows_the_sum_of_the_target_as_its_own_step():
    z, t = P.vector("z", 3), P.vector("y", 3, distribution=True)
    d = jc.derive(P.neg(P.sum_(P.mul(t, P.log(P.softmax(z))))), z, name="C")
    i = next(k for k, s in enumerate(d.steps) if str(s.rule).startswith("the target is a distribution"))
    assert str(d.steps[i].rhs) == "u1 - y" and "sum(y)" in str(d.steps[i - 1].rhs)
    assert "sum of distributions" not in str(d.steps[i - 1].rule)


def test_sigmoid_binary_cross_entropy_shows_sigma_prime_through_sigma_before_it_cancels():
    z, yy = P.vector("z", "n"), P.vector("y", "n")
    a = P.sigmoid(z)
    C = P.neg(P.sum_(P.add(P.mul(yy, P.log(a)), P.mul(P.sub(1, yy), P.log(P.sub(1, a))))))
    d = jc.derive(C, z, name="C")
    rules = [str(s.rule) for s in d.steps]
    k = next(i for i, r in enumerate(rules) if "through its output" in r)
    assert "sigmoid(z) * (1 - sigmoid(z))" in rules[k]
    assert str(d.steps[k + 1].rhs) == "u1 - y" and d.steps[-1].kind == "result"
    assert rules[-1] == "substitute back"


def test_the_softmax_rule_gives_the_jacobian_entry_by_entry():
    d = jc.derive(P.softmax(P.vector("z", 3)), P.vector("z", 3), name="s")
    assert "s_i (delta_ij - s_j)" in str(d.steps[1].rule)


def test_brute_force_is_the_plain_product_the_readme_describes():
    net = jc.Network([2, 3, 2], activation="sigmoid", cost="mse")
    g_b, g_W = net.brute_force(1)
    assert str(g_b) == "diag(sigmoid'(z1)) @ W2.T @ diag(sigmoid'(z2)) @ (a2 - y)"
    assert str(g_W) == str(g_b) + " @ x.T"
    res = net.backprop().resolved()
    S = Simplifier(dict(net.program().defs))
    assert S(g_b) is res[net.b(1)]
    assert S(P.matmul(S(g_b), P.transpose(net.x()))) is res[net.W(1)]


def test_the_lecture_route_names_a_variable_that_passes_through():
    xx, yy, g1 = sp.symbols("x y g1")
    d = jc.derive([sp.sin(g1), yy**2], [xx, yy], via={g1: xx**2 + yy})
    defines = [s for s in d.steps if s.kind == "define"]
    assert [str(s.lhs) for s in defines] == ["g1", "g2"] and str(defines[1].rhs) == "y"
