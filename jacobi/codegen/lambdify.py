"""lambdify: a compiled function of symbols that evaluates expressions.

The pieces: backends (capability records of the array libraries), the code
printer, emit (CSE and liveness); this module binds symbolic sizes from the
arguments' shapes, checks the arguments and compiles the source.

Storage layout is converted at one boundary, in the network code generator:
mathematics keeps examples as columns (Z = W A + b 1^T); generated network
code keeps them as rows, the numpy convention (Z^T = A^T W^T + 1 b^T).

The source is ours, not the user's: no user text is ever evaluated.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import core as P
from ..core.expr import Expr, deep, describe
from ..core.shapes import JacobiError, ShapeError
from .backends import BACKENDS, Backend, _arg, argument
from .backends import backend as _backend
from .emit import Line, emit
from .printer import CodePrinter, py_names

__all__ = ["Lambdified", "generate", "lambdify", "_arg"]  # _arg: the CLI writes its source into modules


@deep
def generate(args: list, outputs: list, fname: str = "f", be: Backend = BACKENDS["numpy"]) -> tuple[str, dict]:
    """Source of a function computing outputs from args, plus its helpers."""
    names = py_names(args, taken={be.alias})
    sizes: dict = {}
    bind = []
    for s in args:
        for axis, dim in enumerate(s.shape):
            if isinstance(dim, sp.Symbol) and dim not in sizes:
                nm = "_" + dim.name
                sizes[dim] = nm
                bind.append(f"    {nm} = {names[s]}.shape[{axis}]")
    # arrays the code creates take the dtype of the first argument
    p = CodePrinter(names, sizes, {}, be, like=names[args[0]] if args else None)
    lines = [Line(f"_out{i}", e) for i, e in enumerate(outputs)]
    body = emit(lines, p, keep={f"_out{i}" for i in range(len(outputs))} | set(names.values()))
    checks = [f"    {names[s]} = _arg({names[s]}, {s.name!r}, {2 if not s.is_scalar else 0}{_structure(s, be)})"
              for s in args]
    ret = f"    return ({', '.join(f'_out{i}' for i in range(len(outputs)))},)"
    src = f"def {fname}({', '.join(names[s] for s in args)}):\n" + "\n".join(checks + bind + body + [ret]) + "\n"
    helpers = dict(p.helpers)
    helpers.update(be.support(src + "".join(helpers.values())))
    return src, helpers


def _structure(s, be: Backend) -> str:
    """The structure argument of a declared matrix's check: ", 'diagonal'" or ", 'symmetric'" (a positive
    definite matrix is checked symmetric: its definiteness would cost a factorisation, and is trusted).
    None where the backend's code is traced (jax.jit), which cannot branch on values."""
    if not be.value_checks or s.is_scalar:
        return ""
    return ", 'diagonal'" if s.diagonal else ", 'symmetric'" if s.symmetric else ""


def _shape_of(v) -> tuple:
    return tuple(v.shape) if hasattr(v, "shape") else np.shape(v)


def _result(o, scalar: bool, flat: bool):
    """An output as lambdify returns it: numpy results are copies (never views of an
    argument), scalars numpy scalars; another library's arrays stay its own."""
    if isinstance(o, (np.ndarray, np.generic, int, float, complex)):
        o = np.asarray(o)
        if scalar:
            return o.reshape(())[()]
        return np.array(o).reshape(-1) if flat else np.array(o)
    if scalar:
        return o.reshape(())
    return o.reshape(-1) if flat else o


class Lambdified:
    """A compiled function; ``.source`` is its code (the helpers it calls, then the function)."""

    def __init__(self, args, outputs, single, src, helpers, be: Backend = BACKENDS["numpy"]):
        self.args = args
        self.outputs = outputs
        self.single = single
        self.backend = be.name
        self.source = "".join(helpers[k] + "\n" for k in sorted(helpers)) + src
        ns = be.namespace()
        ns["_arg"] = argument(be)
        exec(compile(self.source, "<jacobi.lambdify>", "exec"), ns)  # noqa: S102 - our generated code only
        self._f = ns["f"]

    def __call__(self, *values, **named):
        if named:
            raise JacobiError(f"pass the arguments by position ({', '.join(s.name for s in self.args)}), "
                              f"not by name ({', '.join(named)})")
        if len(values) != len(self.args):
            raise JacobiError(f"expected {len(self.args)} arguments ({', '.join(s.name for s in self.args)}), "
                              f"got {len(values)}")
        flat = False
        bound: dict = {}
        for s, v in zip(self.args, values):
            try:
                shape = _shape_of(v)
            except (TypeError, ValueError) as err:
                raise JacobiError(f"the argument {s.name} is not an array of numbers: {err}") from None
            want = s.shape
            if s.is_scalar:
                continue
            if len(shape) == 1 and want[1] == 1:
                flat = True
                got = (shape[0], 1)
            else:
                got = shape
            if len(got) != 2:
                raise ShapeError(f"the argument {s.name} should have shape {want[0]}x{want[1]}, got {shape}")
            for g, w in zip(got, want):
                if w.is_Integer and int(w) != g:
                    raise ShapeError(f"the argument {s.name} should have shape {want[0]}x{want[1]}, got {shape}")
                if isinstance(w, sp.Symbol):
                    seen = bound.setdefault(w, (g, s.name))
                    if seen[0] != g:
                        raise ShapeError(f"the size {w} is {seen[0]} in {seen[1]} but {g} in {s.name} "
                                         f"(shape {shape})")
        outs = self._f(*values)
        res = [_result(o, e.is_scalar, flat and e.shape[1] == 1 and e.shape[0] != 1)
               for e, o in zip(self.outputs, outs)]
        return res[0] if self.single else tuple(res)


@deep
def lambdify(args, exprs, backend: str = "numpy") -> Lambdified:
    """A function of the given symbols evaluating an expression (or a list).

    Vectors may be passed as 1-D arrays or as columns; if any vector is passed
    1-D, column results come back 1-D.  Scalars come back as numpy scalars
    (0-d arrays of the library for another backend).  backend names a record
    of ``BACKENDS``: "numpy" (the default), "jax", "torch".

    >>> f = jc.lambdify([W, x], jc.gradient(C, W)); f(Wv, xv)
    """
    be = _backend(backend)
    be.load()  # a missing library is reported before any work
    single = not isinstance(exprs, (list, tuple))
    outs = [exprs] if single else list(exprs)
    if not isinstance(args, (Expr, list, tuple)):
        raise JacobiError(f"lambdify's arguments are a symbol or a list of symbols, not {args!r}")
    args = [args] if isinstance(args, Expr) else list(args)
    for k, a in enumerate(args):
        if not isinstance(a, P.Symbol):
            raise JacobiError(f"lambdify's arguments must be symbols, not {a!r}")
        if a in args[:k]:
            raise JacobiError(f"the argument {a.name} is given twice")
    outs = [P.as_expr(o, "lambdify") for o in outs]
    P.check_declarations(*outs, *args)
    missing = [s for o in outs for s in o.symbols() if s not in args]
    if missing:
        raise JacobiError(f"the expression uses {describe(missing[0])}, which is not among the arguments")
    src, helpers = generate(args, outs, be=be)
    return Lambdified(args, outs, single, src, helpers, be)
