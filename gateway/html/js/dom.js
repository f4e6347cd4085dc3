// Building the page with the DOM only: text is always set as text (never parsed as HTML), and
// no inline style is ever written (the Content-Security-Policy allows none).
import { t } from "./i18n.js";

let counter = 0;
/** A page-unique id for label/description links. */
export const uid = (prefix = "id") => `${prefix}-${++counter}`;

/**
 * h("p", {class: "x", onclick: fn}, "text", child, [more]) — attributes, event handlers
 * (on...), boolean attributes (true/false), and children (strings, nodes, arrays, null).
 */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" && !svg) {
      el.value = value;
    } else if (name === "checked" && !svg) {
      el.checked = Boolean(value);
    } else if (name === "style") {
      throw new Error("no inline style: use a class");
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/**
 * A labelled form control. kind: input types, "select" (options: [[value, label]]),
 * "textarea", "checkbox". Returns {wrap, input}.
 */
export function field({ label, name, type = "text", required = false, hint, value, options,
  autocomplete, inputmode, min, max, step, rows, accept, pattern, checked, maxlength }) {
  const id = uid(name || "f");
  let input;
  if (type === "select") {
    input = h("select", { id, name, required },
      (options || []).map(([v, l]) => h("option", { value: v }, l)));
    if (value !== undefined) input.value = value;
  } else if (type === "textarea") {
    input = h("textarea", { id, name, required, rows: rows || 5, maxlength });
    if (value !== undefined) input.value = value;
  } else {
    input = h("input", { id, name, type, required, autocomplete, inputmode, min, max, step,
      accept, pattern, maxlength, value, checked });
  }
  const hintEl = hint ? h("p", { class: "hint", id: uid("hint") }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  // The asterisk stays out of the label: the control's name is the label's words only.
  const labelEl = h("label", { for: id }, label);
  const mark = required ? h("span", { class: "req", "aria-hidden": "true" }, "*") : null;
  const wrap = type === "checkbox"
    ? h("div", { class: "field check" }, input, labelEl, hintEl)
    : h("div", { class: "field" }, h("div", { class: "label-row" }, labelEl, mark), hintEl, input);
  return { wrap, input };
}

/** The line under a form that says what happened: polite for success, an alert for errors. */
export function statusLine() {
  const el = h("div", { class: "status", role: "status", "aria-live": "polite" });
  return {
    el,
    ok(message) { clear(el); el.className = "status ok"; el.setAttribute("role", "status"); append(el, [message]); },
    error(message) {
      clear(el); el.className = "status error"; el.setAttribute("role", "alert");
      append(el, [message]);
    },
    busy(message = t("common.working")) { clear(el); el.className = "status busy"; el.setAttribute("role", "status"); append(el, [message]); },
    clear() { clear(el); el.className = "status"; },
  };
}

/** A table with a caption and column headers; rows are arrays of cells (strings or nodes). */
export function table(caption, headers, rows, { className = "", hideCaption = false, stacked = true } = {}) {
  // On a phone a "stacked" table shows each row as a block, each cell after its column's name
  // (CSS reads data-label); the explicit roles keep it a table for screen readers.
  const role = (name) => (stacked ? name : null);
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", { class: [className, stacked ? "stacked" : ""].join(" ").trim() || null, role: role("table") },
      // Hidden when the section's heading above says the same: still the table's name.
      h("caption", { class: hideCaption ? "visually-hidden" : null }, caption),
      h("thead", { role: role("rowgroup") }, h("tr", { role: role("row") }, headers.map((head) => h("th", { scope: "col", role: role("columnheader") }, head)))),
      h("tbody", { role: role("rowgroup") }, rows.map((row) => h("tr", { role: role("row") }, row.map((cell, i) =>
        i === 0
          ? h("th", { scope: "row", role: role("rowheader") }, cell)
          : h("td", { role: role("cell"), "data-label": headers[i] }, cell)))))));
}

export function button(label, onclick, { kind = "", type = "button", ...rest } = {}) {
  return h("button", { type, class: kind ? `btn ${kind}` : "btn", onclick, ...rest }, label);
}

/** Disable a form's controls while a request runs. */
export async function busy(form, fn) {
  const controls = [...form.querySelectorAll("button, input, select, textarea")];
  const before = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } finally {
    controls.forEach((c, i) => { c.disabled = before[i]; });
    form.removeAttribute("aria-busy");
  }
}

export function loading() {
  return h("p", { class: "loading", role: "status" }, t("common.loading"));
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

export function section(title, ...children) {
  const id = uid("sec");
  return h("section", { "aria-labelledby": id, class: "card" }, h("h2", { id }, title), children);
}
