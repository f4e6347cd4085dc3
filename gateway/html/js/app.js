// The single-page application: a hash router (#/orders), the page shell (header, navigation,
// footer) and the session, held in memory only (the session itself is an HttpOnly cookie).
import { api, whenUnauthenticated } from "./api.js";
import { append, clear, h } from "./dom.js";
import { lang, languages, setLang, t } from "./i18n.js";
import * as auth from "./pages/auth.js";
import * as shop from "./pages/shop.js";
import * as subsidies from "./pages/subsidies.js";
import * as support from "./pages/support.js";
import * as privacy from "./pages/privacy.js";
import * as admin from "./pages/admin.js";
import * as accounting from "./pages/accounting.js";
import * as dpo from "./pages/dpo.js";
import * as quotient from "./pages/quotient.js";
import * as campaigns from "./pages/campaigns.js";

const EMPLOYEE = ["employee"];
const ADMIN = ["tenant_admin", "platform_admin"];
const DPO = ["dpo"];
const AGENT = ["support_agent"];
const ANYONE = null; // any logged-in person

/** Every page: its path, title, who may see it, and whether it is in the navigation. */
const ROUTES = [
  { path: "/login", title: "login.title", page: auth.loginPage, public: true },
  { path: "/forgot-password", title: "forgot.title", page: auth.forgotPage, public: true },
  { path: "/reset-password", title: "reset.title", page: auth.resetPage, public: true },
  { path: "/set-password", title: "invite.title", page: auth.invitePage, public: true },
  { path: "/unsubscribe", title: "unsubscribe.title", page: auth.unsubscribePage, public: true },
  { path: "/dpo-contact", title: "dpoContact.title", page: auth.dpoContactPage, public: true },
  { path: "/erased", title: "erased.title", page: privacy.erasedPage, public: true },

  { path: "/offers", title: "offers.title", page: shop.offersPage, roles: EMPLOYEE, nav: "nav.offers" },
  { path: "/orders", title: "orders.title", page: shop.ordersPage, roles: EMPLOYEE, nav: "nav.orders" },
  { path: "/profile", title: "profile.title", page: subsidies.profilePage, roles: EMPLOYEE, nav: "nav.profile" },
  { path: "/activities", title: "activities.title", page: subsidies.activitiesPage, roles: EMPLOYEE, nav: "nav.activities" },
  { path: "/tickets", title: "tickets.title", page: support.ticketsPage, roles: [...EMPLOYEE, ...AGENT], nav: "nav.tickets" },
  { path: "/tickets/:id", title: "ticket.title", page: support.ticketPage, roles: [...EMPLOYEE, ...AGENT] },

  { path: "/admin/users", title: "users.title", page: admin.usersPage, roles: ADMIN, nav: "nav.users" },
  { path: "/admin/offers", title: "adminOffers.title", page: admin.offersPage, roles: ADMIN, nav: "nav.adminOffers" },
  { path: "/admin/rules", title: "rules.title", page: admin.rulesPage, roles: ADMIN, nav: "nav.rules" },
  { path: "/admin/quotient", title: "quotientAdmin.title", page: quotient.quotientAdminPage, roles: ADMIN, nav: "nav.quotient" },
  { path: "/admin/campaigns", title: "campaigns.title", page: campaigns.campaignsPage, roles: ADMIN, nav: "nav.campaigns" },
  { path: "/admin/stats", title: "stats.title", page: admin.statsPage, roles: ADMIN, nav: "nav.stats" },
  { path: "/admin/accounting", title: "accounting.title", page: accounting.accountingPage, roles: ADMIN, nav: "nav.accounting" },
  { path: "/admin/newsletters", title: "newsletters.title", page: admin.newslettersPage, roles: ADMIN, nav: "nav.newsletters" },
  { path: "/admin/sign-in", title: "directory.title", page: admin.signInPage, roles: ["tenant_admin"], nav: "nav.directory" },

  { path: "/dpo/requests", title: "queue.title", page: dpo.requestsPage, roles: DPO, nav: "nav.queue" },
  { path: "/dpo/breaches", title: "breaches.title", page: dpo.breachesPage, roles: DPO, nav: "nav.breaches" },
  { path: "/dpo/register", title: "register.title", page: dpo.registerPage, roles: DPO, nav: "nav.register" },
  { path: "/dpo/processors", title: "processors.title", page: dpo.processorsPage, roles: [...DPO, "platform_admin"], nav: "nav.processors" },

  { path: "/privacy", title: "privacy.title", page: privacy.overviewPage, roles: ANYONE, nav: "nav.privacy" },
  { path: "/privacy/export", title: "export.title", page: privacy.exportPage, roles: ANYONE },
  { path: "/privacy/erasure", title: "erasure.title", page: privacy.erasurePage, roles: ANYONE },
  { path: "/privacy/rectify", title: "rectify.title", page: privacy.rectifyPage, roles: ANYONE },
  { path: "/privacy/limit", title: "limit.title", page: privacy.limitPage, roles: ANYONE },
  { path: "/privacy/consents", title: "consents.title", page: privacy.consentsPage, roles: ANYONE },
  { path: "/privacy/access-log", title: "accessLog.title", page: privacy.accessLogPage, roles: ANYONE },
  { path: "/privacy/requests", title: "myRequests.title", page: privacy.myRequestsPage, roles: ANYONE },
];

