#!/usr/bin/env node
/**
 * Build the browser chat page: bundle web/src/main.tsx (preact, the client
 * core in src/client/core, irc-framework's browser build) and its style sheet
 * with esbuild into dist/web/, under content-hashed names, and write
 * index.html naming them. The server serves exactly the files found there
 * (src/net/webpage.ts).
 *
 *   node web/build.mjs            minified, with external source maps
 *   node web/build.mjs --dev      not minified
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const out = join(root, 'dist/web');
const dev = process.argv.includes('--dev');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src/main.tsx') },
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  inject: [join(here, 'process-shim.js')],
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => /^app-[A-Z0-9]+\.js$/.test(name));
const style = outputs.find((name) => /^app-[A-Z0-9]+\.css$/.test(name));
if (!script || !style) throw new Error(`esbuild did not write app-*.js and app-*.css: ${outputs.join(', ')}`);

const html = readFileSync(join(here, 'index.html'), 'utf8').replace('%SCRIPT%', script).replace('%STYLE%', style);
writeFileSync(join(out, 'index.html'), html);
const sizes = outputs.map((name) => `${name} ${(result.metafile.outputs[`dist/web/${name}`]?.bytes ?? 0) / 1000 | 0} kB`);
if (!process.argv.includes('--quiet')) process.stdout.write(`web: dist/web/index.html, ${sizes.join(', ')}\n`);
