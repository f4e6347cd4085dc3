// Offers, the basket, ordering with the works council's subsidy, paying, the person's orders.
import { describe, get, getAll, post } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, uid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { dateTime, money, shortId } from "../format.js";
import { pagedList } from "./privacy.js";
import { voucherSection } from "./campaigns.js";

/** The basket lives in memory only, for the person who filled it. */
const basket = { owner: null, lines: new Map() };

function basketOf(user) {
  if (basket.owner !== user.id) {
    basket.owner = user.id;
    basket.lines.clear();
  }
  return basket.lines;
}

/** The rules that may apply to an offer of this kind, the most generous first. */
function rulesFor(kind, eligibility) {
  return eligibility.filter((r) => (r.offer_kind === null || r.offer_kind === kind) && r.remaining_cents > 0);
}

function perItem(rule, price) {
  return rule.amount_cents !== null ? Math.min(rule.amount_cents, price) : Math.floor((price * rule.percent) / 100);
}

/** What the subsidy should be (the server decides; this is shown as an estimate). */
function estimate(lines, eligibility) {
  const left = new Map(eligibility.map((r) => [r.rule_id, r.remaining_cents]));
  let total = 0;
  for (const { offer, quantity } of lines) {
    let best = null;
    let bestAmount = 0;
    for (const rule of rulesFor(offer.kind, eligibility)) {
      const amount = Math.min(perItem(rule, offer.price_cents) * quantity, left.get(rule.rule_id));
      if (amount > bestAmount) {
        best = rule;
        bestAmount = amount;
      }
    }
    if (best) {
      left.set(best.rule_id, left.get(best.rule_id) - bestAmount);
      total += bestAmount;
    }
  }
  return total;
}

function subsidyHint(offer, eligibility) {
  const rules = rulesFor(offer.kind, eligibility);
  if (!rules.length) return h("p", { class: "muted" }, t("offers.noSubsidy"));
  return rules.map((rule) => h("p", { class: "subsidy" },
    badge(t("offers.subsidy"), "good"), " ",
    rule.amount_cents !== null
      ? t("offers.subsidyAmount", { amount: money(rule.amount_cents) })
      : t("offers.subsidyPercent", { percent: rule.percent }),
    " ", h("span", { class: "muted" }, t("offers.subsidyLeft", { left: money(rule.remaining_cents) }))));
}

/** Every rule the person meets (all pages); `fallback` when they cannot be read. */
function eligibilityOf(fallback) {
  return getAll("/api/subsidies/eligibility", { limit: 500 }).catch(() => fallback);
}

