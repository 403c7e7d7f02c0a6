// Builds the web console's assets into OUT (argv[2]): index.html, app.js and app.css
// (esbuild: bundled with the npm packages they import from tools/npm, minified), each also
// gzipped at the highest level, so ferry serves them as they are (src/http/console.c).
// Run by the build (CMakeLists.txt) with the pinned esbuild; nothing here is fetched.
import { createRequire } from "node:module";
import { gzipSync, constants } from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "..", "tools", "npm", "node_modules");
const esbuild = createRequire(path.join(modules, "x.js"))("esbuild");
const out = process.argv[2];
if (!out) throw new Error("usage: node build.mjs OUTDIR");

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [path.join(here, "app.js"), path.join(here, "app.css")],
  outdir: out,
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  nodePaths: [modules],
  legalComments: "none",
  logLevel: "warning",
});
fs.copyFileSync(path.join(here, "index.html"), path.join(out, "index.html"));
for (const f of ["index.html", "app.js", "app.css"]) {
  const raw = fs.readFileSync(path.join(out, f));
  fs.writeFileSync(path.join(out, f + ".gz"),
                   gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }));
}
