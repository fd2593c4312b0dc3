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
    let result;
    if (op === "+") result = a + b;
    else if (op === "-") result = a - b;
    else if (op === "*") result = a * b;
    else if (op === "/") result = b !== 0 ? a / b : NaN;
    else result = Math.pow(a, b);
    return typeof result === "number" && isFinite(result) ? result : "";
  }
  // As _logic_text_dates.read_date: Y-M-D in the given order (separators - / .), an optional
  // H:M[:S], a time alone (on 1 Jan 1 AD), 'today' and 'now'; a real calendar day or null.
  const ORDERS = { ymd: [0, 1, 2], mdy: [2, 0, 1], dmy: [2, 1, 0] };
  function date(v, order) {
    const text = asText(v).trim();
    const lowered = text.toLowerCase();
    const now = new Date();
    if (lowered === "today") return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    if (lowered === "now") {
      return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours(), now.getMinutes(), now.getSeconds());
    }
    let [day, ...times] = text.split(" ");
    let time = times.join(" ");
    const timePattern = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
    if (time === "" && timePattern.test(day)) { time = day; day = "0001-01-01"; }
    const d = /^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})$/.exec(day);
    const t = time ? timePattern.exec(time) : null;
    if (!d || (time && !t)) return null;
    const o = ORDERS[order] || ORDERS.ymd;
    const parts = [d[1], d[2], d[3]];
    const y = +parts[o.indexOf(0)], mo = +parts[o.indexOf(1)], dd = +parts[o.indexOf(2)];
    const [h, mi, se] = t ? [+t[1], +t[2], +(t[3] || 0)] : [0, 0, 0];
    if (y < 1 || y > 9999 || h > 23 || mi > 59 || se > 59) return null;
    const at = new Date(Date.UTC(2000, 0, 1, h, mi, se));
    at.setUTCFullYear(y, mo - 1, dd);
    const real = at.getUTCFullYear() === y && at.getUTCMonth() === mo - 1 && at.getUTCDate() === dd;
    return real ? at.getTime() : null;
  }
  const DAYS = { y: 365.2425, M: 30.44, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86400 };
  function numbers(a) { return a.map(asNumber).filter((x) => x !== null); }
  function total(xs) { return xs.reduce((s, x) => s + x, 0); }
  function aggregate(reduce, least) {
    return (a) => { const xs = numbers(a); return xs.length >= (least || 1) ? reduce(xs) : ""; };
  }
  function unary(op) {
    return (a) => { const n = asNumber(a[0]); if (n === null) return ""; const r = op(n); return isFinite(r) ? r : ""; };
  }
  function halfUp(x) { return x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5); }
  function rounding(mode) {
    return (a) => {
      const n = asNumber(a[0]), places = a.length > 1 ? asNumber(a[1]) : 0;
      if (n === null || places === null) return "";
      if (places > 15) return n;
      if (places < -308) return 0;
      const scale = Math.pow(10, Math.trunc(places));
      const r = mode(n * scale) / scale;
      return isFinite(r) ? r : "";
    };
  }
  function count(v) { const n = asNumber(v); return n !== null && n >= 1 && Number.isInteger(n) ? n : null; }
  function minmax(reduce) {
    return (a) => {
      if (a.some((x) => !isBlank(x) && asNumber(x) === null)) return "";
      const xs = numbers(a);
      return xs.length ? reduce(xs) : "";
    };
  }
  const text = (op) => (a) => op(a.map(asText));
  function median(xs) {
    const o = xs.slice().sort((p, q) => p - q), m = Math.floor(o.length / 2);
    return o.length % 2 ? o[m] : (o[m - 1] + o[m]) / 2;
  }
  function stdev(xs) {
    const mean = total(xs) / xs.length;
    return Math.sqrt(total(xs.map((x) => (x - mean) * (x - mean))) / (xs.length - 1));
  }
  function isMissing(v, env) { return !isBlank(v) && (env.missingCodes || []).includes(String(v).trim()); }
  function datediff(a, env) {
    if (a.slice(0, 2).some((x) => (env.missingCodes || []).includes(asText(x).trim()))) return "";
    let order = "ymd"; const rest = a.slice(3);
    if (rest.length && ["ymd", "mdy", "dmy"].includes(asText(rest[0]).trim().toLowerCase())) order = asText(rest.shift()).trim().toLowerCase();
    const d1 = date(a[0], order), d2 = date(a[1], order), unit = asText(a[2]).trim();
    if (d1 === null || d2 === null || !(unit in DAYS)) return "";
    const result = (d2 - d1) / 86400000 / DAYS[unit];
    const signed = rest.length > 0 && (rest[0] === true || ["true", "1"].includes(asText(rest[0]).trim().toLowerCase()));
    return signed ? result : Math.abs(result);
  }
  function part(index) {
    return (a) => { const d = date(a[0]); if (d === null) return ""; const at = new Date(d); return [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()][index]; };
  }
  // The same functions as followup.study._logic_functions and _logic_text_dates.
  const FUNCTIONS = {
    sum: aggregate(total),
    mean: aggregate((xs) => total(xs) / xs.length),
    median: aggregate(median),
    stdev: aggregate(stdev, 2),
    min: minmax((xs) => xs.reduce((m, x) => (x < m ? x : m))),
    max: minmax((xs) => xs.reduce((m, x) => (x > m ? x : m))),
    pow: (a) => arithmetic("^", a[0], a[1]),
    abs: unary(Math.abs),
    sqrt: unary((x) => (x >= 0 ? Math.sqrt(x) : NaN)),
    exponential: unary((x) => (x < 710 ? Math.exp(x) : Infinity)),
    log: (a) => {
      const n = asNumber(a[0]), base = a.length > 1 && !isBlank(a[1]) ? asNumber(a[1]) : Math.E;
      if (n === null || base === null || n <= 0 || base <= 0 || base === 1) return "";
      return Math.log(n) / Math.log(base);
    },
    mod: (a) => {
      const x = asNumber(a[0]), y = asNumber(a[1]);
      return x === null || y === null || y === 0 || !Number.isInteger(x) || !Number.isInteger(y) ? "" : x % y;
    },
    round: rounding(halfUp),
    roundup: rounding(Math.ceil),
    rounddown: rounding(Math.floor),
    isnumber: (a) => {
      if (typeof a[0] === "boolean" || typeof a[0] === "number") return typeof a[0] === "number";
      const t = String(a[0]).trim();
      return asNumber(t) !== null && !/^[-+]?0\d/.test(t);
    },
    isinteger: (a) => (typeof a[0] === "number" ? Number.isInteger(a[0]) : typeof a[0] === "string" && /^[-+]?\d+$/.test(a[0].trim())),
    isblankormissingcode: (a, env) => isBlank(a[0]) || isMissing(a[0], env),
    isblanknotmissingcode: (a) => isBlank(a[0]),
    ismissingcode: (a, env) => isMissing(a[0], env),
    hasmissingcode: (a, env) => isMissing(a[0], env) && String(a[1]).split(",").map((c) => c.trim()).includes(String(a[0]).trim()),
    contains: text((t) => t[0].toLowerCase().includes(t[1].toLowerCase())),
    not_contain: text((t) => !t[0].toLowerCase().includes(t[1].toLowerCase())),
    starts_with: text((t) => t[0].toLowerCase().startsWith(t[1].toLowerCase())),
    ends_with: text((t) => t[0].toLowerCase().endsWith(t[1].toLowerCase())),
    left: (a) => { const n = count(a[1]); return n === null ? "" : asText(a[0]).slice(0, n); },
    right: (a) => { const n = count(a[1]), t = asText(a[0]); return n === null || n > t.length ? "" : t.slice(t.length - n); },
    mid: (a) => {
      const start = count(a[1]), n = count(a[2]);
      return start === null || n === null ? "" : asText(a[0]).slice(start - 1, start - 1 + n);
    },
    find: text((t) => t[1].toLowerCase().indexOf(t[0].toLowerCase()) + 1),
    length: text((t) => t[0].length),
    trim: text((t) => t[0].trim()),
    lower: text((t) => t[0].toLowerCase()),
    upper: text((t) => t[0].toUpperCase()),
    concat: text((t) => t.join("")),
    concat_ws: text((t) => t.slice(1).filter((x) => x !== "" && x !== "NaN").join(t[0])),
    replace_text: text((t) => (t[1] ? t[0].split(t[1]).join(t[2]) : t[0])),
    datediff,
    calcdate: (a) => {
      const order = a.length > 3 ? asText(a[3]).trim().toLowerCase() : "ymd";
      const start = date(a[0], ORDERS[order] ? order : "ymd");
      const offset = asNumber(a[1]), unit = asText(a[2]).trim();
      if (start === null || offset === null || !(unit in DAYS)) return "";
      const moved = new Date(start + Math.round(offset * DAYS[unit] * 86400000));
      if (isNaN(moved.getTime()) || moved.getUTCFullYear() < 1 || moved.getUTCFullYear() > 9999) return "";
      const pad = (n, w) => String(n).padStart(w || 2, "0");
      const day = pad(moved.getUTCFullYear(), 4) + "-" + pad(moved.getUTCMonth() + 1) + "-" + pad(moved.getUTCDate());
      const first = asText(a[0]).trim();
      const hadTime = first.includes(" ") || first.toLowerCase() === "now";
      const midnight = moved.getUTCHours() === 0 && moved.getUTCMinutes() === 0 && moved.getUTCSeconds() === 0;
      if (!hadTime && midnight) return day;
      return day + " " + pad(moved.getUTCHours()) + ":" + pad(moved.getUTCMinutes()) + ":" + pad(moved.getUTCSeconds());
    },
    year: part(0),
    month: part(1),
    day: part(2),
  };
  function evaluate(node, values, env) {
    env = env || {};
    switch (node[0]) {
      case "lit": return node[1];
      case "field": {
        const v = values[node[1]] === undefined ? "" : values[node[1]];
        if (!node[2]) return v;
        const ticked = v === "1";
        return (node[3] ? !ticked : ticked) ? "1" : "0";
      }
      case "comma": {
        const v = values[node[1]] === undefined ? "" : values[node[1]];
        return v.replace(",", ".");
      }
      case "label": {
        const v = values[node[1]] === undefined ? "" : values[node[1]];
        return Object.prototype.hasOwnProperty.call(node[2], v) ? node[2][v] : v;
      }
      case "checks": {
        const ticked = node[1].filter(([, column]) => values[column] === "1").map(([code]) => code);
        if (node[2] === "label" || node[2] === "checked") return ticked.map((c) => (c in node[3] ? node[3][c] : c)).join(", ");
        if (node[2] === "unchecked") return node[1].map(([code]) => code).filter((c) => !ticked.includes(c)).join(", ");
        return ticked.join(",");
      }
      case "neg": { const n = asNumber(evaluate(node[1], values, env)); return n === null ? "" : -n; }
      case "and": return node[1].every((o) => truthy(evaluate(o, values, env)));
      case "or": return node[1].some((o) => truthy(evaluate(o, values, env)));
      case "chain": {
        let result = evaluate(node[1], values, env);
        for (const [op, operand] of node[2]) result = arithmetic(op, result, evaluate(operand, values, env));
        return result;
      }
      case "op": {
        const l = evaluate(node[2], values, env), r = evaluate(node[3], values, env);
        return node[1] === "^" ? arithmetic("^", l, r) : compare(node[1], l, r);
      }
      case "call": {
        if (node[1] === "if") return evaluate(node[2][truthy(evaluate(node[2][0], values, env)) ? 1 : 2], values, env);
        const f = FUNCTIONS[node[1]];
        if (!f) throw new Error("unsupported:" + node[1]);
        return f(node[2].map((a) => evaluate(a, values, env)), env);
      }
    }
    throw new Error("unknown node " + node[0]);
  }
  function show(tree, values, env) {
    try { return truthy(evaluate(tree, values, env)); } catch (e) { return true; } // the server decides
  }
  // As followup.study.calculations.number_text: 15 significant digits, Python's %g layout.
  function numberText(v) {
    const n = asNumber(v);
    if (n === null) return "";
    if (n === 0) return "0";
    const [mantissa, exponentText] = n.toExponential(14).split("e");
    const exponent = Number(exponentText);
    if (exponent < -4 || exponent >= 15) {
      const digits = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
      return digits + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
    }
    return String(Number(n.toPrecision(15)));
  }
  // As calculations.stored_form: what a computed field holds, by its kind.
  function storedForm(kind, value) {
    if (kind === "number") return numberText(value);
    const text = asText(value);
    if (kind === "text" || !text) return text;
    if (kind.startsWith("datetime_seconds")) return text.length === 10 ? text + " 00:00:00" : text.length === 16 ? text + ":00" : text.slice(0, 19);
    if (kind.startsWith("datetime")) return text.length === 10 ? text + " 00:00" : text.slice(0, 16);
    return text.slice(0, 10);
  }
  global.FollowupLogic = { evaluate, show, truthy, numberText, storedForm, asText };
})(typeof window !== "undefined" ? window : globalThis);

