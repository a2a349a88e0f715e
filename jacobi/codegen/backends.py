"""Backends as capability records: everything generated code needs to know about one array library.

A backend is one ``Backend`` record in ``BACKENDS``.  Nothing else in codegen
or nn asks which library it is: the printer reads templates and keywords off
the record.  Adding a backend is one ``register_backend`` call; a library
that follows numpy's API under another name (cupy, numpy imported as xp) is a
copy of the numpy record:

>>> register_backend(BACKENDS["numpy"].renamed("xp", alias="xp"))

Templates are ``str.format`` strings; the keys are ``{np}`` (the array
module's alias), ``{x}`` (an operand's code), ``{axis}``, ``{shape}``,
``{r}``, ``{c}``, ``{n}`` and ``{like}`` (the keyword arguments that give a new
array the dtype, and device, of an existing one).  Element-wise functions keep
their own templates, keyed by backend name, in ``jacobi.core.functions``; a
template is written against the alias of the backend it is keyed by and is
renamed for a backend that reads it under another alias.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..core.shapes import JacobiError, ShapeError
from .support import (
    _ADD_AT_TARGETS,
    _AXIS,
    _BLOCKS,
    _COMMUTATION,
    _GRAM,
    _NORM2,
    _NP_HELPERS,
    _PLUS_DIAGONAL,
    _POWER_SUM,
    _SCATTER_ADD,
    _SOFTMAX_JACOBIAN,
    _TORCH_AXIS,
)


def _numpy_like_asarray(xp, v):
    """A floating array of a numpy-compatible library (integers become float64)."""
    a = xp.asarray(v)
    if not xp.issubdtype(a.dtype, xp.inexact):
        a = a.astype(xp.float64)
    return a


def _torch_asarray(torch, v):
    a = torch.as_tensor(v)
    if not (a.is_floating_point() or a.is_complex()):
        a = a.to(torch.float64)
    return a


def _numpy_like_indices(xp, v):
    """An integer array of a numpy-compatible library, or None where v holds no integers."""
    a = xp.asarray(v)
    return a if xp.issubdtype(a.dtype, xp.integer) else None


def _torch_indices(torch, v):
    a = torch.as_tensor(v)
    if a.is_floating_point() or a.is_complex() or a.dtype == torch.bool:
        return None
    return a.long()  # the dtype torch indexes with


@dataclass(frozen=True)
class Backend:
    """One array library as generated code uses it."""

    name: str  # backend="..."
    module: str  # the array module, imported to check that the library is there ("jax.numpy")
    alias: str  # the array module's name in generated code ("jnp")
    imports: tuple = ()  # the header lines of a written module; they bind every name the code uses
    extra: str | None = None  # the extra that installs the library: pip install 'jacobi-calculus[<extra>]'
    functions: tuple = ()  # the element-wise templates it reads, by backend name, first found wins
    elementwise: dict = field(default_factory=dict)  # function name -> template, ahead of the functions' own
    axis: str = "axis"  # a reduction's axis keyword
    softmax: str | None = None  # over {x} and {axis}
    log_softmax: str | None = None
    softmax_log: str | None = None  # softmax and log-softmax from one exp: "a, log_a"
    max: str = "{x}.max({np_axis}={a}, keepdims=True)"  # the maximum along axis {a}, dimensions kept
    max_all: str = "{np}.max({x})"  # the maximum of every entry
    logsumexp: str = "_logsumexp({x})"  # log(sum(exp(x))) over every entry, a 0-d array
    gram: str = "_gram({b}, {d})"  # b^T diag(d) b for a column d >= 0
    plus_diagonal: str = "_plus_diagonal({m}, {sign}{d})"  # a fresh square m with d added to its diagonal
    inner: str = "{np}.vdot({a}, {b})"  # the inner product of two vectors, laid out either way: a 0-d result
    vec: str = "{x}.reshape(-1, 1, order='F')"  # a matrix's columns stacked ({x} is a postfix operand)
    unvec: str = "{x}.reshape({shape}, order='F')"  # a column laid out as r x c, column-major
    like: str = ", dtype={x}.dtype"  # keyword arguments: a new array with the dtype of {x}
    array: str = "{np}.asarray({x}{like})"  # a 0-d array holding the number {x}
    ones: str = "{np}.ones({shape}{like})"
    zeros: str = "{np}.zeros({shape}{like})"
    eye: str = "{np}.eye({n}{like})"
    commutation: str = "_commutation({m}, {n}{like})"  # the commutation matrix (a helper)
    kron: str = "{np}.kron({a}, {b})"
    # block contractions of G ({g}, mp x nq) with W ({w}), and the rearrangement of G's p x q blocks (helpers)
    block_inner: str = "_block_inner({g}, {w})"
    block_sum: str = "_block_sum({g}, {w})"
    rearrange: str = "_rearrange({g}, {p}, {q})"
    # sum_{i<k} {a}^i {g} {b}^(k-1-i), from the powers of a block matrix (a helper)
    power_sum: str = "_power_sum({a}, {g}, {b}, {k})"
    # functions of a square matrix {x}; jax.numpy and torch read numpy's names (torch.trace, torch.linalg.*)
    trace: str = "{np}.trace({x})"
    det: str = "{np}.linalg.det({x})"
    logdet: str = "{np}.linalg.slogdet({x})[1]"  # log|det| from the LU factors: log(abs(det)) overflows
    inv: str = "{np}.linalg.inv({x})"
    solve: str = "{np}.linalg.solve({a}, {b})"  # inv(A) @ B, without forming the inverse
    matrix_power: str = "{np}.linalg.matrix_power({x}, {k})"
    # index matrices (jacobi.core.indexing): the rows of {c} that the integer matrix {i} names, as an {n} x {w}
    # matrix; the rows of {g} (n x k e) added into a {v} x {e} zero matrix by {i}; {i} == arange({v}), a
    # floating 0/1 array (a one-hot row per entry of {i}, broadcast over a trailing axis)
    gather: str = "{c}[{i}].reshape({n}, {w})"
    scatter_add: str = "_scatter_add({g}, {i}, {v}, {e})"
    onehot: str = "{np}.asarray({np}.arange({v}) == {i}{like})"
    pick_sum: str = "{x}[{np}.arange({n}), {i}[:, 0]].sum()"  # sum_i {x}[i, {i}[i, 0]]: {i} an index column
    # {a} + {c} onehot({i}) with {c} added at each row's target; {a} is an array the line computed afresh
    add_at_targets: str | None = "_add_at_targets({a}, {i}, {c})"
    copy: str = "{x}.copy()"  # a copy of {x} (a postfix operand) that the code may write into
    concat: str = "{np}.concatenate([{xs}], axis={a})"  # the blocks {xs} (a list's items) along axis {a}
    helpers: dict = field(default_factory=dict)  # support functions, included where the code calls them
    # the generated code may branch on array values (a target check that raises); False where the code is
    # traced (jax.jit), so that values are not known when it runs
    value_checks: bool = True
    asarray: Callable = _numpy_like_asarray  # (module, value) -> the library's floating array (lambdify)
    index_array: Callable = _numpy_like_indices  # (module, value) -> its integer array, or None (lambdify)

    def __post_init__(self):
        if not self.imports:
            line = f"import {self.module}" + (f" as {self.alias}" if self.alias != self.module else "")
            object.__setattr__(self, "imports", (line,))
        if not self.functions:
            object.__setattr__(self, "functions", (self.name,))

    @property
    def header(self) -> str:
        return "".join(line + "\n" for line in self.imports)

    @property
    def library(self) -> str:
        return self.module.split(".")[0]

    def fmt(self, what: str, **kw) -> str:
        """The record's template ``what`` filled in."""
        template = getattr(self, what)
        if template is None:
            raise JacobiError(f"the backend {self.name} has no {what} form")
        return template.format(np=self.alias, np_axis=self.axis, **kw)

    # -- the library ------------------------------------------------------------------
    def _missing(self) -> JacobiError:
        how = f"pip install 'jacobi-calculus[{self.extra}]'" if self.extra else f"pip install {self.library}"
        return JacobiError(f"backend={self.name!r} needs {self.library}: {how}")

    def load(self):
        """The array module; a missing library is a JacobiError naming what to install."""
        try:
            return importlib.import_module(self.module)
        except ImportError:
            raise self._missing() from None

    def namespace(self) -> dict:
        """The names generated code uses, bound by running the header's imports."""
        self.load()
        ns: dict = {}
        try:
            exec("\n".join(self.imports), ns)  # noqa: S102 - the record's own import lines
        except ImportError:
            raise self._missing() from None
        return ns

    # -- element-wise functions and support code ------------------------------------
    def function(self, fn) -> tuple[str, dict]:
        """The template of an element-wise function and the helpers it calls."""
        if fn.name in self.elementwise:
            return self.elementwise[fn.name], {}
        for key in self.functions:
            tpl = fn.code.get(key)
            if tpl is not None:
                src = BACKENDS[key].alias if key in BACKENDS else self.alias
                helpers = fn.helpers.get(key, {})
                return _rename(tpl, src, self.alias), {k: _rename(v, src, self.alias) for k, v in helpers.items()}
        raise JacobiError(f"the element-wise function {fn.name} has no {self.name} form")

    def support(self, text: str) -> dict:
        """The backend's helpers that the text calls, and theirs in turn."""
        out: dict = {}
        todo = [text]
        while todo:
            src = todo.pop()
            for name, body in self.helpers.items():
                if name not in out and re.search(rf"(?<![\w.]){re.escape(name)}\(", src):
                    out[name] = body
                    todo.append(body)
        return out

    def renamed(self, name: str, *, alias: str, module: str | None = None, imports: tuple = (),
                extra: str | None = None) -> "Backend":
        """This record for a library with the same API under another name: its templates and
        helpers are rewritten from this alias to the new one, and it reads this backend's
        element-wise templates."""
        module = module or self.module
        fields = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, str) and f.name not in ("name", "module", "alias", "extra"):
                fields[f.name] = _rename(v, self.alias, alias)
        helpers = {k: _rename(v, self.alias, alias) for k, v in self.helpers.items()}
        elementwise = {k: _rename(v, self.alias, alias) for k, v in self.elementwise.items()}
        return dataclasses.replace(self, name=name, module=module, alias=alias, imports=tuple(imports),
                                   extra=extra, functions=(name,) + self.functions, helpers=helpers,
                                   elementwise=elementwise, **fields)


