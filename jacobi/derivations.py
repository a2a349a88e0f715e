"""The derivations/ folder: one LaTeX document per block of the course, then one per layer
(jacobi.derivations_layers).

Every equation in these documents is derived by jacobi when the folder is
regenerated; the prose around them is the only text written by hand.

    python -m jacobi.derivations derivations     # `make derivations`
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sympy as sp

from . import core as P
from .calculus import Derivation, derive
from .calculus.keysteps import in_terms_of
from .core import latex
from .core.functions import FUNCTIONS, activations
from .core.shapes import JacobiError
from .derivations_layers import LAYER_DOCUMENTS
from .derivations_network import (
    brute_force_and_delta,
    display,
    four_equations,
    gradient_descent,
    minibatch,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
)
from .nn import Network
from .render import compile_pdf, document, pdflatex, uses_tikz
from .render.figures import picture, place_pictures, save_pictures

# ---------------------------------------------------------------------------
# The documents, in the order of the course.


def gradient_and_jacobian():
    x, y = sp.symbols("x y", real=True)
    g = sp.Symbol("g", real=True)
    return "Gradients and Jacobians", [
        ("", "Derived here, from the definition of the partial derivative: the gradient of a scalar function "
         "of two variables, the Jacobian of a vector function, the scalar chain rule written as a product of "
         "$1 \\times 1$ Jacobians, and the gradient of a least-squares cost with respect to a vector of any size "
         "$n$."),
        ("The gradient", "The gradient of a scalar function of several variables is the vector of its partial "
         "derivatives. For $f(x, y) = x^{2} + \\cos y$:"),
        ("", derive(x**2 + sp.cos(y), [x, y])),
        ("The Jacobian", "The Jacobian of a vector function stacks the gradients of its components as rows: one row "
         "per output function, one column per input variable (numerator layout)."),
        ("", derive([2 * x + y**3, -13 * x + sp.exp(y)], [x, y])),
        ("The scalar chain rule as Jacobians", "With one input and one output every Jacobian is $1 \\times 1$, and "
         "the chain rule multiplies them: for $f(x) = \\sin(x^{2})$ with $g = x^{2}$,"),
        ("", derive([sp.sin(g)], [x], via={g: x**2})),
        ("Gradients of vector expressions", "The same definitions apply when the variables are vectors. jacobi "
         "keeps them whole: for $f = \\frac{1}{2}\\lVert W x + b - y \\rVert^{2}$ the gradient with respect to "
         "$x$ has the shape of $x$, whatever its size $n$."),
        ("", _vector_gradient()),
    ]


def _vector_gradient():
    W, x, b, y = P.matrix("W", "m", "n"), P.vector("x", "n"), P.vector("b", "m"), P.vector("y", "m")
    return derive(P.div(P.sum_(P.power(W @ x + b - y, 2)), 2), x)


def jacobian_chain_rule():
    x, y, g1, g2 = sp.symbols("x y g1 g2", real=True)
    W, v = P.matrix("W", 2, 2), P.vector("x", 2)
    return "The Jacobian chain rule", [
        ("", "Derived here, from the chain rule for each component: the Jacobian of a composite vector "
         "function as the outer Jacobian times the inner one, with the identity standing in for a variable that "
         "is used directly, and then the same rule over vectors, for $\\sigma(W x)$."),
        ("Intermediate variables", "For $f(g(x))$ introduce $u = g(x)$, take the Jacobian of the outer function "
         "with respect to $u$ and of the inner one with respect to $x$, multiply them (outer first), and substitute "
         "back. For $f_{1} = \\sin(x^{2} + y)$ and $f_{2} = \\ln(y^{3})$ with $g_{1} = x^{2} + y$, $g_{2} = y^{3}$:"),
        ("", d := derive([sp.sin(g1), sp.log(g2)], [x, y], via={g1: x**2 + y, g2: y**3})), ("", picture(d)),
        ("Where a component has no intermediate function", "The identity stands in for it, so that the product "
         "stays well-formed: for $f_{1} = \\sin(g_{1})$, $f_{2} = y^{2}$ the variable $y$ passes through as "
         "itself."),
        ("", derive([sp.sin(g1), y**2], [x, y], via={g1: x**2 + y})),
        ("The vector chain rule", "The same rule with vectors: each operation is one intermediate variable, its "
         "local Jacobian comes from a rule, and the Jacobians multiply from the inside out. For "
         "$f = \\sigma(W x)$ with $W$ of size $2 \\times 2$ the Jacobians are also written out:"),
        ("", d := derive(P.sigmoid(W @ v), v)), ("", picture(d)),
    ]


def neuron():
    w, x, b = P.vector("w", "n"), P.vector("x", "n"), P.scalar("b")
    z = P.add(P.dot(w, x), b)
    rows = [(P.scalar("z"), z), (P.scalar("a"), P.sigmoid(P.scalar("z")))]
    acts = "".join(
        "\\item $" + FUNCTIONS[n].latex + "(z) = " + sp.latex(FUNCTIONS[n].definition(sp.Symbol("z"))) + "$"
        + (", " + FUNCTIONS[n].convention if FUNCTIONS[n].convention else "") + "\n"
        for n in activations() if n != "identity")  # the registry's activations; the identity needs no line
    return "A neuron", [
        ("", "Derived here, from the neuron's definition $a = \\sigma(w^{\\top} x + b)$: the gradients of its "
         "output with respect to its weights $w$ and its bias $b$, through one intermediate variable per "
         "operation."),
        ("The function", "A neuron maps $\\mathbb{R}^{n} \\to \\mathbb{R}$: a weighted sum of its inputs plus a "
         "bias, $z = w \\cdot x + b = x^{\\top} w + b$, followed by an activation function $a = \\sigma(z)$."),
        ("", display(*rows)),
        ("Activation functions", "jacobi's registry defines each activation once (the definitions below are "
         "printed from it):\n\\begin{itemize}\n" + acts + "\\end{itemize}"),
        ("Its derivatives", "With respect to the weights and the bias, through intermediate variables:"),
        ("", d := derive(P.sigmoid(z), [w, b], name="a")), ("", picture(d)),
    ]


def layer():
    net = Network([3, 2], activation="sigmoid")
    W, b, x = net.W(1), net.b(1), net.x()
    ex = net.explicit([3, 2])
    zrows = "\\\\\n".join(f"z^{{1}}_{{{j + 1}}} &= " + sp.latex(ex.z[1][j]) for j in range(2))
    Wn = sp.Matrix([[sp.Rational(1, 2), -1, 2], [0, sp.Rational(3, 2), 1]])
    xn, bn = sp.Matrix([1, 2, 3]), sp.Matrix([1, -1])
    zn = Wn * xn + bn
    sym = net.a(1)
    return "A layer and its weight-indexing convention", [
        ("", "Derived here, from the indexing convention $w^{l}_{jk}$: a layer as one matrix product, its "
         "components and a worked example with numbers, and the Jacobian of a sigmoid layer with respect to its "
         "input, $\\operatorname{diag}(\\sigma'(z)) W$."),
        ("Indexing", "$w^{l}_{jk}$ is the weight into neuron $j$ of layer $l$ from neuron $k$ of layer $l-1$; "
         "$b^{l}_{j}$ is the bias of neuron $j$ in layer $l$. So $W^{l}$ has one row per neuron of layer $l$ "
         "(destination) and one column per neuron of layer $l-1$ (source): its shape is $n_{l} \\times n_{l-1}$."),
        ("The layer", "A whole layer is one matrix product:"),
        ("", display((net.z(1), W @ x + b), (sym, P.sigmoid(net.z(1))))),
        ("By components", "For a layer of two neurons on three inputs:"),
        ("", "\\begin{align*}\n" + zrows + "\n\\end{align*}"),
        ("With numbers", "For example"),
        ("", "\\[ W^{1} = " + latex(Wn) + ",\\quad x = " + latex(xn) + ",\\quad b^{1} = " + latex(bn)
         + ",\\qquad z^{1} = W^{1} x + b^{1} = " + latex(zn) + ". \\]"),
        ("The Jacobian of a layer", "With respect to its input the layer's Jacobian is "
         "$\\operatorname{diag}(\\sigma'(z)) W$: one row per neuron, one column per input."),
        ("", derive(P.sigmoid(W @ x + b), x, name="a", latex="a^{1}")),
    ]


def elementwise_rules():
    w, x = P.vector("w", 2), P.vector("x", 2)
    z = P.scalar("z")
    return "Element-wise operations, Hadamard products, scalar expansion and sums", [
        ("", "Derived here, each from the rule of its operation: the Jacobians of element-wise functions, of "
         "the Hadamard product, of adding or multiplying a scalar, and of sums, for vectors of size 2 so "
         "that every Jacobian is also written out entry by entry."),
        ("Binary element-wise functions", "For $y = f(w) \\circ g(x)$, with $\\circ$ any element-wise operator, "
         "component $i$ of the output depends only on component $i$ of each input (the element-wise diagonal "
         "condition), so each Jacobian is diagonal. For $y = \\sigma(w) + \\tanh(x)$:"),
        ("", derive(P.add(P.sigmoid(w), P.tanh(x)), w, name="y")),
        ("The Hadamard product", "$\\partial (w \\odot x)/\\partial w = \\operatorname{diag}(x)$ and "
         "$\\partial (w \\odot x)/\\partial x = \\operatorname{diag}(w)$:"),
        ("", derive(P.hadamard(w, x), w, name="y")),
        ("", derive(P.hadamard(w, x), x, name="y")),
        ("Scalar expansion", "Adding or multiplying a scalar $z$ expands it to a vector $z \\mathbf{1}$. With "
         "respect to $x$ the Jacobian of $x + z$ is $I$ and of $x z$ is $z I$; with respect to $z$ it is "
         "$\\mathbf{1}$ and $x$:"),
        ("", derive(P.add(x, z), x, name="y")),
        ("", derive(P.add(x, z), z, name="y")),
        ("", derive(P.mul(x, z), x, name="y")),
        ("", derive(P.mul(x, z), z, name="y")),
        ("Sums", "The sum of a vector's entries has the row of ones as its Jacobian; for $\\operatorname{sum}(f(x))$ "
         "the row is the sum of the columns of the Jacobian of $f$:"),
        ("", derive(P.sum_(x), x, name="y")),
        ("", derive(P.sum_(P.power(x, 3)), x, name="y")),
    ]


def simple_network_cost():
    w, x, b, y = P.vector("w", "n"), P.vector("x", "n"), P.scalar("b"), P.scalar("y")
    z = P.add(P.dot(w, x), b)
    relu = FUNCTIONS["relu"]
    C = P.power(P.sub(y, P.relu(z)), 2)
    zs = P.scalar("z")
    return "The derivative of a simple network's cost", [
        ("", "Derived here, from a ReLU neuron $a = \\operatorname{ReLU}(w^{\\top} x + b)$ and the squared "
         "error $C = (y - a)^{2}$ of one example: the derivative of the neuron with respect to $w$ and $b$, with "
         "ReLU's convention at its kink, and the gradient of the cost, through intermediate variables."),
        ("ReLU's piecewise derivative", "A ReLU neuron computes $a = \\max(0, z)$ with $z = w \\cdot x + b$. Its "
         "derivative is piecewise: $0$ for $z < 0$ and $1$ for $z > 0$. At $z = 0$ there is no derivative, and "
         "jacobi states its convention, as the numeric libraries do: " + relu.convention + ". So the derivative is "
         "the step function "
         "$\\operatorname{ReLU}'(z) = \\operatorname{step}(z)$."),
        ("", derive(P.relu(z), [w, b], name="a")),
        ("The cost of one example", "With the squared error $C = (y - a)^{2}$ and the chain rule through the "
         "intermediate variables:"),
        ("", d := in_terms_of(derive(C, [w, b], name="C"), [(zs, z), (P.scalar("a"), P.relu(zs))])), ("", picture(d)),
        ("Reading the result", "The gradient with respect to $w$ is twice the error $a - y$, times the "
         "activation's slope $\\operatorname{step}(z)$, times the input $x$. Inputs with large values move the "
         "cost most; a weight whose input is near zero barely learns, and a neuron with $z < 0$ (slope 0) does "
         "not learn at all from this example."),
    ]


DOCUMENTS = [
    ("01-gradient-and-jacobian", gradient_and_jacobian),
    ("02-jacobian-chain-rule", jacobian_chain_rule),
    ("03-neuron", neuron),
    ("04-layer", layer),
    ("05-elementwise-hadamard-expansion-sum", elementwise_rules),
    ("06-simple-network-cost", simple_network_cost),
    ("07-gradient-descent", gradient_descent),
    ("08-four-equations", four_equations),
    ("09-minibatch", minibatch),
    ("10-brute-force-and-delta", brute_force_and_delta),
    ("11-softmax-cross-entropy", softmax_cross_entropy),
    ("12-sigmoid-binary-cross-entropy", sigmoid_binary_cross_entropy),
]
ALL_DOCUMENTS = DOCUMENTS + LAYER_DOCUMENTS  # the course's, then the layers'


def render(builder, pictures: list | None = None) -> str:
    """The document of one builder, every derivation in it verified step by step first; a Picture among the
    sections is drawn as TikZ and appended to pictures."""
    title, sections = builder()
    for _, part in sections:
        if isinstance(part, Derivation):
            part.verify()
    return uses_tikz(document(place_pictures(sections, pictures), title=title))


def generate(folder, pdf: bool = False, log=print) -> list:
    """Write every document into folder (and its PDF where pdflatex is present); the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, builder in ALL_DOCUMENTS:
        path = folder / f"{stem}.tex"
        path.write_text(render(builder, pictures := []), encoding="utf-8")
        for out in [path, *save_pictures(pictures, folder / "figures", stem)]:  # the SVG copies, for GitHub
            written.append(out)
            log(f"wrote {out}")
        if pdf:
            out = compile_pdf(path)
            if out is not None:
                written.append(out)
                log(f"wrote {out}")
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m jacobi.derivations", description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default="derivations")
    ap.add_argument("--no-pdf", action="store_true", help="write the .tex files only")
    args = ap.parse_args(argv)
    try:
        generate(args.folder, pdf=not args.no_pdf)
    except JacobiError as e:
        print(f"jacobi: error: {e}", file=sys.stderr)
        return 2
    if not args.no_pdf and pdflatex() is None:
        print("pdflatex not found: wrote the .tex files only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

