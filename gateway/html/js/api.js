// The only way the page talks to the platform: the public REST routes of the gateway.
// Unsafe requests carry X-CSRF-Token with the value of the csrf_token cookie.
import { t } from "./i18n.js";

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

/**
 * api("POST", "/api/orders", {json: {...}}) → the parsed body (null for 204).
 * Throws ApiError with the status and the server's detail.
 */
export async function api(method, path, { json, body, type, quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
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
