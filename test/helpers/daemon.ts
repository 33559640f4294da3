import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRETS } from './secrets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The daemon as it ships: the bundle scripts/bundle.mjs makes from tsc's dist/src. */
export const CLI = path.join(ROOT, 'dist/kvmr0ck.js');

export interface Daemon {
  proc: ChildProcess;
  /** Base URL with trailing slash, e.g. http://127.0.0.1:40123/ */
  url: string;
  /** Every log line so far, parsed from JSON. */
  logs: Record<string, unknown>[];
  /** Raw stdout+stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; ms: number }>;
  dir: string;
  /** Headers that authenticate a request to this daemon (empty while auth is off). */
  authHeaders: Record<string, string>;
  /** The access token the daemon was started with. */
  token: string;
}

export interface StartOptions {
  /** `demo` or `run`. */
  command?: string;
  /** YAML config written to a temp file; default: none (built-in defaults + demo overrides). */
  configYaml?: string;
  env?: Record<string, string>;
  args?: string[];
  /** Node's own options, before the script (e.g. the shipped V8 flags). */
  nodeArgs?: string[];
  timeoutMs?: number;
}

/** Environment that points a daemon at a broker under a fixed node id, announcing itself at once. */
export function mqttEnv(brokerUrl: string, node: string): Record<string, string> {
  return {
    KVMR0CK_MQTT__URL: brokerUrl,
    KVMR0CK_MQTT__NODE_ID: node,
    KVMR0CK_MQTT__DISCOVERY_DELAY_MS: '0',
  };
}

/** Starts the built daemon on a free port and waits until it says where it serves. */
export async function startDaemon(opts: StartOptions = {}): Promise<Daemon> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-test-'));
  const args = [CLI, opts.command ?? 'demo', '--port', '0'];
  // An empty default config: tests start from built-in defaults, not the repo's example file.
  writeFileSync(path.join(dir, 'empty.yaml'), '');
  if (opts.configYaml !== undefined) {
    const file = path.join(dir, 'kvmr0ck.yaml');
    writeFileSync(file, opts.configYaml);
    args.push('--config', file);
  }
  args.push(...(opts.args ?? []));
  // A known token, so tests can authenticate as a user with the printed token would. It is the
  // canary token: scripts/test.sh scans every daemon's output for it.
  const token = TEST_SECRETS.token;
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
    env: {
      ...process.env,
      KVMR0CK_CONFIG: path.join(dir, 'empty.yaml'),
      KVMR0CK_LOG__FORMAT: 'json',
      KVMR0CK_SERVER__HOST: '127.0.0.1',
      KVMR0CK_PATHS__STATE: path.join(dir, 'state'),
      KVMR0CK_AUTH__TOKEN: token,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // With KVMR0CK_TEST_OUTPUT set (scripts/test.sh does), every daemon's output is kept there for
  // the run-wide secrets scan.
  // Written synchronously to one open file: a worker that exits right after a test loses nothing.
  const keepDir = process.env.KVMR0CK_TEST_OUTPUT;
  let keepFd: number | null = null;
  if (keepDir) {
    mkdirSync(keepDir, { recursive: true });
    keepFd = openSync(path.join(keepDir, `daemon-${proc.pid}.log`), 'a');
    proc.on('close', () => closeSync(keepFd!));
  }
  const keep = (d: Buffer) => {
    if (keepFd !== null) writeSync(keepFd, d);
  };
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    keep(d);
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
      i = buf.indexOf('\n');
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    keep(d);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`daemon did not start within ${opts.timeoutMs ?? 15000} ms:\n${out}`)),
      opts.timeoutMs ?? 15000,
    );
    const check = setInterval(() => {
      const m = /serving the panel at (https?:\/\/[^ ]+\/)/.exec(out);
      if (m) {
        clearInterval(check);
        clearTimeout(deadline);
        resolve(m[1]!.replace('localhost', '127.0.0.1'));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(check);
      clearTimeout(deadline);
      reject(new Error(`daemon exited with ${code} before serving:\n${out}`));
    });
  });
  return {
    proc,
    url,
    logs,
    dir,
    authHeaders: { authorization: `Bearer ${token}` },
    token,
    output: () => out,
    async stop(signal = 'SIGTERM', timeoutMs = 5000) {
      const t0 = Date.now();
      if (proc.exitCode !== null) return { code: proc.exitCode, ms: 0 };
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return { code, ms: Date.now() - t0 };
    },
  };
}
