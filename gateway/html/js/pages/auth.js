// Logging in (with the two-factor second step), password links, unsubscribing, the DPO's contact.
import { ApiError, describe, get, post } from "../api.js";
import { append, busy, button, clear, field, h, loading, section, statusLine } from "../dom.js";
import { t } from "../i18n.js";

/** The login page's query (#/login?oidc_error=...&tenant=...): where the employer's directory
 * sent the browser back after a refused sign-in. */
function loginQuery() {
  const hash = window.location.hash;
  const at = hash.indexOf("?");
  return new URLSearchParams(at >= 0 ? hash.slice(at + 1) : "");
}

const OIDC_ERRORS = ["provider", "state", "code", "token", "nonce", "no_account", "staff", "link"];

/** "Sign in with your company account", shown when the tenant typed has a directory (a
 * public answer without any setting); a plain link: the provider's pages are a top-level
 * navigation, and the platform's callback sets the session cookie. */
function directoryBox(tenant) {
  const box = h("div", { class: "directory-sign-in", hidden: true });
  let asked = "";
  async function check() {
    const slug = tenant.input.value.trim().toLowerCase();
    if (slug === asked) return;
    asked = slug;
    clear(box);
    box.hidden = true;
    if (!/^[a-z0-9-]{1,63}$/.test(slug)) return;
    try {
      const options = await get(`/api/auth/tenants/${encodeURIComponent(slug)}/sign-in`, { quiet401: true });
      if (!options.directory || slug !== asked) return;
    } catch {
      return; // an unknown company: the password form answers as always
    }
    append(box, [
      h("p", { class: "or" }, t("login.or")),
      h("a", { class: "btn secondary", href: `/api/auth/oidc/${encodeURIComponent(slug)}/start` }, t("login.directory")),
      h("p", { class: "hint" }, t("login.directoryHint")),
    ]);
    box.hidden = false;
  }
  tenant.input.addEventListener("change", check);
  tenant.input.addEventListener("blur", check);
  return { box, check };
}

export function loginPage(body, ctx) {
  const status = statusLine();
  const query = loginQuery();
  // The employer's directory confirmed the person, whose account has a second factor: the
  // same second step as after the password (its pending cookie was set by the callback).
  if (query.get("mfa") === "1") {
    secondStep(body, ctx, null);
    return;
  }
  const tenant = field({ label: t("login.tenant"), name: "tenant", required: true, autocomplete: "organization", hint: t("login.tenantHint"),
    value: /^[a-z0-9-]{1,63}$/.test(query.get("tenant") || "") ? query.get("tenant") : undefined });
  const directory = directoryBox(tenant);
  const email = field({ label: t("login.email"), name: "email", type: "email", required: true, autocomplete: "username" });
  const password = field({ label: t("login.password"), name: "password", type: "password", required: true, autocomplete: "current-password" });
  const form = h("form", { class: "stack narrow", novalidate: true },
    tenant.wrap, email.wrap, password.wrap,
    h("div", { class: "actions" }, button(t("login.submit"), null, { type: "submit", kind: "primary" })),
    status.el,
    h("p", {}, h("a", { href: "#/forgot-password" }, t("login.forgot"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [tenant, email, password].find((f) => !f.input.value.trim());
    if (missing) {
      status.error(t("form.fillRequired"));
      missing.input.focus();
      return;
    }
    status.busy();
    await busy(form, async () => {
      try {
        const answer = await post("/api/auth/login", {
          tenant: tenant.input.value.trim().toLowerCase(),
          email: email.input.value.trim(),
          password: password.input.value,
        }, { quiet401: true });
        if (answer && answer.mfa_required) {
          secondStep(body, ctx, answer.enrolment || null);
          return;
        }
        await ctx.loggedIn();
      } catch (error) {
        password.input.value = "";
        if (error instanceof ApiError && (error.status === 401 || error.status === 422)) status.error(t("login.failed"));
        else status.error(describe(error));
        password.input.focus();
      }
    });
  });
  const refused = query.get("oidc_error");
  if (refused) status.error(t(`login.oidcError.${OIDC_ERRORS.includes(refused) ? refused : "state"}`));
  append(body, [h("div", { class: "card login-card" }, h("p", { class: "lead" }, t("login.intro")), form, directory.box)]);
  if (tenant.input.value) directory.check();
}

/** The code from the authenticator app; on a staff member's first login, the enrolment too. */
function secondStep(body, ctx, enrolment) {
  clear(body);
  ctx.onLanguage(() => secondStep(body, ctx, enrolment));
  ctx.setTitle(t("mfa.title"));
  const status = statusLine();
  const code = field({
    label: t("mfa.code"), name: "code", required: true, autocomplete: "one-time-code",
    hint: t("mfa.codeHint"), maxlength: 40, // a recovery code is 29 characters, letters too
  });
  const parts = [];
  if (enrolment) {
    parts.push(section(t("mfa.enrolTitle"),
      h("p", {}, t("mfa.enrolIntro")),
      h("ol", {},
        h("li", {}, t("mfa.enrolStep1")),
        h("li", {}, t("mfa.enrolStep2")),
        h("li", {}, t("mfa.enrolStep3"))),
      h("img", { class: "qr", src: enrolment.qr_svg, alt: t("mfa.qrAlt"), width: 200, height: 200 }),
      h("p", {}, t("mfa.secret"), " ", h("code", { class: "secret" }, enrolment.secret))));
  } else {
    parts.push(h("p", { class: "lead" }, t("mfa.intro")));
  }
  const form = h("form", { class: "stack narrow", novalidate: true }, code.wrap,
    h("div", { class: "actions" },
      button(t("mfa.submit"), null, { type: "submit", kind: "primary" }),
      button(t("mfa.back"), () => ctx.navigate("/login"), { kind: "secondary" })),
    status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!code.input.value.trim()) {
      status.error(t("form.fillRequired"));
      code.input.focus();
      return;
    }
    status.busy();
    await busy(form, async () => {
      try {
        const answer = await post("/api/auth/mfa", { code: code.input.value.trim() }, { quiet401: true });
        if (answer && answer.recovery_codes && answer.recovery_codes.length) {
          recoveryCodes(body, ctx, answer.recovery_codes);
          return;
        }
        await ctx.loggedIn();
      } catch (error) {
        code.input.value = "";
        status.error(error instanceof ApiError && (error.status === 401 || error.status === 422) ? t("mfa.failed") : describe(error));
        code.input.focus();
      }
    });
  });
  append(body, [...parts, form]);
  code.input.focus();
}

