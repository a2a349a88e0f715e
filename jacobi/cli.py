"""The jacobi command: differentiate an expression, derive a network's
backpropagation equations, check a gradient against central differences.

    jacobi diff "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W
    jacobi backprop --layers 4,3,2 --activation sigmoid --output softmax --cost cross_entropy
    jacobi check "sum((W @ x - y) ** 2)" --wrt W
    jacobi check --module mlp_grad.py

Exit status: 0 done, 1 a gradient check failed, 2 bad input (one line on
stderr, ``jacobi: error: ...``; a parse error adds the expression and a caret
under the offending character), 3 an internal error (JACOBI_DEBUG=1 shows its
traceback).  Expressions are read by jacobi.parse, which never evaluates them.
"""
from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import inspect
import os
import sys

from . import core as P
from .core.shapes import JacobiError
from .parse import ParseError, parse_result

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3

_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

DIFF_EXAMPLES = """\
examples:
  jacobi diff "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W
  jacobi diff "C = sum((W @ x + b - y) ** 2) / 2" --wrt W,b --steps
  jacobi diff "sigmoid(W @ x)" --wrt x                   (a Jacobian, numerator layout)
  jacobi diff "-sum(t * log(softmax(z)))" --wrt z --distribution t
  jacobi diff "x.T @ A @ x" --wrt x --shape x=3 --format latex
  jacobi diff "sum(exp(W @ x))" --wrt W --format python

syntax: + - * / ** are element-wise (a scalar expands), @ is the matrix product,
x.T or x' the transpose; functions: sigmoid tanh relu exp log softplus step
sum softmax log_softmax dot diag ...  Undeclared names: lower-case Greek names
(alpha, eta, lambda ...) are scalars, upper-case initials matrices, the rest
vectors; their sizes are inferred.  --shape NAME=SHAPE declares one: 3, n, 2x3,
mxn or scalar."""

BACKPROP_EXAMPLES = """\
examples:
  jacobi backprop --layers 4,3,2 --activation sigmoid --output softmax --cost cross_entropy
  jacobi backprop --layers 784,n1,10 --activation relu --output softmax --cost cross_entropy --batch
  jacobi backprop --layers 2,3,2 --latex backprop.tex --markdown backprop.md
  jacobi backprop --layers 64,32,10 --activation tanh --python mlp_grad.py

Layer sizes are positive integers or names (n1); --python needs integers.
Activations: sigmoid, tanh, relu, softplus, identity (a comma-separated list
gives one per hidden layer); --output may also be softmax.  Costs: mse,
cross_entropy, binary_cross_entropy."""

CHECK_EXAMPLES = """\
examples:
  jacobi check "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W,b
  jacobi check "log(sum(exp(z)))" --size n=5
  jacobi check --module mlp_grad.py

An expression is checked at a seeded random point: its symbolic gradient
(jacobi's) against central differences of the expression.  Sizes not given
with --size are 3, 4, 5, ... in order of appearance; --wrt defaults to every
variable.  A module written by `jacobi backprop --python` is imported (it is
your own file) and its gradient(params, X, Y) is checked the same way on
random parameters and data.  Exit status 0 if the relative error is within
--tol, 1 if not."""


# ---------------------------------------------------------------------------
# Reading the options


def _names(values: list | None, what: str) -> list[str]:
    """NAME options given several times and/or comma-separated, in order, without repeats."""
    out: list[str] = []
    for v in values or []:
        for part in v.split(","):
            part = part.strip()
            if not part or not part[0].isalpha() or any(c not in _NAME_CHARS for c in part):
                raise JacobiError(f"{what} {v!r}: {part!r} is not a name")
            if part not in out:
                out.append(part)
    return out


def _assignments(values: list | None, what: str) -> dict:
    """NAME=VALUE options."""
    out: dict = {}
    for v in values or []:
        name, eq, value = v.partition("=")
        name = name.strip()
        if not eq or not name or not name[0].isalpha() or any(c not in _NAME_CHARS for c in name):
            raise JacobiError(f"{what} {v!r}: expected NAME=VALUE")
        if name in out:
            raise JacobiError(f"{what} {name} is given twice")
        out[name] = value.strip()
    return out


