import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/core/paths.js';

/**
 * Starts the built daemon's app in a fresh Node process, runs `body` there with `app` in scope, and
 * returns what `body` returns (as JSON). For what a test process would spoil: the module cache
 * (what got loaded), process-wide tables, the mapped native libraries. `overrides` is the config.
 * Needs the build (npm test builds first).
 */
export async function inFreshDaemon<T>(overrides: object, body: string): Promise<T> {
  const script = `
    const { loadConfig } = await import('./dist/src/config/load.js');
    const { createLogger } = await import('./dist/src/core/log.js');
    const { createApp } = await import('./dist/src/main.js');
    const { config } = loadConfig({ overrides: ${JSON.stringify(overrides)} });
    const app = await createApp({ config, log: createLogger({ level: 'silent', format: 'json' }), version: 't' });
    await app.start();
    const result = await (async () => { ${body} })();
    await app.stop();
    console.log(JSON.stringify(result));
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageRoot(),
    env: { ...process.env, KVMR0CK_CONFIG: '/dev/null' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}
