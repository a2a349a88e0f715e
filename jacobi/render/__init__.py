"""Rendering: derivations as LaTeX (align*), markdown and documents, LaTeX for notebooks (MathJax and
KaTeX), index notation, explicit Jacobians, long right sides broken over lines, pdflatex.  Importing it
registers the derivation formats (jacobi.calculus.derivation.FORMATS)."""
from .indexform import element, free_indices, index_latex
from .latex import (
                    PREAMBLE,
                    Line,
                    align_block,
                    compile_pdf,
                    derivation_latex,
                    derivation_markdown,
                    document,
                    explicit_latex,
                    pdflatex,
                    rule_latex,
)
from .notebook import DEFINE
