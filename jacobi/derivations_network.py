"""The network documents of derivations/ (07 to 12): gradient descent, the four equations, the
mini-batch form, the brute-force and delta routes, softmax with cross-entropy and sigmoid with binary
cross-entropy; and the helpers every document builder uses to lay out equations.

Every equation is derived by jacobi and every step of a derivation is verified numerically when the
folder is regenerated; the prose around them is the only text written by hand.
"""
from __future__ import annotations

import sympy as sp

from . import core as P
from .calculus import Derivation, Simplifier, Step, derive, local_jacobian, partial
from .core import latex
from .core.functions import FUNCTIONS
from .core.rules import Rule
from .core.shapes import JacobiError
from .nn import Network
from .render import align_block
from .render.figures import picture


def display(*rows, op: str = "=") -> str:
    """Displayed equations, one "lhs op rhs" row each (rows are (lhs, rhs) of expressions or LaTeX), a right
    side too wide for the page broken over lines."""
    return align_block([(_tex(lhs), op, _tex(rhs)) for lhs, rhs in rows])


def _tex(x) -> str:
    return x if isinstance(x, str) else latex(x)


def results(d: Derivation, keep=lambda step: True) -> Derivation:
    """The result lines of d alone (boxed, each with its index form), with d's definitions, so that the
    document verifies them like every other step."""
    steps = [s for s in d.steps if s.kind == "result" and keep(s)]
    return Derivation(d.f, d.wrt, d.result, steps, d.definitions, d.kind, adjoints=d.adjoints)


def equations(bp) -> Derivation:
    """The four equations of a network, BP1 to BP4."""
    return results(bp.derivation)


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
        ("", "Derived here, from the update rule $w \\leftarrow w - \\eta \\, \\partial C / \\partial w$ and the "
         "mini-batch backpropagation equations of a sigmoid network: the gradient descent and SGD updates of "
         "every weight matrix and bias, with the gradients they use."),
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
        ("", "Derived here, from the forward pass $z^{l} = W^{l} a^{l-1} + b^{l}$, $a^{l} = \\sigma(z^{l})$ and the "
         "quadratic cost: the four equations BP1 to BP4, for sizes that are names, the derivative of the "
         "sigmoid through the layer's output, the backpropagation algorithm, and every step of the chain rule "
         "for a network of sizes 2, 3, 2."),
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
        ("", "Derived here, from the forward pass with the examples of a mini-batch as the columns of $X$ and "
         "the mean cost: the four equations in matrix form, $\\partial C / \\partial W^{l} = \\frac{1}{m} "
         "\\Delta^{l} (A^{l-1})^{\\top}$ and $\\partial C / \\partial b^{l} = \\frac{1}{m} \\Delta^{l} "
         "\\mathbf{1}$, and every step for one layer."),
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


