// The DPO: the tenant's request queue (due dates, overdue flags, requests received by email or
// post with the one-time code), breaches with the 72-hour countdown, the register of
// processing (view and export), processors.
import { ApiError, del, describe, get, getAll, getPage, inLanguage, post } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table, uid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { date, dateTime, duration, shortId } from "../format.js";
import { servicesProgress, statusBadge } from "./privacy.js";

/** Breaches are shown with their detail (one more request each): a page of them at a time. */
const BREACHES_PER_PAGE = 20;

const FINAL = new Set(["completed", "failed", "rejected", "cancelled"]);
const TYPES = ["access", "portability", "erasure", "rectification", "restriction", "objection"];
const SERVICES = ["identity", "orders", "subsidies", "support", "privacy"];
const requestUrl = (id) => `/api/privacy/requests/${encodeURIComponent(id)}`;

function failed(box, error) {
  append(box, [h("p", { class: "status error", role: "alert" }, describe(error))]);
}

function dueCell(r) {
  if (FINAL.has(r.status)) return date(r.due_at);
  const days = Math.ceil((new Date(r.due_at) - Date.now()) / 86400000);
  return h("span", {}, date(r.due_at), " ",
    r.overdue ? badge(t("queue.overdue"), "bad") : badge(t("queue.daysLeft", { n: days }), days <= 7 ? "warn" : ""));
}

// -- the queue ---------------------------------------------------------------------------------

