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

import re

import numpy as np
import sympy as sp
from sympy.printing.pycode import pycode

from .. import core as P
from ..core.display import ShowsSource, plural
from ..core.expr import Expr, deep, describe
from ..core.shapes import JacobiError, ShapeError, concrete_sizes
from .backends import BACKENDS, Backend, _arg, argument, index_argument
from .backends import backend as _backend
from .emit import Line, emit
from .printer import CodePrinter, py_names

__all__ = ["Lambdified", "generate", "lambdify", "_arg"]  # _arg: the CLI writes its source into modules


@deep
def generate(args: list, outputs: list, fname: str = "f", be: Backend = BACKENDS["numpy"],
             sizes_given: dict | None = None, program: tuple = (), doc: str = "") -> tuple[str, dict]:
    """Source of a function computing outputs from args, plus its helpers; sizes_given (size Symbol ->
    int) binds the sizes that no argument's shape gives (the power k of matrix_power(X, k)).  program
    holds assignments (symbol, expression, comment) computed first, in order: later ones and the outputs
    refer to each by its symbol, which names it in the code (an output that is one is returned by name);
    doc is the function's docstring."""
    names = py_names(list(args) + [s for s, _, _ in program], taken={be.alias})
    sizes: dict = {}
    bind = []
    for s in args:
        for axis, dim in enumerate(s.shape):
            if isinstance(dim, sp.Symbol) and dim not in sizes:
                nm = "_" + dim.name
                sizes[dim] = nm
                bind.append(f"    {nm} = {names[s]}.shape[{axis}]")
    bind += _factor_sizes(args, names, sizes)
    for dim, v in sorted((sizes_given or {}).items(), key=lambda kv: kv[0].name):
        if dim not in sizes:
            nm = "_" + dim.name
            sizes[dim] = nm
            bind.append(f"    {nm} = {int(v)}")
    # arrays the code creates take the dtype of the first floating argument (index matrices are integers)
    floats = [s for s in args if not P.is_indices(s)]
    p = CodePrinter(names, sizes, {}, be, like=names[floats[0]] if floats else None)
    assigned = {s for s, _, _ in program}
    outs = [names[e] if e in assigned else f"_out{i}" for i, e in enumerate(outputs)]
    lines = [Line(names[s], e, c) for s, e, c in program]
    lines += [Line(o, e) for o, e in zip(outs, outputs) if e not in assigned]
    body = emit(lines, p, keep=set(outs) | {names[s] for s in args})
    checks = [f"    {names[s]} = _indices({names[s]}, {s.name!r})" if P.is_indices(s) else
              f"    {names[s]} = _arg({names[s]}, {s.name!r}, {2 if not s.is_scalar else 0}{_structure(s, be)})"
              for s in args]
    # an index matrix's entries are checked in range once its number of classes is bound
    bind += [f"    _indices({names[s]}, {s.name!r}, {p.size(P.classes(s))})" for s in args if P.is_indices(s)]
    ret = f"    return ({', '.join(outs)},)"
    head = [f'    """{doc}"""'] if doc else []
    src = (f"def {fname}({', '.join(names[s] for s in args)}):\n"
           + "\n".join(head + checks + bind + body + [ret]) + "\n")
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


def _factor_sizes(args, names: dict, sizes: dict) -> list:
    """The lines binding sizes that are only factors of a dimension (p of an mp x nq gradient, m bound
    elsewhere): a dimension that is a product with one size still unbound gives it, dim // the rest."""
    lines = []
    progress = True
    while progress:
        progress = False
        for s in args:
            for axis, dim in enumerate(s.shape):
                if not isinstance(dim, sp.Mul):
                    continue
                free = [f for f in dim.free_symbols if f not in sizes]
                if len(free) != 1 or sp.degree(dim, free[0]) != 1:
                    continue
                rest = sp.cancel(dim / free[0])
                nm = "_" + free[0].name
                other = pycode(rest.xreplace({f: sp.Symbol(sizes[f]) for f in rest.free_symbols}))
                lines.append(f"    {nm} = {names[s]}.shape[{axis}] // ({other})")
                sizes[free[0]] = nm
                progress = True
    return lines


