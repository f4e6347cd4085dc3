// French by default, English available. The choice of language is the only thing this front end
// keeps in the browser's storage (no personal data is ever stored there).
import fr from "./locales/fr.js";
import en from "./locales/en.js";

const dictionaries = { fr, en };
const KEY = "lang";
let current = "fr";
try {
  const saved = window.localStorage.getItem(KEY);
  if (saved && dictionaries[saved]) current = saved;
} catch {
  // Storage may be off: French then.
}

export const languages = () => Object.keys(dictionaries);
export const lang = () => current;
export const locale = () => (current === "fr" ? "fr-FR" : "en-GB");

export function setLang(code) {
  if (!dictionaries[code]) return;
  current = code;
  document.documentElement.lang = code;
  try {
    window.localStorage.setItem(KEY, code);
  } catch {
    // Not kept: the choice lasts for this page only.
  }
}

/** The text of ``key`` in the current language, with {name} replaced by params.name. */
export function t(key, params = {}) {
  const text = dictionaries[current][key] ?? dictionaries.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** ``t`` of the first key that exists, else the raw value (for statuses the server may add). */
export function tOr(key, fallback) {
  return key in dictionaries[current] || key in dictionaries.fr ? t(key) : fallback;
}

document.documentElement.lang = current;
