"""Code generation: backends as records, the code printer, CSE and liveness, lambdify."""
from .lambdify import BACKENDS, Backend, CodePrinter, Lambdified, Line, backend, emit, generate, lambdify
