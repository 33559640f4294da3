#!/usr/bin/env node
// Scans test output for the canary secrets of test/helpers/secrets.json: files and directories
// given as arguments (a directory is read recursively). Prints where a secret was found, never the
// secret itself, and exits 1 if one was.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const canaries = JSON.parse(readFileSync(new URL('../test/helpers/secrets.json', import.meta.url), 'utf8'));
const secrets = Object.entries(canaries).map(([name, value]) => ({ name, value }));

const files = [];
const walk = (p) => {
  let st;
  try {
    st = statSync(p);
  } catch {
    return;
  }
  if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
  else if (st.isFile()) files.push(p);
};
for (const a of process.argv.slice(2)) walk(a);

let bytes = 0;
const found = [];
for (const f of files) {
  const text = readFileSync(f, 'latin1');
  bytes += text.length;
  for (const s of secrets) {
    const at = text.indexOf(s.value);
    if (at >= 0) found.push(`${f}:${text.slice(0, at).split('\n').length}: the ${s.name} canary`);
  }
}
console.log(
  `secrets scan: ${secrets.length} canaries over ${files.length} files (${(bytes / 1024).toFixed(0)} KiB): ${found.length} found`,
);
for (const f of found) console.log(`  ${f}`);
process.exit(found.length > 0 ? 1 : 0);
