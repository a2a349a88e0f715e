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
from .calculus import Derivation, Simplifier, derive, partial
from .core import latex
from .core.functions import FUNCTIONS, activations
from .core.shapes import JacobiError
from .derivations_layers import LAYER_DOCUMENTS
from .nn import Network
from .render import align_block, compile_pdf, derivation_latex, document, pdflatex, uses_tikz
from .render.figures import picture, place_pictures, save_pictures


def display(*rows, op: str = "=") -> str:
    """Displayed equations, one "lhs op rhs" row each (rows are (lhs, rhs) of expressions or LaTeX), a right
    side too wide for the page broken over lines."""
    return align_block([(_tex(lhs), op, _tex(rhs)) for lhs, rhs in rows])


def _tex(x) -> str:
    return x if isinstance(x, str) else latex(x)


def results(steps) -> str:
    """Result lines alone (boxed, each with its index form)."""
    return derivation_latex(Derivation(None, [], None, list(steps)), macros=False)


def equations(bp) -> str:
    return results(s for s in bp.steps if s.kind == "result")


# ---------------------------------------------------------------------------
# The documents, in the order of the course.


def gradient_and_jacobian():
    x, y = sp.symbols("x y", real=True)
    g = sp.Symbol("g", real=True)
    return "Gradients and Jacobians", [
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
    return "The derivative of a simple network's cost", [
        ("ReLU's piecewise derivative", "A ReLU neuron computes $a = \\max(0, z)$ with $z = w \\cdot x + b$. Its "
         "derivative is piecewise: $0$ for $z < 0$ and $1$ for $z > 0$. At $z = 0$ there is no derivative, and "
         "jacobi states its convention, as the numeric libraries do: " + relu.convention + ". So the derivative is "
         "the step function "
         "$\\operatorname{ReLU}'(z) = \\operatorname{step}(z)$."),
        ("", derive(P.relu(z), [w, b], name="a")),
        ("The cost of one example", "With the squared error $C = (y - a)^{2}$ and the chain rule through the "
         "intermediate variables:"),
        ("", d := derive(C, [w, b], name="C")), ("", picture(d)),
        ("Reading the result", "The gradient with respect to $w$ is the error $y - a$, times the activation's "
         "slope, times the input $x$. Inputs with large values move the cost most; a weight whose input is near "
         "zero barely learns, and a neuron with $z < 0$ (slope 0) does not learn at all from this example."),
    ]


def gradient_descent():
    net = Network([2, "n1", "n2"], activation="sigmoid")
    bp = net.backprop(batch=True)
    eta = sp.Symbol("eta", positive=True)
    rows = []
    for l in (1, 2):
        for g, sym in ((bp.grad_W(l), net.W(l)), (bp.grad_b(l), net.b(l))):
            rows.append((sym, P.sub(sym, P.mul(P.Const.make(eta), g))))
    w = P.vector("w", "n")
    return "Gradient descent and stochastic gradient descent", [
        ("Gradient descent", "To decrease a cost $C(w)$, step against its gradient with a learning rate "
         "$\\eta$: $w \\leftarrow w - \\eta \\, \\partial C / \\partial w$. Over the whole training set the cost "
         "is the mean of the per-example costs, $C = \\frac{1}{N} \\sum_{x} C_{x}$, and so is its gradient."),
        ("", display((w, P.sub(w, P.mul(P.Const.make(eta), partial(P.scalar("C"), w, "gradient")))),
                     op=r"\leftarrow")),
        ("Stochastic gradient descent", "SGD estimates the gradient from a mini-batch of $m$ examples, the columns "
         "of $X$, and averages the per-example gradients. For a network the derived mini-batch gradients give the "
         "updates (with $\\Delta^{l}$ the errors of the batch, one column per example):"),
        ("", display(*rows, op=r"\leftarrow")),
        ("The gradients used", "They come from the mini-batch backpropagation equations:"),
        ("", equations(bp)),
    ]


def four_equations():
    net = Network(["n0", "n1", "n2", "n3"], activation="sigmoid", cost="mse")
    bp = net.backprop()
    small = Network([2, 3, 2], activation="sigmoid", cost="mse").backprop()
    algorithm = (
        "\\begin{enumerate}\n"
        "\\item \\textbf{Input} $x$: set $a^{0} = x$.\n"
        "\\item \\textbf{Feed forward}: for $l = 1, \\dots, L$ compute $z^{l} = W^{l} a^{l-1} + b^{l}$ and "
        "$a^{l} = \\sigma(z^{l})$.\n"
        "\\item \\textbf{Output error}: $\\delta^{L}$ from BP1.\n"
        "\\item \\textbf{Backpropagate the error}: for $l = L-1, \\dots, 1$, $\\delta^{l}$ from BP2.\n"
        "\\item \\textbf{Output}: the gradients $\\partial C / \\partial b^{l}$ and $\\partial C / \\partial W^{l}$ "
        "from BP3 and BP4.\n"
        "\\end{enumerate}")
    return "The four equations of backpropagation", [
        ("The error of a node", "The error of neuron $j$ in layer $l$ is "
         "$\\delta^{l}_{j} = \\partial C / \\partial z^{l}_{j}$. jacobi runs the chain rule from the cost inwards "
         "and names each $\\partial C / \\partial z^{l}$ as $\\delta^{l}$, so every layer refers to the next "
         "layer's error instead of expanding it again."),
        ("The equations", "For a three-layer network with sigmoid activations and the quadratic cost "
         "$C = \\frac{1}{2} \\lVert a^{L} - y \\rVert^{2}$, whatever the sizes $n_{0}, \\dots, n_{3}$:"),
        ("", picture(bp)), ("", equations(bp)),
        ("The derivative through the output", "The code computes $\\sigma'(z^{l})$ from the layer's own output: for "
         "the sigmoid $\\sigma'(z^{l}) = a^{l} \\odot (1 - a^{l})$,"),
        ("", display((P.apply(FUNCTIONS["sigmoid_prime"], net.z(1)), bp.sigma_prime(1, "output")))),
        ("The algorithm", algorithm),
        ("Every step, for a network of sizes 2, 3, 2", "The derivation behind the equations: the forward pass as "
         "definitions, then each local Jacobian with its rule and each chain-rule product, simplified. The "
         "Jacobians are written out for these small sizes."),
        ("", small.derivation),
    ]


def minibatch():
    net = Network(["n0", "n1", "n2"], activation="sigmoid", cost="mse")
    bp = net.backprop(batch=True)
    small = Network(["n0", "n1"], activation="sigmoid", cost="mse").backprop(batch=True)
    return "The vectorized mini-batch form", [
        ("Vectorizing BP4", "For one example BP4 by components, "
         "$\\partial C / \\partial w^{l}_{jk} = a^{l-1}_{k} \\delta^{l}_{j}$, is the outer product "
         "$\\delta^{l} (a^{l-1})^{\\top}$."),
        ("A mini-batch", "Store the $m$ examples of a mini-batch as the columns of $X$ ($n_{0} \\times m$); then "
         "$Z^{l}$, $A^{l}$ and $\\Delta^{l}$ have one column per example, the bias is added to every column as "
         "$b^{l} \\mathbf{1}^{\\top}$, and $C$ is the mean of the per-example costs. The product "
         "$\\Delta^{l} (A^{l-1})^{\\top}$ sums the outer products over the batch, and $\\Delta^{l} \\mathbf{1}$ sums "
         "the errors:"),
        ("", picture(bp)), ("", equations(bp)),
        ("Every step, for one layer", ""),
        ("", small.derivation),
    ]


def brute_force_and_delta():
    net = Network([2, 3, 2], activation="sigmoid", cost="mse")
    bp = net.backprop()
    g_b, g_W = net.brute_force(1)
    S = Simplifier(dict(net.program().defs))
    sb, sW = S(g_b), S(g_W)
    resolved = bp.resolved()
    same_b = sb is resolved[net.b(1)]
    same_W = sW is resolved[net.W(1)]
    if not (same_b and same_W):
        raise JacobiError("the brute-force route and the delta route disagree")
    z = net.z(1)
    W = net.W(1)
    return "The brute-force route and the delta route", [
        ("Brute force", "Without naming the errors, the gradient of the cost with respect to the first layer is the "
         "plain product of every layer's Jacobian, from the output inwards:"),
        ("", display((partial(P.scalar("C"), net.b(1), "gradient"), g_b),
                     (partial(P.scalar("C"), net.W(1), "gradient"), g_W))),
        ("Why it does not scale", "Each factor is a full Jacobian, and the Jacobian of $z^{1}$ with respect to the "
         "matrix $W^{1}$ is third-order; laid out over $\\operatorname{vec}(W^{1})$ it is a Kronecker product,"),
        ("", derive(P.add(W @ net.x(), net.b(1)), W, name="z", latex="z^{1}")),
        ("Simplified", "Rewriting $\\operatorname{diag}(v) u = v \\odot u$ and moving the transposes to the "
         "leaves, the products of diagonal matrices become Hadamard products:"),
        ("", display((partial(P.scalar("C"), net.b(1), "gradient"), sb),
                     (partial(P.scalar("C"), net.W(1), "gradient"), sW))),
        ("The delta route", "The four equations give the same gradients with the errors named; substituting "
         "$\\delta^{2}$ and $\\delta^{1}$ back gives the expressions above exactly (jacobi checks that the two "
         "graphs are the same object):"),
        ("", equations(bp)),
        ("", display((partial(P.scalar("C"), net.W(1), "gradient"), resolved[net.W(1)]))),
        ("", "Here $" + latex(z) + "$ and the $a^{l}$ are the forward pass's quantities."),
    ]


def softmax_cross_entropy():
    z = P.vector("z", 3)
    t = P.vector("y", 3, distribution=True)
    net = Network(["n0", "n1", "n2"], activation="sigmoid", output="softmax", cost="cross_entropy")
    bp = net.backprop()
    return "Softmax with cross-entropy", [
        ("The softmax Jacobian", "Softmax is not element-wise: every output depends on every input, and its "
         "Jacobian $\\operatorname{diag}(s) - s s^{\\top}$ is full. Written out for three classes:"),
        ("", derive(P.softmax(z), z, name="s")),
        ("With cross-entropy", "The cross-entropy cost is $C = -\\sum_{j} y_{j} \\log s_{j}$ with a target that "
         "sums to one; the chain rule, simplified, cancels to $s - y$:"),
        ("", derive(P.neg(P.sum_(P.mul(t, P.log(P.softmax(z))))), z, name="C")),
        ("In a network", "So for a softmax output layer with the cross-entropy cost the output error is "
         "$\\delta^{L} = a^{L} - y$:"),
        ("", equations(bp)),
    ]


def sigmoid_binary_cross_entropy():
    z = P.vector("z", "n")
    y = P.vector("y", "n")
    a = P.sigmoid(z)
    C = P.neg(P.sum_(P.add(P.mul(y, P.log(a)), P.mul(P.sub(1, y), P.log(P.sub(1, a))))))
    net = Network(["n0", "n1", "n2"], activation="sigmoid", cost="binary_cross_entropy")
    mse = Network(["n0", "n1", "n2"], activation="sigmoid", cost="mse").backprop()
    return "Sigmoid with binary cross-entropy", [
        ("The cancellation", "For a sigmoid output with the binary cross-entropy "
         "$C = -\\sum_{j} \\left(y_{j} \\log a_{j} + (1 - y_{j}) \\log(1 - a_{j})\\right)$ the factor "
         "$\\sigma'(z)$ cancels:"),
        ("", derive(C, z, name="C")),
        ("In a network", "The output error is $\\delta^{L} = a^{L} - y$:"),
        ("", equations(net.backprop())),
        ("Why it learns faster", "With the quadratic cost the output error keeps the factor $\\sigma'(z^{L})$, "
         "which is near zero when the output neuron saturates, so a badly wrong output learns slowly:"),
        ("", results(s for s in mse.steps if s.kind == "result" and "BP1" in str(s.rule))),
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
    title, sections = builder()  # a Picture among the sections is drawn as TikZ and appended to pictures
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

