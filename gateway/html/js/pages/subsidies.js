// The beneficiary profile and eligibility; activities booked with a SEPA direct-debit mandate.
import { ApiError, del, describe, get, getAll, post, put } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table, uid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { date, dateTime, money } from "../format.js";
import { quotientSection } from "./quotient.js";

function eligibilityTable(rules) {
  if (!rules.length) return h("p", { class: "muted" }, t("eligibility.none"));
  return table(t("eligibility.caption"),
    [t("eligibility.rule"), t("eligibility.applies"), t("eligibility.amount"), t("eligibility.used"), t("eligibility.left")],
    rules.map((r) => [
      r.name,
      r.offer_kind ? tOr(`kind.${r.offer_kind}`, r.offer_kind) : t("kind.any"),
      r.amount_cents !== null ? t("eligibility.perItem", { amount: money(r.amount_cents) }) : `${r.percent} %`,
      `${money(r.used_cents)} / ${money(r.cap_cents_per_year)}`,
      money(r.remaining_cents),
    ]));
}

export async function profilePage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let profile = null;
  try {
    profile = await get("/api/subsidies/profile");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      wait.remove();
      append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
      return;
    }
  }
  if (!ctx.alive()) return;
  wait.remove();
  const status = statusLine();
  const children = field({
    label: t("profile.children"), name: "children_count", type: "number", min: 0, max: 20, required: true,
    inputmode: "numeric", value: profile ? String(profile.children_count) : "", hint: t("profile.childrenHint"),
  });
  const eligibilityBox = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "stack narrow", novalidate: true }, children.wrap,
    h("div", { class: "actions" }, button(t("profile.save"), null, { type: "submit", kind: "primary" })), status.el);
  async function drawEligibility() {
    try {
      const rules = await getAll("/api/subsidies/eligibility", { limit: 500 });
      clear(eligibilityBox);
      append(eligibilityBox, [eligibilityTable(rules)]);
    } catch (error) {
      clear(eligibilityBox);
      append(eligibilityBox, [h("p", { class: "status error" }, describe(error))]);
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = Number.parseInt(children.input.value, 10);
    if (!Number.isInteger(n) || n < 0 || n > 20) {
      status.error(t("profile.childrenInvalid"));
      children.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        await put("/api/subsidies/profile", { children_count: n });
        status.ok(t("profile.saved"));
        await drawEligibility();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  // The family quotient: its bracket changes the rules met (pages/quotient.js).
  const quotient = quotientSection(ctx, { onChange: drawEligibility });
  append(body, [
    section(t("profile.section"), h("p", {}, t("profile.intro")), form),
    quotient.el,
    section(t("eligibility.title"), h("p", {}, t("eligibility.intro")), eligibilityBox),
  ]);
  await Promise.all([drawEligibility(), quotient.draw()]);
}

function mandateText(m) {
  return `${m.holder} — ${m.iban} — ${m.bic}`;
}

export async function activitiesPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let activities;
  let mandates;
  let bookings;
  let eligibility;
  try {
    // Each list whole, every page of it: the form offers every activity and mandate, and
    // the bookings are named after their activity.
    const whole = (path) => getAll(path, { limit: 500 });
    [activities, mandates, bookings, eligibility] = await Promise.all([
      whole("/api/subsidies/activities"), whole("/api/subsidies/mandates"), whole("/api/subsidies/bookings"),
      whole("/api/subsidies/eligibility").catch(() => []),
    ]);
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const activityRules = eligibility.filter((r) => (r.offer_kind === "activity" || r.offer_kind === null) && r.remaining_cents > 0);
  const titles = new Map(activities.map((a) => [a.id, a.title]));
  const result = h("div");

  // The mandate: holder, IBAN, BIC; the answer shows them masked.
  const mandateStatus = statusLine();
  const holder = field({ label: t("mandate.holder"), name: "holder", required: true, autocomplete: "name" });
  const iban = field({ label: t("mandate.iban"), name: "iban", required: true, autocomplete: "off", hint: t("mandate.ibanHint") });
  const bic = field({ label: t("mandate.bic"), name: "bic", required: true, autocomplete: "off", hint: t("mandate.bicHint") });
  const mandateForm = h("form", { class: "stack narrow", novalidate: true },
    h("p", {}, t("mandate.intro")), holder.wrap, iban.wrap, bic.wrap,
    h("div", { class: "actions" }, button(t("mandate.sign"), null, { type: "submit", kind: "primary" })), mandateStatus.el);
  const usable = () => mandates.filter((m) => m.status === "active");
  const mandateList = h("div");
  function drawMandates() {
    clear(mandateList);
    if (!mandates.length) {
      append(mandateList, [h("p", { class: "muted" }, t("mandate.none"))]);
      return;
    }
    append(mandateList, [h("ul", { class: "plain" }, mandates.map((m) => h("li", { class: "mandate" },
      h("span", { class: "mono" }, mandateText(m)), " ", badge(tOr(`mandateStatus.${m.status}`, m.status), m.status === "active" ? "good" : ""),
      m.status === "active" ? button(t("mandate.revoke"), async (event) => {
        event.target.disabled = true;
        try {
          const revoked = await del(`/api/subsidies/mandates/${encodeURIComponent(m.id)}`);
          mandates = mandates.map((x) => (x.id === m.id ? revoked : x));
          drawMandates();
          drawBooking();
        } catch (error) {
          mandateStatus.error(describe(error));
          event.target.disabled = false;
        }
      }, { kind: "link", "aria-label": t("mandate.revokeOne", { iban: m.iban }) }) : null)))]);
  }
  mandateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [holder, iban, bic].find((f) => !f.input.value.trim());
    if (missing) {
      mandateStatus.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    await busy(mandateForm, async () => {
      try {
        const mandate = await post("/api/subsidies/mandates", {
          holder: holder.input.value.trim(), iban: iban.input.value.replace(/\s+/g, "").toUpperCase(),
          bic: bic.input.value.trim().toUpperCase(),
        });
        mandates = [mandate, ...mandates];
        // The full bank details leave the page: only the masked answer stays.
        holder.input.value = "";
        iban.input.value = "";
        bic.input.value = "";
        mandateStatus.ok(t("mandate.signed", { iban: mandate.iban }));
        drawMandates();
        drawBooking();
      } catch (error) {
        mandateStatus.error(describe(error));
      }
    });
  });

  // Booking: an activity and a mandate.
  const bookingBox = h("div");
  function drawBooking() {
    clear(bookingBox);
    if (!activities.length) {
      append(bookingBox, [h("p", {}, t("activities.none"))]);
      return;
    }
    const status = statusLine();
    const activity = field({
      label: t("booking.activity"), name: "activity_id", type: "select", required: true,
      options: activities.map((a) => [a.id, `${a.title} — ${date(a.starts_at)} — ${money(a.price_cents)}`]),
    });
    const choices = usable();
    const mandate = field({
      label: t("booking.mandate"), name: "mandate_id", type: "select", required: true,
      options: choices.length ? choices.map((m) => [m.id, `${m.iban} (${m.holder})`]) : [["", t("booking.noMandate")]],
    });
    const form = h("form", { class: "stack narrow", novalidate: true }, activity.wrap, mandate.wrap,
      activityRules.length ? h("p", { class: "subsidy" }, badge(t("offers.subsidy"), "good"), " ",
        activityRules.map((r) => (r.percent !== null ? t("offers.subsidyPercent", { percent: r.percent }) : t("offers.subsidyAmount", { amount: money(r.amount_cents) }))).join(" ; ")) : null,
      h("div", { class: "actions" }, button(t("booking.book"), null, { type: "submit", kind: "primary", disabled: !choices.length })),
      status.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await busy(form, async () => {
        try {
          const booking = await post("/api/subsidies/bookings", { activity_id: activity.input.value, mandate_id: mandate.input.value });
          bookings = [booking, ...bookings];
          showBooked(result, booking, titles);
          drawBookings();
        } catch (error) {
          status.error(describe(error));
        }
      });
    });
    append(bookingBox, [form]);
  }

  const bookingList = h("div");
  function drawBookings() {
    clear(bookingList);
    if (!bookings.length) {
      append(bookingList, [h("p", { class: "muted" }, t("booking.none"))]);
      return;
    }
    const status = statusLine();
    append(bookingList, [table(t("booking.caption"),
      [t("booking.activity"), t("booking.status"), t("order.total"), t("order.subsidy"), t("booking.debit"), t("booking.mandate"), t("common.actions")],
      bookings.map((b) => [
        titles.get(b.activity_id) || b.activity_id,
        tOr(`bookingStatus.${b.status}`, b.status),
        money(b.price_cents), money(b.subsidy_cents), money(b.debit_cents),
        b.mandate ? h("span", { class: "mono" }, b.mandate.iban) : "—",
        b.status === "booked" ? button(t("booking.cancel"), async (event) => {
          event.target.disabled = true;
          try {
            const cancelled = await post(`/api/subsidies/bookings/${encodeURIComponent(b.id)}/cancel`);
            bookings = bookings.map((x) => (x.id === b.id ? { ...x, status: cancelled.status } : x));
            drawBookings();
          } catch (error) {
            status.error(describe(error));
            event.target.disabled = false;
          }
        }, { kind: "link", "aria-label": t("booking.cancelOne", { title: titles.get(b.activity_id) || "" }) }) : "",
      ]), { hideCaption: true }), status.el]);
  }

  append(body, [
    h("p", { class: "lead" }, t("activities.intro")),
    result,
    section(t("booking.title"), bookingBox),
    section(t("mandate.title"), mandateList, mandateForm),
    section(t("booking.mine"), bookingList),
  ]);
  drawMandates();
  drawBooking();
  drawBookings();
}

function showBooked(box, booking, titles) {
  clear(box);
  const headingId = uid("booked");
  const heading = h("h2", { id: headingId, tabindex: "-1" }, t("booking.done", { title: titles.get(booking.activity_id) || "" }));
  append(box, [h("section", { class: "card success", "aria-labelledby": headingId, "data-booking": booking.id },
    heading,
    h("dl", { class: "totals" },
      h("dt", {}, t("order.total")), h("dd", {}, money(booking.price_cents)),
      h("dt", {}, t("order.subsidy")), h("dd", { class: "good-text" }, `− ${money(booking.subsidy_cents)}`),
      h("dt", {}, t("booking.debit")), h("dd", { class: "strong" }, money(booking.debit_cents)),
      h("dt", {}, t("booking.mandate")), h("dd", { class: "mono", "data-field": "iban" }, booking.mandate ? booking.mandate.iban : "—"),
      h("dt", {}, t("booking.when")), h("dd", {}, dateTime(booking.created_at))))]);
  heading.focus();
}
