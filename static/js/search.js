// The search page: runs Pagefind in the browser against the index the build wrote into this
// site's /pagefind/ folder, so no request leaves the site. Without JavaScript, or when the index
// cannot be loaded, the page stays a plain form (sent to Search.gov when the site has one).

const PAGE_SIZE = 10;

// The page's words, in its language (data-text-* attributes of the form, from the site's
// gettext catalogue): {count}, {term} and {filters} are filled in here.
function text(name, values = {}) {
  const template = form.dataset[name] ?? "";
  return template.replace(/\{(count|term|filters)\}/g, (_, key) => String(values[key] ?? ""));
}

const plurals = new Intl.PluralRules(document.documentElement.lang || "en");

function counted(name, count, values) {
  const category = plurals.select(count);
  const key = name + category[0].toUpperCase() + category.slice(1);
  return text(key in form.dataset ? key : `${name}Other`, { ...values, count });
}

const form = document.getElementById("search-form");
const input = document.getElementById("search-query");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const filterBox = form.querySelector(".search-filters");

let pagefind = null;
let generation = 0; // the newest search; answers to older ones are dropped
let pending = [];
let moreButton = null;

async function loadPagefind() {
  const module = await import(form.dataset.pagefind);
  await module.options({ baseUrl: form.dataset.baseUrl, excerptLength: 30 });
  await module.init();
  return module;
}

// -- filters ------------------------------------------------------------------------------------

function restoreFilters(chosen) {
  for (const box of form.querySelectorAll(".search-filters input[type=checkbox]")) {
    box.checked = chosen.getAll(box.closest("fieldset").dataset.filter).includes(box.value);
  }
}

function selectedFilters() {
  const filters = {};
  for (const box of form.querySelectorAll(".search-filters input:checked")) {
    const name = box.closest("fieldset").dataset.filter;
    (filters[name] ||= { any: [] }).any.push(box.value);
  }
  return filters;
}

// -- results ------------------------------------------------------------------------------------

function excerptNodes(html) {
  // Pagefind's excerpt is text with <mark> around the matched words; keep exactly that.
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  return [...parsed.body.childNodes].map((node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent);
  });
}

function resultItem(data) {
  // The same USWDS collection markup as the release listings (_release_list.html)
  const item = document.createElement("li");
  item.className = "usa-collection__item search-result";
  const body = document.createElement("div");
  body.className = "usa-collection__body";
  const heading = document.createElement("h2");
  heading.className = "usa-collection__heading";
  const link = document.createElement("a");
  link.className = "usa-link";
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const excerpt = document.createElement("p");
  excerpt.className = "usa-collection__description search-result-excerpt";
  excerpt.append(...excerptNodes(data.excerpt));
  body.append(heading, excerpt);
  if (data.meta.date) {
    const meta = document.createElement("ul");
    meta.className = "usa-collection__meta";
    meta.setAttribute("aria-label", text("textMeta"));
    const date = document.createElement("li");
    date.className = "usa-collection__meta-item search-result-date";
    date.textContent = data.meta.date;
    meta.append(date);
    body.append(meta);
  }
  item.append(body);
  return item;
}

async function showMore(current) {
  const batch = pending.splice(0, PAGE_SIZE);
  const loaded = await Promise.all(batch.map((result) => result.data()));
  if (current !== generation) return;
  list.append(...loaded.map(resultItem));
  moreButton.hidden = pending.length === 0;
}

function describe(count, term, filters) {
  const chosen = Object.values(filters).flatMap((filter) => filter.any);
  const values = { term, filters: chosen.join(", ") };
  if (count === 0) {
    if (!term) return text("textNoneFilters", values);
    return text(chosen.length ? "textNoneFiltered" : "textNone", values);
  }
  if (!term) return counted("textFilters", count, values);
  return counted(chosen.length ? "textFiltered" : "textFound", count, values);
}

// -- running a search ---------------------------------------------------------------------------

function remember(term) {
  const params = new URLSearchParams();
  if (term) params.set("query", term);
  for (const box of form.querySelectorAll(".search-filters input:checked")) {
    params.append(box.closest("fieldset").dataset.filter, box.value);
  }
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

async function run() {
  const current = ++generation;
  const term = input.value.trim();
  const filters = selectedFilters();
  remember(term);
  list.replaceChildren();
  moreButton.hidden = true;
  pending = [];
  if (!term && Object.keys(filters).length === 0) {
    statusLine.textContent = "";
    return;
  }
  statusLine.textContent = text("textSearching");
  const options = { filters };
  if (!term) options.sort = { date: "desc" }; // filters alone list the newest first
  const search = await pagefind.search(term || null, options);
  if (current !== generation) return;
  pending = [...search.results];
  await showMore(current);
  if (current !== generation) return;
  statusLine.textContent = describe(search.results.length, term, filters);
}

// Pagefind (its script, WebAssembly and index) loads when the reader turns to the form, or at
// once for an address that carries a search: loading it with the page would keep a phone's
// processor busy while the page is first shown.
async function start() {
  try {
    pagefind = await loadPagefind();
  } catch (error) {
    statusLine.textContent = text("textUnavailable");
    if (filterBox) filterBox.hidden = true;
    console.error("search: cannot load the index", error);
    return false;
  }
  moreButton = document.createElement("button");
  moreButton.type = "button";
  moreButton.className = "usa-button usa-button--outline search-more";
  moreButton.textContent = text("textMore");
  moreButton.hidden = true;
  moreButton.addEventListener("click", () => showMore(generation));
  list.after(moreButton);
  form.dataset.ready = "true"; // tests and styles can tell that Pagefind is in charge
  return true;
}

let started = null;
const ready = () => (started ||= start());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await ready()) run();
  else form.submit(); // without the index, the form goes where it goes without script
});
filterBox?.addEventListener("change", async () => {
  if (await ready()) run();
});
for (const kind of ["focusin", "pointerdown"]) {
  form.addEventListener(kind, ready, { once: true });
}

const chosen = new URLSearchParams(location.search);
if (chosen.size > 0) {
  input.value = chosen.get("query") || "";
  restoreFilters(chosen);
  ready().then((ok) => ok && run());
}
