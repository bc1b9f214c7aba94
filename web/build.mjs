// Builds the web pages into assets the server compiles in.
//
//   node build.mjs --out DIR [--check]
//
// DIR/dist/        every asset as served, with .gz and .br beside it (for a look, and for the tests)
// DIR/web_assets.cpp  the same bytes as a table for apps/server/routes_web.cpp (web_assets.hpp)
// DIR/manifest.json   path → type, sizes, whether it is immutable
//
// Scripts and styles are bundled by esbuild with a content hash in their names and served as
// immutable; the HTML pages, the service worker and the favicon keep fixed names and are revalidated.
// Before bundling, the catalogues are checked: en.json and ru.json must have the same keys and every
// t('key') in the sources must exist (the build fails otherwise), so no page shows a missing string.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zc } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
if (outArg < 0 || !args[outArg + 1]) {
  console.error('usage: node build.mjs --out DIR [--check]');
  process.exit(2);
}
const outDir = resolve(args[outArg + 1]);
const checkOnly = args.includes('--check');

// ---- catalogues -----------------------------------------------------------------------------
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// src/i18n/<lang>/<area>.json: one file per area of the pages (common, admin, speaker, player…),
// merged into one catalogue per language. Keys are "<area>.<name>" or shared prefixes listed in
// common.json; a key may be defined once.
const LANGS = ['en', 'ru'];
function loadCatalogues() {
  const problems = [];
  const cat = {};
  for (const lang of LANGS) {
    cat[lang] = {};
    const dir = join(here, 'src/i18n', lang);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      let obj;
      try {
        obj = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      } catch (e) {
        problems.push(`${lang}/${f}: ${e.message}`);
        continue;
      }
      for (const [k, v] of Object.entries(obj)) {
        if (k in cat[lang]) problems.push(`${lang}/${f}: "${k}" is defined twice`);
        cat[lang][k] = v;
      }
    }
  }
  return { cat, problems };
}

export function checkCatalogues() {
  const { cat, problems } = loadCatalogues();
  const keys = (o) => new Set(Object.keys(o));
  const en = keys(cat.en), ru = keys(cat.ru);
  for (const k of en) if (!ru.has(k)) problems.push(`ru lacks "${k}"`);
  for (const k of ru) if (!en.has(k)) problems.push(`en lacks "${k}"`);
  for (const lang of LANGS)
    for (const [k, v] of Object.entries(cat[lang]))
      if (typeof v !== 'string' || v.trim() === '') problems.push(`${lang}: "${k}" is empty`);
  // Placeholders {name} must match between the languages.
  const ph = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const k of en) if (ru.has(k) && ph(cat.en[k]) !== ph(cat.ru[k])) problems.push(`"${k}": placeholders differ between en and ru`);
  // Every literal key used in the sources exists.
  const used = new Set();
  for (const f of walk(join(here, 'src')).filter((f) => /\.(jsx?|mjs)$/.test(f))) {
    const text = readFileSync(f, 'utf8').replace(/^\s*\/\/.*$/gm, '');  // not in comments
    for (const m of text.matchAll(/\bt\(\s*'([a-z0-9_.]+)'/g)) {
      used.add(m[1]);
      if (!en.has(m[1])) problems.push(`${relative(here, f)} uses "${m[1]}", which the catalogues lack`);
    }
  }
  return { problems, keys: en.size, used: used.size, cat };
}

const cat = checkCatalogues();
if (cat.problems.length) {
  console.error('web: catalogue problems:\n  ' + cat.problems.join('\n  '));
  process.exit(1);
}
if (checkOnly) {
  console.log(`web: catalogues agree (${cat.keys} keys, ${cat.used} used in the sources)`);
  process.exit(0);
}

// ---- bundles --------------------------------------------------------------------------------
const pages = [
  // name, served at, title key, module entry
  { name: 'signin', path: '/signin', entry: 'src/signin/main.jsx' },
  { name: 'admin', path: '/admin', entry: 'src/admin/main.jsx' },
  { name: 'speaker', path: '/speaker', entry: 'src/speaker/main.jsx' },
  // The kiosk player, also at the original VideoControl's address, with its service worker (a
  // fixed, unhashed name: browsers look for updates of a worker at the URL it was registered with).
  {
    name: 'player',
    standalone: true,
    path: '/player',
    aliases: ['/player-videojs.html'],
    entry: 'src/player/main.js',
    worker: { path: '/player-sw.js', entry: 'src/player/sw.js' },
  },
];

