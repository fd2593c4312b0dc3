// REDCap branching logic in the browser, with followup.study's semantics (study/_logic_values.py):
// every value is a string, blank is '' and never 0, an unticked checkbox option is '0', ordering
// comparisons with a blank side are false, arithmetic with a blank operand is blank. The server
// parses each expression and sends its tree (Logic.tree()); the server checks again on save.
"use strict";
(function (global) {
  function asNumber(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return isFinite(v) ? v : null;
    const t = String(v).trim();
    if (t === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
    const n = Number(t);
    return isFinite(n) ? n : null;
  }
  function asText(v) {
    if (typeof v === "boolean") return v ? "1" : "0";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
    return v;
  }
  function isBlank(v) { return typeof v === "string" && v.trim() === ""; }
  function truthy(v) {
    if (typeof v === "boolean") return v;
    const n = asNumber(v);
    if (n !== null) return n !== 0;
    return !isBlank(v);
  }
  function ordered(op, a, b) {
    if (op === "<") return a < b;
    if (op === "<=") return a <= b;
    if (op === ">") return a > b;
    return a >= b;
  }
  function compare(op, l, r) {
    if (op === "=" || op === "==" || op === "<>" || op === "!=") {
      const a = asNumber(l), b = asNumber(r);
      const same = a !== null && b !== null ? a === b : asText(l) === asText(r);
      return op === "=" || op === "==" ? same : !same;
    }
    if (isBlank(l) || isBlank(r)) return false;
    const a = asNumber(l), b = asNumber(r);
    if (a !== null && b !== null) return ordered(op, a, b);
    return ordered(op, asText(l), asText(r));
  }
  function arithmetic(op, l, r) {
    const a = asNumber(l), b = asNumber(r);
    if (a === null || b === null) return "";
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (op === "/") return b !== 0 ? a / b : "";
    const p = Math.pow(a, b);
    return isFinite(p) ? p : "";
  }
  function date(v) {  // as _logic_functions._date: Y-M-D [H:M[:S]], a real calendar day, or 'today'
    const text = asText(v).trim();
    if (text.toLowerCase() === "today") {
      const now = new Date();
      return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
    if (!m) return null;
    const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)];
    const t = Date.UTC(y, mo - 1, d, h, mi, se);
    const back = new Date(t);
    const real = back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d;
    return real && h < 24 && mi < 60 && se < 60 ? t : null;
  }
  const DAYS = { y: 365.2425, M: 30.44, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86400 };
  const FUNCTIONS = {
    if: (a) => (truthy(a[0]) ? a[1] : a[2]),
    datediff: (a) => {
      const d1 = date(a[0]), d2 = date(a[1]);
      if (d1 === null || d2 === null || !(asText(a[2]) in DAYS)) return "";
      const days = (d2 - d1) / 86400000 / DAYS[asText(a[2])];
      const signed = a.slice(3).some((x) => x === true || ["true", "1"].includes(asText(x).toLowerCase()));
      return signed ? days : Math.abs(days);
    },
    sum: (a) => {  // no number among the arguments: blank, as the server says
      const numbers = a.map(asNumber).filter((x) => x !== null);
      return numbers.length ? numbers.reduce((s, x) => s + x, 0) : "";
    },
    abs: (a) => (asNumber(a[0]) === null ? "" : Math.abs(asNumber(a[0]))),
    isnumber: (a) => asNumber(a[0]) !== null,
    contains: (a) => asText(a[0]).toLowerCase().includes(asText(a[1]).toLowerCase()),
    isblankormissingcode: (a) => isBlank(a[0]),
  };
  function evaluate(node, values) {
    switch (node[0]) {
      case "lit": return node[1];
      case "field": {
        const v = values[node[1]] === undefined ? "" : values[node[1]];
        return node[2] && v === "" ? "0" : v;
      }
      case "neg": { const n = asNumber(evaluate(node[1], values)); return n === null ? "" : -n; }
      case "op": {
        const op = node[1];
        if (op === "and") return truthy(evaluate(node[2], values)) && truthy(evaluate(node[3], values));
        if (op === "or") return truthy(evaluate(node[2], values)) || truthy(evaluate(node[3], values));
        const l = evaluate(node[2], values), r = evaluate(node[3], values);
        if (["+", "-", "*", "/", "^"].includes(op)) return arithmetic(op, l, r);
        return compare(op, l, r);
      }
      case "call": {
        const f = FUNCTIONS[node[1]];
        if (!f) throw new Error("unsupported:" + node[1]);
        return f(node[2].map((a) => evaluate(a, values)));
      }
    }
    throw new Error("unknown node " + node[0]);
  }
  function show(tree, values) {
    try { return truthy(evaluate(tree, values)); } catch (e) { return true; } // the server decides
  }
  global.FollowupLogic = { evaluate, show, truthy };
})(typeof window !== "undefined" ? window : globalThis);

// The form page: read every input, show or hide each field as its branching says.
(function () {
  if (typeof document === "undefined") return;
  function checkboxColumn(field, code) {  // followup.study.choices.checkbox_column
    return field + "___" + code.replace(/-/g, "_").toLowerCase();
  }
  function currentValues(form, context) {
    const values = Object.assign({}, context);
    form.querySelectorAll("[data-column]").forEach((box) => {
      const column = box.dataset.column;
      const inputs = box.querySelectorAll("input, select, textarea");
      inputs.forEach((input) => {
        if (input.name.endsWith("__missing")) { if (input.value) values[column] = input.value; return; }
        if (input.type === "checkbox") values[checkboxColumn(input.name, input.value)] = input.checked ? "1" : "0";
        else if (input.type === "radio") { if (input.checked) values[column] = input.value; else if (!(column in values)) values[column] = ""; }
        else values[column] = input.value;
      });
    });
    return values;
  }
  function apply(form, context) {
    const values = currentValues(form, context);
    const readonly = form.dataset.readonly === "1";
    form.querySelectorAll("[data-branching]").forEach((box) => {
      const visible = FollowupLogic.show(JSON.parse(box.dataset.branching), values);
      box.hidden = !visible;
      box.querySelectorAll("input, select, textarea").forEach((i) => { i.disabled = !visible || readonly; });
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("questionnaire");
    if (!form) return;
    const context = JSON.parse(document.getElementById("context-values").textContent);
    form.addEventListener("input", () => apply(form, context));
    form.addEventListener("change", () => apply(form, context));
    apply(form, context);
  });
})();
