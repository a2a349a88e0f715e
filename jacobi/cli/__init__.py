"""The jacobi command: differentiate an expression (once or twice), derive a network's
backpropagation equations, check a gradient against central differences.

    jacobi diff "sum((sigmoid(W @ x + b) - y) ** 2) / 2" --wrt W
    jacobi hessian "sum(softplus(X @ w) - y * (X @ w))" --wrt w
    jacobi backprop --layers 4,3,2 --activation sigmoid --output softmax --cost cross_entropy
    jacobi check "sum((W @ x - y) ** 2)" --wrt W
    jacobi check --module mlp_grad.py

Exit status: 0 done, 1 a gradient check failed, 2 bad input (one line on
stderr, ``jacobi: error: ...``, argparse's own complaints included; a parse
error adds the expression and a caret under the offending character), 3 an internal error (JACOBI_DEBUG=1 shows its
traceback).  Expressions are read by jacobi.parse, which never evaluates them.

options (reading the options), commands (diff, hessian, backprop, check), help (the
examples and notes of each --help); this module builds the argument parser
and runs a command.
"""
from __future__ import annotations

import argparse
import os
import sys

from ..calculus.check import MAX_ENTRIES, MAX_EVALS
from ..core.shapes import JacobiError
from ..parse import SYNTAXES, ParseError
from .commands import cmd_backprop, cmd_check, cmd_diff, cmd_hessian
from .help import CHECK_EXAMPLES, HESSIAN_EXAMPLES, backprop_examples, costs_list, diff_examples
from .options import EXIT_FAILED, EXIT_INTERNAL, EXIT_USAGE, count, layer_sizes, seed, tolerance

# ---------------------------------------------------------------------------
# The command


class UsageError(JacobiError):
    """argparse's own complaint (an unknown option, a missing value, a bad choice or number)."""