function recoveryCodes(body, ctx, codes) {
  clear(body);
  ctx.onLanguage(() => recoveryCodes(body, ctx, codes));
  ctx.setTitle(t("mfa.recoveryTitle"));
  const next = button(t("mfa.recoveryDone"), () => ctx.loggedIn(), { kind: "primary" });
  append(body, [
    h("p", { class: "lead" }, t("mfa.recoveryIntro")),
    h("ul", { class: "codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    h("div", { class: "actions" }, next),
  ]);
  next.focus();
}

export function forgotPage(body) {
  const status = statusLine();
  const tenant = field({ label: t("login.tenant"), name: "tenant", required: true, autocomplete: "organization" });
  const email = field({ label: t("login.email"), name: "email", type: "email", required: true, autocomplete: "username" });
  const form = h("form", { class: "stack narrow", novalidate: true }, tenant.wrap, email.wrap,
    h("div", { class: "actions" }, button(t("forgot.submit"), null, { type: "submit", kind: "primary" })), status.el,
    h("p", {}, h("a", { href: "#/login" }, t("forgot.back"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!tenant.input.value.trim() || !email.input.value.trim()) {
      status.error(t("form.fillRequired"));
      return;
    }
    await busy(form, async () => {
      try {
        await post("/api/auth/password-reset", { tenant: tenant.input.value.trim().toLowerCase(), email: email.input.value.trim() });
        status.ok(t("forgot.sent"));
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [h("p", { class: "lead" }, t("forgot.intro")), form]);
}

function passwordForm(body, ctx, intro) {
  const token = ctx.linkToken();
  if (!token) {
    append(body, [h("p", { class: "status error", role: "alert" }, t("reset.noToken")), h("p", {}, h("a", { href: "#/forgot-password" }, t("login.forgot")))]);
    return;
  }
  const status = statusLine();
  const first = field({ label: t("reset.password"), name: "password", type: "password", required: true, autocomplete: "new-password", hint: t("reset.policy") });
  const again = field({ label: t("reset.again"), name: "again", type: "password", required: true, autocomplete: "new-password" });
  const form = h("form", { class: "stack narrow", novalidate: true }, first.wrap, again.wrap,
    h("div", { class: "actions" }, button(t("reset.submit"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (first.input.value !== again.input.value) {
      status.error(t("reset.mismatch"));
      again.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        await post("/api/auth/password-reset/confirm", { token, password: first.input.value });
        ctx.loggedOut(t("reset.done"));
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  append(body, [h("p", { class: "lead" }, intro), form]);
}

export function resetPage(body, ctx) {
  passwordForm(body, ctx, t("reset.intro"));
}

export function invitePage(body, ctx) {
  passwordForm(body, ctx, t("invite.intro"));
}

export function unsubscribePage(body, ctx) {
  const token = ctx.linkToken();
  if (!token) {
    append(body, [h("p", { class: "status error", role: "alert" }, t("unsubscribe.noToken"))]);
    return;
  }
  const status = statusLine();
  const go = button(t("unsubscribe.submit"), async () => {
    go.disabled = true;
    try {
      await post("/api/privacy/unsubscribe", { token }, { quiet401: true });
      status.ok(t("unsubscribe.done"));
    } catch (error) {
      status.error(describe(error));
      go.disabled = false;
    }
  }, { kind: "primary" });
  append(body, [h("p", { class: "lead" }, t("unsubscribe.intro")), h("div", { class: "actions" }, go), status.el]);
}

export async function dpoContactPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  try {
    const dpo = await get("/api/privacy/dpo", { quiet401: true });
    if (!ctx.alive()) return;
    wait.remove();
    append(body, [dpoCard(dpo), section(t("dpoContact.cnilTitle"), h("p", {}, t("dpoContact.cnil")))]);
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
  }
}

export function dpoCard(dpo) {
  return section(t("dpoContact.who"),
    h("p", {}, t("dpoContact.intro")),
    h("dl", { class: "facts" },
      h("dt", {}, t("dpoContact.name")), h("dd", {}, dpo.name),
      h("dt", {}, t("dpoContact.email")), h("dd", {}, h("a", { href: `mailto:${dpo.email}` }, dpo.email)),
      h("dt", {}, t("dpoContact.address")), h("dd", { class: "pre" }, dpo.address)));
}
