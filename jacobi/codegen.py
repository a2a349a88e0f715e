"""Numeric code generation: straight-line numpy source from expressions.

Every node prints its own numpy form (``_numpy``); this module decides which
nodes become named temporaries (those used more than once: common
subexpressions are computed once across all outputs), binds symbolic sizes
from the arguments' shapes, and compiles the source.  The source is ours, not
the user's: no user text is ever evaluated.
"""
from __future__ import annotations

import keyword

import numpy as np
import sympy as sp

from . import primitives as P
from .expr import ATOM, Expr, describe
from .shapes import JacobiError, ShapeError

_RESERVED = {"np", "numpy", "math"}

_HELPERS = {
    "_commutation": """def _commutation(m, n):
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1
    return K
""",
}


class NumpyPrinter:
    method = "_numpy"

    def __init__(self, names: dict, sizes: dict, temps: dict):
        self.names = names  # Symbol -> python name
        self.sizes = sizes  # size Symbol -> python name
        self.temps = temps  # node -> temp name (assigned)
        self.helpers: dict = {}

    def need(self, helpers: dict):
        for k, v in helpers.items():
            self.helpers.setdefault(k, v)

    def arg_name(self, s):
        try:
            return self.names[s]
        except KeyError:
            raise JacobiError(f"the expression uses {describe(s)}, which is not among the arguments") from None

    def size(self, s) -> str:
        return self._sym(sp.sympify(s))

    def shape(self, shape) -> str:
        return f"({self.size(shape[0])}, {self.size(shape[1])})"

    def _sym(self, v) -> str:
        if v.is_Integer:
            return str(int(v))
        rep = {}
        for s in v.free_symbols:
            if s not in self.sizes:
                raise JacobiError(f"the size {s} cannot be read off the arguments' shapes")
            rep[s] = sp.Symbol(self.sizes[s])
        from sympy.printing.pycode import pycode

        return pycode(v.xreplace(rep))

    def number(self, v) -> str:
        if v.is_Integer:
            return str(int(v))
        if v.is_number:
            f = float(v)
            return repr(f)
        return "(" + self._sym(v) + ")"

    def ref(self, e: Expr, prec: int = 0) -> str:
        t = self.temps.get(e)
        if t is not None:
            return t
        code = e._numpy(self)
        if isinstance(e, (P.Symbol,)) or (isinstance(e, P.Const) and e.value.is_Integer and e.value >= 0):
            return code
        if isinstance(e, (P.Apply, P.Sum, P.Softmax, P.Zero, P.Ones, P.Identity, P.Diag, P.Kron,
                          P.Commutation, P.Broadcast, P.SoftmaxJacobian)) and prec <= ATOM:
            if not code.startswith("(") and (" " not in code.split("(")[0]):
                return code
        return "(" + code + ")" if prec > 0 else code


def _py_names(symbols) -> dict:
    out = {}
    used = set(_RESERVED)
    for s in symbols:
        n = s.name
        if keyword.iskeyword(n) or n in used or n.startswith("_"):
            n = n + "_"
        while n in used:
            n += "_"
        used.add(n)
        out[s] = n
    return out


def _uses(roots) -> dict:
    count: dict = {}
    for r in roots:
        count[r] = count.get(r, 0) + 1
    seen = set()
    for r in roots:
        for n in r.walk():
            if id(n) in seen:
                continue
            seen.add(id(n))
            for a in n.args:
                count[a] = count.get(a, 0) + 1
    return count