def _rename(code: str, old: str, new: str) -> str:
    if old == new:
        return code
    return re.sub(rf"(?<![\w.]){re.escape(old)}\.", new + ".", code)


def _arg(v, name, ndim, structure=None, asarray=None):
    """An argument as a 0-d or 2-D floating array (a vector given 1-D becomes a column); asarray turns v
    into the library's floating array (numpy's, as a written module carries this function, by default).
    structure "symmetric" or "diagonal" checks a declared matrix to rounding (1e-8 of its entries)."""
    if structure is None and asarray is None and v.__class__ is np.ndarray and v.ndim == ndim == 2 \
            and v.dtype.kind in "fc":
        return v  # the common case, at once
    if v is None or isinstance(v, (str, bytes, dict, set)):
        raise JacobiError(f"the argument {name} is not an array of numbers: {v!r}")
    try:
        if asarray is None:
            a = np.asarray(v)
            if a.dtype.kind not in "fc":
                a = a.astype(np.float64)
        else:
            a = asarray(v)
    except (TypeError, ValueError, RuntimeError) as err:
        raise JacobiError(f"the argument {name} is not an array of numbers: {err}") from None

    if ndim == 0:
        if np.prod(tuple(a.shape)) != 1:
            raise ShapeError(f"the scalar argument {name} got an array of shape {tuple(a.shape)}")
        return a.reshape(())
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim != 2:
        raise ShapeError(f"the argument {name} must be 1-D or 2-D, got shape {tuple(a.shape)}")
    m = a.detach() if hasattr(a, "detach") else a  # a.T and abs() work for numpy and torch alike
    problem = None
    if structure == "symmetric" and a.shape[0] == a.shape[1]:
        bad, scale = float(abs(m - m.T).max()), float(abs(m).max())
        if bad > 1e-8 * scale:
            problem = f"the largest entry of |{name} - {name}.T| is {bad:.3g}, for entries up to {scale:.3g}"
    elif structure == "diagonal":
        bad = float(abs(m).sum() - abs(m.diagonal()).sum())
        if bad > 1e-8 * float(abs(m).sum()):
            problem = f"its entries off the diagonal sum to {bad:.3g} in absolute value"
    if problem:
        raise JacobiError(f"the argument {name} is declared {structure} but is not: {problem}")
    return a


