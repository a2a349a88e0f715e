"""The layer documents of derivations/ (after the twelve course documents): one per layer of
jacobi.nn.layers and jacobi.nn.seqlayers, each derived by jacobi when the folder is regenerated.

Each document is a list of sections made by the functions of ``SECTIONS``, in order: what the layer
computes, its program of lets, the adjoint equations, every step, and the gradients resolved to the
leaves where they are short.  A new kind of section (the compact forms) is one more entry there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import core as P
from .core import latex
from .nn import Attention, BatchNorm, Dense, ElmanRNN, Embedding, LayerNorm, Residual, RMSNorm, backprop
from .render import DEFINE, align_block, picture

_SHORT = 400  # a resolved gradient longer than this (LaTeX characters) is left to the adjoint equations


@dataclass
class LayerDoc:
    """What a layer document shows: the layer's program ending in L = sum(G * y), G the gradient that
    arrives from above (a constant, so that dy = G), and which leaves to resolve."""

    what: str
    bp: object
    resolve: list = field(default_factory=list)  # names of leaves
    more: list = field(default_factory=list)  # further (heading, LaTeX) sections, after the standard ones
    compact: list = field(default_factory=list)  # (of, through, style): the one-line forms written by hand


def upstream(y, data=()):
    """The layer's program closed by L = sum(G * y), G (y's shape) held constant with the data leaves."""
    G = P.matrix("G", y.shape[0], y.shape[1])
    return backprop(P.let("L", P.sum_(y * G)), constants=[G, *data])


def _align(rows, op) -> str:
    return align_block([(latex(a), op, latex(b)) for a, b in rows])


def what_it_computes(doc: LayerDoc) -> list:
    derived = ("Derived here, from the layer's program of lets below and the gradient $G$ that arrives from "
               "above: the adjoint of every let and every leaf (the gradient of the loss with respect to it), "
               "every step of the chain rule that gives them, and the compact form written by hand.")
    return [("", derived), ("What the layer computes", doc.what)]


def program(doc: LayerDoc) -> list:
    return [("The program", "Each intermediate is a let; the loss closes the program with the gradient $G$ "
             "that arrives from the layers above, so that $\\overline{y} = G$ for the layer's output $y$."),
            ("", _align(doc.bp.program.defs.items(), DEFINE))]


def graph(doc: LayerDoc) -> list:
    return [("The program as a graph", "An edge for each use of a leaf or let, labelled with the local Jacobian "
             "that joins its ends (listed beside it, as the steps below derive them); the adjoints run back "
             "along the edges, each the sum over its node's out-edges of the Jacobian's transpose times the "
             "adjoint at the other end."), ("", picture(doc.bp))]


def adjoints(doc: LayerDoc) -> list:
    return [("The adjoint equations", "From the loss inwards, each adjoint $\\overline{v} = \\partial L / "
             "\\partial v$ is written through the adjoints of the lets that use $v$:"),
            ("", _align(((e.lhs, e.rhs) for e in doc.bp.equations), "="))]


def steps(doc: LayerDoc) -> list:
    return [("Every step", "The local Jacobians with the rules that give them, each chain-rule product and "
             "its simplification:"), ("", doc.bp.derivation)]


def resolved(doc: LayerDoc) -> list:
    leaves = {s.name: s for s in doc.bp.leaves}
    rows = [(r"\frac{\partial L}{\partial " + latex(leaves[v]) + "}", doc.bp.resolved(v)) for v in doc.resolve]
    rows = [(a, b) for a, b in rows if len(latex(b)) <= _SHORT]
    if not rows:
        return []
    return [("In terms of the leaves", "The adjoints substituted back, simplified:"),
            ("", align_block([(a, "=", latex(b)) for a, b in rows]))]


def compact_forms(doc: LayerDoc) -> list:
    """The adjoints in the one line written by hand (``bp.compact``): through the named adjoints alone,
    over the forward pass's quantities."""
    if not doc.compact:
        return []
    out = [("The compact form", "Substituting the adjoint equations into one another and writing the result "
            "over the forward pass's quantities (the factors constant along a sum taken out of it, each "
            "intermediate written through the later one it defines, and the sums that a definition fixes: a "
            "centred column sums to zero, a row of a softmax to one) gives the line written by hand.")]
    for of, through, style in doc.compact:
        via = ", ".join(f"${latex(doc.bp.adjoint(t))}$" for t in through)
        means = ", the sums along an axis written as means" if style == "mean" else ""
        lead = f"Through {via} alone{means}:" if via else f"All the way to the gradient $G$ from above{means}:"
        out += [("", lead),
                ("", _align([(doc.bp.adjoint(of), doc.bp.compact(of, through=through, style=style))], "="))]
    return out