def _conditions(args, exprs) -> list:
    """What the sizes bound from the arguments must satisfy beyond naming one size once: a dimension that is
    an expression in sizes (x of a + b entries) has its value; a slice whose stop the sizes do not keep
    within its operand (cols(X, 0, 3) of an n-column X) is within it."""
    out = [(d, "==", d, f"the argument {s.name} has {d} {('rows', 'columns')[axis]}")
           for s in args for axis, d in enumerate(s.shape) if d.free_symbols and not d.is_Symbol]
    out += [(stop, "<=", extent, f"{n} needs {stop} <= {extent}") for n, stop, extent in P.slice_bounds(exprs)]
    return out


def _check_conditions(conditions, bound: dict) -> None:
    """Each condition at the bound sizes (name -> (value, argument)); one whose sizes are not all bound is
    left to the array library."""
    value = {name: v for name, (v, _) in bound.items()}
    for lhs, op, rhs, what in conditions:
        at = {q: value.get(str(q)) for q in (lhs.free_symbols | sp.sympify(rhs).free_symbols)}
        if op == "==":
            got = value.get(str(lhs))
            if None in at.values() or got is None:
                continue
            want = int(lhs.xreplace(at))
            if want != got:
                sizes = ", ".join(f"{q} = {v}" for q, v in sorted(at.items(), key=str))
                raise ShapeError(f"{what}: {want} at {sizes}, but it got {got}")
        else:
            if None in at.values():
                continue
            a, b = int(sp.sympify(lhs).xreplace(at)), int(sp.sympify(rhs).xreplace(at))
            if a > b:
                sizes = ", ".join(f"{q} = {v}" for q, v in sorted(at.items(), key=str))
                raise ShapeError(f"out of range: {what}, but {a} > {b} at {sizes}")


def _shape_of(v) -> tuple:
    return tuple(v.shape) if hasattr(v, "shape") else np.shape(v)


def _shared(o, values, before) -> bool:
    """Whether the numpy array o may be an argument's memory or an earlier output's (x, x.T, the same
    array twice): such an output is copied, so that writing into a result never writes elsewhere."""
    if not isinstance(o, np.ndarray):
        return False
    if any(o is v for v in values) or any(o is b for b in before):
        return True
    return o.base is not None and any(np.may_share_memory(o, v) for v in (*values, *before)
                                      if isinstance(v, np.ndarray))


def _spec(s) -> tuple:
    """(name, scalar, wanted sizes: an int, or a size's name) of an argument, read once."""
    return s.name, s.is_scalar, tuple(int(d) if d.is_Integer else str(d) for d in s.shape)


def _result(o, scalar: bool, flat: bool, copy: bool):
    """An output as lambdify returns it: scalars as numpy scalars (0-d arrays of another library),
    columns 1-D where a vector was given 1-D, a copy where it may share memory (_shared)."""
    if isinstance(o, (np.ndarray, np.generic, int, float, complex)):
        if scalar:
            return np.asarray(o).reshape(())[()]
        if copy or not isinstance(o, np.ndarray):
            o = np.array(o)
        return o.reshape(-1) if flat else o
    if scalar:
        return o.reshape(())
    return o.reshape(-1) if flat else o


_ARG_LINE = re.compile(r"^    (\w+) = (?:_arg\(\1, '[^']*', \d\)|_indices\(\1, '[^']*'\))\n", re.M)


