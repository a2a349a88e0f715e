"""Code generation: backends as records, the code printer, CSE and liveness, lambdify."""
from .backends import BACKENDS, Backend, backend, register_backend
from .emit import Line, emit
from .lambdify import Lambdified, generate, lambdify
from .printer import CodePrinter
