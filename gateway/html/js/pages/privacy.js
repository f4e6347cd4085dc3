// "My data": export and download, erasure (after a plain-language screen), rectification,
// restriction and objection, consents, who accessed my data, my requests, the DPO's contact.
import { ApiError, describe, get, getPage, post, put } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table, uid } from "../dom.js";
import { lang, t, tOr } from "../i18n.js";
import { date, dateTime, shortId } from "../format.js";
import { dpoCard } from "./auth.js";

const FINAL = new Set(["completed", "failed", "rejected", "cancelled"]);
const EXPORTS = new Set(["access", "portability"]);

/** Ask ``fn`` every ``ms`` until it returns true or the page is left. */
function poll(ctx, fn, ms = 1000) {
  let timer = null;
  let stopped = false;
  ctx.onLeave(() => { stopped = true; window.clearTimeout(timer); });
  const tick = async () => {
    if (stopped) return;
    let done = false;
    try {
      done = await fn();
    } catch {
      done = false;
    }
    if (!done && !stopped) timer = window.setTimeout(tick, ms);
  };
  tick();
}

const requestUrl = (id) => `/api/privacy/requests/${encodeURIComponent(id)}`;
export const archiveUrl = (id) => `${requestUrl(id)}/archive`;

/**
 * A list the server sends page by page (kit.pagination): `draw(items)` draws everything
 * loaded so far; while more follow, a "Show more" button loads the next page, so a long list
 * is never cut without saying so. `load()` (re)loads the first page; it throws what the first
 * page's request threw. `items` and `more()` are there for a page that needs them.
 */
export function pagedList(path, draw, { limit = null } = {}) {
  const listBox = h("div");
  const status = statusLine();
  const items = [];
  let next = null;
  const moreButton = button(t("list.more"), async () => {
    moreButton.disabled = true;
    try {
      await more();
    } catch (error) {
      status.error(describe(error));
    } finally {
      moreButton.disabled = false;
    }
  }, { kind: "secondary" });
  const actions = h("div", { class: "actions" }, moreButton);
  function redraw() {
    clear(listBox);
    append(listBox, [draw(items)]);
    actions.hidden = !next;
  }
  async function more() {
    const page = await getPage(path, { cursor: next, limit });
    items.push(...page.items);
    next = page.next;
    redraw();
  }
  return {
    box: h("div", {}, listBox, actions, status.el),
    items,
    hasMore: () => Boolean(next),
    more,
    async load() {
      items.length = 0;
      next = null;
      await more();
    },
  };
}

export function statusBadge(status) {
  const kind = status === "completed" ? "good" : status === "failed" || status === "rejected" ? "bad" : "warn";
  return badge(tOr(`requestStatus.${status}`, status), kind);
}

/** Each service's part of a request, as a list a screen reader reads in order. */
export function servicesProgress(request) {
  const entries = Object.entries(request.services || {});
  const done = entries.filter(([, s]) => s === "done").length;
  const progressId = uid("progress");
  return h("div", { class: "progress-box" },
    h("label", { for: progressId }, t("progress.label", { done, total: entries.length })),
    h("progress", { id: progressId, max: String(Math.max(entries.length, 1)), value: String(done) }),
    h("ul", { class: "services" }, entries.map(([name, s]) => h("li", { "data-service": name },
      h("span", {}, tOr(`service.${name}`, name)), " ",
      badge(tOr(`taskStatus.${s}`, s), s === "done" ? "good" : s === "failed" ? "bad" : "warn")))));
}

function downloadLink(request) {
  return h("a", { class: "btn primary", href: archiveUrl(request.id), download: "mes-donnees.zip" }, t("export.download"));
}

