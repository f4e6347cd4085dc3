// Gift campaigns (URSSAF "bons d'achat et cadeaux"): tenant admins preview and create a
// campaign, are warned before it goes over the exemption limit, list the campaigns and read
// the yearly report; employees see their vouchers in the shop.
import { describe, get, getAll, post } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table, uid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { cents, date, money, shortId } from "../format.js";
import { pagedList } from "./privacy.js";

const eventName = (key) => tOr(`campaigns.event.${key}`, key);

export async function campaignsPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let events;
  try {
    events = await get("/api/subsidies/campaigns/events");
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const year = new Date().getFullYear();

  // -- a new campaign: preview first, then create ---------------------------------------------
  const status = statusLine();
  const previewBox = h("div");
  const name = field({ label: t("campaigns.name"), name: "name", required: true });
  const event = field({ label: t("campaigns.eventLabel"), name: "event", type: "select",
    options: events.map((e) => [e.event, eventName(e.event)]) });
  const amount = field({ label: t("campaigns.amount"), name: "amount", required: true, inputmode: "decimal", hint: t("form.eurosHint") });
  const perChild = field({ label: t("campaigns.perChild"), name: "per_child", type: "checkbox", hint: t("campaigns.perChildHint") });
  const minChildren = field({ label: t("campaigns.minChildren"), name: "min_children", type: "number", min: 0, max: 20, value: "0", inputmode: "numeric" });
  const limitHint = h("p", { class: "hint", "aria-live": "polite" });
  const showLimit = () => {
    const chosen = events.find((e) => e.event === event.input.value);
    if (!chosen) return;
    limitHint.textContent = t(chosen.per_child_limit ? "campaigns.limitPerChild" : "campaigns.limitPerEmployee",
      { amount: money(chosen.limit_cents), year });
    perChild.input.disabled = !chosen.per_child_limit;
    if (!chosen.per_child_limit) perChild.input.checked = false;
  };
  event.input.addEventListener("change", showLimit);
  showLimit();
  let confirm = null;

  function draft() {
    const value = cents(amount.input.value);
    const payload = { name: name.input.value.trim(), event: event.input.value, amount_cents: value,
      per_child: perChild.input.checked, min_children: Number.parseInt(minChildren.input.value || "0", 10) };
    if (!payload.name || Number.isNaN(value) || value < 1) {
      status.error(t("form.fillRequired"));
      (payload.name ? amount : name).input.focus();
      return null;
    }
    return payload;
  }

  function drawPreview(plan) {
    clear(previewBox);
    const headingId = uid("preview");
    const over = plan.exceeding_count > 0;
    confirm = over ? field({ label: t("campaigns.confirm"), name: "confirm_over_limit", type: "checkbox" }) : null;
    append(previewBox, [h("div", { class: "report", role: "region", "aria-labelledby": headingId, "data-preview": over ? "over" : "within" },
      h("h3", { id: headingId, tabindex: "-1" }, t("campaigns.previewTitle")),
      h("dl", { class: "totals" },
        h("dt", {}, t("campaigns.beneficiaries")), h("dd", { "data-field": "beneficiaries" }, String(plan.beneficiaries)),
        h("dt", {}, t("campaigns.total")), h("dd", {}, money(plan.total_cents)),
        h("dt", {}, t(plan.per_child_limit ? "campaigns.limitChild" : "campaigns.limitEmployee")), h("dd", {}, money(plan.limit_cents)),
        h("dt", {}, t("campaigns.notExempt")), h("dd", { class: over ? "strong" : null }, money(plan.not_exempt_cents))),
      over
        ? [h("p", { class: "status error", role: "alert" }, t("campaigns.overWarning", { n: plan.exceeding_count, amount: money(plan.not_exempt_cents) })),
          table(t("campaigns.exceedingCaption"),
            [t("campaigns.person"), t("campaigns.already"), t("campaigns.newAmount"), t("campaigns.limit"), t("campaigns.excess")],
            plan.exceeding.map((e) => [shortId(e.user_id), money(e.already_cents), money(e.new_cents), money(e.limit_cents), money(e.excess_cents)])),
          confirm.wrap]
        : h("p", { class: "status ok" }, badge(t("campaigns.withinBadge"), "good"), " ", t("campaigns.within")),
      h("div", { class: "actions" }, button(t("campaigns.create"), createCampaign, { kind: "primary" })))]);
    previewBox.querySelector("h3").focus();
  }

  async function createCampaign(clicked) {
    const payload = draft();
    if (!payload) return;
    payload.confirm_over_limit = Boolean(confirm && confirm.input.checked);
    const target = clicked.currentTarget;
    target.disabled = true;
    try {
      await post("/api/subsidies/campaigns", payload);
      clear(previewBox);
      status.ok(t("campaigns.created"));
      form.reset();
      showLimit();
      campaigns.load().catch((error) => status.error(describe(error)));
      drawReport();
    } catch (error) {
      status.error(describe(error));
      target.disabled = false;
    }
  }

  const form = h("form", { class: "stack narrow", novalidate: true },
    h("p", {}, t("campaigns.intro")), name.wrap, event.wrap, limitHint, amount.wrap, perChild.wrap, minChildren.wrap,
    h("div", { class: "actions" }, button(t("campaigns.preview"), null, { type: "submit", kind: "secondary" })), status.el);
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const payload = draft();
    if (!payload) return;
    status.clear();
    await busy(form, async () => {
      try {
        drawPreview(await post("/api/subsidies/campaigns/preview", payload));
      } catch (error) {
        status.error(describe(error));
      }
    });
  });

  // -- the campaigns made ------------------------------------------------------------------------
  const campaigns = pagedList("/api/subsidies/campaigns", (items) => (items.length
    ? table(t("campaigns.listCaption"),
      [t("campaigns.name"), t("campaigns.eventLabel"), t("campaigns.date"), t("campaigns.beneficiaries"), t("campaigns.total"), t("campaigns.notExempt")],
      items.map((c) => [c.name, eventName(c.event), date(c.created_at), String(c.beneficiaries), money(c.total_cents),
        c.not_exempt_cents ? badge(money(c.not_exempt_cents), "warn") : money(0)]), { hideCaption: true })
    : h("p", { class: "muted" }, t("campaigns.none"))));

  // -- the yearly report: per person (id only) and event ----------------------------------------
  const reportBox = h("div");
  const reportYear = field({ label: t("campaigns.year"), name: "year", type: "select", value: String(year),
    options: [year, year - 1].map((y) => [String(y), String(y)]) });
  function drawReport() {
    clear(reportBox);
    const chosen = reportYear.input.value;
    const lines = pagedList(`/api/subsidies/campaigns/report?year=${encodeURIComponent(chosen)}`, (items) => (items.length
      ? table(t("campaigns.reportCaption", { year: chosen }),
        [t("campaigns.person"), t("campaigns.eventLabel"), t("campaigns.issued"), t("campaigns.limit"), t("campaigns.exempt"), t("campaigns.notExempt")],
        items.map((r) => [shortId(r.user_id), eventName(r.event), money(r.issued_cents), money(r.limit_cents), money(r.exempt_cents),
          r.not_exempt_cents ? badge(money(r.not_exempt_cents), "warn") : money(0)]))
      : h("p", { class: "muted" }, t("campaigns.reportNone"))), { limit: 100 });
    append(reportBox, [lines.box,
      h("p", {}, h("a", { href: `/api/subsidies/campaigns/report.csv?year=${encodeURIComponent(chosen)}&limit=500`, download: `gifts-${chosen}.csv` }, t("campaigns.csv")))]);
    lines.load().catch((error) => append(reportBox, [h("p", { class: "status error", role: "alert" }, describe(error))]));
  }
  reportYear.input.addEventListener("change", drawReport);

  append(body, [
    section(t("campaigns.new"), form, previewBox),
    section(t("campaigns.list"), campaigns.box),
    section(t("campaigns.report"), h("p", { class: "hint" }, t("campaigns.reportIntro")), reportYear.wrap, reportBox),
  ]);
  campaigns.load().catch((error) => status.error(describe(error)));
  drawReport();
}

/** The employee's gift vouchers in the shop (nothing when they have none): `load()` again
 * after an order, which takes from them what the subsidy leaves to pay; `left()` is what they
 * can still pay, `onLoad` is called once it is known. */
export function voucherSection(onLoad = () => {}) {
  const box = h("div");
  let leftCents = 0;
  async function load() {
    let vouchers;
    try {
      vouchers = await getAll("/api/subsidies/vouchers", { limit: 500 });
    } catch {
      return; // the shop works without them
    }
    clear(box);
    const left = vouchers.reduce((sum, v) => sum + v.remaining_cents, 0);
    leftCents = left;
    onLoad();
    if (!vouchers.length) return;
    append(box, [section(t("vouchers.title"),
      h("p", {}, t("vouchers.intro"), " ", h("strong", { "data-field": "vouchers-left" }, money(left))),
      table(t("vouchers.caption"), [t("campaigns.eventLabel"), t("vouchers.amount"), t("vouchers.left"), t("campaigns.date")],
        vouchers.map((v) => [eventName(v.event), money(v.amount_cents), money(v.remaining_cents), date(v.created_at)]), { hideCaption: true }),
      h("p", { class: "hint" }, t("vouchers.hint")))]);
  }
  return { box, load, left: () => leftCents };
}
