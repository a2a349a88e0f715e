"""Numeric code generation: straight-line source from expressions.

Every node prints its own numeric form (``_numpy``); this module supplies the
backend (numpy, jax.numpy, torch), decides which nodes become named
temporaries (those used more than once: common subexpressions are computed
once across all outputs), binds symbolic sizes from the arguments' shapes,
frees arrays after their last use, and compiles the source.

Storage layout is converted at this one boundary.  Mathematics keeps
examples as columns (Z = W A + b 1^T); generated network code keeps them as
rows, the numpy convention (Z^T = A^T W^T + 1 b^T), so a batch quantity is
stored transposed and each expression is rewritten with its transposes
pushed to the leaves before printing.  Vectors that are not batch-shaped
(biases and their gradients) are stored flat, 1-D.

The source is ours, not the user's: no user text is ever evaluated.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .. import core as P
from ..core.expr import ATOM, Expr, describe
from ..core.shapes import JacobiError, ShapeError


@dataclass(frozen=True)
class Backend:
    name: str
    np: str  # the array module's name in generated code
    header: str
    fn_attr: str  # which template of an element-wise function to use
    dim: str  # keyword of a reduction's axis
    softmax: str  # {x}, {axis}
    log_softmax: str
    helpers: dict = field(default_factory=dict)


_NP_HELPERS = {
    "_softmax": '''def _softmax(z, axis):
    # subtracting the maximum keeps exp from overflowing
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e
''',
    "_log_softmax": '''def _log_softmax(z, axis):
    # z - logsumexp(z), never the log of an underflowed zero
    s = z - z.max(axis=axis, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return s
''',
    "_commutation": '''def _commutation(m, n):
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1
    return K
''',
}

BACKENDS = {
    "numpy": Backend("numpy", "np", "import numpy as np\n", "numpy", "axis",
                     "_softmax({x}, {axis})", "_log_softmax({x}, {axis})", _NP_HELPERS),
    "jax": Backend("jax", "jnp", "import jax\nimport jax.numpy as jnp\n", "jax", "axis",
                   "jax.nn.softmax({x}, axis={axis})", "jax.nn.log_softmax({x}, axis={axis})"),
    "torch": Backend("torch", "torch", "import torch\n", "torch", "dim",
                     "torch.softmax({x}, dim={axis})", "torch.log_softmax({x}, dim={axis})"),
}


def backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise JacobiError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}") from None


class CodePrinter:
    """Prints expressions as code for one backend and one storage layout."""

    method = "_code"

    def __init__(self, names: dict, sizes: dict, temps: dict, be: Backend, flat: set = frozenset()):
        self.names = names  # Symbol -> python name
        self.sizes = sizes  # size Symbol -> python name
        self.temps = temps  # node -> temp name (assigned)
        self.be = be
        self.np = be.np
        self.flat = flat  # column-vector symbols stored 1-D
        self.helpers: dict = {}

    # -- services the nodes call ------------------------------------------------
    def need(self, helpers: dict):
        for k, v in helpers.items():
            self.helpers.setdefault(k, v)

    def arg_name(self, s):
        try:
            name = self.names[s]
        except KeyError:
            raise JacobiError(f"the expression uses {describe(s)}, which is not among the arguments") from None
        return name + "[:, None]" if s in self.flat else name

    def apply(self, fn, x: str) -> str:
        tpl = getattr(fn, self.be.fn_attr)
        if tpl is None:
            raise JacobiError(f"the element-wise function {fn.name} has no {self.be.name} form")
        if self.be.name == "numpy":
            self.need(fn.numpy_helpers)
        return tpl.format(x=x)

    def call(self, what: str, axis: int, x: str) -> str:
        if self.be.name == "numpy":
            self.need({f"_{what}": _NP_HELPERS[f"_{what}"]})
        return getattr(self.be, what).format(x=x, axis=axis)

    def transpose(self, e: Expr) -> str:
        if e.is_scalar:
            return self.ref(e, ATOM)
        if isinstance(e, P.Symbol) and e in self.flat:
            return self.names[e]  # a 1-D array broadcasts as a row
        return self.ref(e, ATOM) + ".T"

    def reduce(self, M: Expr, axis: int) -> str:
        """M 1 (axis 1) or 1^T M (axis 0): a sum, kept two-dimensional."""
        if isinstance(M, P.Transpose) and isinstance(M.args[0], P.Symbol) and M.args[0] not in self.flat:
            inner = self.ref(M.args[0], ATOM)
            return f"{inner}.sum({self.be.dim}={1 - axis}, keepdims=True).T"
        return f"{self.ref(M, ATOM)}.sum({self.be.dim}={axis}, keepdims=True)"

    def broadcast(self, v: Expr, shape) -> str:
        """1 r^T or c 1^T: inside an element-wise operation broadcasting does it."""
        if self.parent_elementwise:
            return self.ref(v, ATOM)
        return self.ref(v, ATOM) + f" * {self.np}.ones({self.shape(shape)})"

    def ones(self, shape) -> str:
        return "1" if self.parent_elementwise else f"{self.np}.ones({self.shape(shape)})"

    in_elementwise = False
    parent_elementwise = False

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
            return repr(float(v))
        return "(" + self._sym(v) + ")"

    def ref(self, e: Expr, prec: int = 0) -> str:
        t = self.temps.get(e)
        if t is not None:
            return t
        saved = self.in_elementwise, self.parent_elementwise
        self.parent_elementwise = self.in_elementwise
        self.in_elementwise = e.elementwise and not isinstance(e, P.Broadcast) and _has_full(e)
        try:
            code = e._code(self)
        finally:
            self.in_elementwise, self.parent_elementwise = saved
        if isinstance(e, P.Symbol) or (isinstance(e, P.Const) and e.value.is_Integer and e.value >= 0):
            return code
        if prec == 0 or _atomic(code):
            return code
        return "(" + code + ")"


def _has_full(e) -> bool:
    """An element-wise node with an operand that has the full shape by itself,
    so constant operands may broadcast."""
    return any(not isinstance(a, (P.Ones, P.Broadcast, P.Const)) and a.shape == e.shape and
               not (isinstance(a, P.MatMul) and any(isinstance(f, P.Ones) for f in a.args))
               for a in e.args)


def _atomic(code: str) -> bool:
    """A name, a call or an attribute chain: no operator at depth 0."""
    depth = 0
    for i, ch in enumerate(code):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in " +-*/@" and not (ch == "-" and i == 0 and False):
            return False
    return not code.startswith("-")


def _py_names(symbols, taken=()) -> dict:
    out = {}
    used = {"np", "jnp", "jax", "torch", "math"} | set(taken)
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


@dataclass
class Line:
    """One assignment of generated code: target = expr, with a comment."""

    target: str
    expr: Expr
    comment: str = ""


def emit(lines: list, printer: CodePrinter, *, keep: set = frozenset(), indent: str = "    ") -> list:
    """Straight-line code for the assignments: shared subexpressions become
    temporaries, and every array is deleted after its last use (so peak memory
    matches code written by hand)."""
    roots = [ln.expr for ln in lines]
    uses = _uses(roots)
    out = []
    k = 0
    named = {}  # expression -> target that holds it
    for ln in lines:
        for n in ln.expr.walk():
            if n is ln.expr or not n.args or n in printer.temps or n in named:
                continue
            if uses.get(n, 0) > 1 and not isinstance(n, (P.Transpose, P.Broadcast)) and not _cheap(n):
                name = f"_t{k}"
                k += 1
                out.append((name, printer.ref(n, 0), "", n))
                printer.temps[n] = name
        code = printer.ref(ln.expr, 0)
        out.append((ln.target, code, ln.comment, ln.expr))
        printer.temps[ln.expr] = ln.target
        named[ln.expr] = ln.target
    # liveness: delete each name after the statement that last reads it
    text = []
    last: dict = {}
    tok = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
    for i, (_name, code, _, _) in enumerate(out):
        for t in tok.findall(code):
            last[t] = i
    assigned = {name for name, *_ in out}
    for i, (name, code, comment, _) in enumerate(out):
        text.append(f"{indent}{name} = {code}" + (f"  # {comment}" if comment else ""))
        dead = [t for t, j in last.items() if j == i and t in assigned and t not in keep]
        if dead:
            text.append(f"{indent}del {', '.join(sorted(dead))}")
    return text


def _cheap(n):
    return isinstance(n, P.Scale) and isinstance(n.args[0], P.Const) and n.args[0].value == -1


# ---------------------------------------------------------------------------
# lambdify


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


def generate(args: list, outputs: list, fname: str = "f", be: Backend = BACKENDS["numpy"]) -> tuple[str, dict]:
    """Source of a function computing outputs from args, plus its helpers."""
    names = _py_names(args)
    sizes: dict = {}
    bind = []
    for s in args:
        for axis, dim in enumerate(s.shape):
            if isinstance(dim, sp.Symbol) and dim not in sizes:
                nm = "_" + dim.name
                sizes[dim] = nm
                bind.append(f"    {nm} = {names[s]}.shape[{axis}]")
    p = CodePrinter(names, sizes, {}, be)
    lines = [Line(f"_out{i}", e) for i, e in enumerate(outputs)]
    body = emit(lines, p, keep={f"_out{i}" for i in range(len(outputs))} | set(names.values()))
    checks = [f"    {names[s]} = _arg({names[s]}, {s.name!r}, {2 if not s.is_scalar else 0})" for s in args]
    ret = f"    return ({', '.join(f'_out{i}' for i in range(len(outputs)))},)"
    src = f"def {fname}({', '.join(names[s] for s in args)}):\n" + "\n".join(checks + bind + body + [ret]) + "\n"
    helpers = dict(p.helpers)
    if "_commutation(" in src:
        helpers["_commutation"] = _NP_HELPERS["_commutation"]
    return src, helpers


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
        bound: dict = {}
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
            if len(got) != 2:
                raise ShapeError(f"the argument {s.name} should have shape {want[0]}x{want[1]}, got {a.shape}")
            for g, w in zip(got, want):
                if w.is_Integer and int(w) != g:
                    raise ShapeError(f"the argument {s.name} should have shape {want[0]}x{want[1]}, got {a.shape}")
                if isinstance(w, sp.Symbol):
                    seen = bound.setdefault(w, (g, s.name))
                    if seen[0] != g:
                        raise ShapeError(f"the size {w} is {seen[0]} in {seen[1]} but {g} in {s.name} "
                                         f"(shape {a.shape})")
        outs = self._f(*values)
        res = []
        for e, o in zip(self.outputs, outs):
            o = np.asarray(o)
            if e.is_scalar:
                res.append(o.reshape(())[()])
            else:
                if flat and e.shape[1] == 1 and e.shape[0] != 1:
                    res.append(np.array(o).reshape(-1))
                else:
                    res.append(np.array(o))
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