// `import catalogues from 'vc:catalogues'` → {en:{…}, ru:{…}}, the merged catalogues;
// 'vc:catalogues?prefix=player.,common.' keeps only keys with those prefixes (the player page).
const cataloguePlugin = {
  name: 'vc-catalogues',
  setup(b) {
    b.onResolve({ filter: /^vc:catalogues/ }, (a) => ({ path: a.path, namespace: 'vc-catalogues' }));
    b.onLoad({ filter: /.*/, namespace: 'vc-catalogues' }, (a) => {
      const prefixes = (new URLSearchParams(a.path.split('?')[1] ?? '').get('prefix') ?? '').split(',').filter(Boolean);
      const out = {};
      for (const lang of LANGS)
        out[lang] = Object.fromEntries(Object.entries(cat.cat[lang]).filter(([k]) => !prefixes.length || prefixes.some((p) => k.startsWith(p))));
      return {
        contents: JSON.stringify(out),
        loader: 'json',
        watchFiles: LANGS.flatMap((l) => readdirSync(join(here, 'src/i18n', l)).map((f) => join(here, 'src/i18n', l, f))),
      };
    });
  },
};

const stage = join(outDir, 'stage');
rmSync(stage, { recursive: true, force: true });
const options = {
  absWorkingDir: here,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: stage,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.svg': 'file', '.woff2': 'file' },
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [cataloguePlugin],
};
// The panels share chunks (Preact, the API client); a `standalone` page (the player) is bundled on
// its own, so it neither loads nor changes the panels' chunks.
const results = [
  await esbuild.build({ ...options, entryPoints: Object.fromEntries(pages.filter((p) => !p.standalone).map((p) => [p.name, p.entry])) }),
];
for (const p of pages.filter((p) => p.standalone))
  results.push(await esbuild.build({ ...options, splitting: false, entryPoints: { [p.name]: p.entry } }));

const assets = [];  // {path, type, immutable, bytes}
const typeOf = (p) =>
  ({
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.html': 'text/html; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.json': 'application/json',
    '.woff2': 'font/woff2',
    '.webmanifest': 'application/manifest+json',
  })[extname(p)] ?? 'application/octet-stream';

const outputs = Object.assign({}, ...results.map((r) => r.metafile.outputs));
// A CSS file several pages import (base.css) leaves an empty JS chunk that each page imports for its
// side effects: nothing to load, so it is neither served nor preloaded, and its imports go.
const empty = new Set(Object.keys(outputs).filter((f) => f.endsWith('.js') && readFileSync(resolve(here, f)).length === 0));
for (const file of Object.keys(outputs)) {
  if (empty.has(file)) continue;
  const name = relative(stage, resolve(here, file));
  let bytes = readFileSync(resolve(here, file));
  if (name.endsWith('.js') && empty.size) {
    let text = bytes.toString('utf8');
    for (const e of empty) text = text.replaceAll(`import"./${relative(stage, resolve(here, e))}";`, '');
    bytes = Buffer.from(text, 'utf8');
  }
  assets.push({ path: `/assets/${name}`, type: typeOf(name), immutable: true, bytes });
}

// Which files a page needs: its entry, the CSS esbuild gathered for it, and its static imports.
function pageFiles(entry) {
  const [out, meta] = Object.entries(outputs).find(([, m]) => m.entryPoint === entry);
  const chunks = [];
  const seen = new Set();
  const visit = (o) => {
    for (const imp of outputs[o].imports ?? []) {
      if (imp.kind !== 'import-statement' || seen.has(imp.path) || empty.has(imp.path)) continue;
      seen.add(imp.path);
      chunks.push(imp.path);
      visit(imp.path);
    }
  };
  visit(out);
  const url = (f) => `/assets/${relative(stage, resolve(here, f))}`;
  return { js: url(out), css: meta.cssBundle ? url(meta.cssBundle) : null, preload: chunks.map(url) };
}

const favicon = readFileSync(join(here, 'src/common/favicon.svg'));
assets.push({ path: '/favicon.svg', type: 'image/svg+xml', immutable: false, bytes: favicon });

for (const p of pages) {
  const f = pageFiles(p.entry);
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>VideoControl</title>',
    '<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
    f.css ? `<link rel="stylesheet" href="${f.css}">` : '',
    ...f.preload.map((c) => `<link rel="modulepreload" href="${c}">`),
    `<script type="module" src="${f.js}"></script>`,
    '</head>',
    `<body><div id="app" data-page="${p.name}"></div>`,
    '<noscript>VideoControl needs JavaScript. / Для работы VideoControl нужен JavaScript.</noscript>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');
  for (const path of [p.path, ...(p.aliases ?? [])])
    assets.push({ path, type: 'text/html; charset=utf-8', immutable: false, bytes: Buffer.from(html) });
}