def more(doc: LayerDoc) -> list:
    return list(doc.more)


SECTIONS = [what_it_computes, program, graph, adjoints, steps, resolved, compact_forms, more]


def sections(doc: LayerDoc) -> list:
    return [s for make in SECTIONS for s in make(doc)]


def _norm_doc(layer, what, extra=(), compact=()):
    X = P.matrix("X", "n", "d")
    y = layer(X)
    bp = upstream(y)
    return LayerDoc(what, bp, ["gamma"], list(extra), list(compact))


def batch_norm():
    what = ("Batch normalisation in training mode normalises each column of the batch $X$ ($n$ examples as "
            "rows, $d$ features) by the column's mean and variance over the batch, then scales and shifts it "
            "with the learned rows $\\gamma$ and $\\beta$ (each spread over the rows). The variance divides by "
            "$n$ (torch's training mode, ddof $= 0$); Bessel's correction (Karpathy's makemore) divides by "
            "$n - 1$ and changes one factor, shown at the end.")
    bessel = upstream(BatchNorm(ddof=1)(P.matrix("X", "n", "d")))
    extra = [("With Bessel's correction", "With ddof $= 1$ the variance is "
              "$\\frac{1}{n-1} \\mathbf{1}^{\\top} (x_{c} \\odot x_{c})$ and the adjoint equations are the same but "
              "for the factor $\\frac{2}{n-1}$ in $\\overline{x_{c}}$:"),
             ("", _align(((e.lhs, e.rhs) for e in bessel.equations), "=")),
             ("", "and the compact form is Karpathy's line, $\\frac{n}{n-1}$ on the last term:"),
             ("", _align([(bessel.adjoint("X"), bessel.compact("X", through=["y"]))], "="))]
    return "Batch normalisation (training mode)", sections(
        _norm_doc(BatchNorm(), what, extra, [("X", ["y"], "sum"), ("X", ["xhat"], "mean")]))


def layer_norm():
    what = ("Layer normalisation (llm.c's layernorm) normalises each row of $X$, one example or position with "
            "$d$ features, by the row's mean and biased variance, then scales and shifts with the rows $\\gamma$ "
            "and $\\beta$. The statistics are columns ($n \\times 1$), spread over the $d$ columns.")
    return "Layer normalisation", sections(_norm_doc(LayerNorm(), what, compact=[("X", ["xhat"], "mean")]))


def rms_norm():
    what = ("RMS normalisation divides each row of $X$ by the root of its mean square (no centring, no shift) "
            "and scales by the row $\\gamma$. Its adjoints are layer normalisation's without the mean terms.")
    return "RMS normalisation", sections(_norm_doc(RMSNorm(), what, compact=[("X", ["xhat"], "mean")]))


def residual_block():
    X = P.matrix("X", "n", "d")
    y = Residual(Dense("d", "tanh"))(X)
    what = ("A residual block adds its input to the output of its layers, $r = x + f(x)$, here with "
            "$f(x) = \\tanh(x W + b)$ (one dense layer that keeps the width $d$). The gradient reaching $x$ is "
            "the sum of the one through $f$ and the one through the identity path: $\\overline{r}$ arrives "
            "unchanged.")
    return "A residual block", sections(LayerDoc(what, upstream(y), ["W1", "X"], compact=[("X", [], "sum")]))


