"""The calculus: the Jacobian chain rule over programs of intermediate
variables, the derivation data it records, the simplifier and its rewrites,
the scalar lecture route, the explicit component view and numeric checks."""
from .chain import forward, inline, linearize, local_jacobian, pullback, reverse, substitute
from .check import GradientCheck, check_gradient, numeric_jacobian, random_values, rel_error
from .convex import Convexity, is_convex
from .derivation import Derivation, Partial, Program, Step, partial
from .derive import derive, gradient, jacobian
from .explicit import Evaluator, entries_of, explicit
from .second import derive_hessian, hessian, hvp
from .simplify import Simplifier, simplify
from .textbook import display_form, tidy
from .verification import verify