class _Parser(argparse.ArgumentParser):
    """argparse, its errors raised as one line instead of a usage block and an exit."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    from ..core import __version__

    diff_text, backprop_text = diff_examples(), backprop_examples()

    top = _Parser(
        prog="jacobi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Matrix calculus in the Jacobian style: derivatives, backpropagation, gradient checks.",
        epilog="examples:\n" + "\n".join(line for text in (diff_text, backprop_text, CHECK_EXAMPLES)
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
        needed = p.prog.endswith(("diff", "hessian"))  # check reads a module instead with --module
        p.add_argument("expr", metavar="EXPR", nargs=None if needed else "?", help=expr_help)
        p.add_argument("--shape", action="append", metavar="NAME=SHAPE",
                       help="declare a variable's shape: 3, n (vectors), 2x3, mxn (matrices) or scalar; repeatable")
        p.add_argument("--distribution", action="append", metavar="NAME",
                       help="a vector (matrix) whose entries (columns) sum to one, e.g. a one-hot target")
        for k, what in (("symmetric", "symmetric, A.T = A"), ("positive-definite", "symmetric positive definite"),
                        ("diagonal", "diagonal")):
            p.add_argument("--" + k, action="append", metavar="NAME",
                           help=f"a square matrix declared {what}: the simplifier uses it, the gradient with respect "
                                "to it is taken on such matrices; repeatable")
        p.add_argument("--strict", action="store_true", help="every name must be declared with --shape")
        p.add_argument("--syntax", choices=SYNTAXES, default=SYNTAXES[0],
                       help="the expression's syntax: jacobi (default) or matrixcalculus, matrixcalculus.org's "
                            "(x'*A*x, .* ./ .^, tr, vector(1); names a-g scalars, h-z vectors, A-Z matrices)")

    d = command("diff", "differentiate an expression: its gradient (scalar) or Jacobian (vector)",
                diff_text, cmd_diff)
    expression_options(d, 'the expression, e.g. "sum((W @ x - y) ** 2) / 2"; "C = ..." names it C')
    d.add_argument("--wrt", action="append", metavar="VAR", required=True,
                   help="the variable(s): repeat or separate with commas")
    d.add_argument("--format", choices=("text", "latex", "markdown", "python"), default="text",
                   help="text (default), latex, markdown, or python: numpy code of the derivative")
    d.add_argument("--steps", action="store_true",
                   help="the whole derivation: intermediate variables, local Jacobians, chain rule, simplification")

    h = command("hessian", "the Hessian of a scalar expression (the Jacobian of its gradient), or a mixed block",
                HESSIAN_EXAMPLES, cmd_hessian)
    expression_options(h, 'the scalar expression, e.g. "sum(softplus(X @ w) - y * (X @ w))"')
    h.add_argument("--wrt", action="append", metavar="VAR", required=True,
                   help="the variable (the Hessian over its entries, vec(X) for a matrix), or two: x,y gives "
                        "the mixed block d2f/dx dy^T")
    h.add_argument("--format", choices=("text", "latex", "markdown", "python"), default="text",
                   help="text (default), latex, markdown, or python: numpy code of the Hessian")
    h.add_argument("--steps", action="store_true",
                   help="the whole derivation: the gradient's steps, then those of its Jacobian")

    b = command("backprop", "the four equations of backpropagation for a feed-forward network",
                backprop_text, cmd_backprop)
    b.add_argument("--layers", required=True, metavar="N0,N1,...", help="layer sizes, input first: 4,3,2 or 784,n1,10")
    b.add_argument("--activation", default="sigmoid", metavar="NAME",
                   help="hidden activation (default sigmoid), or one per hidden layer: relu,tanh")
    b.add_argument("--output", default=None, metavar="NAME",
                   help="output activation (default: the hidden one), e.g. softmax")
    b.add_argument("--cost", default="mse", metavar="NAME", help=f"{costs_list()} (default mse)")
    b.add_argument("--batch", action="store_true", help="the mini-batch form (examples as the columns of X)")
    b.add_argument("--latex", metavar="FILE", help="write the derivation as a LaTeX document")
    b.add_argument("--markdown", metavar="FILE", help="write the derivation in Markdown")
    b.add_argument("--python", metavar="FILE", help="write gradient(params, X, Y) as a module needing numpy alone")
    b.add_argument("--title", metavar="TEXT", help="the title of the LaTeX document (plain text)")
    b.add_argument("--force", action="store_true", help="overwrite output files that exist")

    c = command("check", "check a gradient numerically against central differences",
                CHECK_EXAMPLES, cmd_check)
    expression_options(c, "a scalar expression (or use --module)")
    c.add_argument("--wrt", action="append", metavar="VAR", help="the variable(s) to check (default: all)")
    c.add_argument("--size", action="append", metavar="NAME=N", help="a number for a named size; repeatable")
    c.add_argument("--module", metavar="FILE",
                   help="a module written by jacobi backprop --python; it is imported, so its code runs: "
                        "trusted files only")
    c.add_argument("--layers", metavar="N0,N1,...", help="the module's layer sizes, if it does not record them")
    c.add_argument("--seed", type=seed, default=0, help="seed of the random point (default 0)")
    c.add_argument("--tol", type=tolerance, default=1e-6, help="largest relative error accepted (default 1e-6)")
    c.add_argument("--max-entries", type=count, default=MAX_ENTRIES, metavar="N",
                   help=f"largest array the check may build (default {MAX_ENTRIES:_} entries)")
    c.add_argument("--max-evals", type=count, default=MAX_EVALS, metavar="N",
                   help=f"most evaluations by central differences (default {MAX_EVALS:_})")
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
    except UsageError as err:
        _error(str(err))
        return EXIT_USAGE
    except SystemExit as stop:  # --help, --version
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
    except MemoryError:  # a budget raised past what the machine holds (jacobi check --max-entries)
        _error("out of memory; lower the sizes or the check's --max-entries")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug in jacobi, not in the input
        if os.environ.get("JACOBI_DEBUG"):
            raise
        print(f"jacobi: internal error: {type(err).__name__}: {' '.join(str(err).split())} "
              "(set JACOBI_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL



__all__ = ["EXIT_FAILED", "EXIT_INTERNAL", "EXIT_USAGE", "UsageError", "build_parser", "cmd_backprop", "cmd_check",
           "cmd_diff", "cmd_hessian", "layer_sizes", "main"]
