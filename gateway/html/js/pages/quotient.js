// The family quotient (quotient familial): the employee's section of #/profile (declare the
// two figures of the tax notice and send the notice; the status and the bracket), and the
// tenant admin's #/admin/quotient (the formula and the brackets; the queue of notices to check).
// The figures and the notice go in a request body (multipart), never in a URL or in storage.
import { ApiError, api, describe, get, getAll, post, put } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { date, dateTime, shortId } from "../format.js";

const BASE = "/api/subsidies/quotient";
const ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg";
/** The service's limit (QUOTIENT_DOCUMENT_MAX_BYTES); checked here too, to say so at once. */
const MAX_BYTES = 5_000_000;

function statusBox(status) {
  if (status.bracket === null && status.status === "none") {
    return h("p", { class: "muted" }, t("quotient.notUsed"));
  }
  const rows = [
    h("dt", {}, t("quotient.bracket")),
    h("dd", { class: "strong" }, status.bracket ?? "—",
      status.is_default ? h("span", { class: "muted" }, ` (${t("quotient.default")})`) : null),
    h("dt", {}, t("quotient.status")),
    h("dd", {}, badge(tOr(`quotient.state.${status.status}`, status.status),
      status.status === "approved" ? "good" : "")),
  ];
  if (status.tax_year) rows.push(h("dt", {}, t("quotient.taxYear")), h("dd", {}, String(status.tax_year)));
  if (status.valid_until && status.status === "approved") {
    rows.push(h("dt", {}, t("quotient.validUntil")), h("dd", {}, date(new Date(Date.parse(status.valid_until) - 1000))));
  }
  if (status.checked_at) rows.push(h("dt", {}, t("quotient.checkedAt")), h("dd", {}, dateTime(status.checked_at)));
  return h("dl", { class: "totals" }, rows);
}

/** The employee's section: the status, then the declaration form (unless one waits). */
export function quotientSection(ctx, { onChange = () => {} } = {}) {
  const box = h("div", { "aria-live": "polite" });
  const status = statusLine();
  const income = field({ label: t("quotient.income"), name: "income", type: "number", min: 0, required: true,
    inputmode: "numeric", hint: t("quotient.incomeHint") });
  const shares = field({ label: t("quotient.shares"), name: "shares", type: "number", min: 1, max: 20, step: "0.25",
    required: true, inputmode: "decimal", hint: t("quotient.sharesHint") });
  // This year's notice or one of the two before (the service answers 422 otherwise).
  const thisYear = new Date().getFullYear();
  const year = field({ label: t("quotient.noticeYear"), name: "tax_year", type: "number", min: thisYear - 2, max: thisYear,
    required: true, inputmode: "numeric", value: String(thisYear), hint: t("quotient.noticeYearHint") });
  const file = field({ label: t("quotient.document"), name: "document", type: "file", required: true, accept: ACCEPT,
    hint: t("quotient.documentHint") });
  const form = h("form", { class: "stack narrow", novalidate: true }, income.wrap, shares.wrap, year.wrap, file.wrap,
    h("div", { class: "actions" }, button(t("quotient.send"), null, { type: "submit", kind: "primary" })), status.el);

  async function draw() {
    let current;
    try {
      current = await get(BASE);
    } catch (error) {
      clear(box);
      append(box, [h("p", { class: "status error" }, describe(error))]);
      return;
    }
    if (!ctx.alive()) return;
    clear(box);
    append(box, [statusBox(current)]);
    form.hidden = current.status === "pending" || (current.bracket === null && current.status === "none");
    if (current.status === "pending") append(box, [h("p", {}, t("quotient.waiting"))]);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [income, shares, year].find((f) => !f.input.value.trim());
    if (missing) {
      status.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    const sharesValue = Number.parseFloat(shares.input.value.replace(",", "."));
    if (!(sharesValue >= 1 && sharesValue <= 20) || (sharesValue * 4) % 1 !== 0) {
      status.error(t("quotient.sharesInvalid"));
      shares.input.focus();
      return;
    }
    const chosen = file.input.files && file.input.files[0];
    if (!chosen) {
      status.error(t("quotient.documentMissing"));
      file.input.focus();
      return;
    }
    if (chosen.size > MAX_BYTES) {
      status.error(t("quotient.documentTooBig"));
      file.input.focus();
      return;
    }
    const body = new FormData();
    body.append("income", income.input.value.trim());
    body.append("shares", String(sharesValue));
    body.append("tax_year", year.input.value.trim());
    body.append("document", chosen);
    await busy(form, async () => {
      try {
        await api("POST", BASE, { body });
        form.reset();
        status.ok(t("quotient.sent"));
        await draw();
        onChange();
      } catch (error) {
        status.error(error instanceof ApiError && error.status === 413 ? t("quotient.documentTooBig") : describe(error));
      }
    });
  });

  const el = section(t("quotient.section"), h("p", {}, t("quotient.intro")), h("p", { class: "hint" }, t("quotient.kept")), box, form);
  return { el, draw };
}

// -- the tenant admin's page ----------------------------------------------------------------------