export async function offersPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let offers;
  let eligibility;
  try {
    // The whole catalogue and every rule the person meets (each page of them), by title.
    [offers, eligibility] = await Promise.all([getAll("/api/offers", { limit: 500 }), eligibilityOf([])]);
    offers.sort((a, b) => a.title.localeCompare(b.title));
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const lines = basketOf(ctx.user);
  const basketBox = h("div");
  const result = h("div");
  const gifts = voucherSection(() => drawBasket());
  /** Each offer's subsidy line, redrawn when an order has used some of the yearly caps. */
  const hints = new Map();
  const drawHints = () => {
    for (const [offer, box] of hints) {
      clear(box);
      append(box, [subsidyHint(offer, eligibility)]);
    }
  };

  function drawBasket() {
    clear(basketBox);
    const chosen = [...lines.values()];
    if (!chosen.length) {
      append(basketBox, [section(t("basket.title"), h("p", { class: "muted" }, t("basket.empty")))]);
      return;
    }
    const total = chosen.reduce((sum, l) => sum + l.offer.price_cents * l.quantity, 0);
    const subsidy = estimate(chosen, eligibility);
    const fromVouchers = Math.min(gifts.left(), Math.max(0, total - subsidy));
    const status = statusLine();
    const needsAddress = chosen.some((l) => l.offer.kind === "goods");
    const address = needsAddress ? {
      name: field({ label: t("address.name"), name: "name", required: true, autocomplete: "name" }),
      street: field({ label: t("address.street"), name: "street", required: true, autocomplete: "street-address" }),
      postcode: field({ label: t("address.postcode"), name: "postcode", required: true, autocomplete: "postal-code" }),
      city: field({ label: t("address.city"), name: "city", required: true, autocomplete: "address-level2" }),
    } : null;
    const form = h("form", { class: "stack", novalidate: true },
      h("ul", { class: "basket" }, chosen.map((l) => h("li", {},
        h("span", {}, `${l.quantity} × ${l.offer.title}`),
        h("span", { class: "amount" }, money(l.offer.price_cents * l.quantity)),
        button(t("basket.remove"), () => { lines.delete(l.offer.id); drawBasket(); ctx.announce(t("basket.removed")); },
          { kind: "link", "aria-label": t("basket.removeOne", { title: l.offer.title }) })))),
      h("dl", { class: "totals" },
        h("dt", {}, t("order.total")), h("dd", {}, money(total)),
        h("dt", {}, t("order.subsidyEstimate")), h("dd", { class: "good-text" }, `− ${money(subsidy)}`),
        fromVouchers ? [h("dt", {}, t("order.vouchersEstimate")), h("dd", { class: "good-text" }, `− ${money(fromVouchers)}`)] : null,
        h("dt", {}, t("order.toPayEstimate")), h("dd", { class: "strong" }, money(Math.max(0, total - subsidy - fromVouchers)))),
      h("p", { class: "hint" }, t("order.estimateHint")),
      address ? h("fieldset", {}, h("legend", {}, t("address.legend")),
        address.name.wrap, address.street.wrap, address.postcode.wrap, address.city.wrap) : null,
      h("div", { class: "actions" }, button(t("basket.order"), null, { type: "submit", kind: "primary" })),
      status.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = { items: chosen.map((l) => ({ offer_id: l.offer.id, quantity: l.quantity })) };
      if (address) {
        const missing = Object.values(address).find((f) => !f.input.value.trim());
        if (missing) {
          status.error(t("form.fillRequired"));
          missing.input.focus();
          return;
        }
        payload.delivery_address = {
          name: address.name.input.value.trim(), street: address.street.input.value.trim(),
          postcode: address.postcode.input.value.trim(), city: address.city.input.value.trim(), country: "FR",
        };
      }
      status.busy();
      await busy(form, async () => {
        try {
          const order = await post("/api/orders", payload);
          lines.clear();
          drawBasket();
          showPlaced(result, order, ctx);
          eligibility = await eligibilityOf(eligibility);
          drawHints();
          gifts.load();
        } catch (error) {
          status.error(describe(error));
        }
      });
    });
    append(basketBox, [section(t("basket.title"), form)]);
  }

  const list = h("ul", { class: "cards" }, offers.map((offer) => {
    const quantity = field({ label: [t("offers.quantity"), h("span", { class: "visually-hidden" }, ` — ${offer.title}`)], name: "quantity", type: "number", min: 1, max: 10, value: "1", inputmode: "numeric" });
    const headingId = uid("offer");
    const hintBox = h("div");
    hints.set(offer, hintBox);
    // After adding: a way to the basket (below the offers on a phone).
    const added = h("p", { class: "added", hidden: true }, badge(t("basket.inBasket"), "good"), " ",
      button(t("basket.see"), () => {
        const heading = basketBox.querySelector("h2");
        heading.setAttribute("tabindex", "-1");
        heading.focus();
        heading.scrollIntoView({ block: "start" });
      }, { kind: "link" }));
    return h("li", { class: "card offer", "aria-labelledby": headingId },
      h("h2", { id: headingId, class: "h3" }, offer.title),
      h("p", {}, badge(tOr(`kind.${offer.kind}`, offer.kind)), " ", h("strong", { class: "price" }, money(offer.price_cents))),
      offer.stock !== null ? h("p", { class: "muted" }, t("offers.stock", { n: offer.stock })) : null,
      hintBox,
      h("div", { class: "row" }, quantity.wrap,
        button(t("offers.add"), () => {
          const n = Math.max(1, Math.min(10, Number.parseInt(quantity.input.value, 10) || 1));
          const existing = lines.get(offer.id);
          lines.set(offer.id, { offer, quantity: Math.min(10, (existing ? existing.quantity : 0) + n) });
          drawBasket();
          added.hidden = false;
          ctx.announce(t("basket.added", { title: offer.title }));
        }, { kind: "primary" })),
      added);
  }));
  append(body, [
    h("p", { class: "lead" }, t("offers.intro"), " ",
      h("a", { href: "#/profile" }, eligibility.length ? t("offers.seeSubsidies") : t("offers.profileLink"))),
    result,
    gifts.box,
    h("div", { class: "shop" }, offers.length ? list : h("p", {}, t("offers.none")), basketBox),
  ]);
  drawHints();
  drawBasket();
  gifts.load();
}

function showPlaced(box, order, ctx) {
  clear(box);
  const headingId = uid("placed");
  const status = statusLine();
  const heading = h("h2", { id: headingId, tabindex: "-1" }, t("order.placed", { ref: shortId(order.id) }));
  const pay = order.status === "created" ? payButton(order, status, () => ctx.navigate("/orders")) : null;
  append(box, [h("section", { class: "card success", "aria-labelledby": headingId, "data-order": order.id },
    heading,
    amounts(order),
    h("div", { class: "actions" }, pay, h("a", { href: "#/orders", class: "btn secondary" }, t("order.seeOrders"))),
    status.el)]);
  heading.focus();
}

