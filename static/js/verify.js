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
let placesPromise = null;

function element(name, text, attributes = {}) {
  const node = document.createElement(name);
  if (text) node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function longDate(iso) {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  const months = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  return `${months[month - 1]} ${day}, ${year}`;
}

function place(found) {
  const item = element("li");
  const link = element("a", found.release.title, { href: found.release.url });
  item.append(link);
  let where = `, version ${found.version.version}, published ${longDate(found.version.published)}`;
  if (found.release.status === "withdrawn") where += " (the release has since been withdrawn)";
  else if (!found.latest) where += " (an earlier version: the release has since been changed)";
  item.append(document.createTextNode(where));
  return item;
}

function show(results) {
  result.replaceChildren();
  if (!results.length) {
    result.append(element("p", "Paste the passage to check in the box above first."));
    return;
  }
  const missing = results.filter((found) => !found.places.length);
  const box = element("div", "", { class: `usa-alert usa-alert--${missing.length ? "error" : "success"}` });
  const body = element("div", "", { class: "usa-alert__body" });
  const count = results.length === 1 ? "the paragraph" : `all ${results.length} paragraphs`;
  body.append(
    element(
      "h2",
      missing.length
        ? "Not a statement of this office"
        : `Verified: ${count} ${results.length === 1 ? "is" : "are"} in a release of this office`,
      { class: "usa-alert__heading" },
    ),
  );
  if (missing.length) {
    body.append(
      element(
        "p",
        missing.length === results.length
          ? "No release of this office contains this text, word for word. It may be invented, or altered from a release."
          : `${missing.length} of ${results.length} paragraphs appear in no release of this office: the text has been altered or added to.`,
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
      item.append(element("p", "Found in:"));
      const where = element("ul");
      for (const each of found.places) where.append(place(each));
      item.append(where);
    } else {
      item.append(element("p", "Not found in any release of this office.", { class: "verify-missing" }));
    }
    list.append(item);
  }
  result.append(list);
}

async function loadPlaces() {
  const response = await fetch(form.dataset.ledger, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the ledger could not be loaded (${response.status})`);
  const ledger = await response.json();
  if (ledger.normalisation !== NORMALISATION) throw new Error("the ledger is of another version");
  return index(ledger);
}

if (form && window.crypto && crypto.subtle) {
  form.hidden = false;
  fallback.hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren(element("p", "Checking..."));
    try {
      placesPromise ||= loadPlaces();
      show(await lookUp(form.elements.text.value, await placesPromise));
    } catch (error) {
      placesPromise = null;
      result.replaceChildren(element("p", `The check could not be made: ${error.message}.`));
    }
  });
}
