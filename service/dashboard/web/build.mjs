// The dashboard's asset build: copies the chart library's browser bundle
// (UMD, no further dependencies at run time) with its licence header into
// dist/, which CMake embeds into collectionsd. Run by deploy/install.sh after
// `npm ci`.
import { copyFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "chart.js", "dist", "chart.umd.js");
const out = join(here, "dist");
mkdirSync(out, { recursive: true });
copyFileSync(source, join(out, "chart.umd.js"));
const version = JSON.parse(
  readFileSync(join(here, "node_modules", "chart.js", "package.json"), "utf8")).version;
console.log(`dist/chart.umd.js: Chart.js ${version}, ${statSync(join(out, "chart.umd.js")).size} bytes`);
