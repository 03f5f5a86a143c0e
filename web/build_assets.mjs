#!/usr/bin/env node
// Builds the portal for embedding: the DSFR parts the pages use plus our
// CSS in one stylesheet, the Marianne weights used, our ES modules and the
// pages, each asset under a content-hashed name, precompressed (gzip and
// brotli, from node's own zlib), then one C++ source holding every byte.
//
//   node web/build_assets.mjs --src web --dsfr DSFR_DIST --out OUT
//
// Writes OUT/portal_assets.cpp (the table declared in web/portal_assets.hpp),
// OUT/site/ (the same files on disk: for nginx in the bench and for a look)
// and OUT/manifest.json (names and sizes, for the page-weight check).
// Depends on node's standard library only.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants as zconst, gzipSync } from 'node:zlib';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ['src', 'dsfr', 'out']) {
  if (!args[k]) {
    console.error(`build_assets: --${k} is required`);
    process.exit(2);
  }
}
const src = args.src;
const dsfr = args.dsfr;
const out = args.out;

// ---- what we take from the DSFR --------------------------------------------
// Core (grid, typography, colours, focus ring, fonts) and the components the
// pages use; nothing else (the whole package is over 1 MB of CSS).
const dsfr_css = [
  'core/core.main.min.css',
  'component/link/link.main.min.css',
  'component/button/button.main.min.css',
  'component/form/form.main.min.css',
  'component/input/input.main.min.css',
  'component/radio/radio.main.min.css',
  'component/checkbox/checkbox.main.min.css',
  'component/password/password.main.min.css',
  'component/alert/alert.main.min.css',
  'component/callout/callout.main.min.css',
  'component/badge/badge.main.min.css',
  'component/table/table.main.min.css',
  'component/logo/logo.main.min.css',
  'component/header/header.main.min.css',
  'component/footer/footer.main.min.css',
  'component/skiplink/skiplink.main.min.css',
  'component/accordion/accordion.main.min.css',
  'component/stepper/stepper.main.min.css',
];
// Regular (400) and Bold (700) only: other weights fall back to the nearest
// one, italics are synthesised. Each woff2 is ~57 KB and already compressed.
const fonts_kept = ['Marianne-Regular.woff2', 'Marianne-Bold.woff2'];

// ---- helpers -----------------------------------------------------------------
const hash_of = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 10);
const assets = [];  // {path, type, kind: 'hashed'|'page'|'not_found', body: Buffer}
const by_source = new Map();  // source name -> public path

function add_hashed(name, ext, type, body) {
  const h = hash_of(body);
  const path = `/assets/${name}.${h}.${ext}`;
  assets.push({ path, type, kind: 'hashed', body, etag: h });
  return path;
}

// Conservative minifiers: comments and indentation only (no renaming, no
// rewriting of expressions), so what runs is what was reviewed.
function minify_css(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s*\n\s*/g, '').replace(/\s*([{};:,>])\s*/g, '$1')
    .replace(/;}/g, '}');
}
function minify_js(text) {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//')).join('\n') + '\n';
}
function minify_html(text) {
  return text.replace(/<!--[\s\S]*?-->/g, '').split('\n').map((l) => l.trim()).filter(Boolean).join('\n') + '\n';
}

// ---- fonts ---------------------------------------------------------------------
const font_paths = {};
for (const f of fonts_kept) {
  font_paths[f] = add_hashed(f.replace('.woff2', ''), 'woff2', 'font/woff2', readFileSync(join(dsfr, 'fonts', f)));
}

// ---- stylesheet ----------------------------------------------------------------
function svg_data_uri(file) {
  const svg = readFileSync(file, 'utf8').replace(/\s*\n\s*/g, ' ').trim();
  return `url("data:image/svg+xml,${encodeURIComponent(svg).replace(/%20/g, ' ').replace(/'/g, '%27')}")`;
}

