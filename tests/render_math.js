// Renders notebook and markdown outputs with MathJax 3 and KaTeX, and reports every error per formula.
//
// stdin: JSON [{"name": ..., "text": ...}], each text a whole output as a notebook shows it (a
// _repr_latex_ string, a markdown document).  The math in it is found as JupyterLab finds it (MathJax's
// TeX input jax with JupyterLab 4's options: all packages and require, $ and \( inline, $$ and \[
// display, escapes and environments), then each formula is compiled by MathJax 3 and rendered by KaTeX
// (throwOnError).  stdout: JSON [{"name", "formulas", "errors": [{"renderer", "tex", "message"}]}].
// Errors: a MathJax merror node (a TeX error, "internal buffer size exceeded" included), an undefined
// macro (MathJax's noundefined package shows it in red), a KaTeX ParseError, and a "$$" that opens a
// display the text never closes.
//
// Usage: node tests/render_math.js NODE_MODULES < outputs.json   (tests/mathrender.py runs it)
"use strict";

const path = require("path");
const modules = path.resolve(process.argv[2] || path.join(__dirname, "..", ".ci", "node", "node_modules"));
const need = (name) => require(path.join(modules, name));

const { mathjax } = need("mathjax-full/js/mathjax.js");
const { TeX } = need("mathjax-full/js/input/tex.js");
const { CHTML } = need("mathjax-full/js/output/chtml.js");
const { liteAdaptor } = need("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = need("mathjax-full/js/handlers/html.js");
const { AllPackages } = need("mathjax-full/js/input/tex/AllPackages.js");
need("mathjax-full/js/input/tex/require/RequireConfiguration.js");
const katex = need("katex");

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);

function jupyterlabTeX() {
  // packages/mathjax-extension/src/index.ts of JupyterLab 4
  return new TeX({
    packages: AllPackages.concat("require"),
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  });
}

function escapeHtml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function short(tex) {
  const t = tex.replace(/\s+/g, " ").trim();
  return t.length > 160 ? t.slice(0, 160) + " ..." : t;
}

// The error nodes of a compiled MathJax tree: merror (with noerrors it carries data-mjx-error) and the
// red mtext that noundefined puts in place of an unknown macro.
function mathjaxErrors(root) {
  const out = [];
  root.walkTree((node) => {
    if (node.isKind("merror")) {
      const attrs = node.attributes;
      out.push(attrs.get("data-mjx-error") || attrs.get("title") || "merror");
    } else if (node.isKind("mtext") && node.attributes.get("mathcolor") === "red") {
      const text = node.childNodes.map((c) => (c.getText ? c.getText() : "")).join("");
      out.push("undefined control sequence " + text);
    }
  });
  return out;
}

function check(item) {
  const errors = [];
  // A fresh document per output, as each output cell is typeset on its own.
  const doc = mathjax.document("<html><body><div>" + escapeHtml(item.text) + "</div></body></html>",
                               { InputJax: jupyterlabTeX(), OutputJax: new CHTML({ fontURL: "." }) });
  doc.findMath();
  doc.compile();
  let formulas = 0;
  const found = [];
  for (const math of doc.math) {
    formulas += 1;
    found.push(math);
    for (const message of mathjaxErrors(math.root)) {
      errors.push({ renderer: "MathJax 3", tex: short(math.math), message });
    }
    try {
      katex.renderToString(math.math, { displayMode: math.display, throwOnError: true });
    } catch (e) {
      errors.push({ renderer: "KaTeX", tex: short(math.math), message: String(e.message || e) });
    }
  }
  // Text left over once the math is taken out: a "$$" there is a display that never closed.
  let rest = item.text;
  for (const math of found) {
    rest = rest.replace(math.start.delim + math.math + math.end.delim, " ");
  }
  if (rest.includes("$$")) {
    errors.push({ renderer: "delimiters", tex: short(rest.slice(rest.indexOf("$$"), rest.indexOf("$$") + 160)),
                  message: "a $$ that no $$ closes" });
  }
  return { name: item.name, formulas, errors };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const items = JSON.parse(input);
  process.stdout.write(JSON.stringify(items.map(check)));
});