def _parse(args):
    """The expression of a diff or check command, its declarations checked against it."""
    shapes = _assignments(args.shape, "--shape")
    dists = _names(args.distribution, "--distribution")
    res = parse_result(args.expr, shapes, strict=args.strict, distributions=dists)
    for name in list(shapes) + dists:
        if name not in res.symbols:
            raise JacobiError(f"the expression has no variable {name} (its variables: {_list(res.symbols)})")
    return res


def _wrt(res, values, default_all=False) -> list:
    names = _names(values, "--wrt")
    if not names:
        if default_all:
            return list(res.symbols.values())
        raise JacobiError("--wrt is needed: the variable(s) to differentiate with respect to")
    out = []
    for n in names:
        if n not in res.symbols:
            raise JacobiError(f"--wrt {n}: the expression has no variable {n} (its variables: {_list(res.symbols)})")
        out.append(res.symbols[n])
    return out


def _list(names) -> str:
    return ", ".join(names) or "none"


def _shape_text(s) -> str:
    r, c = s.shape
    if s.is_scalar:
        return "scalar"
    return str(r) if c == 1 and r != 1 else f"{r} x {c}"


def _header(res, name: str) -> list[str]:
    shapes = ", ".join(f"{n}: {_shape_text(s)}" for n, s in res.symbols.items())
    return [f"{name} = {res.expr}"] + ([shapes] if shapes else [])


# ---------------------------------------------------------------------------
# jacobi diff


def _partial(name, f, w):
    from .calculus.derivation import partial

    kind = "gradient" if f.is_scalar else "jacobian"
    return partial(P.scalar(name), w, kind)


def cmd_diff(args) -> int:
    from .calculus import derive
    from .core import latex

    res = _parse(args)
    ws = _wrt(res, args.wrt)
    f, name = res.expr, res.name or "f"
    if args.steps and args.format == "python":
        raise JacobiError("--steps shows a derivation in text, latex or markdown, not python")
    d = derive(f, ws if len(ws) > 1 else ws[0], name=name)
    results = d.result if len(ws) > 1 else [d.result]
    lhs = [_partial(name, f, w) for w in ws]
    fmt, tex_name = args.format, latex(P.scalar(name))
    if fmt == "text":
        out = _header(res, name)
        if args.steps:
            out += ["", d.to_text(), ""]
        out += [f"{a} = {r}" for a, r in zip(lhs, results)]
    elif fmt == "latex":
        if args.steps:
            out = [d.to_latex()]
        else:
            rows = [f"{tex_name} &= {latex(f)}"] + [f"{latex(a)} &= {latex(r)}" for a, r in zip(lhs, results)]
            out = ["\\begin{align*}", " \\\\\n".join(rows), "\\end{align*}"]
    elif fmt == "markdown":
        if args.steps:
            out = [d.to_markdown()]
        else:
            rows = [f"{tex_name} = {latex(f)}"] + [f"{latex(a)} = {latex(r)}" for a, r in zip(lhs, results)]
            out = ["\n\n".join(f"$${r}$$" for r in rows)]
    else:
        out = [_python_source(res, name, lhs, results)]
    print("\n".join(out))
    return 0


def _python_source(res, name, lhs, results) -> str:
    from .codegen.lambdify import _arg, lambdify

    syms = list(res.symbols.values())
    fn = lambdify(syms, results)
    arg = inspect.getsource(_arg).replace("ShapeError", "ValueError")
    shapes = ", ".join(f"{n} ({_shape_text(s)})" for n, s in res.symbols.items())
    outs = ", ".join(str(a) for a in lhs)
    doc = (f'"""Generated by jacobi: {outs} for {name} = {res.expr}\n\n'
           f"f({', '.join(res.symbols)}) returns ({outs},); arguments {shapes};\n"
           f'vectors may be given 1-D.  Depends on numpy alone."""\n')
    return doc + "import numpy as np\n\n\n" + arg + "\n\n" + fn.source.rstrip("\n")


# ---------------------------------------------------------------------------
# jacobi backprop