function rewrite_css(text, file) {
  // @font-face: keep the shipped weights, woff2 only.
  text = text.replace(/@font-face\{[^}]*\}/g, (rule) => {
    const kept = fonts_kept.find((f) => rule.includes(`/${f})`));
    if (!kept) return '';
    return rule.replace(/src:[^;}]*/, `src:url(${font_paths[kept]}) format("woff2")`);
  });
  // Icons: inlined as data URIs (no request per icon; CSP allows img data:).
  return text.replace(/url\((?!["']?data:)["']?([^)"']+\.svg)["']?\)/g, (_, rel) => svg_data_uri(join(dirname(file), rel)));
}

let css = '';
for (const rel of dsfr_css) {
  const file = join(dsfr, rel);
  css += rewrite_css(readFileSync(file, 'utf8'), file) + '\n';
}
css += minify_css(readFileSync(join(src, 'css', 'app.css'), 'utf8'));
const css_path = add_hashed('app', 'css', 'text/css; charset=utf-8', Buffer.from(css));

// ---- favicon -------------------------------------------------------------------
const favicon_path = add_hashed('favicon', 'svg', 'image/svg+xml', readFileSync(join(dsfr, 'favicon', 'favicon.svg')));

// ---- ES modules ----------------------------------------------------------------
// Each module's imports ('./x.js') are rewritten to the hashed names, so a
// module's hash covers what it imports: dependencies are built first.
const js_dir = join(src, 'js');
const js_sources = Object.fromEntries(readdirSync(js_dir).filter((f) => f.endsWith('.js'))
  .map((f) => [f, readFileSync(join(js_dir, f), 'utf8')]));
const import_re = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'\.\/([a-z_]+\.js)'/g;
const js_imports = {};  // module -> its direct imports
function build_module(name, stack = []) {
  if (by_source.has(name)) return by_source.get(name);
  if (!(name in js_sources)) throw new Error(`unknown module ${name} (imported by ${stack.at(-1)})`);
  if (stack.includes(name)) throw new Error(`import cycle: ${[...stack, name].join(' -> ')}`);
  js_imports[name] = [];
  const text = js_sources[name].replace(import_re, (_, lead, dep) => {
    js_imports[name].push(dep);
    return `${lead}'${build_module(dep, [...stack, name])}'`;
  });
  const path = add_hashed(name.replace('.js', ''), 'js', 'text/javascript; charset=utf-8', Buffer.from(minify_js(text)));
  by_source.set(name, path);
  return path;
}
function module_closure(name, seen = new Set()) {
  for (const d of js_imports[name] || []) if (!seen.has(d)) { seen.add(d); module_closure(d, seen); }
  return seen;
}

// ---- pages ---------------------------------------------------------------------
// Each page file starts with a comment of "key: value" lines (route, title,
// script); the layout wraps its content.
const layout = readFileSync(join(src, 'layout.html'), 'utf8');
// {{include:NAME key=value key="some words"}} pastes web/partials/NAME.html
// (a block several pages share), its {{key}} replaced by the values; partials
// may include partials.
function with_partials(text, depth = 0) {
  if (depth > 4) throw new Error('partials nested too deep');
  return text.replace(/\{\{include:([a-z_]+)((?:\s+[a-z_]+=(?:"[^"]*"|[^\s}]+))*)\s*\}\}/g, (_, name, params) => {
    let part = readFileSync(join(src, 'partials', `${name}.html`), 'utf8');
    for (const [, key, quoted, bare] of params.matchAll(/([a-z_]+)=(?:"([^"]*)"|([^\s}]+))/g)) {
      part = part.replaceAll(`{{${key}}}`, quoted ?? bare);
    }
    const left = part.match(/\{\{(?!include:)[a-z_]+\}\}/);
    if (left) throw new Error(`partial ${name}: no value for ${left[0]}`);
    return with_partials(part, depth + 1);
  });
}
const page_dir = join(src, 'pages');
const pages = [];
for (const f of readdirSync(page_dir).filter((x) => x.endsWith('.html')).sort()) {
  const text = with_partials(readFileSync(join(page_dir, f), 'utf8'));
  const m = text.match(/^<!--([\s\S]*?)-->\n/);
  if (!m) throw new Error(`${f}: no header comment`);
  const meta = Object.fromEntries(m[1].split('\n').map((l) => l.trim()).filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]));
  for (const k of ['route', 'title']) if (!meta[k]) throw new Error(`${f}: no ${k}`);
  const script = meta.script ? build_module(meta.script) : null;
  const preload = meta.script ? [...module_closure(meta.script)].map((d) =>
    `<link rel="modulepreload" href="${by_source.get(d)}">`).join('\n') : '';
  const html = layout
    .replaceAll('{{title}}', meta.title)
    .replace('{{css}}', css_path)
    .replace('{{favicon}}', favicon_path)
    .replace('{{head_scripts}}', script ? `${preload}\n<script type="module" src="${script}"></script>` : '')
    .replace('{{content}}', text.slice(m[0].length));
  if (/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i.test(html)) throw new Error(`${f}: inline script or style (CSP)`);
  if ((html.match(/<h1[\s>]/g) || []).length !== 1) throw new Error(`${f}: one h1 per page`);
  const body = Buffer.from(minify_html(html));
  const kind = meta.route === '404' ? 'not_found' : 'page';
  assets.push({ path: kind === 'page' ? meta.route : '', type: 'text/html; charset=utf-8', kind, body, etag: hash_of(body) });
  pages.push({ file: f, route: meta.route, script, module: meta.script });
}

// ---- compressed forms ----------------------------------------------------------
for (const a of assets) {
  const compressible = !a.type.startsWith('font/');
  a.gzip = compressible ? gzipSync(a.body, { level: 9 }) : null;
  a.br = compressible ? brotliCompressSync(a.body, { params: {
    [zconst.BROTLI_PARAM_QUALITY]: 11, [zconst.BROTLI_PARAM_SIZE_HINT]: a.body.length } }) : null;
  if (a.gzip && a.gzip.length > a.body.length * 0.9) a.gzip = null;
  if (a.br && a.br.length > a.body.length * 0.9) a.br = null;
}

// ---- outputs -------------------------------------------------------------------
rmSync(join(out, 'site'), { recursive: true, force: true });
mkdirSync(join(out, 'site', 'assets'), { recursive: true });
for (const a of assets) {
  const rel = a.kind === 'not_found' ? '404.html' : a.path === '/' ? 'index.html'
    : a.kind === 'page' ? `${a.path.slice(1)}.html` : a.path.slice(1);
  mkdirSync(dirname(join(out, 'site', rel)), { recursive: true });
  writeFileSync(join(out, 'site', rel), a.body);
  if (a.gzip) writeFileSync(join(out, 'site', rel + '.gz'), a.gzip);
  if (a.br) writeFileSync(join(out, 'site', rel + '.br'), a.br);
  a.file = rel;
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify({
  css: css_path, favicon: favicon_path, fonts: Object.values(font_paths),
  pages: pages.map((p) => ({ route: p.route, file: p.file, script: p.script,
    imports: p.module ? [...module_closure(p.module)].map((d) => by_source.get(d)) : [] })),
  assets: assets.map((a) => ({ path: a.path, kind: a.kind, file: a.file, type: a.type, bytes: a.body.length,
    gzip: a.gzip ? a.gzip.length : null, br: a.br ? a.br.length : null })),
}, null, 2) + '\n');

// C++: each body a string literal (fast for the compiler, unlike an
// initializer list of integers), printable ASCII as is, the rest in octal.
function literal(buf) {
  let s = '';
  let line = 0;
  for (const b of buf) {
    if (line >= 120) { s += '"\n"'; line = 0; }
    if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c && b !== 0x3f) { s += String.fromCharCode(b); line += 1; }
    else { s += '\\' + b.toString(8).padStart(3, '0'); line += 4; }
  }
  return `"${s}"`;
}
const cxx_str = (s) => literal(Buffer.from(s, 'utf8'));
let cpp = '// Generated by web/build_assets.mjs from web/ and the DSFR package: do not edit.\n'
  + '#include "web/portal_assets.hpp"\n\nnamespace sesame::web {\nnamespace {\n\n';
const bytes_ref = (name, buf) => (buf ? `std::string_view(${name}, ${buf.length})` : 'std::string_view()');
assets.forEach((a, i) => {
  for (const [form, buf] of [['id', a.body], ['gz', a.gzip], ['br', a.br]]) {
    if (buf) cpp += `const char a${i}_${form}[] =\n${literal(buf)};\n`;
  }
});
cpp += '\nconst asset table[] = {\n';
assets.forEach((a, i) => {
  cpp += `    {${cxx_str(a.path)}, ${cxx_str(a.type)}, ${cxx_str(a.etag)}, asset_kind::${a.kind}, `
    + `${bytes_ref(`a${i}_id`, a.body)}, ${bytes_ref(`a${i}_gz`, a.gzip)}, ${bytes_ref(`a${i}_br`, a.br)}},\n`;
});
cpp += '};\n\n}  // namespace\n\nstd::span<const asset> portal_assets() { return table; }\n\n}  // namespace sesame::web\n';
writeFileSync(join(out, 'portal_assets.cpp'), cpp);

const total = assets.reduce((n, a) => n + a.body.length, 0);
console.log(`build_assets: ${assets.length} assets (${pages.length} pages), ${(total / 1024).toFixed(0)} KiB before compression`);
