"""SymPy's printing hooks for jacobi's objects.  SymPy's printers call ``_latex``, ``_sympystr``,
``_sympyrepr`` and ``_pretty`` on an object that has them (sympy.latex, str, pretty, srepr, and
sympy.init_printing's display of lists and tuples): each answers with jacobi's own form, so that SymPy
never reads a jacobi object as the SymPy class of the same name, nor prints one as
``\\mathtt{\\text{<object at 0x...>}}``.  jacobi's own printers call ``_text`` and ``_tex``."""
from __future__ import annotations


class SympyHooks:
    """The hooks: ``sympy.latex`` gives the object's LaTeX (the subclass's ``_latex_body``, no
    delimiters); ``sympy.sstr``, ``sympy.srepr`` and ``sympy.pretty`` give its own text."""

    __slots__ = ()

    def _latex_body(self) -> str:  # pragma: no cover - every subclass gives its own
        raise NotImplementedError

    def _latex(self, printer=None, **_):
        return self._latex_body()

    def _sympystr(self, printer=None, **_):
        return str(self)

    _sympyrepr = _sympystr

    def _pretty(self, printer=None, **_):
        from sympy.printing.pretty.stringpict import prettyForm

        return prettyForm(str(self))
