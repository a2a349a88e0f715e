"""The LaTeX that jacobi prints, as Unicode text: the labels of an SVG picture, which a browser shows
without a TeX engine (x_{1} -> x₁, W^{\\top} -> Wᵀ, \\sigma'(u) -> σ'(u), \\frac{a}{b} -> a/b).

Only the commands jacobi's printers emit are known; ``unicode_math`` returns None for anything else,
so that the caller falls back to the text form rather than show a command.
"""
from __future__ import annotations

import re

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
SYMBOLS = {
    "odot": "⊙", "otimes": "⊗", "oslash": "⊘", "cdot": "·", "times": "×", "top": "ᵀ", "partial": "∂",
    "nabla": "∇", "sum": "Σ", "prod": "Π", "infty": "∞", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "neq": "≠", "ne": "≠", "circ": "∘", "prime": "′", "ldots": "…", "dots": "…", "cdots": "⋯",
    "coloneqq": "≔", "mapsto": "↦", "to": "→", "rightarrow": "→", "leftarrow": "←", "in": "∈", "mid": "|",
    "lVert": "‖", "rVert": "‖", "|": "‖", "{": "{", "}": "}", "approx": "≈", "equiv": "≡", "pm": "±",
    "quad": "  ", "qquad": "   ", ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "log": "log", "exp": "exp",
    "tanh": "tanh", "sin": "sin", "cos": "cos", "tan": "tan", "det": "det", "max": "max", "min": "min",
    "ln": "ln", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "ell": "ℓ", "star": "⋆",
}
#: commands whose one argument is shown as it is
PLAIN = {"operatorname", "mathrm", "text", "mathit", "textrm", "boxed", "mathsf", "textit", "mathnormal"}
ACCENTS = {"overline": "\u0305", "bar": "\u0304", "hat": "\u0302", "tilde": "\u0303", "dot": "\u0307",
           "widehat": "\u0302", "vec": "\u20d7"}
BOLD = {"1": "𝟏", "0": "𝟎"}
SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWᵀ′'",
               "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵀ′′"))
SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ,"))
DELIMS = {"(": "(", ")": ")", "[": "[", "]": "]", "|": "|", ".": "", "\\{": "{", "\\}": "}", "\\lVert": "‖",
          "\\rVert": "‖", "\\|": "‖", "\\langle": "⟨", "\\rangle": "⟩"}

_LETTERS = set(GREEK) | {"partial", "nabla"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.", re.S)


class _Unknown(Exception):
    pass


def unicode_math(tex: str) -> str | None:
    """tex (math mode) as Unicode text, or None where it uses a command this does not know."""
    try:
        tokens = _TOKEN.findall(tex)
        out, rest = _group(tokens, 0, None)
    except _Unknown:
        return None
    out = re.sub(r" {2,}", " ", out)
    out = re.sub(r"([(\[∂∇√]) | ([)\]])", r"\1\2", out)  # no space inside delimiters or after ∂
    out = re.sub(r"(?<![\w.])(\d+) (?=[^\W\d_])", r"\1", out)  # a number's factor follows it: 2x, as TeX sets 2 x
    return out.replace(" ,", ",").strip()


def _arg(tokens, i):
    """The next argument (a {group} or one token) from position i: (text, next position)."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        raise _Unknown("an argument is missing")
    if tokens[i] == "{":
        return _group(tokens, i + 1, "}")
    return _group([tokens[i]], 0, None)[0], i + 1


def _raw(tokens, i):
    """The next {group} as its LaTeX source (for \\begin{...} names)."""
    if tokens[i] != "{":
        raise _Unknown("a name in braces")
    j = tokens.index("}", i)
    return "".join(tokens[i + 1:j]), j + 1


def _script(text: str, table: dict, mark: str) -> str:
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return mark + (text if len(text) == 1 else "(" + text + ")")


def _wrap(text: str) -> str:
    return text if re.fullmatch(r"[∂∇]?[\w′'ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉\u0300-\u036f]+", text) else "(" + text + ")"


def _group(tokens, i, close):
    out = []
    while i < len(tokens):
        t = tokens[i]
        i += 1
        if t == close:
            return "".join(out), i
        if t == "{":
            s, i = _group(tokens, i, "}")
            out.append(s)
        elif t in ("^", "_"):
            s, i = _arg(tokens, i)
            out.append(_script(s, SUP if t == "^" else SUB, t))
        elif t.isspace():
            if (tokens[i - 2][1:] if i >= 2 else "") not in _LETTERS:  # "\partial x" is ∂x, "a \odot b" a ⊙ b
                out.append(" ")
        elif t in ("\\left", "\\right", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\big", "\\Big"):
            while i < len(tokens) and tokens[i].isspace():
                i += 1
            d = tokens[i] if i < len(tokens) else ""
            if d not in DELIMS:
                raise _Unknown(f"delimiter {d!r}")
            out.append(DELIMS[d])
            i += 1
        elif t == "\\frac":
            a, i = _arg(tokens, i)
            b, i = _arg(tokens, i)
            out.append(_wrap(a) + "/" + _wrap(b))
        elif t == "\\sqrt":
            a, i = _arg(tokens, i)
            out.append("√" + _wrap(a))
        elif t == "\\mathbf":
            a, i = _arg(tokens, i)
            out.append(BOLD.get(a, a))
        elif t == "\\mathbb":
            a, i = _arg(tokens, i)
            out.append({"R": "ℝ", "N": "ℕ", "Z": "ℤ"}.get(a, a))
        elif t[1:] in PLAIN:
            a, i = _arg(tokens, i)
            out.append(a)
        elif t[1:] in ACCENTS:
            a, i = _arg(tokens, i)
            base = re.match(r"[^_^\u2080-\u209c]*", a).group(0)  # the accent covers the base, not its index
            out.append("".join(c + ACCENTS[t[1:]] if c.isalnum() else c for c in base) + a[len(base):])
        elif t == "\\begin":
            name, i = _raw(tokens, i)
            if name not in ("matrix", "bmatrix", "pmatrix"):
                raise _Unknown(name)
            s, i = _group(tokens, i, "\\end")
            _, i = _raw(tokens, i)
            rows = "; ".join(", ".join(c.strip() for c in r.split("&")) for r in s.split("\\\\"))
            out.append({"bmatrix": "[" + rows + "]", "pmatrix": "(" + rows + ")"}.get(name, rows))
        elif t == "\\\\":
            out.append("\\\\")
        elif t.startswith("\\"):
            name = t[1:]
            if name in GREEK:
                out.append(GREEK[name])
            elif name in SYMBOLS:
                out.append(SYMBOLS[name])
            else:
                raise _Unknown(t)
        elif t == "&":
            out.append("&")
        else:
            out.append(t)
    if close is not None:
        raise _Unknown(f"unclosed {close}")
    return "".join(out), i