export function overviewPage(body, ctx) {
  const items = [
    ["/privacy/export", "export.title", "privacy.exportText"],
    ["/privacy/consents", "consents.title", "privacy.consentsText"],
    ["/privacy/rectify", "rectify.title", "privacy.rectifyText"],
    ["/privacy/limit", "limit.title", "privacy.limitText"],
    ["/privacy/access-log", "accessLog.title", "privacy.accessLogText"],
    ["/privacy/requests", "myRequests.title", "privacy.requestsText"],
    ["/privacy/erasure", "erasure.title", "privacy.erasureText"],
  ];
  const dpoBox = h("div");
  append(body, [
    h("p", { class: "lead" }, t("privacy.intro")),
    h("ul", { class: "cards links" }, items.map(([path, title, text]) => h("li", { class: "card" },
      h("h2", { class: "h3" }, h("a", { href: `#${path}` }, t(title))), h("p", {}, t(text))))),
    dpoBox,
  ]);
  get("/api/privacy/dpo").then((dpo) => { if (ctx.alive()) append(dpoBox, [dpoCard(dpo)]); }).catch(() => {});
}

// -- export ------------------------------------------------------------------------------------

export async function exportPage(body, ctx) {
  const status = statusLine();
  const tracker = h("div", { "aria-live": "polite" });
  const legendId = uid("type");
  const choice = (value, checked) => {
    const id = uid("t");
    return h("div", { class: "field check" },
      h("input", { type: "radio", name: "type", id, value, checked }),
      h("label", { for: id }, h("strong", {}, t(`export.${value}`)), h("span", { class: "hint block" }, t(`export.${value}Text`))));
  };
  const form = h("form", { class: "stack", novalidate: true },
    h("fieldset", { "aria-describedby": legendId }, h("legend", { id: legendId }, t("export.choose")),
      choice("access", true), choice("portability", false)),
    h("div", { class: "actions" }, button(t("export.submit"), null, { type: "submit", kind: "primary" })),
    status.el);
  const earlierBox = h("div");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const type = form.querySelector("input[name=type]:checked").value;
    await busy(form, async () => {
      try {
        const request = await post("/api/privacy/requests", { type });
        status.ok(t("export.filed", { ref: shortId(request.id) }));
        track(request.id);
      } catch (error) {
        status.error(describe(error));
      }
    });
  });

  function track(id) {
    let announced = false;
    poll(ctx, async () => {
      const request = await get(requestUrl(id));
      if (!ctx.alive()) return true;
      clear(tracker);
      const ready = request.status === "completed" && request.archive && request.archive.available;
      const headingId = uid("track");
      append(tracker, [h("section", { class: "card", "aria-labelledby": headingId, "data-request": request.id },
        h("h2", { id: headingId }, t("export.tracking", { ref: shortId(request.id) })),
        h("p", {}, t("request.status"), " : ", statusBadge(request.status)),
        servicesProgress(request),
        ready ? h("p", {}, t("export.ready", { date: dateTime(request.archive.expires_at) })) : null,
        ready ? h("div", { class: "actions" }, downloadLink(request)) : null,
        request.failure_reason ? h("p", { class: "status error" }, request.failure_reason) : null)]);
      if (FINAL.has(request.status)) {
        if (!announced) ctx.announce(ready ? t("export.readyShort") : tOr(`requestStatus.${request.status}`, request.status));
        announced = true;
        drawEarlier();
        return true;
      }
      return false;
    });
  }

  async function drawEarlier() {
    try {
      const mine = (await getPage("/api/privacy/requests")).items.filter((r) => EXPORTS.has(r.type));
      if (!ctx.alive()) return;
      clear(earlierBox);
      if (!mine.length) return;
      const details = await Promise.all(mine.slice(0, 10).map((r) => get(requestUrl(r.id)).catch(() => r)));
      append(earlierBox, [section(t("export.earlier"), table(t("export.earlier"),
        [t("request.ref"), t("request.type"), t("request.received"), t("request.status"), t("export.archive")],
        details.map((r) => [shortId(r.id), t(`requestType.${r.type}`), dateTime(r.received_at), statusBadge(r.status),
          r.archive && r.archive.available ? h("a", { href: archiveUrl(r.id), download: "mes-donnees.zip" }, t("export.downloadOne", { date: date(r.received_at) })) : "—"]), { hideCaption: true }))]);
    } catch {
      // The list is a convenience; the tracker above says what matters.
    }
  }

  append(body, [h("p", { class: "lead" }, t("export.intro")), section(t("export.new"), form), tracker, earlierBox]);
  drawEarlier();
}

