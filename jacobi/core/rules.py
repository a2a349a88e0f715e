"""Rules: the identity that justifies a step, as text and as a LaTeX formula.

A rule is data: each primitive and each simplifier rewrite carries its own, and
derivation steps cite them; the renderers read them."""
from __future__ import annotations


class Rule(str):
    """The rule that justifies a step.  It reads as its text ("sum rule: d(u + v)/du = I")
    and carries the same rule for LaTeX: ``parts`` holds (name, text, formula in math) triples."""

    __slots__ = ("parts",)

    def __new__(cls, name: str, text: str = "", formula: str = ""):
        s = super().__new__(cls, f"{name}: {text}" if text else name)
        s.parts = ((name, text, formula),)
        return s

    def render(self, escape=str) -> str:
        """Each name, then its formula in $...$ (or its text, escaped, where it has no formula)."""
        return "; ".join(escape(n) + (f": ${f}$" if f else (": " + escape(t) if t else "")) for n, t, f in self.parts)

    @property
    def latex(self) -> str:
        """Text-mode LaTeX: each name, then its formula in math mode."""
        return self.render(latex_text)

    @classmethod
    def join(cls, rules) -> "Rule":
        """Several rules read as one annotation, "a; b", each kept once."""
        rules = [r if isinstance(r, Rule) else cls(r) for r in dict.fromkeys(rules)]
        if len(rules) == 1:
            return rules[0]
        out = super().__new__(cls, "; ".join(rules))
        out.parts = tuple(p for r in rules for p in r.parts)
        return out


def latex_text(s: str) -> str:
    """Plain text made safe for LaTeX's text mode."""
    out = []
    for ch in s:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "^":
            out.append(r"\^{}")
        elif ch == "~":
            out.append(r"\~{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)