def _brute_force_route(net, l: int = 1) -> Derivation:
    """dC/db^l and dC/dW^l by the plain product of every layer's Jacobian (Network.brute_force), every
    factor shown first, then the product simplified: the route of the course's Part III."""
    prog = net.program()
    C, L = prog.output, net.L
    steps = [Step("define", v, e, Rule("forward pass")) for v, e in prog.defs.items()]
    steps.append(Step("local", partial(C, net.a(L), "gradient"), display_grad(net), Rule("the cost's gradient")))
    for k in range(L, l - 1, -1):
        J = Simplifier(prog.defs)(local_jacobian(prog.defs[net.a(k)], net.z(k), out=net.a(k)))
        steps.append(Step("local", partial(net.a(k), net.z(k)), J, Rule("element-wise function",
                          "d sigma(z)/dz = diag(sigma'(z))", r"\frac{\partial \sigma(z)}{\partial z} = "
                          r"\operatorname{diag}(\sigma'(z))")))
        if k > l:
            steps.append(Step("local", partial(net.z(k), net.a(k - 1)), net.W(k), Rule(
                "matrix product", "d(W a + b)/da = W", r"\frac{\partial (W a + b)}{\partial a} = W")))
    g_b, g_W = net.brute_force(l)
    names = ", ".join(f"(d{v}/d{u})^T" for v, u in _route(net, l))
    tex = " ".join(r"\left(\frac{\partial " + latex(v) + r"}{\partial " + latex(u) + r"}\right)^{\top}"
                   for v, u in _route(net, l)) + r" \nabla_{a^{" + str(L) + "}} C"
    product = Rule("the plain product of the Jacobians", names + " grad_a C", tex)
    steps.append(Step("chain", partial(C, net.b(l), "gradient"), g_b, product))
    steps.append(Step("chain", partial(C, net.W(l), "gradient"), g_W, Rule(
        "matrix product", "dC/dW = (dC/dz) (a^{l-1})^T through d vec(W a)/d vec(W) = a^T kron I",
        r"\frac{\partial C}{\partial W^{" + str(l) + r"}} = \frac{\partial C}{\partial z^{" + str(l)
        + r"}} \left(" + latex(net.a(l - 1)) + r"\right)^{\top}")))
    trace: list = []
    sb = Simplifier(prog.defs, trace=trace)(g_b)
    sW = Simplifier(prog.defs)(P.matmul(sb, P.transpose(net.a(l - 1))))
    steps += [Step("result", partial(C, net.b(l), "gradient"), sb, Rule.join(trace)),
              Step("result", partial(C, net.W(l), "gradient"), sW, Rule(
                  "the same product", f"dC/dW = (dC/db) {net.a(l - 1)}^T",
                  r"\frac{\partial C}{\partial W} = \frac{\partial C}{\partial b} \left(" + latex(net.a(l - 1))
                  + r"\right)^{\top}"))]
    return Derivation(prog.defs[C], [net.b(l), net.W(l)], [steps[-2].rhs, steps[-1].rhs], steps,
                      list(prog.defs.items()))


def _route(net, l):
    """The Jacobians of the route from z^l to a^L, innermost first: (a^l, z^l), (z^{l+1}, a^l), ..."""
    out = []
    for k in range(l, net.L + 1):
        out.append((net.a(k), net.z(k)))
        if k < net.L:
            out.append((net.z(k + 1), net.a(k)))
    return out


def display_grad(net):
    prog = net.program()
    return Simplifier(prog.defs)(P.transpose(local_jacobian(prog.defs[prog.output], net.a(net.L))))


def brute_force_and_delta():
    net = Network([2, 3, 2], activation="sigmoid", cost="mse")
    bp = net.backprop()
    route = _brute_force_route(net, 1)
    resolved = bp.resolved()
    if not (route.result[0] is resolved[net.b(1)] and route.result[1] is resolved[net.W(1)]):
        raise JacobiError("the brute-force route and the delta route disagree")
    W = net.W(1)
    return "The brute-force route and the delta route", [
        ("", "Derived here, for a network of sizes 2, 3, 2 with sigmoid activations and the quadratic cost: the "
         "gradients of the first layer's bias and weights twice, once as the plain product of every layer's "
         "Jacobian (the brute-force route) and once through the errors $\\delta^{l}$ of the four equations "
         "(the delta route), and the check that the two agree."),
        ("Brute force", "Without naming the errors, the gradient of the cost with respect to the first layer's bias is "
         "the plain product of every layer's Jacobian, transposed, from the first layer outwards to the cost's "
         "gradient; each Jacobian is written first. Simplifying the product, $\\operatorname{diag}(v) u = v \\odot u$ "
         "turns the products of diagonal matrices into Hadamard products:"),
        ("", route),
        ("Why it does not scale", "Each factor is a full Jacobian, and the Jacobian of $z^{1}$ with respect to the "
         "matrix $W^{1}$ is third-order; laid out over $\\operatorname{vec}(W^{1})$ it is a Kronecker product,"),
        ("", derive(P.add(W @ net.x(), net.b(1)), W, name="z", latex="z^{1}")),
        ("The delta route", "The four equations give the same gradients with the errors named; substituting "
         "$\\delta^{2}$ and $\\delta^{1}$ back gives the simplified products above exactly (jacobi checks that the "
         "two graphs are the same object):"),
        ("", equations(bp)),
        ("", display((partial(P.scalar("C"), net.W(1), "gradient"), resolved[net.W(1)]))),
        ("", "Here $" + latex(net.z(1)) + "$ and the $a^{l}$ are the forward pass's quantities."),
    ]