function amounts(order) {
  return h("dl", { class: "totals" },
    h("dt", {}, t("order.total")), h("dd", { "data-field": "total" }, money(order.total_cents)),
    h("dt", {}, t("order.subsidy")), h("dd", { class: "good-text", "data-field": "subsidy" }, `− ${money(order.subsidy_cents)}`),
    h("dt", {}, t("order.toPay")), h("dd", { class: "strong", "data-field": "to-pay" }, money(order.to_pay_cents)));
}

/** Paying: the provider's page. The sandbox's page is a confirmation here, then its POST. */
function payButton(order, status, done) {
  const go = button(t("order.pay", { amount: money(order.to_pay_cents) }), async () => {
    go.disabled = true;
    status.busy();
    try {
      const intent = await post(`/api/orders/${encodeURIComponent(order.id)}/pay`);
      const url = String(intent.redirect_url || "");
      if (!url.startsWith("/api/payments/sandbox/")) {
        window.location.assign(url);
        return;
      }
      status.clear();
      const confirmId = uid("sandbox");
      const confirm = h("div", { class: "sandbox", role: "group", "aria-labelledby": confirmId },
        h("p", { id: confirmId, class: "strong", tabindex: "-1" }, t("pay.sandbox", { amount: money(order.to_pay_cents) })),
        h("div", { class: "actions" },
          button(t("pay.confirm"), async (event) => {
            event.target.disabled = true;
            try {
              await post(url);
              confirm.remove();
              status.ok(t("pay.done"));
              window.setTimeout(done, 800);
            } catch (error) {
              status.error(describe(error));
              event.target.disabled = false;
            }
          }, { kind: "primary" }),
          button(t("pay.cancel"), () => { confirm.remove(); go.disabled = false; go.focus(); }, { kind: "secondary" })));
      go.after(confirm);
      confirm.querySelector("p").focus();
    } catch (error) {
      status.error(describe(error));
      go.disabled = false;
    }
  }, { kind: "primary" });
  return go;
}

export async function ordersPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  // The newest first, a page at a time: a "Show more" button while older ones follow.
  const orders = pagedList("/api/orders", (found) => h("ul", { class: "cards orders" }, found.map((order) => orderCard(order, ctx))));
  try {
    await orders.load();
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  if (!orders.items.length) {
    append(body, [h("p", {}, t("orders.none"), " ", h("a", { href: "#/offers" }, t("orders.browse")))]);
    return;
  }
  append(body, [orders.box]);
}

function orderCard(order, ctx) {
  const status = statusLine();
  const headingId = uid("order");
  const invoiceBox = h("div");
  const actions = [];
  if (order.status === "created") {
    actions.push(payButton(order, status, () => ctx.navigate("/orders")));
    actions.push(button(t("orders.cancel"), async (event) => {
      event.target.disabled = true;
      try {
        await post(`/api/orders/${encodeURIComponent(order.id)}/cancel`);
        ctx.navigate("/orders");
      } catch (error) {
        status.error(describe(error));
        event.target.disabled = false;
      }
    }, { kind: "secondary" }));
  }
  if (["paid", "fulfilled"].includes(order.status)) {
    actions.push(button(t("orders.invoice"), async (event) => {
      event.target.disabled = true;
      try {
        const invoice = await get(`/api/orders/${encodeURIComponent(order.id)}/invoice`);
        clear(invoiceBox);
        append(invoiceBox, [h("div", { class: "invoice" },
          h("h3", {}, t("invoice.title", { number: invoice.number })),
          h("p", {}, t("invoice.issued", { date: dateTime(invoice.issued_at) })),
          h("ul", {}, invoice.lines.map((l) => h("li", {}, `${l.quantity} × ${l.title} — ${money(l.unit_price_cents * l.quantity)}`))),
          h("p", {}, t("order.total"), " : ", money(invoice.total_cents), " — ", t("order.subsidy"), " : ", money(invoice.subsidy_cents)))]);
      } catch (error) {
        status.error(describe(error));
        event.target.disabled = false;
      }
    }, { kind: "secondary" }));
  }
  return h("li", { class: "card", "aria-labelledby": headingId, "data-order": order.id },
    h("h2", { id: headingId, class: "h3" }, t("orders.ref", { ref: shortId(order.id) }), " ",
      badge(tOr(`orderStatus.${order.status}`, order.status), order.status === "paid" || order.status === "fulfilled" ? "good" : "")),
    h("p", { class: "muted" }, dateTime(order.created_at)),
    h("ul", {}, order.items.map((item) => h("li", {}, `${item.quantity} × ${item.title}`))),
    amounts(order),
    actions.length ? h("div", { class: "actions" }, actions) : null,
    invoiceBox,
    status.el);
}