// -- erasure -----------------------------------------------------------------------------------

/** What is kept after an erasure, why and until when: the services' declarations in plain words
 * (docs/orders.md, docs/subsidies.md, docs/accounts.md, docs/privacy.md). */
const KEPT = ["sales", "invoices", "grants", "accounting", "bookings", "mandates", "logins", "consents"];
const ERASED = ["account", "profile", "addresses", "tickets", "mandatesUnused", "consentsNow", "requests", "partners"];

export function erasurePage(body, ctx) {
  const status = statusLine();
  const confirmBox = field({ label: t("erasure.confirm"), name: "confirm", type: "checkbox" });
  const form = h("form", { class: "stack", novalidate: true }, confirmBox.wrap,
    h("div", { class: "actions" },
      button(t("erasure.submit"), null, { type: "submit", kind: "danger" }),
      h("a", { href: "#/privacy/export", class: "btn secondary" }, t("erasure.exportFirst"))),
    status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!confirmBox.input.checked) {
      status.error(t("erasure.confirmFirst"));
      confirmBox.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        const request = await post("/api/privacy/requests", { type: "erasure" });
        status.ok(t("erasure.filed", { ref: shortId(request.id) }));
        follow(request.id);
      } catch (error) {
        status.error(describe(error));
      }
    });
  });

  function follow(id) {
    const started = Date.now();
    poll(ctx, async () => {
      try {
        const request = await get(requestUrl(id), { quiet401: true });
        if (request.status === "failed") {
          status.error(t("erasure.failed"));
          return true;
        }
        if (request.status === "completed" || Date.now() - started > 120000) {
          ctx.loggedOut(null, "/erased");
          return true;
        }
        return false;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          // The first step of an erasure ends every session: this one too.
          ctx.loggedOut(null, "/erased");
          return true;
        }
        return false;
      }
    }, 700);
  }

  append(body, [
    h("p", { class: "lead" }, t("erasure.intro")),
    section(t("erasure.nowTitle"), h("ul", {}, ERASED.map((k) => h("li", {}, t(`erasure.now.${k}`))))),
    section(t("erasure.keptTitle"), h("p", {}, t("erasure.keptIntro")),
      table(t("erasure.keptCaption"), [t("erasure.what"), t("erasure.why"), t("erasure.until")],
        KEPT.map((k) => [t(`erasure.kept.${k}`), t(`erasure.why.${k}`), t(`erasure.until.${k}`)])),
      h("p", {}, t("erasure.keptAfter"))),
    section(t("erasure.nextTitle"), h("ul", {}, ["logout", "final", "time", "dpo"].map((k) => h("li", {}, t(`erasure.next.${k}`))))),
    section(t("erasure.decide"), form),
  ]);
}

export function erasedPage(body) {
  append(body, [
    h("p", { class: "lead" }, t("erased.text")),
    h("p", {}, t("erased.kept")),
    h("p", {}, h("a", { href: "#/dpo-contact" }, t("footer.dpo"))),
  ]);
}

// -- rectification -----------------------------------------------------------------------------

