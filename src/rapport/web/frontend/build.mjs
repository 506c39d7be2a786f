// Bundles the web UI's JS and CSS from node_modules into static/web/dist (no CDN, ever).
//
//   npm run build            one-off, minified build
//   npm run build -- --watch rebuild on change while developing
//
// The output depends only on the sources and the locked packages: no timestamps, no
// random names, and dist/ is emptied first so no stale font or bundle lingers.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '..', 'static', 'web', 'dist');
const palettePath = join(here, '..', 'static', 'web', 'palette.json');
const watch = process.argv.includes('--watch');

// `@import "rapport:palette";` in app.css becomes CSS generated from palette.json, so the
// chips, badges and icons use exactly the colours the org chart and the server use.
const palettePlugin = {
  name: 'rapport-palette',
  setup(build) {
    build.onResolve({ filter: /^rapport:palette$/ }, () => ({ path: palettePath, namespace: 'palette' }));
    build.onLoad({ filter: /.*/, namespace: 'palette' }, () => {
      const palette = JSON.parse(readFileSync(palettePath, 'utf8'));
      const groups = {
        role: palette.roles,
        stage: palette.stages,
        channel: Object.fromEntries(Object.entries(palette.channels).map(([k, v]) => [k, v.color])),
        attitude: palette.attitudes,
      };
      const vars = [`  --rp-brand: ${palette.brand};`];
      const rules = [];
      for (const [group, colours] of Object.entries(groups)) {
        for (const [key, colour] of Object.entries(colours)) {
          vars.push(`  --rp-${group}-${key}: ${colour};`);
          rules.push(`.${group}-${key} { --rp-c: var(--rp-${group}-${key}); }`);
        }
      }
      return {
        contents: `:root {\n${vars.join('\n')}\n}\n${rules.join('\n')}\n`,
        loader: 'css',
        watchFiles: [palettePath],
      };
    });
  },
};

const common = {
  bundle: true,
  minify: true,
  outdir,
  target: 'es2020',
  logLevel: 'warning',
  legalComments: 'eof',
  metafile: true,
  // Font files referenced by bootstrap-icons land next to app.css with a content hash.
  assetNames: '[name]-[hash]',
};

const builds = [
  { ...common, entryPoints: [join(here, 'app.js')], format: 'iife', platform: 'browser' },
  {
    ...common,
    entryPoints: [join(here, 'app.css')],
    loader: { '.woff': 'file', '.woff2': 'file' },
    plugins: [palettePlugin],
  },
];

function report(results) {
  const outputs = results.flatMap((r) => Object.entries(r.metafile.outputs));
  outputs.sort(([a], [b]) => a.localeCompare(b));
  for (const [file, { bytes }] of outputs) {
    console.log(`  ${relative(process.cwd(), file).padEnd(60)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
  }
}

rmSync(outdir, { recursive: true, force: true });

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((ctx) => ctx.watch()));
  console.log(`watching ${relative(process.cwd(), here)} ...`);
} else {
  const started = Date.now();
  const results = await Promise.all(builds.map((options) => esbuild.build(options)));
  report(results);
  console.log(`built in ${Date.now() - started} ms`);
}
