"""Rendering: derivations as LaTeX (align*), markdown and documents, index
notation, explicit Jacobians, pdflatex.  Importing it registers the
derivation formats (jacobi.calculus.derivation.FORMATS): latex.py's, and display.py's notebook forms
of a step, a derivation's results and the derivation as one aligned block."""
from . import display
from .indexform import element, free_indices, index_latex
from .latex import compile_pdf, derivation_latex, derivation_markdown, document, explicit_latex, pdflatex, rule_latex
