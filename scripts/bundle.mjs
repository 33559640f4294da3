// The daemon as it ships: tsc's output (dist/src) bundled by esbuild into one minified module,
// dist/kvmr0ck.js, and its typing worker beside it. Every way the daemon starts runs the bundle
// (npm start, the systemd units, the add-on, `kvmr0ck`), and so do the integration tests and the lab.
//
// Why (issue 19, `npm run bench`, memory): V8 keeps a module record, scope data and the source of
// every ES module it loads. @sinclair/typebox alone is 266 modules and held 9.1 MiB of anonymous
// memory loaded as modules, 0.2 MiB bundled and minified; the whole daemon idles ~6 MiB lower
// (80 -> 74.5 MiB with MQTT connected), streaming 80.5 -> 75 MiB.
//
// Left outside: the native modules (koffi and sharp load their .node binaries by path) and ws's
// optional native helpers. --keep-names: logged errors and stack traces keep function names.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_BUNDLE } from './bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/**
 * src/mqtt/client.ts loads mqtt.js on the first connect through createRequire (a daemon with no
 * broker never loads it), which esbuild cannot follow. In the bundle the same call becomes a
 * `require` esbuild resolves: mqtt.js is then bundled, still evaluated only on the first connect.
 */
const LAZY_MQTT = "createRequire(import.meta.url)('mqtt')";
let mqttRewritten = false;
const lazyMqtt = {
  name: 'lazy-mqtt',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]mqtt[\\/]client\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(LAZY_MQTT))
        throw new Error(
          `bundle: ${args.path} no longer loads mqtt with ${LAZY_MQTT}; update scripts/bundle.mjs`,
        );
      mqttRewritten = true;
      return { contents: text.replace(LAZY_MQTT, "require('mqtt')"), loader: 'js' };
    });
  },
};

/**
 * Fastify requires its default schema compilers (Ajv, fast-json-stringify) only when no
 * schemaController.compilersFactory is given; src/http/validation.ts gives one (TypeBox), so they
 * are left out of the bundle (~300 KB of source V8 would keep). Should fastify ever reach them, the
 * daemon says what happened instead of validating nothing.
 */
const UNUSED_COMPILERS = /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/;
const unusedCompilers = {
  name: 'unused-compilers',
  setup(b) {
    b.onResolve({ filter: UNUSED_COMPILERS }, (args) => ({ path: args.path, namespace: 'unused' }));
    b.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({
      contents: `module.exports = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled: routes are validated by src/http/validation.ts (scripts/bundle.mjs)`)}); };`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: {
    kvmr0ck: path.join(dist, 'src/cli.js'),
    // src/hid/typing/pacer.ts starts it as new URL('./pace-worker.js', import.meta.url).
    'pace-worker': path.join(dist, 'src/hid/typing/pace-worker.js'),
  },
  outdir: dist,
  ...NODE_BUNDLE,
  plugins: [lazyMqtt, unusedCompilers],
});
// A moved or renamed client.js would skip the rewrite without a word (mqtt.js then loads from
// node_modules at run time, unbundled): fail instead.
if (!mqttRewritten)
  throw new Error('bundle: dist/src/mqtt/client.js was not bundled; update scripts/bundle.mjs');