def generate(args: list, outputs: list, fname: str = "f") -> tuple[str, dict]:
    """Python source of a function computing outputs from args, plus its helpers."""
    names = _py_names(args)
    # sizes, read off the arguments' shapes
    sizes: dict = {}
    bind = []
    for s in args:
        for axis, dim in enumerate(s.shape):
            if isinstance(dim, sp.Symbol) and dim not in sizes:
                nm = "_" + dim.name
                sizes[dim] = nm
                bind.append(f"    {nm} = {names[s]}.shape[{axis}]")
    uses = _uses(outputs)
    temps: dict = {}
    p = NumpyPrinter(names, sizes, temps)
    lines = []
    order = []
    seen = set()
    for r in outputs:
        for n in r.walk():
            if id(n) not in seen:
                seen.add(id(n))
                order.append(n)
    k = 0
    for n in order:
        if not n.args or n in temps:
            continue
        if uses.get(n, 0) > 1 and not isinstance(n, P.Transpose):
            code = n._numpy(p)
            name = f"_t{k}"
            k += 1
            lines.append(f"    {name} = {code}")
            temps[n] = name
    rets = [p.ref(r, 0) for r in outputs]
    checks = []
    for s in args:
        nm = names[s]
        checks.append(f"    {nm} = _arg({nm}, {s.name!r}, {2 if not s.is_scalar else 0})")
    body = checks + bind + lines + [f"    return ({', '.join(rets)},)"]
    src = f"def {fname}({', '.join(names[s] for s in args)}):\n" + "\n".join(body) + "\n"
    helpers = dict(p.helpers)
    for n in order:
        if isinstance(n, P.Commutation):
            helpers["_commutation"] = _HELPERS["_commutation"]
    return src, helpers


def _arg(v, name, ndim):
    a = np.asarray(v)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    if ndim == 0:
        if a.size != 1:
            raise ShapeError(f"the scalar argument {name} got an array of shape {a.shape}")
        return a.reshape(())
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim != 2:
        raise ShapeError(f"the argument {name} must be 1-D or 2-D, got shape {a.shape}")
    return a


class Lambdified:
    """A compiled function; ``.source`` is its numpy code."""

    def __init__(self, args, outputs, single, src, helpers):
        self.args = args
        self.outputs = outputs
        self.single = single
        self.source = "".join(helpers[k] + "\n" for k in sorted(helpers)) + src
        ns = {"np": np, "_arg": _arg}
        exec(compile(self.source, "<jacobi.lambdify>", "exec"), ns)  # noqa: S102 - our generated code only
        self._f = ns["f"]

    def __call__(self, *values):
        if len(values) != len(self.args):
            raise JacobiError(f"expected {len(self.args)} arguments ({', '.join(s.name for s in self.args)}), "
                              f"got {len(values)}")
        flat = False
        for s, v in zip(self.args, values):
            a = np.asarray(v)
            want = s.shape
            if s.is_scalar:
                continue
            if a.ndim == 1 and want[1] == 1:
                flat = True
                got = (a.shape[0], 1)
            else:
                got = a.shape
            for g, w in zip(got, want):
                if w.is_Integer and int(w) != g:
                    raise ShapeError(f"the argument {s.name} should have shape {want[0]}x{want[1]}, got {a.shape}")
        outs = self._f(*values)
        res = []
        for e, o in zip(self.outputs, outs):
            o = np.asarray(o)
            if e.is_scalar:
                res.append(o.reshape(())[()])
            elif flat and e.shape[1] == 1 and e.shape[0] != 1:
                res.append(o.reshape(-1))
            else:
                res.append(o)
        return res[0] if self.single else tuple(res)


def lambdify(args, exprs) -> Lambdified:
    """A numpy function of the given symbols evaluating an expression (or a list).

    Vectors may be passed as 1-D arrays or as columns; if any vector is passed
    1-D, column results come back 1-D.  Scalars come back as numpy scalars.

    >>> f = jc.lambdify([W, x], jc.gradient(C, W)); f(Wv, xv)
    """
    single = not isinstance(exprs, (list, tuple))
    outs = [exprs] if single else list(exprs)
    args = [args] if isinstance(args, Expr) else list(args)
    for a in args:
        if not isinstance(a, P.Symbol):
            raise JacobiError(f"lambdify's arguments must be symbols, not {a!r}")
    outs = [P.as_expr(o, "lambdify") for o in outs]
    missing = [s for o in outs for s in o.symbols() if s not in args]
    if missing:
        raise JacobiError(f"the expression uses {describe(missing[0])}, which is not among the arguments")
    src, helpers = generate(args, outs)
    return Lambdified(args, outs, single, src, helpers)
