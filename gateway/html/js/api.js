// The only way the page talks to the platform: the public REST routes of the gateway.
// Unsafe requests carry X-CSRF-Token with the value of the csrf_token cookie. Every request
// carries Accept-Language with the interface's language: the server's texts (the register, the
// reports, the archive of a request filed now) come back in the language of the page.
import { lang, t } from "./i18n.js";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : "error");
    this.status = status;
    this.detail = detail;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

let onUnauthenticated = () => {};
/** Called when a protected route answers 401: the session ended (logout elsewhere, expiry). */
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

/** What a service answers when a sensitive action needs the password again (kit.auth). */
const REAUTHENTICATE = "recent sign-in required: confirm your password";

/** A modal dialog asking for the password (and a code, for two-factor accounts); resolves to
 * {password, code} or null when the person cancels. */
function askCredentials() {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", "reauth-title");
    dialog.innerHTML = `
      <form method="dialog">
        <h2 id="reauth-title"></h2>
        <p id="reauth-intro"></p>
        <label for="reauth-password"></label>
        <input id="reauth-password" type="password" autocomplete="current-password" required>
        <label for="reauth-code"></label>
        <input id="reauth-code" inputmode="numeric" autocomplete="one-time-code">
        <div class="actions">
          <button value="ok" class="primary"></button>
          <button value="cancel" formnovalidate></button>
        </div>
      </form>`;
    dialog.querySelector("#reauth-title").textContent = t("reauth.title");
    dialog.querySelector("#reauth-intro").textContent = t("reauth.intro");
    dialog.querySelector("label[for=reauth-password]").textContent = t("reauth.password");
    dialog.querySelector("label[for=reauth-code]").textContent = t("reauth.code");
    dialog.querySelector("button[value=ok]").textContent = t("reauth.confirm");
    dialog.querySelector("button[value=cancel]").textContent = t("reauth.cancel");
    dialog.addEventListener("close", () => {
      const password = dialog.querySelector("#reauth-password").value;
      const code = dialog.querySelector("#reauth-code").value.trim();
      const ok = dialog.returnValue === "ok" && password;
      dialog.remove();
      resolve(ok ? { password, code: code || null } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * api("POST", "/api/orders", {json: {...}}) → the parsed body (null for 204).
 * Throws ApiError with the status and the server's detail. A sensitive action refused for want
 * of a recent sign-in asks for the password, confirms it, and is sent again once.
 */
export async function api(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403 || error.detail !== REAUTHENTICATE) {
      throw error;
    }
    const credentials = await askCredentials();
    if (!credentials) throw error;
    await send("POST", "/api/auth/reauthenticate", { json: credentials });
    return send(method, path, options);
  }
}

async function send(method, path, { json, body, type, quiet401 = false } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": lang() };
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = csrfToken();
  let payload = body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (type) {
    headers["Content-Type"] = type;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !quiet401) onUnauthenticated();
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    throw new ApiError(response.status, detail ?? response.statusText);
  }
  return data;
}

export const get = (path, options) => api("GET", path, options);

/** A link to a server page or file that the browser fetches itself (no Accept-Language of
 * ours): the same path with ``lang=`` the interface's language. */
export const inLanguage = (path) => `${path}${path.includes("?") ? "&" : "?"}lang=${lang()}`;
export const post = (path, json, options = {}) => api("POST", path, { json, ...options });
export const put = (path, json, options = {}) => api("PUT", path, { json, ...options });
export const del = (path, options) => api("DELETE", path, options);

/** A message for a person from an ApiError: the server's words, or a plain one per status. */
export function describe(error) {
  if (!(error instanceof ApiError)) return t("error.unexpected");
  const { status, detail } = error;
  if (status === 0) return t("error.network");
  if (status === 429) return t("error.rate");
  if (status === 403 && (detail === "" || /csrf/i.test(String(detail)))) return t("error.forbidden");
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const where = (d.loc || []).filter((p) => p !== "body").join(".");
      return where ? `${where} : ${d.msg}` : d.msg;
    }).join(" ; ");
  }
  if (typeof detail === "string" && detail && !detail.startsWith("<")) return detail;
  if (status === 401) return t("error.session");
  if (status === 403) return t("error.forbidden");
  if (status === 404) return t("error.notfound");
  if (status >= 500) return t("error.server");
  return t("error.unexpected");
}

/** The header a list route sends while more items follow (kit.pagination). */
const NEXT_CURSOR = "X-Next-Cursor";

/**
 * One page of a list route: {items, next}. `next` is the cursor of the following page (give it
 * back as `cursor`), null on the last: a list is never cut without the page knowing it.
 */
export async function getPage(path, { cursor = null, limit = null } = {}) {
  const params = new URLSearchParams();
  if (cursor) params.set("cursor", cursor);
  if (limit) params.set("limit", String(limit));
  const query = params.toString();
  const url = query ? `${path}${path.includes("?") ? "&" : "?"}${query}` : path;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthenticated();
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : null;
    throw new ApiError(response.status, detail ?? response.statusText);
  }
  return { items: Array.isArray(data) ? data : [], next: response.headers.get(NEXT_CURSOR) };
}

/**
 * Every item of a list route, page after page (for lists a page needs whole and that stay
 * short: processors, offers, one's own bookings). `cursor` starts after a page already held.
 */
export async function getAll(path, options = {}) {
  const all = [];
  let cursor = options.cursor || null;
  do {
    const page = await getPage(path, { ...options, cursor });
    all.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return all;
}
