// Tenant admin (the CSE's treasurer): the books of a period, totals per budget (ASC, AEP), and
// the journal to download as a FEC (the French tax administration's file) or as CSV.
import { describe, get } from "../api.js";
import { append, clear, field, h, loading, statusLine, table } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { date, money } from "../format.js";

const pad = (n) => String(n).padStart(2, "0");

/** This month, in the browser's own time (the books are dated in the works council's). */
function monthOf(today) {
  const y = today.getFullYear();
  const m = today.getMonth();
  const last = new Date(y, m + 1, 0).getDate();
  return [`${y}-${pad(m + 1)}-01`, `${y}-${pad(m + 1)}-${pad(last)}`];
}

export async function accountingPage(body, ctx) {
  const [first, last] = monthOf(new Date());
  const from = field({ label: t("accounting.from"), name: "from", type: "date", required: true, value: first });
  const to = field({ label: t("accounting.to"), name: "to", type: "date", required: true, value: last });
  const status = statusLine();
  const fec = h("a", { class: "btn primary", download: "" }, t("accounting.fec"));
  const csv = h("a", { class: "btn secondary", download: "" }, t("accounting.csv"));
  const downloads = h("div", { class: "actions" }, fec, csv);
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "row", novalidate: true }, from.wrap, to.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn secondary" }, t("accounting.show"))));

  function period() {
    const start = from.input.value;
    const end = to.input.value;
    if (!start || !end || start > end) return null;
    return new URLSearchParams({ from: start, to: end }).toString();
  }

  async function draw() {
    clear(out);
    status.clear();
    const query = period();
    if (!query) {
      downloads.hidden = true;
      status.error(t("accounting.badPeriod"));
      (from.input.value ? to.input : from.input).focus();
      return;
    }
    fec.href = `/api/accounting/entries.fec?${query}`;
    csv.href = `/api/accounting/entries.csv?${query}`;
    downloads.hidden = false;
    append(out, [loading()]);
    let totals;
    try {
      totals = await get(`/api/accounting/totals?${query}`);
    } catch (error) {
      clear(out);
      append(out, [h("p", { class: "status error", role: "alert" }, describe(error))]);
      return;
    }
    if (!ctx.alive()) return;
    clear(out);
    const yes = (ok) => (ok ? t("accounting.yes") : t("accounting.no"));
    const rows = totals.budgets.map((b) => [
      tOr(`accounting.budget.${b.budget}`, b.budget), b.journal, String(b.entries),
      money(b.debit_cents), money(b.credit_cents), yes(b.balanced)]);
    rows.push([t("accounting.all"), "", String(totals.budgets.reduce((n, b) => n + b.entries, 0)),
      money(totals.debit_cents), money(totals.credit_cents), yes(totals.balanced)]);
    append(out, [
      table(t("accounting.totals", { from: date(totals.start), to: date(totals.end) }),
        [t("accounting.budget"), t("accounting.journal"), t("accounting.entries"), t("accounting.debit"), t("accounting.credit"), t("accounting.balanced")],
        rows),
    ]);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    draw();
  });
  append(body, [
    h("p", { class: "lead" }, t("accounting.intro")),
    form, status.el, h("p", { class: "hint" }, t("accounting.formats")), downloads, out,
  ]);
  await draw();
}