def _fast_path(source: str, ns: dict, be: Backend):
    """(the function's body without its plain argument lines, a function of the arguments giving the
    key (class, shape, dtype, strides, ...) of their values) for numpy's backend; (None, None) elsewhere.  A line that
    checks a declared structure stays."""
    if be.load() is not np:
        return None, None
    head = re.search(r"^def f\(([^)]*)\):", source, re.M)
    names = [n.strip() for n in head.group(1).split(",")]
    fast: dict = dict(ns)
    exec(compile(_ARG_LINE.sub("", source), "<jacobi.lambdify fast>", "exec"), fast)  # noqa: S102 - ours
    key = ", ".join(f"{n}.__class__, {n}.shape, {n}.dtype, {n}.strides" for n in names)
    exec(compile(f"def key({', '.join(names)}):\n    return ({key},)\n", "<jacobi.lambdify key>", "exec"), fast)  # noqa: S102
    return fast["f"], fast["key"]


class Lambdified(ShowsSource):
    """A compiled function; ``.source`` is its code (the helpers it calls, then the function).

    A call checks the arguments' shapes against the symbols' (sizes bound consistently), runs the
    code and returns its arrays as they are: only an output that may share an argument's memory
    (the argument itself, a view of it) or another output's is copied.  Arguments of shapes and
    dtypes already checked, given as numpy arrays the code takes as they are (2-D floating arrays,
    0-d for a scalar, 2-D integer arrays for index matrices), go straight to the body without the
    argument lines (numpy's backend); an index matrix's entries are still checked in range."""

    def __init__(self, args, outputs, single, src, helpers, be: Backend = BACKENDS["numpy"], computed=()):
        self.args = args
        self.outputs = outputs
        self.single = single
        self.backend = be.name
        self.source = "".join(helpers[k] + "\n" for k in sorted(helpers)) + src
        ns = be.namespace()
        ns["_arg"] = argument(be)
        ns["_indices"] = index_argument(be)
        exec(compile(self.source, "<jacobi.lambdify>", "exec"), ns)  # noqa: S102 - our generated code only
        self._f = ns["f"]
        self._spec = [_spec(s) for s in args]
        self._conditions = _conditions(args, list(outputs) + list(computed))
        self._checked: dict = {}  # argument shapes already checked -> whether a vector came 1-D
        self._vectors = {i for i, s in enumerate(args) if not s.is_scalar and s.shape[1] == 1}
        self._index = {i for i, s in enumerate(args) if P.is_indices(s)}  # integer arrays, checked in range
        # per output: (scalar, a column that comes back 1-D when a vector was given 1-D)
        self._outs = [(e.is_scalar, e.shape[1] == 1 and e.shape[0] != 1) for e in outputs]
        self._fast, self._key = _fast_path(self.source, ns, be) if args else (None, None)
        # (class, shape, dtype, strides) of each argument -> whether the outputs come back as the body made them
        # (fresh arrays, none an argument or a view of one, no two the same): the body takes such arguments as
        # they are; the same code on arguments alike in these makes outputs alike in this
        self._plain: dict = {}

    def _signature(self) -> str:
        return f"f({', '.join(s.name for s in self.args)})"

    def _about(self) -> str:
        named = all(isinstance(o, P.Symbol) for o in self.outputs)
        outs = ": " + ", ".join(o.name for o in self.outputs) if named else ""
        return f"{self.backend} code returning {plural(len(self.outputs), 'array')}{outs}"

    def __call__(self, *values, **named):
        if named:
            raise JacobiError(f"pass the arguments by position ({', '.join(s.name for s in self.args)}), "
                              f"not by name ({', '.join(named)})")
        if self._fast is not None:
            try:
                fresh = self._plain[self._key(*values)]
            except (AttributeError, KeyError, TypeError):
                pass
            else:
                outs = self._fast(*values)
                if fresh:
                    return outs[0] if self.single else outs
                return self._results(outs, values, False)
        if len(values) != len(self._spec):
            raise JacobiError(f"expected {len(self.args)} arguments ({', '.join(s.name for s in self.args)}), "
                              f"got {len(values)}")
        key = None
        try:  # shapes seen before were checked before
            key = tuple([v.shape for v in values])
            flat = self._checked[key]
        except (AttributeError, KeyError, TypeError):
            flat = self._check(values)
            if key is not None and len(self._checked) < 64:
                self._checked[key] = flat
        outs = self._f(*values)
        if self._fast is not None and not flat and len(self._plain) < 64 and self._takes_as_is(values):
            self._plain[self._key(*values)] = self._fresh(outs, values) is not None
        return self._results(outs, values, flat)

    def _takes_as_is(self, values) -> bool:
        """Whether the argument lines would pass every value through unchanged: numpy floating arrays,
        2-D (0-d for a scalar), and 2-D integer arrays for index matrices."""
        return all(v.__class__ is np.ndarray and v.dtype.kind == ("i" if k in self._index else "f")
                   and v.ndim == (0 if scalar else 2) for k, ((_, scalar, _), v) in enumerate(zip(self._spec, values)))

    def _fresh(self, outs, values):
        """The outputs as they are where each is an array the code just made (not an argument, not a view,
        no two the same) or a numpy scalar; else None."""
        seen = set(map(id, values))
        for (scalar, _), o in zip(self._outs, outs):
            if o.__class__ is np.ndarray and not scalar and o.base is None:
                if id(o) in seen:
                    return None
                seen.add(id(o))
            elif not (scalar and isinstance(o, np.generic)):
                return None
        return outs

    def _results(self, outs, values, flat: bool):
        if not flat and self._fresh(outs, values) is not None:  # the common case at once
            return outs[0] if self.single else tuple(outs)
        res = [_result(o, scalar, flat and column, _shared(o, values, outs[:i]))
               for i, ((scalar, column), o) in enumerate(zip(self._outs, outs))]
        return res[0] if self.single else tuple(res)

    def _check(self, values) -> bool:
        """Check the arguments' shapes against the symbols'; whether a vector was given 1-D."""
        flat = False
        bound: dict = {}
        for i, ((name, scalar, want), v) in enumerate(zip(self._spec, values)):
            if scalar:
                continue
            try:
                shape = v.shape if hasattr(v, "shape") else np.shape(v)
            except (TypeError, ValueError) as err:
                raise JacobiError(f"the argument {name} is not an array of numbers: {err}") from None
            if len(shape) == 1 and i in self._vectors:
                flat = True
                shape = (shape[0], 1)
            if len(shape) != 2:
                raise ShapeError(f"the argument {name} should have shape {want[0]}x{want[1]}, got {tuple(shape)}")
            for g, w in zip(shape, want):
                if w.__class__ is int:
                    if w != g:
                        raise ShapeError(f"the argument {name} should have shape {want[0]}x{want[1]}, "
                                         f"got {_shape_of(v)}")
                elif bound.setdefault(w, (g, name))[0] != g:
                    raise ShapeError(f"the size {w} is {bound[w][0]} in {bound[w][1]} but {g} in {name} "
                                     f"(shape {_shape_of(v)})")
        if self._conditions:
            _check_conditions(self._conditions, bound)
        return flat


@deep
def lambdify(args, exprs, backend: str = "numpy", sizes: dict | None = None) -> Lambdified:
    """A function of the given symbols evaluating an expression (or a list).

    Vectors may be passed as 1-D arrays or as columns; if any vector is passed
    1-D, column results come back 1-D.  Scalars come back as numpy scalars
    (0-d arrays of the library for another backend).  backend names a record
    of ``BACKENDS``: "numpy" (the default), "jax", "torch".  sizes gives numbers
    for the sizes that no argument's shape gives (``sizes={"k": 5}`` for
    ``matrix_power(X, "k")``); the arguments' shapes give the others.

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
    given = {P.size(k): v for k, v in concrete_sizes(sizes).items()}
    src, helpers = generate(args, outs, be=be, sizes_given=given)
    return Lambdified(args, outs, single, src, helpers, be)