def attention():
    X = P.matrix("X", "T", "m")
    layer = Attention("d", causal=True)
    built = layer.build(X)
    what = ("Single-head scaled dot-product self-attention over a sequence $X$ of $T$ positions (rows) with "
            "$m$ features: queries, keys and values $Q = X W_{Q}$, $K = X W_{K}$, $V = X W_{V}$ "
            "($m \\times d$ weights), the scores $S = Q K^{\\top} / \\sqrt{d} + M$, the attention "
            "$A = \\operatorname{softmax}(S)$ along each row, and $O = A V$. The causal mask $M$ is a "
            "$T \\times T$ data leaf, held constant: $0$ on and below the diagonal and $-\\infty$ above it, so "
            "that position $i$ attends to the positions $j \\le i$ alone; the softmax gives $0$ where the mask "
            "is $-\\infty$, and the pullback $\\overline{S} = A \\odot (\\overline{A} - "
            "(A \\odot \\overline{A}) \\mathbf{1} \\mathbf{1}^{\\top})$ is $0$ there too.")
    return "Scaled dot-product attention with a causal mask", sections(
        LayerDoc(what, upstream(built.output, built.data), [], compact=[("S", ["A"], "sum")]))


def embedding():
    I = P.indices("I", "n", "k", "V")
    y = Embedding("V", "e")(I)
    what = ("An embedding layer gathers rows of the table $C$ ($V$ tokens, $e$ features each): for the index "
            "matrix $I$ ($n$ examples, $k$ tokens each, entries in $[0, V)$) row $i$ of the result is "
            "$C_{I_{i1}}, \\dots, C_{I_{ik}}$ side by side ($n \\times k e$, torch's \\texttt{C[I].view(n, -1)}). "
            "Its gradient is a scatter-add: each row block of $\\overline{\\mathrm{emb}}$ is added into the row of "
            "$C$ it came from, repeated indices accumulating. No $V \\times V$ or one-hot matrix is formed. "
            "$I$ is data and has no adjoint.")
    return "An embedding layer", sections(LayerDoc(what, upstream(y), ["C"], compact=[("C", [], "sum")]))


def elman_rnn():
    T = 3
    xs = [P.matrix(f"x_{t}", "n", "m", latex=f"x_{{{t}}}") for t in range(1, T + 1)]
    y = ElmanRNN("h", T)(xs)
    what = ("An Elman recurrent network reads $T$ inputs $x_{1}, \\dots, x_{T}$ ($n$ sequences as rows, $m$ "
            "features) and keeps a hidden state: $z_{t} = x_{t} W_{xh} + h_{t-1} W_{hh} + b_{h}$, "
            "$h_{t} = \\tanh(z_{t})$, from $h_{0} = 0$; here unrolled over $T = 3$ steps, the output being "
            "$h_{3}$. The adjoint equations are backpropagation through time: $\\overline{h}_{t}$ is written "
            "through $\\overline{z}_{t+1}$, $\\overline{h_{t}} = \\overline{z_{t+1}} W_{hh}^{\\top}$, and the "
            "weights' gradients sum one term per step.")
    return "An Elman RNN, backpropagation through time", sections(
        LayerDoc(what, upstream(y), ["Whh"], compact=[("h_1", [], "sum"), ("Whh", [], "sum")]))


LAYER_DOCUMENTS = [
    ("13-batch-norm", batch_norm),
    ("14-layer-norm", layer_norm),
    ("15-rms-norm", rms_norm),
    ("16-residual-block", residual_block),
    ("17-attention", attention),
    ("18-embedding", embedding),
    ("19-elman-rnn", elman_rnn),
]

__all__ = ["LAYER_DOCUMENTS", "SECTIONS", "LayerDoc", "sections", "upstream"]