export async function requestsPage(body, ctx) {
  const listBox = h("div");
  const detailBox = h("div");
  const show = field({ label: t("queue.show"), name: "show", type: "select", options: [["open", t("queue.open")], ["all", t("queue.all")]] });
  let requests = [];
  let next = null;

  // The server sends the open requests first, by deadline (the overdue ones first), then the
  // answered ones: every open one is loaded (the summary counts them all), the answered ones a
  // page at a time ("Show more").
  async function load() {
    clear(listBox);
    append(listBox, [loading()]);
    try {
      const loaded = [];
      let cursor = null;
      do {
        const page = await getPage("/api/privacy/requests?scope=tenant", { cursor });
        loaded.push(...page.items);
        cursor = page.next;
      } while (cursor && loaded.length && !FINAL.has(loaded[loaded.length - 1].status));
      requests = loaded;
      next = cursor;
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (ctx.alive()) draw();
  }

  async function more(event) {
    event.target.disabled = true;
    try {
      const page = await getPage("/api/privacy/requests?scope=tenant", { cursor: next });
      requests.push(...page.items);
      next = page.next;
      draw();
    } catch (error) {
      event.target.disabled = false;
      failed(listBox, error);
    }
  }

  function draw() {
    clear(listBox);
    const shown = show.input.value === "open" ? requests.filter((r) => !FINAL.has(r.status)) : requests;
    const overdue = requests.filter((r) => r.overdue).length;
    append(listBox, [
      h("p", { class: overdue ? "status error" : "muted" }, t("queue.summary", { open: requests.filter((r) => !FINAL.has(r.status)).length, overdue })),
      shown.length ? table(t("queue.caption"),
        [t("request.ref"), t("request.type"), t("request.channel"), t("request.received"), t("request.due"), t("request.status"), t("common.actions")],
        shown.map((r) => [shortId(r.id), tOr(`requestType.${r.type}`, r.type), tOr(`channel.${r.channel}`, r.channel), dateTime(r.received_at),
          dueCell(r), statusBadge(r.status),
          button(t("queue.details"), () => details(r.id), { kind: "link", "aria-label": t("queue.detailsOf", { ref: shortId(r.id) }), "data-request": r.id })]),
        { className: "queue" })
        : h("p", { class: "muted" }, t("queue.none")),
      next && show.input.value !== "open" ? h("div", { class: "actions" }, button(t("list.more"), more, { kind: "secondary" })) : null,
    ]);
  }

  async function details(id) {
    clear(detailBox);
    append(detailBox, [loading()]);
    let r;
    try {
      r = await get(requestUrl(id));
    } catch (error) {
      clear(detailBox);
      failed(detailBox, error);
      return;
    }
    clear(detailBox);
    const headingId = uid("detail");
    const heading = h("h2", { id: headingId, tabindex: "-1" }, t("queue.detailTitle", { ref: shortId(r.id), type: tOr(`requestType.${r.type}`, r.type) }));
    const status = statusLine();
    const parts = [
      heading,
      h("dl", { class: "facts" },
        h("dt", {}, t("request.status")), h("dd", {}, statusBadge(r.status)),
        h("dt", {}, t("request.channel")), h("dd", {}, tOr(`channel.${r.channel}`, r.channel)),
        h("dt", {}, t("request.received")), h("dd", {}, dateTime(r.received_at)),
        h("dt", {}, t("request.due")), h("dd", {}, dueCell(r)),
        r.extension_reason ? [h("dt", {}, t("queue.extended")), h("dd", {}, r.extension_reason)] : null,
        r.completed_at ? [h("dt", {}, t("request.completed")), h("dd", {}, dateTime(r.completed_at))] : null,
        r.verification ? [h("dt", {}, t("queue.verification")), h("dd", {}, tOr(`verification.${r.verification.status}`, r.verification.status),
          r.verification.document_deleted_at ? ` — ${t("queue.documentDeleted", { date: dateTime(r.verification.document_deleted_at) })}` : "")] : null),
      servicesProgress(r),
      r.failure_reason ? h("p", { class: "status error" }, r.failure_reason) : null,
      r.report ? reportView(r.report) : null,
    ];
    if (r.status === "awaiting_code") parts.push(codeForm(r.id, () => { load(); details(r.id); }));
    // Art. 12(3): an extension only within the first month; past the deadline, answer it.
    if (!FINAL.has(r.status) && !r.extension_reason && r.status !== "awaiting_code") {
      parts.push(r.overdue ? h("p", { class: "status" }, t("extend.late")) : extendForm(r.id, () => { load(); details(r.id); }));
    }
    if (r.type === "restriction" && r.status === "completed") {
      parts.push(h("div", { class: "actions" }, button(t("queue.lift"), async (event) => {
        event.target.disabled = true;
        try {
          await post(`${requestUrl(r.id)}/lift`);
          status.ok(t("queue.lifted"));
          load();
        } catch (error) {
          status.error(describe(error));
          event.target.disabled = false;
        }
      }, { kind: "secondary" })));
    }
    parts.push(status.el);
    append(detailBox, [h("section", { class: "card", "aria-labelledby": headingId }, parts)]);
    heading.focus();
  }

  show.input.addEventListener("change", draw);
  append(body, [
    h("p", { class: "lead" }, t("queue.intro")),
    section(t("queue.listTitle"), h("div", { class: "row" }, show.wrap, button(t("queue.refresh"), load, { kind: "secondary" })), listBox),
    detailBox,
    section(t("onBehalf.title"), onBehalfForm(() => load())),
  ]);
  await load();
}

/** The per-service report of a request that changed data: rows erased, kept, why, until when
 * (a table), and the other answers in words (restricted, corrected, sessions ended...). */
function reportView(report) {
  const rows = [];
  const others = [];
  for (const [service, parts] of Object.entries(report)) {
    for (const [action, result] of Object.entries(parts || {})) {
      const where = `${tOr(`service.${service}`, service)} — ${action}`;
      if (result && Array.isArray(result.tables)) {
        for (const tb of result.tables) {
          rows.push([`${tOr(`service.${service}`, service)} — ${tb.table}`, String(tb.erased_rows ?? "—"), String(tb.kept_rows ?? "—"),
            tb.legal_basis ? `${tOr(`basis.${tb.legal_basis}`, tb.legal_basis)}${tb.reason ? ` — ${tb.reason}` : ""}` : "—", tb.kept_until ? date(tb.kept_until) : "—"]);
        }
      } else {
        others.push(h("li", {}, h("strong", {}, where), " : ", describeResult(result)));
      }
    }
  }
  if (!rows.length && !others.length) return null;
  const headingId = uid("report");
  return h("div", { role: "group", "aria-labelledby": headingId },
    h("h3", { id: headingId }, t("queue.report")),
    rows.length ? table(t("queue.reportTables"), [t("queue.table"), t("queue.erased"), t("queue.kept"), t("queue.basis"), t("queue.until")], rows) : null,
    others.length ? h("ul", { class: "plain report-list" }, others) : null);
}

/** A service's answer other than tables, in words: "applied: users.first_name; refused: …". */
function describeResult(result) {
  if (result === null || typeof result !== "object") return String(result ?? "—");
  return Object.entries(result).map(([key, value]) => {
    const shown = Array.isArray(value) ? value.join(", ") || "—"
      : value && typeof value === "object" ? JSON.stringify(value) : String(value);
    return `${key}: ${shown}`;
  }).join(" ; ");
}

function codeForm(id, done) {
  const status = statusLine();
  const code = field({ label: t("onBehalf.code"), name: "code", required: true, inputmode: "numeric", autocomplete: "off", hint: t("onBehalf.codeHint") });
  const form = h("form", { class: "row", novalidate: true, "data-verify": id }, code.wrap, button(t("onBehalf.verify"), null, { type: "submit", kind: "primary" }), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!code.input.value.trim()) {
      status.error(t("form.fillRequired"));
      code.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        await post(`${requestUrl(id)}/verify`, { code: code.input.value.trim() });
        status.ok(t("onBehalf.verified"));
        done();
      } catch (error) {
        code.input.value = "";
        status.error(error instanceof ApiError && error.status === 422 && typeof error.detail === "string" ? error.detail : describe(error));
      }
    });
  });
  return form;
}