export async function rectifyPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let me;
  try {
    me = await get("/api/auth/me");
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const status = statusLine();
  const resultBox = h("div", { "aria-live": "polite" });
  const fields = {
    "identity.users.first_name": field({ label: t("rectify.firstName"), name: "first_name", autocomplete: "given-name", value: me.first_name || "" }),
    "identity.users.last_name": field({ label: t("rectify.lastName"), name: "last_name", autocomplete: "family-name", value: me.last_name || "" }),
    "orders.orders.delivery_name": field({ label: t("address.name"), name: "delivery_name", autocomplete: "name" }),
    "orders.orders.delivery_street": field({ label: t("address.street"), name: "delivery_street", autocomplete: "street-address" }),
    "orders.orders.delivery_postcode": field({ label: t("address.postcode"), name: "delivery_postcode", autocomplete: "postal-code" }),
    "orders.orders.delivery_city": field({ label: t("address.city"), name: "delivery_city", autocomplete: "address-level2" }),
  };
  const original = { "identity.users.first_name": me.first_name || "", "identity.users.last_name": me.last_name || "" };
  const f = (key) => fields[key].wrap;
  const form = h("form", { class: "stack narrow", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("rectify.account")), f("identity.users.first_name"), f("identity.users.last_name")),
    h("fieldset", {}, h("legend", {}, t("rectify.address")), h("p", { class: "hint" }, t("rectify.addressHint")),
      f("orders.orders.delivery_name"), f("orders.orders.delivery_street"), f("orders.orders.delivery_postcode"), f("orders.orders.delivery_city")),
    h("div", { class: "actions" }, button(t("rectify.submit"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const corrections = {};
    for (const [key, { input }] of Object.entries(fields)) {
      const value = input.value.trim();
      if (value && value !== (original[key] ?? "")) corrections[key] = value;
    }
    if (!Object.keys(corrections).length) {
      status.error(t("rectify.nothing"));
      return;
    }
    await busy(form, async () => {
      try {
        const request = await post("/api/privacy/requests", { type: "rectification", corrections });
        status.ok(t("rectify.filed", { ref: shortId(request.id) }));
        poll(ctx, async () => {
          const found = await get(requestUrl(request.id));
          clear(resultBox);
          append(resultBox, [h("p", {}, t("request.status"), " : ", statusBadge(found.status))]);
          if (!FINAL.has(found.status)) return false;
          const applied = [];
          const refused = [];
          for (const [service, report] of Object.entries(found.report || {})) {
            const rect = report && report.rectify;
            if (!rect) continue;
            (rect.applied || []).forEach((x) => applied.push(`${service}.${x}`));
            (rect.refused || []).forEach((x) => refused.push(`${service}.${x}`));
          }
          append(resultBox, [
            applied.length ? h("p", {}, t("rectify.applied"), " ", applied.map((k) => t(`column.${k}`) === `column.${k}` ? k : t(`column.${k}`)).join(", ")) : null,
            refused.length ? h("p", { class: "status error" }, t("rectify.refused"), " ", refused.join(", ")) : null,
          ]);
          for (const key of Object.keys(corrections)) if (key in original) original[key] = corrections[key];
          ctx.announce(t("rectify.done"));
          return true;
        });
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [h("p", { class: "lead" }, t("rectify.intro")), section(t("rectify.section"), form), resultBox]);
}

// -- restriction and objection -----------------------------------------------------------------

export async function limitPage(body, ctx) {
  const one = (type) => {
    const status = statusLine();
    const go = button(t(`limit.${type}Submit`), async () => {
      go.disabled = true;
      try {
        const request = await post("/api/privacy/requests", { type });
        status.ok(t("limit.filed", { ref: shortId(request.id), due: date(request.due_at) }));
      } catch (error) {
        status.error(describe(error));
        go.disabled = false;
      }
    }, { kind: "primary" });
    return section(t(`limit.${type}Title`),
      h("p", {}, t(`limit.${type}Text`)),
      h("ul", {}, [1, 2, 3].map((n) => h("li", {}, t(`limit.${type}Point${n}`)))),
      h("div", { class: "actions" }, go), status.el);
  };
  append(body, [h("p", { class: "lead" }, t("limit.intro")), one("restriction"), one("objection")]);
}

// -- consents ----------------------------------------------------------------------------------

/** The notice is written in French then English (" / "): the half of the page's language. */
function noticeText(text) {
  const parts = String(text).split(" / ");
  if (parts.length !== 2) return text;
  return lang() === "fr" ? parts[0] : parts[1];
}

export async function consentsPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let consents;
  try {
    consents = await get("/api/privacy/consents");
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const historyBox = h("div");
  const history = pagedList("/api/privacy/consents/history", (events) => table(t("consents.history"),
    [t("consents.when"), t("consents.purpose"), t("consents.choice"), t("consents.version"), t("consents.channel")],
    events.map((e) => [dateTime(e.at), tOr(`purpose.${e.purpose}`, e.purpose), e.granted ? t("consents.given") : t("consents.withdrawn"),
      e.notice_version, tOr(`channel.${e.channel}`, e.channel)]), { hideCaption: true }));
  async function drawHistory() {
    try {
      await history.load();
      clear(historyBox);
      if (!history.items.length) return;
      append(historyBox, [section(t("consents.history"), history.box)]);
    } catch {
      // The history is shown when it can be read.
    }
  }
  append(body, [
    h("p", { class: "lead" }, t("consents.intro")),
    h("ul", { class: "cards" }, consents.map((c) => {
      const status = statusLine();
      const id = uid("consent");
      const noticeId = uid("notice");
      const since = h("p", { class: "muted" });
      const showSince = (x) => {
        since.textContent = x.at ? t("consents.since", { date: dateTime(x.at), state: x.granted ? t("consents.given") : t("consents.withdrawn") }) : t("consents.never");
      };
      showSince(c);
      const input = h("input", { type: "checkbox", id, role: "switch", checked: c.granted, "aria-describedby": noticeId, "data-purpose": c.purpose });
      input.addEventListener("change", async () => {
        const wanted = input.checked;
        input.disabled = true;
        try {
          const saved = await put("/api/privacy/consents", { purpose: c.purpose, granted: wanted });
          input.checked = saved.granted;
          showSince(saved);
          status.ok(saved.granted ? t("consents.nowGiven") : t("consents.nowWithdrawn"));
          drawHistory();
        } catch (error) {
          input.checked = !wanted;
          status.error(describe(error));
        } finally {
          input.disabled = false;
        }
      });
      return h("li", { class: "card consent" },
        h("div", { class: "switch" }, input, h("label", { for: id }, tOr(`purpose.${c.purpose}`, c.title))),
        h("p", { id: noticeId }, noticeText(c.notice), " ", h("span", { class: "muted" }, t("consents.notice", { version: c.notice_version }))),
        since, status.el);
    })),
    historyBox,
  ]);
  drawHistory();
}

// -- who accessed my data ----------------------------------------------------------------------

export async function accessLogPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  const entries = pagedList("/api/privacy/access-log", (found) => (found.length
    ? table(t("accessLog.caption"),
      [t("accessLog.when"), t("accessLog.who"), t("accessLog.service"), t("accessLog.action"), t("accessLog.what")],
      found.map((e) => [dateTime(e.at),
        `${e.actor_roles.map((r) => tOr(`role.${r}`, r)).join(", ")} (${t("accessLog.account", { id: shortId(e.actor_id) })})`,
        tOr(`service.${e.service}`, e.service), tOr(`action.${e.action}`, e.action), tOr(`what.${e.what}`, e.what)]))
    : h("p", { class: "status ok" }, t("accessLog.none"))));
  try {
    await entries.load();
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  append(body, [h("p", { class: "lead" }, t("accessLog.intro")), entries.box]);
}

// -- my requests -------------------------------------------------------------------------------

export async function myRequestsPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  // Newest first, as the server sends them.
  const requests = pagedList("/api/privacy/requests", (found) => (found.length
    ? table(t("myRequests.caption"),
      [t("request.ref"), t("request.type"), t("request.received"), t("request.due"), t("request.status")],
      found.map((r) => [shortId(r.id), tOr(`requestType.${r.type}`, r.type), dateTime(r.received_at), date(r.due_at),
        h("span", {}, statusBadge(r.status), EXPORTS.has(r.type) && r.status === "completed"
          ? [" ", h("a", { href: "#/privacy/export" }, t("myRequests.toExport"))] : null)]))
    : h("p", { class: "muted" }, t("myRequests.none"))));
  try {
    await requests.load();
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  append(body, [h("p", { class: "lead" }, t("myRequests.intro")), requests.box]);
}
