// The stylesheet of each page type (styles.py runs this with Node.js from the site folder).
//
// Reads JSON on stdin: {css, pages: {name: [text, ...]}, safelist: [word, ...]}. For each page
// type, PurgeCSS keeps the rules whose selectors use words found in that type's templates and
// scripts (or in the safelist: what a Markdown body may hold); PostCSS then splits what is left
// into what a phone needs to paint the page (inlined by the templates) and the rest: rules for
// wider screens and for print, published as a file the templates link with a media attribute, so
// that a phone loads it without waiting for it. Writes JSON on stdout:
// {name: {critical, rest, media}}, where media is the link's media attribute ("" when no rest).
import { createRequire } from "node:module";
import path from "node:path";

// purgecss and postcss are resolved from the site folder's node_modules (the working directory).
const require = createRequire(path.join(process.cwd(), "package.json"));
const { PurgeCSS } = require("purgecss");
const postcss = require("postcss");

// Viewports narrower than this are phones: USWDS's "mobile-lg" breakpoint (30em, 480 px).
const PHONE_LIMIT_PX = 480;

function minWidthPx(query) {
  const match = /min-width\s*:\s*([\d.]+)(px|em|rem)/.exec(query);
  if (!match) return null;
  return match[2] === "px" ? Number(match[1]) : Number(match[1]) * 16;
}

// A media query list that never matches a phone screen: each query is print-only or needs a
// viewport at least PHONE_LIMIT_PX wide.
function laterQueries(params) {
  const queries = params.split(",").map((query) => query.trim().toLowerCase());
  const later = [];
  for (const query of queries) {
    const width = minWidthPx(query);
    if (/^(only\s+)?print\b/.test(query)) later.push("print");
    else if (width !== null && width >= PHONE_LIMIT_PX && !/^not\b/.test(query)) later.push(width);
    else return null;
  }
  return later;
}

function split(css) {
  const root = postcss.parse(css);
  const rest = postcss.root();
  let print = false;
  let narrowest = Infinity;
  root.each((node) => {
    if (node.type !== "atrule" || node.name.toLowerCase() !== "media") return;
    const later = laterQueries(node.params);
    if (later === null) return;
    for (const query of later) {
      if (query === "print") print = true;
      else narrowest = Math.min(narrowest, query);
    }
    rest.append(node.clone());
    node.remove();
  });
  const media = [];
  if (print) media.push("print");
  if (narrowest !== Infinity) media.push(`(min-width: ${narrowest / 16}em)`);
  return { critical: root.toString(), rest: rest.toString(), media: media.join(", ") };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const output = {};
  for (const name of Object.keys(input.pages).sort()) {
    const [result] = await new PurgeCSS().purge({
      content: input.pages[name].map((raw) => ({ raw, extension: "html" })),
      css: [{ raw: input.css }],
      safelist: { standard: input.safelist },
      fontFace: true, // @font-face rules of families no kept rule uses
      keyframes: true,
    });
    output[name] = split(result.css);
  }
  process.stdout.write(JSON.stringify(output));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
