// The "Verify a statement" page: the pasted passage is cut into paragraphs, each normalised and
// hashed (SHA-256, WebCrypto) exactly as the build hashes the releases (advisory_site/textnorm.py;
// the tests compare the two), and looked up in this site's /ledger.json. Nothing leaves the
// browser but the request for the ledger. Without JavaScript the page explains the command line.

const INVISIBLE = /[\u00ad\u200b\u200c\u200d\u2060]/g;
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4]/g;
const DOUBLE_QUOTES = /[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g;
const DASHES = / ?[\u2010-\u2015\u2212\ufe58\ufe63\uff0d-]+ ?/g;
const ELLIPSIS = /\u2026/g;
const LINE_BREAK = /\r\n?|\n/;
const NORMALISATION = 1; // the ledger's "normalisation" these rules implement

/** The text in the ledger's normal form (see textnorm.normalise). */
export function normalise(text) {
  const folded = text
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(ELLIPSIS, "...")
    .replace(SPACE, " ");
  return folded.replace(DASHES, "-").replace(/^ +| +$/g, "");
}

/** The normalised paragraphs of pasted text: blocks separated by a blank line. */
export function paragraphs(text) {
  const found = [];
  let current = [];
  for (const line of [...text.split(LINE_BREAK), ""]) {
    if (normalise(line)) {
      current.push(line);
    } else if (current.length) {
      found.push(normalise(current.join(" ")));
      current = [];
    }
  }
  return found;
}

export async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Where each paragraph hash of the ledger occurs: hash -> [{release, version, latest}]. */
export function index(ledger) {
  const places = new Map();
  for (const release of ledger.releases) {
    const latest = release.versions[release.versions.length - 1];
    for (const version of release.versions) {
      for (const hash of new Set(version.paragraphs)) {
        if (!places.has(hash)) places.set(hash, []);
        places.get(hash).push({ release, version, latest: version === latest });
      }
    }
  }
  return places;
}

/** Whether a paragraph holds a letter or a digit (textnorm.has_words): "###" says nothing. */
export function hasWords(text) {
  return /[\p{L}\p{N}]/u.test(text);
}

/** For each paragraph of ``text``: the places of the ledger that hold it (maybe none). */
export async function lookUp(text, places) {
  const results = [];
  for (const paragraph of paragraphs(text).filter(hasWords)) {
    results.push({ paragraph, places: places.get(await sha256(paragraph)) || [] });
  }
  return results;
}

// -- the page -----------------------------------------------------------------------------------

const form = document.getElementById("verify-form");
const result = document.getElementById("verify-result");
const fallback = document.querySelector("[data-verify-fallback]");
const pageLang = document.documentElement.lang || "en";
let placesPromise = null;

// The page's words, in its language (data-text-* attributes of the form, from the site's
// gettext catalogue): {count}, {missing}, {version}, {date}, {status} and {reason} are filled in.
function text(name, values = {}) {
  const template = form.dataset[`text${name[0].toUpperCase()}${name.slice(1)}`] ?? "";
  return template.replace(/\{(count|missing|version|date|status|reason)\}/g, (_, key) =>
    String(values[key] ?? ""),
  );
}

const plurals = new Intl.PluralRules(pageLang);

function counted(name, count, values) {
  const category = plurals.select(count);
  const key = name + category[0].toUpperCase() + category.slice(1);
  const known = `text${key[0].toUpperCase()}${key.slice(1)}` in form.dataset;
  return text(known ? key : `${name}Other`, values);
}

// A failure to report in the page's words (the message names a data-text-* attribute).
class CheckError extends Error {
  constructor(name, values = {}) {
    super(name);
    this.values = values;
  }
}

function element(name, content, attributes = {}) {
  const node = document.createElement(name);
  if (content) node.textContent = content;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

/** A date of the ledger (ISO 8601, the site's local time) in the page's language. */
function longDate(iso) {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  const moment = new Date(Date.UTC(year, month - 1, day));
  return new Intl.DateTimeFormat(pageLang, { dateStyle: "long", timeZone: "UTC" }).format(moment);
}

function place(found) {
  const item = element("li");
  const link = element("a", found.release.title, { href: found.release.url });
  const lang = found.release.lang;
  if (lang && lang.toLowerCase() !== pageLang.toLowerCase()) {
    link.setAttribute("lang", lang); // a screen reader pronounces the title in its language
    link.setAttribute("hreflang", lang);
  }
  item.append(link);
  let where = text("version", {
    version: found.version.version,
    date: longDate(found.version.published),
  });
  if (found.release.status === "withdrawn") where += text("withdrawn");
  else if (!found.latest) where += text("earlier");
  item.append(document.createTextNode(where));
  return item;
}

function show(results) {
  result.replaceChildren();
  if (!results.length) {
    result.append(element("p", text("empty")));
    return;
  }
  const missing = results.filter((found) => !found.places.length);
  const box = element("div", "", { class: `usa-alert usa-alert--${missing.length ? "error" : "success"}` });
  const body = element("div", "", { class: "usa-alert__body" });
  let heading = text("rejected");
  if (!missing.length) {
    heading =
      results.length === 1
        ? text("verified")
        : counted("verified", results.length, { count: results.length });
  }
  body.append(element("h2", heading, { class: "usa-alert__heading" }));
  if (missing.length) {
    body.append(
      element(
        "p",
        missing.length === results.length
          ? text("invented")
          : counted("altered", missing.length, {
              missing: missing.length,
              count: results.length,
            }),
        { class: "usa-alert__text" },
      ),
    );
  }
  box.append(body);
  result.append(box);
  const list = element("ol", "", { class: "verify-paragraphs" });
  for (const found of results) {
    const item = element("li");
    const excerpt = found.paragraph.length > 160 ? `${found.paragraph.slice(0, 157)}...` : found.paragraph;
    item.append(element("q", excerpt));
    if (found.places.length) {
      item.append(element("p", text("foundIn")));
      const where = element("ul");
      for (const each of found.places) where.append(place(each));
      item.append(where);
    } else {
      item.append(element("p", text("missing"), { class: "verify-missing" }));
    }
    list.append(item);
  }
  result.append(list);
}

async function loadPlaces() {
  let response;
  try {
    response = await fetch(form.dataset.ledger, { credentials: "same-origin" });
  } catch {
    throw new CheckError("unreachable");
  }
  if (!response.ok) throw new CheckError("unloadable", { status: response.status });
  let ledger;
  try {
    ledger = await response.json();
  } catch {
    throw new CheckError("unreachable");
  }
  if (ledger.normalisation !== NORMALISATION) throw new CheckError("otherVersion");
  return index(ledger);
}

if (form && window.crypto && crypto.subtle) {
  form.hidden = false;
  fallback.hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren(element("p", text("checking")));
    try {
      placesPromise ||= loadPlaces();
      show(await lookUp(form.elements.text.value, await placesPromise));
    } catch (error) {
      placesPromise = null;
      const reason =
        error instanceof CheckError ? text(error.message, error.values) : text("unreachable");
      result.replaceChildren(element("p", text("failed", { reason })));
    }
  });
}
