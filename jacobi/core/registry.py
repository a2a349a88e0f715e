"""The registry of primitives: every node class, checked when it is defined.

A primitive is one class that holds everything about one operation: its shape
rule (``shape_rule``, or ``_shape`` where parameters decide it), its printers (``_text``, ``_tex``, ``_code``,
``_explicit``; optionally ``_index`` and ``_sympy``), and, if it can be
differentiated, its local Jacobian (``local_jacobian``) with the rules it
cites (``rules``), the transpose rule of the Jacobian block it is
(``_pullback``) and ``examples``: expressions in the parser's syntax that the
rule tests differentiate against finite differences and SymPy (tests/test_rules.py
reads them from here, so a new primitive is tested without a test edit).
``@primitive`` refuses a class that lacks one of these at definition time, not
at first use, and records it in ``PRIMITIVES``.
"""
from __future__ import annotations

from .shapes import JacobiError

#: class name -> node class, in order of definition
PRIMITIVES: dict[str, type] = {}

#: the printers every node must have
PRINTERS = ("_text", "_tex", "_code", "_explicit")


def primitive(cls: type) -> type:
    """Register a node class after checking that it is complete."""
    from .expr import Expr

    if not (isinstance(cls, type) and issubclass(cls, Expr)):
        raise JacobiError(f"@primitive takes a subclass of jacobi's Expr, not {cls!r}")
    if cls._shape.__func__ is Expr._shape.__func__ and cls.shape_rule is None:
        raise JacobiError(f"the primitive {cls.__name__} has no shape rule (shape_rule or _shape)")
    missing = [m for m in PRINTERS if not callable(getattr(cls, m, None))]
    if missing:
        raise JacobiError(f"the primitive {cls.__name__} has no {', '.join(missing)} printer")
    if hasattr(cls, "local_jacobian") and not getattr(cls, "rules", None):
        raise JacobiError(f"the primitive {cls.__name__} has a local Jacobian but no rules to cite (rules = {{...}})")
    examples = getattr(cls, "examples", ())
    if hasattr(cls, "local_jacobian") and not (isinstance(examples, tuple) and examples
                                               and all(isinstance(t, str) for t in examples)):
        raise JacobiError(f"the primitive {cls.__name__} has a local Jacobian but no examples for the rule tests "
                          '(examples = ("text in the parser\'s syntax", ...))')
    if cls.__name__ in PRIMITIVES and PRIMITIVES[cls.__name__] is not cls:
        raise JacobiError(f"a primitive named {cls.__name__} is already registered")
    PRIMITIVES[cls.__name__] = cls
    return cls


def unregister(cls: type) -> None:
    """Forget a primitive (for throwaway ones defined in tests)."""
    if PRIMITIVES.get(cls.__name__) is cls:
        del PRIMITIVES[cls.__name__]