def layer_sizes(text: str) -> list:
    """[4, "n1", 10] from "4,n1,10"; a JacobiError names what is wrong."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2:
        raise JacobiError(f"--layers {text!r}: a network needs at least two sizes, input and output (e.g. 4,3,2)")
    out: list = []
    for k, p in enumerate(parts, start=1):
        if not p:
            raise JacobiError(f"--layers {text!r}: size {k} is empty")
        if p.isascii() and p.isdigit():
            if int(p) < 1:
                raise JacobiError(f"--layers {text!r}: size {k} is {p}; a layer has at least one neuron")
            out.append(int(p))
        elif p[0].isalpha() and p.isascii() and all(c in _NAME_CHARS for c in p):
            out.append(p)
        else:
            raise JacobiError(f"--layers {text!r}: {p!r} is not a layer size (a positive integer or a name such as "
                              "n1)")
    return out


def cmd_backprop(args) -> int:
    from .nn import Network

    sizes = layer_sizes(args.layers)
    if args.python and not all(isinstance(s, int) for s in sizes):
        names = ", ".join(s for s in sizes if isinstance(s, str))
        raise JacobiError(f"--python needs a number for every layer size; {names} "
                          f"{'is a name' if ',' not in names else 'are names'}")
    acts = _names([args.activation], "--activation")
    activation = acts[0] if len(acts) == 1 else acts
    net = Network(sizes, activation=activation, output=args.output, cost=args.cost)
    bp = net.backprop(batch=args.batch)
    hidden = ", ".join(_fname(a) for a in net.activations[:-1]) or "no"
    print(f"network [{', '.join(str(s) for s in net.sizes)}]: {hidden} hidden "
          f"{'layer' if net.L == 2 else 'layers'}, {_fname(net.activations[-1])} output, {args.cost} cost"
          + (", mini-batch" if args.batch else ""))
    print(bp)
    title = args.title or f"Backpropagation for the network [{', '.join(str(s) for s in net.sizes)}]"
    if args.latex:
        _write(args.latex, bp.derivation.to_document(title=title), "the derivation as a LaTeX document")
    if args.markdown:
        _write(args.markdown, bp.derivation.to_markdown(), "the derivation in Markdown")
    if args.python:
        fn = net.gradient_function()
        fn.write(args.python)
        print(f"wrote {args.python} (gradient(params, X, Y), numpy alone)")
    return 0


def _fname(a) -> str:
    return a if isinstance(a, str) else a.name


def _write(path: str, text: str, what: str):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    print(f"wrote {path} ({what})")


# ---------------------------------------------------------------------------
# jacobi check


def cmd_check(args) -> int:
    if args.module is not None:
        if args.expr is not None:
            raise JacobiError("give an expression or --module FILE, not both")
        return _check_module(args)
    if args.expr is None:
        raise JacobiError("check needs an expression or --module FILE")
    if args.layers:
        raise JacobiError("--layers goes with --module")
    from .calculus import check_gradient

    res = _parse(args)
    f = res.expr
    if not f.is_scalar:
        raise JacobiError(f"check compares gradients, so the expression must be a scalar; it is "
                          f"{f.shape[0]}x{f.shape[1]}")
    ws = _wrt(res, args.wrt, default_all=True)
    if not ws:
        raise JacobiError("the expression has no variables to check")
    given = {k: _positive(v, f"--size {k}") for k, v in _assignments(args.size, "--size").items()}
    known = res.size_names
    for k in given:
        if k not in known:
            raise JacobiError(f"--size {k}: the expression has no size {k} (its sizes: {_list(known)})")
    sizes, n = {}, 3
    for k in known:
        if k in given:
            sizes[k] = given[k]
        else:
            while n in given.values():
                n += 1
            sizes[k] = n
            n += 1
    result = check_gradient(f, ws, sizes=sizes, seed=args.seed, tol=args.tol)
    out = _header(res, res.name or "f")
    if sizes:
        out.append("sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    print("\n".join(out + [str(result)]))
    return 0 if result.ok else EXIT_FAILED


def _positive(v: str, what: str) -> int:
    if not (v.isascii() and v.isdigit()) or int(v) < 1:
        raise JacobiError(f"{what}={v}: a size is a positive integer")
    return int(v)


def _check_module(args) -> int:
    import numpy as np

    from .calculus import check_gradient

    if args.wrt or args.shape or args.distribution or args.strict:
        raise JacobiError("--wrt, --shape, --distribution and --strict go with an expression, not --module")
    mod = _load(args.module)
    fn = getattr(mod, "gradient", None)
    if not callable(fn):
        raise JacobiError(f"{args.module} has no function gradient(params, X, Y); write one with "
                          "jacobi backprop --python FILE")
    if args.layers:
        sizes = layer_sizes(args.layers)
    elif isinstance(getattr(mod, "SIZES", None), (list, tuple)):
        sizes = list(mod.SIZES)
    else:
        raise JacobiError(f"{args.module} does not record its layer sizes (SIZES); give them with --layers")
    given = {k: _positive(v, f"--size {k}") for k, v in _assignments(args.size, "--size").items()}
    ns = []
    for s in sizes:
        if isinstance(s, str):
            if s not in given:
                raise JacobiError(f"the layer size {s} needs a number: --size {s}=N")
            s = given[s]
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise JacobiError(f"{args.module}: {s!r} is not a layer size")
        ns.append(s)
    rng = np.random.default_rng(args.seed)
    params = []
    for l in range(1, len(ns)):
        lim = np.sqrt(6.0 / (ns[l] + ns[l - 1]))
        params.append((rng.uniform(-lim, lim, size=(ns[l], ns[l - 1])), rng.uniform(-0.5, 0.5, size=ns[l])))
    m = 5
    X = rng.normal(size=(m, ns[0]))
    Y = rng.uniform(0.1, 1.0, size=(m, ns[-1]))
    Y /= Y.sum(axis=1, keepdims=True)  # rows that sum to one suit every cost (cross-entropy needs them)
    result = check_gradient(fn, params=params, X=X, Y=Y, tol=args.tol)
    print(f"module {args.module}: network [{', '.join(map(str, ns))}], {m} random examples\n{result}")
    return 0 if result.ok else EXIT_FAILED


def _load(path: str):
    """Import the user's own module file (it runs, as any import does)."""
    if not os.path.isfile(path):
        raise JacobiError(f"no such file: {path}")
    loader = importlib.machinery.SourceFileLoader("_jacobi_checked_module", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    try:
        loader.exec_module(mod)
    except Exception as err:  # the file is the user's: any failure is bad input
        raise JacobiError(f"cannot import {path}: {type(err).__name__}: {err}") from None
    return mod


# ---------------------------------------------------------------------------
# The command


def build_parser() -> argparse.ArgumentParser:
    from .core import __version__

    top = argparse.ArgumentParser(
        prog="jacobi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Matrix calculus in the Jacobian style: derivatives, backpropagation, gradient checks.",
        epilog="examples:\n" + "\n".join(line for text in (DIFF_EXAMPLES, BACKPROP_EXAMPLES, CHECK_EXAMPLES)
                                         for line in text.splitlines()[1:3])
        + "\n\njacobi COMMAND --help shows each command's options and more examples.")
    top.add_argument("--version", action="version", version=f"jacobi {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    top.commands = sub.choices

    def command(name, help, epilog, run):
        p = sub.add_parser(name, help=help, description=help, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(run=run)
        return p

    def expression_options(p, expr_help):
        p.add_argument("expr", metavar="EXPR", nargs=None if p.prog.endswith("diff") else "?", help=expr_help)
        p.add_argument("--shape", action="append", metavar="NAME=SHAPE",
                       help="declare a variable's shape: 3, n (vectors), 2x3, mxn (matrices) or scalar; repeatable")
        p.add_argument("--distribution", action="append", metavar="NAME",
                       help="a vector (matrix) whose entries (columns) sum to one, e.g. a one-hot target")
        p.add_argument("--strict", action="store_true", help="every name must be declared with --shape")

    d = command("diff", "differentiate an expression: its gradient (scalar) or Jacobian (vector)",
                DIFF_EXAMPLES, cmd_diff)
    expression_options(d, 'the expression, e.g. "sum((W @ x - y) ** 2) / 2"; "C = ..." names it C')
    d.add_argument("--wrt", action="append", metavar="VAR", required=True,
                   help="the variable(s): repeat or separate with commas")
    d.add_argument("--format", choices=("text", "latex", "markdown", "python"), default="text",
                   help="text (default), latex, markdown, or python: numpy code of the derivative")
    d.add_argument("--steps", action="store_true",
                   help="the whole derivation: intermediate variables, local Jacobians, chain rule, simplification")

    b = command("backprop", "the four equations of backpropagation for a feed-forward network",
                BACKPROP_EXAMPLES, cmd_backprop)
    b.add_argument("--layers", required=True, metavar="N0,N1,...", help="layer sizes, input first: 4,3,2 or 784,n1,10")
    b.add_argument("--activation", default="sigmoid", metavar="NAME",
                   help="hidden activation (default sigmoid), or one per hidden layer: relu,tanh")
    b.add_argument("--output", default=None, metavar="NAME",
                   help="output activation (default: the hidden one), e.g. softmax")
    b.add_argument("--cost", default="mse", metavar="NAME", help="mse (default), cross_entropy, binary_cross_entropy")
    b.add_argument("--batch", action="store_true", help="the mini-batch form (examples as the columns of X)")
    b.add_argument("--latex", metavar="FILE", help="write the derivation as a LaTeX document")
    b.add_argument("--markdown", metavar="FILE", help="write the derivation in Markdown")
    b.add_argument("--python", metavar="FILE", help="write gradient(params, X, Y) as a module needing numpy alone")
    b.add_argument("--title", metavar="TEXT", help="the title of the LaTeX document")

    c = command("check", "check a gradient numerically against central differences",
                CHECK_EXAMPLES, cmd_check)
    expression_options(c, "a scalar expression (or use --module)")
    c.add_argument("--wrt", action="append", metavar="VAR", help="the variable(s) to check (default: all)")
    c.add_argument("--size", action="append", metavar="NAME=N", help="a number for a named size; repeatable")
    c.add_argument("--module", metavar="FILE", help="a module written by jacobi backprop --python")
    c.add_argument("--layers", metavar="N0,N1,...", help="the module's layer sizes, if it does not record them")
    c.add_argument("--seed", type=int, default=0, help="seed of the random point (default 0)")
    c.add_argument("--tol", type=float, default=1e-6, help="largest relative error accepted (default 1e-6)")
    return top


def _expression_last(parser, argv: list) -> list:
    """argparse takes an argument that starts with '-' for an option, so an
    expression such as "-x" or "-sum(t * log(y))" is moved behind '--'."""
    cmd = parser.commands.get(argv[0]) if argv else None
    if cmd is None or "--" in argv:
        return argv
    takes_value = {o for a in cmd._actions if a.nargs != 0 for o in a.option_strings}
    out, expr, i = [argv[0]], [], 1
    while i < len(argv):
        a = argv[i]
        if a in takes_value:
            out += argv[i:i + 2]
            i += 2
            continue
        if not expr and a.startswith("-") and not a.startswith("--") and a not in cmd._option_string_actions:
            expr = ["--", a]
        else:
            out.append(a)
        i += 1
    return out + expr


def _error(message: str):
    print("jacobi: error: " + " ".join(message.split()), file=sys.stderr)


def main(argv=None) -> int:
    """Run the command; returns the exit status (the console script exits with it)."""
    parser = build_parser()
    argv = _expression_last(parser, list(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, usage errors (status 2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except ParseError as err:
        _error(str(err))
        print("\n".join("  " + line for line in err.display.split("\n")), file=sys.stderr)
        return EXIT_USAGE
    except (JacobiError, ValueError) as err:
        _error(str(err))
        return EXIT_USAGE
    except OSError as err:
        if isinstance(err, BrokenPipeError):
            return 0
        _error(f"{err.strerror or err}: {err.filename}" if err.filename else str(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug in jacobi, not in the input
        if os.environ.get("JACOBI_DEBUG"):
            raise
        print(f"jacobi: internal error: {type(err).__name__}: {' '.join(str(err).split())} "
              "(set JACOBI_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
