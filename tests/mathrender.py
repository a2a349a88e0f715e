"""Rendering jacobi's notebook and markdown outputs with MathJax 3 and KaTeX (tests/render_math.js in node).

The renderers are npm packages that .ci/run installs into .ci/node/node_modules (pinned in
.ci/node/package.json and its package-lock.json); JACOBI_NODE_MODULES names another folder that holds them."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "render_math.js"
PACKAGES = ("mathjax-full", "katex")


# Installed packages, not the project's source: an sdist carries neither them nor .ci/.
NODE_MODULES = ".ci/node/node_modules"


def node_modules() -> Path:
    return Path(os.environ.get("JACOBI_NODE_MODULES", ROOT / NODE_MODULES))


def missing() -> str | None:
    """Why the renderers cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm; .ci/run installs it)"
    absent = [p for p in PACKAGES if not (node_modules() / p / "package.json").exists()]
    if absent:
        return (f"{' and '.join(absent)} not installed in {node_modules()} "
                "(npm ci --prefix .ci/node, as .ci/run does)")
    return None


def render(outputs) -> list:
    """outputs: (name, text) pairs, each a whole notebook or markdown output; the report per output:
    {"name", "formulas", "errors": [{"renderer", "tex", "message"}]}."""
    items = [{"name": n, "text": t} for n, t in outputs]
    r = subprocess.run(["node", str(SCRIPT), str(node_modules())], input=json.dumps(items), capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"node {SCRIPT.name} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


def errors(reports) -> list:
    """Every error of the reports as one line naming the output, the renderer and the formula."""
    return [f"{rep['name']}: {e['renderer']}: {e['message']} in {e['tex']}" for rep in reports for e in rep["errors"]]


def outputs_of(name: str, obj) -> list:
    """The LaTeX and markdown a notebook shows for obj: its _repr_latex_, _repr_markdown_ and to_markdown(),
    and a derivation's aligned block (derivation_latex(env="aligned"))."""
    out = []
    for attr in ("_repr_latex_", "_repr_markdown_", "to_markdown"):
        fn = getattr(obj, attr, None)
        if callable(fn):
            text = fn()
            if text:
                out.append((f"{name} {attr}", text))
    from jacobi.calculus import Derivation
    from jacobi.render import derivation_latex

    derivation = obj if isinstance(obj, Derivation) else getattr(obj, "derivation", None)
    if isinstance(derivation, Derivation):
        out.append((f"{name} aligned", "$$" + derivation_latex(derivation, env="aligned") + "$$"))
    return out


_ALIGN = re.compile(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", re.S)
_RULE = re.compile(r"\\\\\*\s*\\(?:last)?steprule\{")


def _drop_rules(body: str) -> str:
    """An align* body with its \\steprule lines taken out (they are pdflatex's layout, not math)."""
    out, i = [], 0
    for m in _RULE.finditer(body):
        if m.start() < i:
            continue
        out.append(body[i:m.start()] + " \\\\")
        depth, j = 1, m.end()
        while j < len(body) and depth:
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            j += 2 if body[j] == "\\" else 1
        i = j
    out.append(body[i:])
    return "".join(out).rstrip().removesuffix("\\\\").rstrip()


def document_math(tex: str) -> list:
    """The math of a section's LaTeX as a notebook would show it: each align* block as an aligned display
    (its rule lines left out), each \\[ \\] display, and the inline $...$ of the prose."""
    out = ["$$\\begin{aligned}" + _drop_rules(m.group(1)) + "\\end{aligned}$$" for m in _ALIGN.finditer(tex)]
    prose = _ALIGN.sub(" ", tex)
    out += ["$$" + m.group(1) + "$$" for m in re.finditer(r"\\\[(.*?)\\\]", prose, re.S)]
    prose = re.sub(r"\\\[(.*?)\\\]", " ", prose, flags=re.S)
    out += ["$" + m.group(1) + "$" for m in re.finditer(r"(?<!\\)\$(.+?)(?<!\\)\$", prose, re.S)]
    return out