// Service workers: bundled on their own (a classic script), told the page's shell (its HTML paths,
// scripts, styles and the icon) to precache, and a version: the hash of the result, so any change
// of the page or the worker makes browsers install the new worker, which drops the old shell.
for (const p of pages.filter((p) => p.worker)) {
  const f = pageFiles(p.entry);
  const pagePaths = [p.path, ...(p.aliases ?? [])];
  const shell = [...pagePaths, f.js, ...(f.css ? [f.css] : []), ...f.preload, '/favicon.svg'];
  const out = await esbuild.build({
    absWorkingDir: here,
    entryPoints: [p.worker.entry],
    bundle: true,
    write: false,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: {
      __VC_SW_VERSION__: '"@VC_SW_VERSION@"',
      __VC_SW_SHELL__: JSON.stringify(shell),
      __VC_SW_PAGES__: JSON.stringify(pagePaths),
    },
  });
  const text = out.outputFiles[0].text;
  const version = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const bytes = Buffer.from(text.replaceAll('@VC_SW_VERSION@', version));
  assets.push({ path: p.worker.path, type: 'text/javascript; charset=utf-8', immutable: false, bytes });
}

// ---- write -----------------------------------------------------------------------------------
const dist = join(outDir, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const manifest = [];
for (const a of assets) {
  a.etag = '"' + createHash('sha256').update(a.bytes).digest('base64url').slice(0, 22) + '"';
  const compressible = /^(text\/|application\/(json|javascript|manifest)|image\/svg)/.test(a.type);
  a.gzip = compressible ? gzipSync(a.bytes, { level: 9 }) : null;
  a.br = compressible
    ? brotliCompressSync(a.bytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: a.bytes.length } })
    : null;
  if (a.gzip && a.gzip.length >= a.bytes.length) a.gzip = null;
  if (a.br && a.br.length >= a.bytes.length) a.br = null;
  const file = join(dist, a.path === '/' ? 'index.html' : a.path.slice(1) + (extname(a.path) ? '' : '.html'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, a.bytes);
  if (a.gzip) writeFileSync(file + '.gz', a.gzip);
  if (a.br) writeFileSync(file + '.br', a.br);
  manifest.push({ path: a.path, type: a.type, immutable: a.immutable, size: a.bytes.length, gzip: a.gzip?.length ?? null, br: a.br?.length ?? null });
}
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ assets: manifest, pages: Object.fromEntries(pages.map((p) => [p.name, pageFiles(p.entry)])) }, null, 1));

function cArray(name, buf) {
  const parts = [];
  for (let i = 0; i < buf.length; i += 32) parts.push(Array.from(buf.subarray(i, i + 32), (b) => b).join(','));
  return `alignas(16) const unsigned char ${name}[] = {${parts.join(',\n')}${buf.length ? '' : '0'}};\n`;
}
const cstr = (s) => JSON.stringify(s);  // ASCII paths and types: a JSON string is a valid C string
let cpp = '// Generated by web/build.mjs; do not edit.\n#include "web_assets.hpp"\n\nnamespace vc::server {\nnamespace {\n';
assets.forEach((a, i) => {
  cpp += cArray(`a${i}`, a.bytes);
  if (a.gzip) cpp += cArray(`g${i}`, a.gzip);
  if (a.br) cpp += cArray(`b${i}`, a.br);
});
const view = (n, buf) => (buf ? `std::string_view(reinterpret_cast<const char*>(${n}), ${buf.length})` : 'std::string_view()');
cpp += `\nconst WebAsset kAssets[] = {\n`;
assets.forEach((a, i) => {
  cpp += `  {${cstr(a.path)}, ${cstr(a.type)}, ${cstr(a.etag)}, ${a.immutable}, ${view(`a${i}`, a.bytes)}, ${view(`g${i}`, a.gzip)}, ${view(`b${i}`, a.br)}},\n`;
});
cpp += '};\n\n}  // namespace\n\nstd::span<const WebAsset> web_assets() { return kAssets; }\n\n}  // namespace vc::server\n';
const cppPath = join(outDir, 'web_assets.cpp');
// Only touch the file when it changes, so an unchanged page rebuilds nothing.
let old = '';
try { old = readFileSync(cppPath, 'utf8'); } catch {}
if (old !== cpp) {
  writeFileSync(cppPath + '.tmp', cpp);
  renameSync(cppPath + '.tmp', cppPath);
}
rmSync(stage, { recursive: true, force: true });

const total = (pred) => assets.filter(pred).reduce((n, a) => n + (a.br ?? a.gzip ?? a.bytes).length, 0);
for (const p of pages) {
  const f = pageFiles(p.entry);
  const own = new Set([p.path, f.js, f.css, ...f.preload].filter(Boolean));
  const also = p.aliases?.length ? ` (also ${p.aliases.join(', ')})` : '';
  console.log(`web: ${p.path}${also}: ${(total((a) => own.has(a.path)) / 1024).toFixed(1)} KiB compressed on first load`);
  if (p.worker) console.log(`web: ${p.worker.path}: ${(total((a) => a.path === p.worker.path) / 1024).toFixed(1)} KiB compressed (service worker)`);
}