function extendForm(id, done) {
  const status = statusLine();
  const months = field({ label: t("extend.months"), name: "months", type: "select", options: [["1", "1"], ["2", "2"]] });
  const reason = field({ label: t("extend.reason"), name: "reason", required: true, hint: t("extend.reasonHint") });
  const form = h("form", { class: "stack narrow", novalidate: true },
    h("h3", {}, t("extend.title")), months.wrap, reason.wrap,
    h("div", { class: "actions" }, button(t("extend.submit"), null, { type: "submit", kind: "secondary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (reason.input.value.trim().length < 5) {
      status.error(t("extend.reasonHint"));
      reason.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        await post(`${requestUrl(id)}/extend`, { months: Number(months.input.value), reason: reason.input.value.trim() });
        done();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  return form;
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function onBehalfForm(refresh) {
  const status = statusLine();
  const next = h("div");
  const email = field({ label: t("onBehalf.email"), name: "email", type: "email", required: true, autocomplete: "off", hint: t("onBehalf.emailHint") });
  const type = field({ label: t("request.type"), name: "type", type: "select", options: TYPES.map((x) => [x, t(`requestType.${x}`)]) });
  const channel = field({ label: t("request.channel"), name: "channel", type: "select", options: [["email", t("channel.email")], ["post", t("channel.post")]] });
  const checked = field({ label: t("onBehalf.checkedOtherwise"), name: "checked", type: "checkbox", hint: t("onBehalf.checkedHint") });
  const how = field({ label: t("onBehalf.how"), name: "identity_check", maxlength: 500 });
  const doc = field({ label: t("onBehalf.document"), name: "document", type: "file", accept: "image/*,application/pdf", hint: t("onBehalf.documentHint") });
  how.wrap.hidden = true;
  checked.input.addEventListener("change", () => { how.wrap.hidden = !checked.input.checked; });
  const form = h("form", { class: "stack narrow", novalidate: true },
    h("p", {}, t("onBehalf.intro")), email.wrap, type.wrap, channel.wrap, checked.wrap, how.wrap, doc.wrap,
    h("div", { class: "actions" }, button(t("onBehalf.submit"), null, { type: "submit", kind: "primary" })), status.el, next);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.input.value.trim()) {
      status.error(t("form.fillRequired"));
      email.input.focus();
      return;
    }
    const payload = { email: email.input.value.trim(), type: type.input.value, channel: channel.input.value };
    if (checked.input.checked) {
      if (how.input.value.trim().length < 5) {
        status.error(t("onBehalf.howMissing"));
        how.input.focus();
        return;
      }
      payload.verify_by_code = false;
      payload.identity_check = how.input.value.trim();
    }
    const file = doc.input.files && doc.input.files[0];
    if (file) {
      if (file.size > 1024 * 1024) {
        status.error(t("onBehalf.documentTooBig"));
        return;
      }
      payload.identity_document = await readBase64(file);
    }
    await busy(form, async () => {
      try {
        const filed = await post("/api/privacy/requests/on-behalf", payload);
        // The address leaves the form once the request is filed.
        email.input.value = "";
        doc.input.value = "";
        clear(next);
        if (filed.status === "awaiting_code") {
          status.ok(t("onBehalf.awaiting", { ref: shortId(filed.id) }));
          append(next, [codeForm(filed.id, () => { clear(next); status.ok(t("onBehalf.verifiedRuns", { ref: shortId(filed.id) })); refresh(); })]);
          next.querySelector("input").focus();
        } else {
          status.ok(t("onBehalf.filed", { ref: shortId(filed.id) }));
        }
        refresh();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  return form;
}

// -- breaches ----------------------------------------------------------------------------------

const toIso = (local) => (local ? new Date(local).toISOString() : null);

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The 72-hour deadline of Art. 33(1): the server's ``deadline_at``. */
function deadlineOf(b) {
  const at = b.deadline_at ? new Date(b.deadline_at) : new Date(new Date(b.aware_at).getTime() + 72 * 3600 * 1000);
  return { at, notified: b.authority_notified_at ? new Date(b.authority_notified_at) : null };
}

/** "Time left: 11 h 59 min — due on ...", redrawn every 30 seconds while the page is open. */
function countdown(b) {
  const { at, notified } = deadlineOf(b);
  const el = h("p", { class: "countdown", "data-countdown": "" });
  const tick = () => {
    clear(el);
    if (notified) {
      const met = notified <= at;
      el.className = `countdown ${met ? "met" : "late"}`;
      append(el, [badge(met ? t("breaches.met") : t("breaches.late"), met ? "good" : "bad"), " ", t("breaches.notifiedOn", { date: dateTime(notified) })]);
      return;
    }
    const left = at.getTime() - Date.now();
    const kind = left < 0 ? "bad" : left < 24 * 3600 * 1000 ? "warn" : "";
    el.className = `countdown ${kind}`;
    append(el, [badge(left < 0 ? t("breaches.past") : t("breaches.left"), kind || "info"), " ",
      h("strong", {}, duration(left)), " — ", t("breaches.due", { date: dateTime(at) })]);
  };
  tick();
  return { el, tick };
}

/** Per service, the categories of data it declared (from the register), to choose from. */
async function declaredCategories() {
  const byService = new Map();
  try {
    const register = await get("/api/privacy/register?format=json");
    for (const purpose of register.purposes || []) {
      for (const entry of purpose.categories_of_data || []) {
        // Declared name (what a breach names) -> its words in the page's language.
        const names = byService.get(entry.service) || new Map();
        entry.categories.forEach((c, i) => names.set((entry.codes || entry.categories)[i] ?? c, c));
        byService.set(entry.service, names);
      }
    }
  } catch {
    // The categories are then typed by hand.
  }
  return byService;
}

export async function breachesPage(body, ctx) {
  const listBox = h("div");
  const ticks = [];
  const timer = window.setInterval(() => ticks.forEach((fn) => fn()), 30000);
  ctx.onLeave(() => window.clearInterval(timer));
  const categories = await declaredCategories();
  if (!ctx.alive()) return;

  let breaches = [];
  let next = null;

  /** A page of breaches, the most urgent first, each with its detail (the notifications). */
  async function fetchPage(cursor) {
    const page = await getPage("/api/privacy/breaches", { cursor, limit: BREACHES_PER_PAGE });
    const details = await Promise.all(page.items.map((b) => get(`/api/privacy/breaches/${encodeURIComponent(b.id)}`).catch(() => b)));
    return { details, next: page.next };
  }

  async function load() {
    try {
      const page = await fetchPage(null);
      breaches = page.details;
      next = page.next;
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (ctx.alive()) draw();
  }

  async function more(event) {
    event.target.disabled = true;
    try {
      const page = await fetchPage(next);
      breaches.push(...page.details);
      next = page.next;
    } catch (error) {
      event.target.disabled = false;
      failed(listBox, error);
      return;
    }
    if (ctx.alive()) draw();
  }

  function draw() {
    clear(listBox);
    ticks.length = 0;
    if (!breaches.length) {
      append(listBox, [h("p", { class: "muted" }, t("breaches.none"))]);
      return;
    }
    append(listBox, [h("ul", { class: "cards breaches" }, breaches.map((b) => {
      const headingId = uid("breach");
      const { el, tick } = countdown(b);
      ticks.push(tick);
      return h("li", { class: "card", "aria-labelledby": headingId, "data-breach": b.id },
        h("h3", { id: headingId }, t("breaches.of", { date: dateTime(b.aware_at) })),
        el,
        h("p", { class: "pre" }, b.nature),
        h("dl", { class: "facts" },
          h("dt", {}, t("breaches.services")), h("dd", {}, (b.services || []).map((s) => tOr(`service.${s}`, s)).join(", ")),
          h("dt", {}, t("breaches.categories")), h("dd", {}, (b.categories || []).join(", ")),
          b.window_start || b.window_end ? [h("dt", {}, t("breaches.window")), h("dd", {}, `${dateTime(b.window_start)} → ${dateTime(b.window_end)}`)] : null,
          h("dt", {}, t("breaches.people")), h("dd", {}, t("breaches.peopleCount", { n: b.approx_people, found: b.affected_count, told: b.notified_count })),
          h("dt", {}, t("breaches.consequences")), h("dd", { class: "pre" }, b.consequences),
          h("dt", {}, t("breaches.measures")), h("dd", { class: "pre" }, b.measures),
          h("dt", {}, t("breaches.encrypted")), h("dd", {}, b.encrypted ? t("common.yes") : t("common.no"))),
        notificationsView(b),
        authorityForm(b, load),
        peopleButton(b, load));
    })), next ? h("div", { class: "actions" }, button(t("list.more"), more, { kind: "secondary" })) : null]);
  }

  append(body, [
    h("p", { class: "lead" }, t("breaches.intro")),
    section(t("breaches.list"), listBox),
    section(t("breaches.new"), breachForm(categories, load)),
  ]);
  await load();
}

function notificationsView(b) {
  const list = b.notifications || [];
  if (!list.length) return null;
  return h("div", { class: "notes" }, h("h4", {}, t("breaches.notifications")),
    h("ol", {}, list.map((n) => h("li", {}, `${dateTime(n.at)} — ${tOr(`phase.${n.phase}`, n.phase)} : `, h("span", { class: "pre" }, n.text)))));
}

function authorityForm(b, done) {
  const status = statusLine();
  const first = !b.authority_notified_at;
  const text = field({ label: first ? t("breaches.authorityInitial") : t("breaches.authorityFollowUp"), name: "text", type: "textarea", required: true, rows: 3 });
  const form = h("form", { class: "stack", novalidate: true }, text.wrap,
    h("div", { class: "actions" }, button(first ? t("breaches.notifyAuthority") : t("breaches.addFollowUp"), null, { type: "submit", kind: first ? "primary" : "secondary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.input.value.trim()) {
      status.error(t("form.fillRequired"));
      text.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        await post(`/api/privacy/breaches/${encodeURIComponent(b.id)}/notifications`, { phase: first ? "initial" : "follow-up", text: text.input.value.trim() });
        done();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  return form;
}

function peopleButton(b, done) {
  if (b.encrypted) return h("p", { class: "muted" }, t("breaches.encryptedNoNotice"));
  if (!b.affected_count) return h("p", { class: "muted" }, t("breaches.nobodyFound"));
  if (b.notified_count >= b.affected_count) return h("p", { class: "muted" }, t("breaches.allTold"));
  const status = statusLine();
  const go = button(t("breaches.notifyPeople"), async () => {
    go.disabled = true;
    try {
      const answer = await post(`/api/privacy/breaches/${encodeURIComponent(b.id)}/notify-people`);
      status.ok(t("breaches.peopleNotified", { n: answer.notified }));
      window.setTimeout(done, 1500);
    } catch (error) {
      status.error(describe(error));
      go.disabled = false;
    }
  }, { kind: "secondary" });
  return h("div", { class: "actions" }, go, status.el);
}

function breachForm(declared, done) {
  const status = statusLine();
  const aware = field({ label: t("breaches.awareAt"), name: "aware_at", type: "datetime-local", required: true, value: localNow(), hint: t("breaches.awareHint") });
  const nature = field({ label: t("breaches.nature"), name: "nature", type: "textarea", required: true, rows: 3 });
  const services = [...new Set([...SERVICES, ...declared.keys()])];
  const serviceBoxes = services.map((s) => {
    const f = field({ label: tOr(`service.${s}`, s), name: "services", type: "checkbox" });
    f.input.value = s;
    return f;
  });
  // The categories offered are those the chosen services declared.
  const categoryBox = h("div", { class: "checks" });
  let categoryFields = [];
  const drawCategories = () => {
    const chosen = new Set(categoryFields.filter((f) => f.input.checked).map((f) => f.input.value));
    const offered = new Map();
    serviceBoxes.filter((f) => f.input.checked).forEach((f) => (declared.get(f.input.value) || new Map()).forEach((label, code) => offered.set(code, label)));
    clear(categoryBox);
    categoryFields = [...offered].sort((a, b) => a[1].localeCompare(b[1])).map(([code, label]) => {
      const f = field({ label, name: "categories", type: "checkbox", checked: chosen.has(code) });
      f.input.value = code;
      return f;
    });
    append(categoryBox, categoryFields.length ? categoryFields.map((f) => f.wrap) : [h("p", { class: "hint" }, t("breaches.chooseServiceFirst"))]);
  };
  serviceBoxes.forEach((f) => f.input.addEventListener("change", drawCategories));
  const otherCategories = field({ label: declared.size ? t("breaches.otherCategories") : t("breaches.categoriesTyped"), name: "other_categories", hint: t("breaches.categoriesHint") });
  const start = field({ label: t("breaches.windowStart"), name: "window_start", type: "datetime-local" });
  const end = field({ label: t("breaches.windowEnd"), name: "window_end", type: "datetime-local" });
  const consequences = field({ label: t("breaches.consequences"), name: "consequences", type: "textarea", required: true, rows: 3 });
  const measures = field({ label: t("breaches.measures"), name: "measures", type: "textarea", required: true, rows: 3 });
  const encrypted = field({ label: t("breaches.encryptedLabel"), name: "encrypted", type: "checkbox", hint: t("breaches.encryptedHint") });
  const previewLine = statusLine();

  const scope = () => {
    const payload = {
      services: serviceBoxes.filter((f) => f.input.checked).map((f) => f.input.value),
      categories: [...categoryFields.filter((f) => f.input.checked).map((f) => f.input.value),
        ...otherCategories.input.value.split(",").map((c) => c.trim()).filter(Boolean)],
    };
    if (start.input.value) payload.window_start = toIso(start.input.value);
    if (end.input.value) payload.window_end = toIso(end.input.value);
    return payload;
  };
  const scopeProblem = (payload) => (!payload.services.length ? t("breaches.chooseService") : !payload.categories.length ? t("breaches.chooseCategory") : null);

  const previewButton = button(t("breaches.preview"), async () => {
    const payload = scope();
    const problem = scopeProblem(payload);
    if (problem) {
      previewLine.error(problem);
      return;
    }
    previewButton.disabled = true;
    try {
      const found = await post("/api/privacy/breaches/preview", payload);
      previewLine.ok(t("breaches.previewed", { n: found.affected_people, records: found.affected_records }));
    } catch (error) {
      previewLine.error(describe(error));
    } finally {
      previewButton.disabled = false;
    }
  }, { kind: "secondary" });

  const form = h("form", { class: "stack", novalidate: true },
    aware.wrap, nature.wrap,
    h("fieldset", {}, h("legend", {}, t("breaches.services")), h("div", { class: "checks" }, serviceBoxes.map((f) => f.wrap))),
    h("fieldset", {}, h("legend", {}, t("breaches.categories")), declared.size ? categoryBox : null, otherCategories.wrap),
    h("fieldset", {}, h("legend", {}, t("breaches.window")), h("div", { class: "row" }, start.wrap, end.wrap)),
    h("div", { class: "actions" }, previewButton), previewLine.el,
    consequences.wrap, measures.wrap, encrypted.wrap,
    h("div", { class: "actions" }, button(t("breaches.submit"), null, { type: "submit", kind: "primary" })), status.el);
  drawCategories();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = scope();
    const missing = [aware, nature, consequences, measures].find((f) => !f.input.value.trim());
    const problem = scopeProblem(payload);
    if (missing || problem) {
      status.error(missing ? t("form.fillRequired") : problem);
      if (missing) missing.input.focus();
      return;
    }
    Object.assign(payload, {
      aware_at: toIso(aware.input.value), nature: nature.input.value.trim(),
      consequences: consequences.input.value.trim(), measures: measures.input.value.trim(), encrypted: encrypted.input.checked,
    });
    await busy(form, async () => {
      try {
        const breach = await post("/api/privacy/breaches", payload);
        status.ok(t("breaches.recorded", { date: dateTime(deadlineOf(breach).at), n: breach.affected_count }));
        [nature, consequences, measures, otherCategories, start, end].forEach((f) => { f.input.value = ""; });
        [...serviceBoxes, encrypted].forEach((f) => { f.input.checked = false; });
        drawCategories();
        previewLine.clear();
        done();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  return form;
}

// -- the register of processing ----------------------------------------------------------------

export async function registerPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let register;
  try {
    register = await get("/api/privacy/register?format=json");
  } catch (error) {
    wait.remove();
    failed(body, error);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const list = (values) => (values && values.length ? h("ul", {}, values.map((v) => h("li", {}, v))) : t("register.noneListed"));
  append(body, [
    h("p", { class: "lead" }, t("register.intro", { date: dateTime(register.generated_at) })),
    h("div", { class: "actions" },
      h("a", { class: "btn primary", href: inLanguage("/api/privacy/register?format=csv"), download: t("register.csvFile") }, t("register.csv")),
      h("a", { class: "btn secondary", href: inLanguage("/api/privacy/register?format=html"), target: "_blank", rel: "noopener" }, t("register.html")),
      h("a", { class: "btn secondary", href: inLanguage("/api/privacy/register?format=json"), download: t("register.jsonFile") }, t("register.json"))),
    register.services_not_declared && register.services_not_declared.length
      ? h("p", { class: "status error" }, t("register.missing", { services: register.services_not_declared.join(", ") })) : null,
    section(t("register.controller"), h("dl", { class: "facts" },
      h("dt", {}, t("register.controllerName")), h("dd", {}, register.controller.name),
      h("dt", {}, t("register.actingFor")), h("dd", {}, register.controller.acting_for),
      h("dt", {}, t("register.dpo")), h("dd", {}, `${register.dpo.name}, ${register.dpo.email}, ${register.dpo.address}`))),
    ...register.purposes.map((p) => section(p.title,
      h("p", {}, p.description),
      h("dl", { class: "facts" },
        h("dt", {}, t("register.basis")), h("dd", {}, `${tOr(`basis.${p.legal_basis.basis}`, p.legal_basis.basis)} (${p.legal_basis.article}) — ${p.legal_basis.reason}`,
          p.legal_basis.also && p.legal_basis.also.length ? ` ; ${t("register.also")} ${p.legal_basis.also.map((b) => `${tOr(`basis.${b.basis}`, b.basis)} (${b.article})`).join(", ")}` : ""),
        h("dt", {}, t("register.people")), h("dd", {}, list(p.categories_of_people)),
        h("dt", {}, t("register.data")), h("dd", {}, list(p.categories_of_data.map((c) => `${tOr(`service.${c.service}`, c.service)} : ${c.categories.join(", ")}`))),
        h("dt", {}, t("register.recipients")), h("dd", {}, list(p.recipients)),
        h("dt", {}, t("register.transfers")), h("dd", {}, p.transfers_outside_eu),
        h("dt", {}, t("register.retention")), h("dd", {}, p.retention.summary),
        h("dt", {}, t("register.security")), h("dd", {}, list(p.security_measures))))),
    section(t("processors.title"), processorsTable(register.processors || [])),
  ]);
}

function processorsTable(processors, remove) {
  if (!processors.length) return h("p", { class: "muted" }, t("processors.none"));
  const headers = [t("processors.name"), t("processors.role"), t("processors.categories"), t("processors.location"), t("processors.safeguard"), t("processors.keptBy")];
  if (remove) headers.push(t("common.actions"));
  return table(t("processors.caption"), headers, processors.map((p) => {
    const row = [p.name, p.role, p.data_categories.join(", "),
      h("span", {}, p.location, " ", p.in_eu_eea ? badge(t("processors.eu"), "good") : badge(t("processors.outside"), "warn")),
      p.safeguard || "—", tOr(`processors.scope.${p.scope}`, p.scope || "—")];
    if (remove) row.push(remove(p));
    return row;
  }), { hideCaption: true });
}

// -- processors --------------------------------------------------------------------------------

export async function processorsPage(body, ctx) {
  const listBox = h("div");
  const listStatus = statusLine();
  const roles = (ctx.user && ctx.user.roles) || [];
  // The platform's entries are in every company's register: the platform administrator keeps
  // them; a DPO keeps their company's own (the server refuses anything else).
  const keeps = (p) => roles.includes(p.scope === "platform" ? "platform_admin" : "dpo");
  async function load() {
    let processors;
    try {
      processors = await getAll("/api/privacy/processors");
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox);
    append(listBox, [processorsTable(processors, (p) => !keeps(p) ? "—" : button(t("processors.remove"), async (event) => {
      event.target.disabled = true;
      try {
        await del(`/api/privacy/processors/${encodeURIComponent(p.id)}`);
        listStatus.ok(t("processors.removed"));
        load();
      } catch (error) {
        listStatus.error(describe(error));
        event.target.disabled = false;
      }
    }, { kind: "link", "aria-label": t("processors.removeOne", { name: p.name }) }))]);
  }
  const status = statusLine();
  const name = field({ label: t("processors.name"), name: "name", required: true });
  const role = field({ label: t("processors.role"), name: "role", required: true, hint: t("processors.roleHint") });
  const categories = field({ label: t("processors.categories"), name: "categories", required: true, hint: t("processors.categoriesHint") });
  const location = field({ label: t("processors.location"), name: "location", required: true, maxlength: 2, hint: t("processors.locationHint") });
  const safeguard = field({ label: t("processors.safeguard"), name: "safeguard", type: "textarea", rows: 2, hint: t("processors.safeguardHint") });
  // Someone who keeps both lists says which one the new entry joins.
  const scope = roles.includes("platform_admin") && roles.includes("dpo")
    ? field({ label: t("processors.keptBy"), name: "scope", type: "select", options: [["tenant", t("processors.scope.tenant")], ["platform", t("processors.scope.platform")]] })
    : null;
  const form = h("form", { class: "stack narrow", novalidate: true }, name.wrap, role.wrap, categories.wrap, location.wrap, safeguard.wrap, scope ? scope.wrap : null,
    h("div", { class: "actions" }, button(t("processors.add"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [name, role, categories, location].find((f) => !f.input.value.trim());
    if (missing) {
      status.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    const payload = {
      name: name.input.value.trim(), role: role.input.value.trim(),
      data_categories: categories.input.value.split(",").map((c) => c.trim()).filter(Boolean),
      location: location.input.value.trim().toUpperCase(),
    };
    if (safeguard.input.value.trim()) payload.safeguard = safeguard.input.value.trim();
    if (scope) payload.scope = scope.input.value;
    await busy(form, async () => {
      try {
        await post("/api/privacy/processors", payload);
        status.ok(t("processors.added"));
        [name, role, categories, location, safeguard].forEach((f) => { f.input.value = ""; });
        load();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [h("p", { class: "lead" }, t("processors.intro")), h("p", {}, t("processors.scopeIntro")),
    section(t("processors.list"), listBox, listStatus.el), section(t("processors.new"), form)]);
  await load();
}