def _index_arg(v, name, classes=None, asarray=None):
    """An index matrix argument (jc.indices) as a 2-D integer array (a column given 1-D becomes one); given
    classes, its entries are checked in [0, classes) (where the values are known: not inside jax.jit)."""
    if classes is not None:
        if v.__class__ is np.ndarray and v.dtype.kind == "i" and v.size \
                and int(v.view(f"u{v.itemsize}").max()) < classes:
            return v  # one pass: a negative entry read as unsigned is above any class count
        try:
            lo, hi = int(v.min()), int(v.max())
        except TypeError:  # traced values (jax.jit): nothing to check
            return v
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            raise JacobiError(f"the index argument {name} has the entry {bad}, outside [0, {classes}): its "
                              f"entries index {classes} classes")
        return v
    if v is None or isinstance(v, (str, bytes, dict, set)):
        raise JacobiError(f"the index argument {name} is not an array of integers: {v!r}")
    try:
        a = (asarray or _numpy_indices)(v)
    except (TypeError, ValueError, RuntimeError) as err:
        raise JacobiError(f"the index argument {name} is not an array of integers: {err}") from None
    if a is None:
        got = getattr(getattr(v, "dtype", None), "name", None) or type(v).__name__
        raise JacobiError(f"the index argument {name} must be an array of integers (entries in [0, classes)), "
                          f"not of {got}")
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim != 2:
        raise ShapeError(f"the index argument {name} must be 1-D or 2-D, got shape {tuple(a.shape)}")
    return a