/** Links sent by mail point at these paths with the token in the fragment (#token=...). */
const LINK_PAGES = { "/reset-password": "/reset-password", "/set-password": "/set-password", "/unsubscribe": "/unsubscribe" };

const state = {
  user: null,
  /** A message shown once at the top of the next page (after a logout, an expired session). */
  flash: null,
  /** The page asked for before logging in, opened after. */
  after: null,
  /** The one-time token of a mailed link, kept in memory once taken out of the address bar. */
  linkToken: null,
  leave: [],
  rendered: 0,
  /** Set by a page that redraws itself on a change of language (see ``ctx.onLanguage``). */
  redraw: null,
};

const main = document.getElementById("main");
const top = document.getElementById("top");
const bottom = document.getElementById("bottom");
const announcer = document.getElementById("announcer");

function announce(message) {
  clear(announcer);
  // A change the screen reader notices even when the same text comes twice.
  window.setTimeout(() => { announcer.textContent = message; }, 50);
}

function currentPath() {
  const hash = window.location.hash.replace(/^#/, "");
  return hash.startsWith("/") ? hash.split("?")[0] : "/";
}

function match(path) {
  for (const route of ROUTES) {
    const want = route.path.split("/");
    const got = path.split("/");
    if (want.length !== got.length) continue;
    const params = {};
    let ok = true;
    want.forEach((part, i) => {
      if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(got[i]);
      else if (part !== got[i]) ok = false;
    });
    if (ok) return { route, params };
  }
  return null;
}

const hasRole = (user, roles) => roles === ANYONE || (user && user.roles.some((r) => roles.includes(r)));

function homeOf(user) {
  if (!user) return "/login";
  const first = ROUTES.find((r) => r.nav && hasRole(user, r.roles));
  return first ? first.path : "/privacy";
}

export function navigate(path) {
  if (currentPath() === path) render();
  else window.location.hash = `#${path}`;
}

async function loadUser() {
  try {
    state.user = await api("GET", "/api/auth/me", { quiet401: true });
  } catch {
    state.user = null;
  }
  return state.user;
}

function setFlash(message, kind = "ok") {
  state.flash = { message, kind };
}

whenUnauthenticated(() => {
  if (!state.user) return;
  state.user = null;
  setFlash(t("session.ended"), "error");
  state.after = currentPath();
  navigate("/login");
});

async function logout() {
  try {
    await api("POST", "/api/auth/logout", { quiet401: true });
  } catch {
    // The session may have ended already: the page forgets it all the same.
  }
  state.user = null;
  setFlash(t("logout.done"));
  navigate("/login");
}

function renderShell() {
  const user = state.user;
  const path = currentPath();
  clear(top);
  const other = languages().find((code) => code !== lang());
  const navItems = ROUTES.filter((r) => r.nav && user && hasRole(user, r.roles));
  const menuButton = h("button", {
    type: "button", class: "btn menu-toggle", "aria-expanded": "false", "aria-controls": "nav",
    onclick: () => {
      const open = menuButton.getAttribute("aria-expanded") !== "true";
      menuButton.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    },
  }, t("nav.menu"));
  const nav = h("nav", { id: "nav", "aria-label": t("nav.label") },
    h("ul", {}, navItems.map((r) => {
      const current = path === r.path || (r.path !== "/privacy" && path.startsWith(`${r.path}/`))
        || (r.path === "/privacy" && path.startsWith("/privacy/"));
      return h("li", {}, h("a", { href: `#${r.path}`, "aria-current": current ? "page" : null }, t(r.nav)));
    })));
  append(top, [
    h("div", { class: "top-row" },
      h("a", { class: "brand", href: user ? `#${homeOf(user)}` : "#/login" },
        h("span", { class: "logo", "aria-hidden": "true" }, "✓"), t("app.name")),
      h("div", { class: "tools" },
        h("button", {
          type: "button", class: "btn link lang-switch", lang: other,
          onclick: () => {
            setLang(other);
            if (state.redraw) {
              // A step that cannot be asked for again (recovery codes shown once): the page
              // redraws itself in the new language with what it holds.
              renderShell();
              state.redraw();
            } else {
              render({ focus: false });
            }
            announce(t("lang.changed"));
            const again = top.querySelector(".lang-switch");
            if (again) again.focus();
          },
        }, t(`lang.switch.${other}`)),
        user ? h("span", { class: "who" }, h("span", { class: "visually-hidden" }, t("session.who")), user.email) : null,
        user ? h("button", { type: "button", class: "btn secondary", onclick: logout }, t("logout.button")) : null,
        navItems.length ? menuButton : null)),
    navItems.length ? nav : null,
  ]);
  clear(bottom);
  append(bottom, [
    h("p", {}, t("footer.text")),
    h("p", {}, h("a", { href: "#/dpo-contact" }, t("footer.dpo"))),
  ]);
}

async function render({ focus = true } = {}) {
  for (const fn of state.leave.splice(0)) {
    try { fn(); } catch { /* a page's cleanup never stops the next page */ }
  }
  const ticket = ++state.rendered;
  state.redraw = null;
  const path = currentPath();
  const found = match(path);
  if (!found) {
    window.location.replace(`#${homeOf(state.user)}`);
    return;
  }
  const { route, params } = found;
  if (!route.public && !state.user) {
    state.after = path;
    window.location.replace("#/login");
    return;
  }
  if (route.path === "/login" && state.user) {
    window.location.replace(`#${homeOf(state.user)}`);
    return;
  }
  renderShell();
  clear(main);
  const title = h("h1", { tabindex: "-1", id: "page-title" }, t(route.title));
  const body = h("div", { class: "page" });
  append(main, [title]);
  if (state.flash) {
    const { message, kind } = state.flash;
    state.flash = null;
    append(main, [h("p", { class: `status ${kind}`, role: kind === "error" ? "alert" : "status" }, message)]);
  }
  append(main, [body]);
  document.title = `${t(route.title)} – ${t("app.name")}`;
  if (focus) title.focus();
  if (route.roles !== undefined && !route.public && !hasRole(state.user, route.roles)) {
    append(body, [h("p", { class: "status error", role: "alert" }, t("error.notAllowed"))]);
    return;
  }
  const ctx = {
    user: state.user,
    params,
    navigate,
    announce,
    linkToken: () => state.linkToken,
    onLeave: (fn) => state.leave.push(fn),
    onLanguage: (fn) => { state.redraw = fn; },
    /** The page is still the one shown (a slow answer must not draw over the next page). */
    alive: () => ticket === state.rendered,
    setTitle: (text) => {
      title.textContent = text;
      document.title = `${text} – ${t("app.name")}`;
    },
    loggedIn: async () => {
      await loadUser();
      const target = state.after && state.after !== "/login" ? state.after : homeOf(state.user);
      state.after = null;
      navigate(target);
    },
    loggedOut: (message, target = "/login") => {
      state.user = null;
      if (message) setFlash(message);
      navigate(target);
    },
  };
  try {
    await route.page(body, ctx);
  } catch (error) {
    if (ticket === state.rendered) {
      append(body, [h("p", { class: "status error", role: "alert" }, t("error.unexpected"))]);
    }
    throw error;
  }
}

function takeLinkToken() {
  const page = LINK_PAGES[window.location.pathname];
  if (!page) return;
  const match = window.location.hash.match(/token=([A-Za-z0-9_-]+)/);
  state.linkToken = match ? match[1] : null;
  // The token leaves the address bar (and so the history) at once.
  window.history.replaceState(null, "", `/#${page}`);
}

async function start() {
  takeLinkToken();
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  const skip = document.getElementById("skip-link");
  skip.textContent = t("skip");
  await loadUser();
  window.addEventListener("hashchange", () => render());
  await render({ focus: false });
}

// Re-translate the skip link when the language changes.
const observer = new MutationObserver(() => {
  document.getElementById("skip-link").textContent = t("skip");
});
observer.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

start();