function bracketsText(brackets) {
  return brackets.map((b) => (b.up_to === null ? b.name : `${b.name} ${b.up_to}`)).join("\n");
}

/** "A 700\nB 1200\nC" → [{name, up_to}], or null when a line is not "name [limit]". */
function parseBrackets(text) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const out = [];
  for (const line of lines) {
    const match = line.match(/^([A-Za-z0-9_-]{1,20})(?:\s+(\d{1,8}))?$/);
    if (!match) return null;
    out.push({ name: match[1], up_to: match[2] === undefined ? null : Number.parseInt(match[2], 10) });
  }
  return out.length ? out : null;
}

export async function quotientAdminPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let settings;
  try {
    settings = await get(`${BASE}/settings`);
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();

  // The formula and the brackets.
  const status = statusLine();
  const formula = field({ label: t("quotient.formula"), name: "formula", type: "select", value: settings.formula,
    options: [["monthly", t("quotient.formula.monthly")], ["yearly", t("quotient.formula.yearly")]] });
  const brackets = field({ label: t("quotient.brackets"), name: "brackets", type: "textarea", rows: 5, required: true,
    value: bracketsText(settings.brackets), hint: t("quotient.bracketsHint") });
  const fallback = field({ label: t("quotient.defaultBracket"), name: "default_bracket", required: true,
    value: settings.default_bracket ?? "", hint: t("quotient.defaultBracketHint") });
  const form = h("form", { class: "stack narrow", novalidate: true }, formula.wrap, brackets.wrap, fallback.wrap,
    h("div", { class: "actions" }, button(t("common.save"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const parsed = parseBrackets(brackets.input.value);
    if (!parsed) {
      status.error(t("quotient.bracketsInvalid"));
      brackets.input.focus();
      return;
    }
    if (!fallback.input.value.trim()) {
      status.error(t("form.fillRequired"));
      fallback.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        settings = await put(`${BASE}/settings`, {
          formula: formula.input.value, brackets: parsed, default_bracket: fallback.input.value.trim(),
        });
        status.ok(t("common.saved"));
        drawQueue();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });

  // The queue of notices to check.
  const queueBox = h("div");
  const queueStatus = statusLine();
  async function check(item, payload, control) {
    control.disabled = true;
    try {
      await post(`${BASE}/pending/${encodeURIComponent(item.id)}/check`, payload);
      queueStatus.ok(payload.approved ? t("quotient.approved", { bracket: payload.bracket }) : t("quotient.refused"));
      await drawQueue();
    } catch (error) {
      queueStatus.error(describe(error));
      control.disabled = false;
    }
  }
  async function drawQueue() {
    let items;
    try {
      items = await getAll(`${BASE}/pending`, { limit: 100 });
    } catch (error) {
      clear(queueBox);
      append(queueBox, [h("p", { class: "status error" }, describe(error))]);
      return;
    }
    if (!ctx.alive()) return;
    clear(queueBox);
    if (!items.length) {
      append(queueBox, [h("p", { class: "muted" }, t("quotient.queueEmpty"))]);
      return;
    }
    const names = settings.brackets.map((b) => b.name);
    append(queueBox, [table(t("quotient.queueCaption"),
      [t("quotient.declaredAt"), t("quotient.person"), t("quotient.colYear"), t("quotient.colIncome"), t("quotient.colShares"),
        t("quotient.value"), t("quotient.document"), t("quotient.decision")],
      items.map((item) => {
        const choice = field({ label: t("quotient.bracketFor", { id: shortId(item.user_id) }), name: "bracket", type: "select",
          value: item.proposed_bracket ?? names[0], options: names.map((n) => [n, n]) });
        const approve = button(t("quotient.approve"), (event) => check(item, { approved: true, bracket: choice.input.value }, event.target),
          { kind: "secondary", "aria-label": t("quotient.approveOne", { id: shortId(item.user_id) }) });
        const refuse = button(t("quotient.refuse"), (event) => check(item, { approved: false }, event.target),
          { kind: "link", "aria-label": t("quotient.refuseOne", { id: shortId(item.user_id) }) });
        const link = item.has_document
          ? h("a", { href: `${BASE}/pending/${encodeURIComponent(item.id)}/document`, target: "_blank", rel: "noopener" },
            t("quotient.view"), h("span", { class: "visually-hidden" }, ` (${shortId(item.user_id)})`))
          : h("span", { class: "muted" }, t("quotient.documentGone"));
        return [date(item.declared_at), h("span", { class: "mono" }, shortId(item.user_id)), String(item.tax_year),
          item.income ?? "—", item.shares ?? "—",
          item.quotient === null ? "—" : t("quotient.valueIs", { value: item.quotient, bracket: item.proposed_bracket ?? "—" }),
          link, h("div", { class: "row" }, item.has_document ? [choice.wrap, approve] : null, refuse)];
      }), { hideCaption: true })]);
  }

  append(body, [
    section(t("quotient.settings"), h("p", {}, t("quotient.settingsIntro")), form),
    section(t("quotient.queue"), h("p", {}, t("quotient.queueIntro")), queueBox, queueStatus.el),
  ]);
  await drawQueue();
}