def _numpy_indices(v):
    return _numpy_like_indices(np, v)


def index_argument(be: Backend) -> Callable:
    """lambdify's check of an index matrix argument for a backend: (value, name, classes) -> an integer array."""
    xp = be.load()
    if xp is np and be.index_array is _numpy_like_indices:
        return _index_arg  # numpy's own arrays: _index_arg's default
    return functools.partial(_index_arg, asarray=lambda v: be.index_array(xp, v))


def argument(be: Backend) -> Callable:
    """lambdify's argument check for a backend: (value, name, ndim) -> a 0-d or 2-D floating array."""
    xp = be.load()
    if xp is np and be.asarray is _numpy_like_asarray:
        return _arg  # numpy's own arrays: _arg's default
    return functools.partial(_arg, asarray=lambda v: be.asarray(xp, v))


# ---------------------------------------------------------------------------
# The built-in backends (their support functions' source: support.py).

BACKENDS: dict[str, Backend] = {}


def register_backend(be: Backend) -> Backend:
    """Make a backend available as backend=be.name (to lambdify and Network.gradient_function)."""
    if not isinstance(be, Backend):
        raise JacobiError(f"register_backend takes a Backend record, not {be!r}")
    BACKENDS[be.name] = be
    return be


def backend(name) -> Backend:
    if isinstance(name, Backend):
        return name
    try:
        return BACKENDS[name]
    except (KeyError, TypeError):
        raise JacobiError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}") from None


