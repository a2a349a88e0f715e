"""Rendering: derivations as LaTeX (align*), markdown and documents, LaTeX for notebooks (MathJax and
KaTeX), index notation, explicit Jacobians, long right sides broken over lines, pdflatex; pictures of
networks, models and computation graphs as TikZ and SVG (``picture``).  Importing it registers the
derivation formats (jacobi.calculus.derivation.FORMATS): latex.py's, and stepforms.py's notebook forms of a
step, a derivation's results and the derivation as one aligned block."""
from . import stepforms
from .drawing import Picture
from .figures import picture, place_pictures, save_pictures
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
from .pictures import tikz_installed, uses_tikz
