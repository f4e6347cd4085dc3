import { locale, t } from "./i18n.js";

export function money(cents) {
  if (cents === null || cents === undefined) return "—";
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" }).format(cents / 100);
}

export function date(value) {
  if (!value) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(new Date(value));
}

export function dateTime(value) {
  if (!value) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

/** "2 h 05 min" from a number of milliseconds (negative: "late by ..."). */
export function duration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const hours = Math.floor(minutes / 60);
  const text = t("time.hm", { h: hours, m: String(minutes % 60).padStart(2, "0") });
  return ms < 0 ? t("time.late", { d: text }) : text;
}

/** Euros typed by a person ("12,50" or "12.50") to cents; NaN when it is not a number. */
export function cents(text) {
  const clean = String(text).trim().replace(/\s/g, "").replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return Number.NaN;
  return Math.round(Number.parseFloat(clean) * 100);
}

export const shortId = (id) => String(id).slice(0, 8);
