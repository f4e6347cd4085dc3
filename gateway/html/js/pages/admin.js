// Tenant admins: users (one by one, or a CSV with a per-line report), offers, subsidy rules and
// budget, anonymised statistics as bar charts, newsletters.
import { ApiError, api, del, describe, get, getAll, post, put } from "../api.js";
import { append, badge, busy, button, clear, field, h, loading, section, statusLine, table, uid } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { cents, money } from "../format.js";

const ROLES = ["employee", "tenant_admin", "support_agent", "dpo"];
const KINDS = ["ticket", "voucher", "goods"];

function failed(body, error) {
  append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
}

// -- users -------------------------------------------------------------------------------------

export async function usersPage(body, ctx) {
  const listBox = h("div");
  const reportBox = h("div");

  async function drawUsers() {
    clear(listBox);
    append(listBox, [loading()]);
    let users;
    try {
      // Every page (newest first): the filter searches them all; shown by email.
      users = await getAll("/api/users", { limit: 500 });
      users.sort((a, b) => Number(Boolean(a.restricted)) - Number(Boolean(b.restricted)) || a.email.localeCompare(b.email));
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox);
    const filter = field({ label: t("users.filter"), name: "filter", type: "search", autocomplete: "off" });
    const count = h("p", { class: "muted", role: "status" });
    const rowsBox = h("div");
    const draw = () => {
      const q = filter.input.value.trim().toLowerCase();
      const shown = users.filter((u) => !q || `${u.email} ${u.first_name} ${u.last_name}`.toLowerCase().includes(q));
      count.textContent = t("users.count", { shown: Math.min(shown.length, 200), total: users.length });
      clear(rowsBox);
      append(rowsBox, [table(t("users.caption"), [t("users.name"), t("users.email"), t("users.roles"), t("users.twoFactor")],
        shown.slice(0, 200).map((u) => (u.restricted
          ? [t("users.restricted"), h("span", { class: "muted" }, t("users.restrictedId", { id: u.id.slice(0, 8) })), "—", "—"]
          : [`${u.first_name} ${u.last_name}`, u.email, u.roles.map((r) => tOr(`role.${r}`, r)).join(", "),
            u.two_factor ? badge(t("common.yes"), "good") : t("common.no")])))]);
    };
    filter.input.addEventListener("input", draw);
    append(listBox, [filter.wrap, count, rowsBox]);
    draw();
  }

  // One account.
  const status = statusLine();
  const email = field({ label: t("users.email"), name: "email", type: "email", required: true, autocomplete: "off" });
  const first = field({ label: t("users.firstName"), name: "first_name", required: true, autocomplete: "off" });
  const last = field({ label: t("users.lastName"), name: "last_name", required: true, autocomplete: "off" });
  const number = field({ label: t("users.employeeNumber"), name: "employee_number", autocomplete: "off", hint: t("users.employeeNumberHint") });
  const role = field({ label: t("users.role"), name: "role", type: "select", options: ROLES.map((r) => [r, t(`role.${r}`)]) });
  const createForm = h("form", { class: "stack narrow", novalidate: true }, email.wrap, first.wrap, last.wrap, number.wrap, role.wrap,
    h("p", { class: "hint" }, t("users.createHint")),
    h("div", { class: "actions" }, button(t("users.create"), null, { type: "submit", kind: "primary" })), status.el);
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [email, first, last].find((f) => !f.input.value.trim());
    if (missing) {
      status.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    await busy(createForm, async () => {
      try {
        const employeeNumber = number.input.value.trim();
        await post("/api/users", { email: email.input.value.trim(), first_name: first.input.value.trim(), last_name: last.input.value.trim(), roles: [role.input.value],
          ...(employeeNumber ? { employee_number: employeeNumber } : {}) });
        status.ok(t("users.created"));
        [email, first, last, number].forEach((f) => { f.input.value = ""; });
        drawUsers();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });

  // A CSV file.
  const importStatus = statusLine();
  const file = field({ label: t("import.file"), name: "file", type: "file", accept: ".csv,text/csv", required: true, hint: t("import.fileHint") });
  const mode = field({ label: t("import.mode"), name: "mode", type: "select", value: "per_line",
    options: [["per_line", t("import.perLine")], ["all_or_nothing", t("import.allOrNothing")]] });
  const dry = field({ label: t("import.dryRun"), name: "dry_run", type: "checkbox" });
  const deactivate = field({ label: t("import.deactivate"), name: "deactivate_missing", type: "checkbox", hint: t("import.deactivateHint") });
  const importForm = h("form", { class: "stack narrow", novalidate: true },
    h("p", {}, t("import.intro")), h("pre", { class: "sample" }, "email;prénom;nom\nmarie.durand@exemple.fr;Marie;Durand"),
    file.wrap, mode.wrap, dry.wrap, deactivate.wrap,
    h("div", { class: "actions" }, button(t("import.submit"), null, { type: "submit", kind: "primary" })), importStatus.el);
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.input.files && file.input.files[0];
    if (!chosen) {
      importStatus.error(t("import.noFile"));
      file.input.focus();
      return;
    }
    importStatus.busy(t("import.sending"));
    await busy(importForm, async () => {
      const query = new URLSearchParams({ mode: mode.input.value, dry_run: String(dry.input.checked), deactivate_missing: String(deactivate.input.checked) });
      try {
        // The file as it is: the server reads UTF-8 or Windows-1252, commas or semicolons.
        const report = await api("POST", `/api/users/import?${query}`, { body: await chosen.arrayBuffer(), type: "text/csv" });
        importStatus.ok(t("import.done"));
        showReport(reportBox, report, false);
        if (!report.dry_run) drawUsers();
      } catch (error) {
        if (error instanceof ApiError && error.status === 422 && error.detail && typeof error.detail === "object" && "errors" in error.detail) {
          importStatus.error(t("import.refused"));
          showReport(reportBox, error.detail, true);
        } else {
          importStatus.error(describe(error));
        }
      }
    });
  });

  append(body, [
    section(t("import.title"), importForm, reportBox),
    section(t("users.new"), createForm),
    section(t("users.list"), listBox),
  ]);
  drawUsers();
}