def softmax_cross_entropy():
    z = P.vector("z", 3)
    t = P.vector("y", 3, distribution=True)
    net = Network(["n0", "n1", "n2"], activation="sigmoid", output="softmax", cost="cross_entropy")
    bp = net.backprop()
    return "Softmax with cross-entropy", [
        ("", "Derived here, from $s = \\operatorname{softmax}(z)$, $s_{i} = e^{z_{i}} / \\sum_{k} e^{z_{k}}$, and "
         "the cross-entropy $C = -\\sum_{j} y_{j} \\log s_{j}$ with a target $y$ whose entries sum to one: "
         "the softmax Jacobian entry by entry, the gradient $\\partial C / \\partial z = s - y$ with the step "
         "that uses $\\sum_{j} y_{j} = 1$, and the output error of a network with a softmax output layer."),
        ("The softmax Jacobian", "Softmax is not element-wise: every output depends on every input. Entry by "
         "entry, the quotient rule on $s_{i} = e^{z_{i}} / \\sum_{k} e^{z_{k}}$ gives "
         "$\\partial s_{i} / \\partial z_{i} = s_{i} - s_{i}^{2}$ on the diagonal and "
         "$\\partial s_{i} / \\partial z_{j} = -s_{i} s_{j}$ off it, that is "
         "$\\partial s_{i} / \\partial z_{j} = s_{i} (\\delta_{ij} - s_{j})$ with $\\delta_{ij}$ the Kronecker "
         "delta; as a matrix, the full Jacobian $\\operatorname{diag}(s) - s s^{\\top}$. Written out for three "
         "classes:"),
        ("", derive(P.softmax(z), z, name="s")),
        ("With cross-entropy", "The cross-entropy cost is $C = -\\sum_{j} y_{j} \\log s_{j}$ with a target that "
         "sums to one. The chain rule through the softmax Jacobian gives $-y + s \\sum_{j} y_{j}$, and the "
         "fact $\\sum_{j} y_{j} = 1$ (a one-hot or label-smoothed target) makes it $s - y$; $u_{1}$ is $s$:"),
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
        ("", "Derived here, from $a = \\sigma(z)$ and the binary cross-entropy of each output: the gradient "
         "$\\partial C / \\partial z = \\sigma(z) - y$, with the step that writes $\\sigma'(z)$ as "
         "$\\sigma(z)(1 - \\sigma(z))$ and the cancellation it allows, and the output error of a network with "
         "that cost, beside the quadratic cost's."),
        ("The cancellation", "For a sigmoid output with the binary cross-entropy "
         "$C = -\\sum_{j} \\left(y_{j} \\log a_{j} + (1 - y_{j}) \\log(1 - a_{j})\\right)$ the factor "
         "$\\sigma'(z)$ cancels. With $u_{1} = \\sigma(z)$ and $u_{5} = 1 - u_{1}$, the chain rule gives "
         "$\\left(\\frac{1 - y}{1 - u_{1}} - \\frac{y}{u_{1}}\\right) \\odot \\sigma'(z)$; writing "
         "$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z)) = u_{1} \\odot (1 - u_{1})$ clears both denominators:"),
        ("", derive(C, z, name="C")),
        ("In a network", "The output error is $\\delta^{L} = a^{L} - y$:"),
        ("", equations(net.backprop())),
        ("Why it learns faster", "With the quadratic cost the output error keeps the factor $\\sigma'(z^{L})$, "
         "which is near zero when the output neuron saturates, so a badly wrong output learns slowly:"),
        ("", results(mse.derivation, lambda s: "BP1" in str(s.rule))),
    ]