register_backend(Backend(
    "numpy", module="numpy", alias="np",
    softmax="_softmax({x}, {axis})", log_softmax="_log_softmax({x}, {axis})",
    softmax_log="_softmax_log({x}, {axis})",
    helpers={**_NP_HELPERS, "_scatter_add": _SCATTER_ADD, "_add_at_targets": _ADD_AT_TARGETS},
))
register_backend(Backend(
    "jax", module="jax.numpy", alias="jnp", imports=("import jax", "import jax.numpy as jnp"), extra="jax",
    value_checks=False,
    functions=("jax", "numpy"),
    scatter_add="jnp.zeros(({v}, {e}), dtype={g}.dtype).at[{i}.reshape(-1)].add({g}.reshape(-1, {e}))",
    softmax="jax.nn.softmax({x}, axis={axis})", log_softmax="jax.nn.log_softmax({x}, axis={axis})",
    softmax_log="jax.nn.softmax({x}, axis={axis}), jax.nn.log_softmax({x}, axis={axis})",
    logsumexp="jax.nn.logsumexp({x})", add_at_targets="{a}.at[jnp.arange({n}), {i}[:, 0]].add({c})",
    copy="{x}",  # jax arrays are never written into: .at[...].add makes a new one
    helpers={"_commutation": _rename(_COMMUTATION, "np", "jnp"), "_norm2": _rename(_NORM2, "np", "jnp"),
             "_power_sum": _rename(_POWER_SUM, "np", "jnp"), **{k: _rename(v, "np", "jnp") for k, v in _BLOCKS.items()},
             "_softmax_jacobian": _rename(_SOFTMAX_JACOBIAN, "np", "jnp"), "_gram": _GRAM,
             "_plus_diagonal": _rename(_PLUS_DIAGONAL, "np", "jnp"),
             **{k: _rename(v, "np", "jnp") for k, v in _AXIS.items()}},
))
register_backend(Backend(
    "torch", module="torch", alias="torch", extra="torch", axis="dim",
    softmax="torch.softmax({x}, dim={axis})", log_softmax="torch.log_softmax({x}, dim={axis})",
    softmax_log="torch.softmax({x}, dim={axis}), torch.log_softmax({x}, dim={axis})",
    logsumexp="torch.logsumexp({x}.reshape(-1), 0)",
    inner="torch.dot({a}.reshape(-1), {b}.reshape(-1))", max="{x}.amax(dim={a}, keepdim=True)",
    vec="{x}.T.reshape(-1, 1)", unvec="{x}.reshape({c}, {r}).T",
    kron="torch.kron({pa}.contiguous(), {pb}.contiguous())",  # torch.kron fails on transposed factors
    like=", dtype={x}.dtype, device={x}.device", array="torch.tensor({x}{like})",
    scatter_add="torch.zeros(({v}, {e}), dtype={g}.dtype, device={g}.device).index_add_(0, {i}.reshape(-1), "
                "{g}.reshape(-1, {e}))",
    onehot="torch.asarray(torch.arange({v}, device={i}.device) == {i}{like})",
    pick_sum="torch.sum(torch.gather({x}, 1, {i}))",
    add_at_targets="_add_at_targets({a}, {i}, {c})", copy="{x}.clone()",
    concat="torch.cat([{xs}], dim={a})",
    helpers={"_commutation": _rename(_COMMUTATION, "np", "torch"), "_norm2": _rename(_NORM2, "np", "torch"),
             "_gram": _GRAM, "_plus_diagonal": _rename(_PLUS_DIAGONAL, "np", "torch"),
             "_add_at_targets": _ADD_AT_TARGETS.replace("np.arange(a.shape[0])",
                                                        "torch.arange(a.shape[0], device=a.device)"),
             "_power_sum": _rename(_POWER_SUM, "np", "torch").replace("concatenate(", "cat(").replace("axis=", "dim="),
             **{k: _rename(v, "np", "torch") for k, v in _BLOCKS.items()}, **_TORCH_AXIS,
             "_softmax_jacobian": _rename(_SOFTMAX_JACOBIAN, "np", "torch").replace(
                 "dtype=s.dtype", "dtype=s.dtype, device=s.device")},
    asarray=_torch_asarray, index_array=_torch_indices,
))