function showReport(box, report, refused) {
  clear(box);
  const headingId = uid("report");
  const heading = h("h3", { id: headingId, tabindex: "-1" }, report.dry_run ? t("import.reportDry") : t("import.report"));
  append(box, [h("div", { class: "report", role: "region", "aria-labelledby": headingId },
    heading,
    refused ? h("p", { class: "status error" }, t("import.nothingChanged")) : null,
    h("dl", { class: "counts" },
      ["created", "updated", "unchanged", "deactivated"].map((k) => [h("dt", {}, t(`import.${k}`)), h("dd", { "data-count": k }, String(report[k] ?? 0))])),
    report.errors && report.errors.length
      ? table(t("import.errors", { n: report.errors.length }), [t("import.line"), t("import.error")],
        report.errors.map((e) => [String(e.line), e.error]), { className: "errors" })
      : h("p", { class: "status ok" }, t("import.noErrors")))]);
  heading.focus();
}

// -- offers ------------------------------------------------------------------------------------

export async function offersPage(body, ctx) {
  const listBox = h("div");
  async function drawOffers() {
    let offers;
    try {
      offers = await getAll("/api/offers", { limit: 500 });
      offers.sort((a, b) => a.title.localeCompare(b.title));
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox);
    const status = statusLine();
    append(listBox, [offers.length ? table(t("adminOffers.caption"),
      [t("adminOffers.name"), t("adminOffers.kind"), t("adminOffers.price"), t("adminOffers.stock"), t("common.actions")],
      offers.map((o) => [o.title, tOr(`kind.${o.kind}`, o.kind), money(o.price_cents), o.stock === null ? t("adminOffers.unlimited") : String(o.stock),
        button(t("adminOffers.withdraw"), async (event) => {
          event.target.disabled = true;
          try {
            await del(`/api/offers/${encodeURIComponent(o.id)}`);
            ctx.announce(t("adminOffers.withdrawn"));
            drawOffers();
          } catch (error) {
            status.error(describe(error));
            event.target.disabled = false;
          }
        }, { kind: "link", "aria-label": t("adminOffers.withdrawOne", { title: o.title }) })]), { hideCaption: true }) : h("p", { class: "muted" }, t("offers.none")), status.el]);
  }
  const status = statusLine();
  const title = field({ label: t("adminOffers.name"), name: "title", required: true });
  const kind = field({ label: t("adminOffers.kind"), name: "kind", type: "select", options: KINDS.map((k) => [k, t(`kind.${k}`)]) });
  const price = field({ label: t("adminOffers.priceEuros"), name: "price", required: true, inputmode: "decimal", hint: t("form.eurosHint") });
  const stock = field({ label: t("adminOffers.stock"), name: "stock", type: "number", min: 0, inputmode: "numeric", hint: t("adminOffers.stockHint") });
  const form = h("form", { class: "stack narrow", novalidate: true }, title.wrap, kind.wrap, price.wrap, stock.wrap,
    h("div", { class: "actions" }, button(t("adminOffers.create"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const priceCents = cents(price.input.value);
    if (!title.input.value.trim() || Number.isNaN(priceCents)) {
      status.error(Number.isNaN(priceCents) && title.input.value.trim() ? t("form.eurosInvalid") : t("form.fillRequired"));
      (title.input.value.trim() ? price.input : title.input).focus();
      return;
    }
    const payload = { title: title.input.value.trim(), kind: kind.input.value, price_cents: priceCents };
    if (stock.input.value.trim()) payload.stock = Number.parseInt(stock.input.value, 10);
    await busy(form, async () => {
      try {
        await post("/api/offers", payload);
        status.ok(t("adminOffers.created"));
        title.input.value = "";
        price.input.value = "";
        stock.input.value = "";
        drawOffers();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [section(t("adminOffers.new"), form), section(t("adminOffers.list"), listBox)]);
  drawOffers();
}

// -- rules and budget --------------------------------------------------------------------------

export async function rulesPage(body, ctx) {
  const listBox = h("div");
  const budgetBox = h("div");
  const year = new Date().getFullYear();
  async function drawRules() {
    let rules;
    try {
      rules = await getAll("/api/subsidies/rules", { limit: 500 });
    } catch (error) {
      clear(listBox);
      failed(listBox, error);
      return;
    }
    if (!ctx.alive()) return;
    clear(listBox);
    const status = statusLine();
    append(listBox, [rules.length ? table(t("rules.caption"),
      [t("rules.name"), t("rules.kind"), t("rules.minChildren"), t("rules.bracket"), t("rules.amount"), t("rules.cap"), t("common.actions")],
      rules.map((r) => [r.name, r.offer_kind ? tOr(`kind.${r.offer_kind}`, r.offer_kind) : t("kind.any"), String(r.min_children), r.bracket ?? t("rules.anyBracket"),
        r.amount_cents !== null ? t("eligibility.perItem", { amount: money(r.amount_cents) }) : `${r.percent} %`,
        money(r.cap_cents_per_year),
        button(t("rules.withdraw"), async (event) => {
          event.target.disabled = true;
          try {
            await del(`/api/subsidies/rules/${encodeURIComponent(r.id)}`);
            drawRules();
          } catch (error) {
            status.error(describe(error));
            event.target.disabled = false;
          }
        }, { kind: "link", "aria-label": t("rules.withdrawOne", { name: r.name }) })]), { hideCaption: true }) : h("p", { class: "muted" }, t("rules.none")), status.el]);
  }
  async function drawBudget() {
    let budget = null;
    try {
      budget = await get(`/api/subsidies/budget?year=${year}`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        clear(budgetBox);
        failed(budgetBox, error);
        return;
      }
    }
    if (!ctx.alive()) return;
    clear(budgetBox);
    const status = statusLine();
    const amount = field({ label: t("budget.amount", { year }), name: "amount", required: true, inputmode: "decimal",
      value: budget ? String(budget.amount_cents / 100) : "", hint: t("form.eurosHint") });
    const form = h("form", { class: "row", novalidate: true }, amount.wrap, button(t("common.save"), null, { type: "submit", kind: "secondary" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = cents(amount.input.value);
      if (Number.isNaN(value)) {
        status.error(t("form.eurosInvalid"));
        amount.input.focus();
        return;
      }
      await busy(form, async () => {
        try {
          await put("/api/subsidies/budget", { year, amount_cents: value });
          await drawBudget();
          ctx.announce(t("common.saved"));
        } catch (error) {
          status.error(describe(error));
        }
      });
    });
    append(budgetBox, [
      budget ? h("dl", { class: "totals" },
        h("dt", {}, t("budget.total")), h("dd", {}, money(budget.amount_cents)),
        h("dt", {}, t("budget.reserved")), h("dd", {}, money(budget.reserved_cents)),
        h("dt", {}, t("budget.remaining")), h("dd", { class: "strong" }, money(budget.remaining_cents))) : h("p", { class: "muted" }, t("budget.none")),
      form, status.el]);
  }
  const status = statusLine();
  const name = field({ label: t("rules.name"), name: "name", required: true });
  const kind = field({ label: t("rules.kind"), name: "offer_kind", type: "select", options: [["", t("kind.any")], ...[...KINDS, "activity"].map((k) => [k, t(`kind.${k}`)])] });
  const minChildren = field({ label: t("rules.minChildren"), name: "min_children", type: "number", min: 0, max: 20, value: "0", inputmode: "numeric" });
  const bracket = field({ label: t("rules.bracket"), name: "bracket", hint: t("rules.bracketHint") });
  const how = field({ label: t("rules.how"), name: "how", type: "select", options: [["amount", t("rules.howAmount")], ["percent", t("rules.howPercent")]] });
  const value = field({ label: t("rules.value"), name: "value", required: true, inputmode: "decimal", hint: t("rules.valueHint") });
  const cap = field({ label: t("rules.capEuros"), name: "cap", required: true, inputmode: "decimal", hint: t("form.eurosHint") });
  const form = h("form", { class: "stack narrow", novalidate: true }, name.wrap, kind.wrap, minChildren.wrap, bracket.wrap, how.wrap, value.wrap, cap.wrap,
    h("div", { class: "actions" }, button(t("rules.create"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const capCents = cents(cap.input.value);
    const payload = { name: name.input.value.trim(), min_children: Number.parseInt(minChildren.input.value || "0", 10), cap_cents_per_year: capCents };
    if (kind.input.value) payload.offer_kind = kind.input.value;
    if (bracket.input.value.trim()) payload.bracket = bracket.input.value.trim();
    if (how.input.value === "amount") payload.amount_cents = cents(value.input.value);
    else payload.percent = Number.parseInt(value.input.value, 10);
    const bad = !payload.name || Number.isNaN(capCents) || Number.isNaN(payload.amount_cents ?? payload.percent);
    if (bad) {
      status.error(t("form.fillRequired"));
      return;
    }
    await busy(form, async () => {
      try {
        await post("/api/subsidies/rules", payload);
        status.ok(t("rules.created"));
        name.input.value = "";
        value.input.value = "";
        cap.input.value = "";
        drawRules();
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [
    section(t("budget.title", { year }), budgetBox),
    section(t("rules.list"), listBox),
    section(t("rules.new"), h("p", {}, t("rules.intro")), form),
  ]);
  drawRules();
  drawBudget();
}

// -- statistics --------------------------------------------------------------------------------

function cellLabel(label, by) {
  if (label === "other") return t("stats.other");
  if (by === "kind") return tOr(`kind.${label}`, label);
  if (label === "no profile") return t("stats.noProfile");
  const m = /^(\d+\+?) children$/.exec(label);
  return m ? t("stats.children", { n: m[1] }) : label;
}

/** Horizontal bars: the label and the value are text (legible on a phone), each bar a small
 * SVG drawn through the DOM (no inline style); the table below says the same in figures. */
function barChart(titleText, cells, value, format) {
  const max = Math.max(1, ...cells.map(value));
  return h("figure", { class: "chart-box" },
    h("figcaption", {}, titleText),
    h("ul", { class: "bars" }, cells.map((cell, i) => {
      const share = Math.max(1, Math.round((100 * value(cell)) / max));
      return h("li", {},
        h("span", { class: "bar-label" }, cell.shown),
        h("svg:svg", { class: "bar-track", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" },
          h("svg:rect", { x: 0, y: 0, width: share, height: 10, rx: 1, class: `bar bar-${i % 4}` })),
        h("span", { class: "bar-value" }, format(value(cell))));
    })));
}

export async function statsPage(body, ctx) {
  const now = new Date().getFullYear();
  const by = field({ label: t("stats.by"), name: "by", type: "select", options: [["kind", t("stats.byKind")], ["children", t("stats.byChildren")]] });
  const year = field({ label: t("stats.year"), name: "year", type: "select", options: [now, now - 1, now - 2].map((y) => [String(y), String(y)]) });
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "row", novalidate: true }, by.wrap, year.wrap, button(t("stats.show"), null, { type: "submit", kind: "primary" }));
  async function draw() {
    clear(out);
    append(out, [loading()]);
    let stats;
    try {
      stats = await get(`/api/subsidies/stats?${new URLSearchParams({ by: by.input.value, year: year.input.value })}`);
    } catch (error) {
      clear(out);
      failed(out, error);
      return;
    }
    if (!ctx.alive()) return;
    clear(out);
    const cells = stats.cells.map((c) => ({ ...c, shown: cellLabel(c.label, stats.by) }));
    const note = h("p", { class: "hint" }, t("stats.k", { k: stats.k }), stats.merged_groups ? ` ${t("stats.merged", { n: stats.merged_groups })}` : "");
    if (!cells.length) {
      append(out, [h("p", {}, t("stats.none", { k: stats.k })), note]);
      return;
    }
    append(out, [
      note,
      h("div", { class: "charts" },
        barChart(t("stats.people"), cells, (c) => c.people, String),
        barChart(t("stats.uses"), cells, (c) => c.uses, String),
        barChart(t("stats.amount"), cells, (c) => c.amount_cents, money)),
      table(t("stats.table", { year: stats.year }), [t("stats.group"), t("stats.people"), t("stats.uses"), t("stats.amount")],
        cells.map((c) => [c.shown, String(c.people), String(c.uses), money(c.amount_cents)])),
    ]);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    draw();
  });
  append(body, [h("p", { class: "lead" }, t("stats.intro")), form, out]);
  await draw();
}

// -- newsletters -------------------------------------------------------------------------------

export function newslettersPage(body) {
  const status = statusLine();
  const subject = field({ label: t("newsletters.subject"), name: "subject", required: true, maxlength: 200 });
  const text = field({ label: t("newsletters.text"), name: "text", type: "textarea", required: true, rows: 10 });
  const form = h("form", { class: "stack", novalidate: true }, subject.wrap, text.wrap,
    h("div", { class: "actions" }, button(t("newsletters.send"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [subject, text].find((f) => !f.input.value.trim());
    if (missing) {
      status.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        const sent = await post("/api/privacy/newsletters", { subject: subject.input.value.trim(), text: text.input.value });
        status.ok(t("newsletters.sent", { n: sent.recipients }));
        subject.input.value = "";
        text.input.value = "";
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [h("p", { class: "lead" }, t("newsletters.intro")), section(t("newsletters.new"), form)]);
}

// -- sign-in with the company's directory ------------------------------------------------------

/** The tenant's OpenID provider (Microsoft Entra ID, Google Workspace...): the employees may
 * then sign in with their company account. The client secret is never shown back. */
export async function signInPage(body, ctx) {
  const box = h("div");
  append(body, [h("p", { class: "lead" }, t("directory.intro")), box]);
  async function draw() {
    let current = null;
    try {
      current = await get("/api/auth/directory");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        clear(box);
        failed(box, error);
        return;
      }
    }
    if (!ctx.alive()) return;
    clear(box);
    const status = statusLine();
    const issuer = field({ label: t("directory.issuer"), name: "issuer", type: "url", required: true,
      value: current ? current.issuer : "", hint: t("directory.issuerHint") });
    const clientId = field({ label: t("directory.clientId"), name: "client_id", required: true,
      value: current ? current.client_id : "", autocomplete: "off" });
    const secret = field({ label: t("directory.clientSecret"), name: "client_secret", type: "password",
      required: !current, autocomplete: "new-password", hint: current ? t("directory.secretKept") : t("directory.secretHint") });
    const claim = field({ label: t("directory.matchClaim"), name: "match_claim", required: true,
      value: current ? current.match_claim : "sub", hint: t("directory.matchClaimHint") });
    const scopes = field({ label: t("directory.extraScopes"), name: "extra_scopes",
      value: current ? current.extra_scopes : "", hint: t("directory.extraScopesHint") });
    const redirect = current ? current.redirect_uri : `${window.location.origin}/api/auth/oidc/callback`;
    const form = h("form", { class: "stack narrow", novalidate: true },
      issuer.wrap, clientId.wrap, secret.wrap, claim.wrap, scopes.wrap,
      h("div", { class: "actions" },
        button(t("common.save"), null, { type: "submit", kind: "primary" }),
        current ? button(t("directory.remove"), async () => {
          await busy(form, async () => {
            try {
              await del("/api/auth/directory");
              await draw();
              ctx.announce(t("directory.removed"));
            } catch (error) {
              status.error(describe(error));
            }
          });
        }, { kind: "secondary" }) : null),
      status.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const missing = [issuer, clientId, ...(current ? [] : [secret]), claim].find((f) => !f.input.value.trim());
      if (missing) {
        status.error(t("form.fillRequired"));
        missing.input.focus();
        return;
      }
      status.busy();
      await busy(form, async () => {
        try {
          const settings = {
            issuer: issuer.input.value.trim(),
            client_id: clientId.input.value.trim(),
            match_claim: claim.input.value.trim(),
            extra_scopes: scopes.input.value.trim(),
          };
          if (secret.input.value) settings.client_secret = secret.input.value;
          await put("/api/auth/directory", settings);
          await draw();
          ctx.announce(t("directory.saved"));
        } catch (error) {
          status.error(describe(error));
        }
      });
    });
    append(box, [
      section(t("directory.state"),
        h("p", {}, current ? t("directory.on") : t("directory.off")),
        h("p", {}, t("directory.redirectUri"), " ", h("code", {}, redirect)),
        h("p", { class: "hint" }, t("directory.rules"))),
      section(t("directory.settings"), form),
    ]);
  }
  await draw();
}