// The form page: read every input, show or hide each field as its branching says.
(function () {
  if (typeof document === "undefined") return;
  function checkboxColumn(field, code) {  // followup.study.choices.checkbox_column
    return field + "___" + code.replace(/[-.]/g, "_").toLowerCase().replace(/[^a-z0-9_]/g, "");
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
  function compute(form, values, env) {  // computed fields, twice so one may read another
    for (let pass = 0; pass < 2; pass++) {
      form.querySelectorAll("[data-calc]").forEach((box) => {
        let value = "";
        try { value = FollowupLogic.evaluate(JSON.parse(box.dataset.calc), values, env); } catch (e) { value = ""; }
        const text = FollowupLogic.storedForm(box.dataset.kind, value);
        values[box.dataset.column] = text;
        const input = box.querySelector("input, textarea");
        if (input) input.value = text;
      });
    }
  }
  function pipe(form, values, env) {
    document.querySelectorAll(".pipe[data-pipe]").forEach((span) => {
      let value = "";
      try { value = FollowupLogic.asText(FollowupLogic.evaluate(JSON.parse(span.dataset.pipe), values, env)); } catch (e) { return; }
      span.textContent = value === "" ? "______" : value;
    });
  }
  function apply(form, context, env) {
    const values = currentValues(form, context);
    const readonly = form.dataset.readonly === "1";
    compute(form, values, env);
    form.querySelectorAll("[data-branching]").forEach((box) => {
      const visible = FollowupLogic.show(JSON.parse(box.dataset.branching), values, env);
      box.hidden = !visible || box.dataset.tagHidden === "1";
      box.querySelectorAll("input, select, textarea").forEach((i) => {
        i.disabled = !visible || readonly || i.dataset.locked === "1";
      });
    });
    pipe(form, values, env);
  }
  function exclusive(event) {  // @NONEOFTHEABOVE: that option, or the others, not both
    const input = event.target;
    const box = input.closest && input.closest("[data-exclusive]");
    if (!box || input.type !== "checkbox" || !input.checked) return;
    const only = box.dataset.exclusive.split(",");
    const mine = only.includes(input.value);
    box.querySelectorAll("input[type=checkbox]").forEach((other) => {
      if (other !== input && only.includes(other.value) !== mine) other.checked = false;
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("questionnaire");
    if (!form) return;
    const context = JSON.parse(document.getElementById("context-values").textContent);
    const envNode = document.getElementById("logic-env");
    const env = envNode ? JSON.parse(envNode.textContent) : {};
    form.querySelectorAll("input:disabled, select:disabled, textarea:disabled").forEach((i) => { i.dataset.locked = "1"; });
    form.addEventListener("change", exclusive);
    form.addEventListener("input", () => apply(form, context, env));
    form.addEventListener("change", () => apply(form, context, env));
    apply(form, context, env);
  });
})();
