import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { packageRoot } from '../src/core/paths.js';
import type { Row } from './video.js';

/**
 * The daemon's resident memory as users run it: the built CLI in its own process, streaming a
 * 1080p30 test pattern to 5 clients with MQTT connected (a real Mosquitto) and a snapshot published
 * every second, beside bare Node's RSS measured in the same run. Each start-up variant shows what
 * a V8 or allocator setting buys; the first is what the start scripts use.
 */
export interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
  /** The script started, relative to the package root; default the shipped bundle. */
  entry?: string;
}

/** package.json start/demo, packaging/kvmr0ck.service, ha-addon/run.sh: keep them in step
 * (test/unit/scripts/start-flags.test.ts checks). */
const SHIPPED: Variant = {
  name: 'as shipped: the bundle, --max-semi-space-size=1 --v8-pool-size=1 --no-turbofan --optimize-for-size, MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072',
  args: ['--max-semi-space-size=1', '--v8-pool-size=1', '--no-turbofan', '--optimize-for-size'],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
};

export const VARIANTS: Variant[] = [
  SHIPPED,
  // What bundling buys (scripts/bundle.mjs): the same start on tsc's output, one module per file.
  {
    ...SHIPPED,
    name: 'shipped settings on the unbundled modules (dist/src/cli.js)',
    entry: 'dist/src/cli.js',
  },
  {
    // glibc raises its mmap threshold to the size of each mapped block freed (mallopt(3)), so
    // after the first JPEGs are collected, blocks up to that size come from the heap and their
    // pages stay: how many depends on the timing of unrelated work (6 MiB more when measured
    // without --optimize-for-size, 1-2 MiB with it).
    ...SHIPPED,
    name: 'shipped without the fixed mmap threshold',
    env: Object.fromEntries(Object.entries(SHIPPED.env).filter(([k]) => k !== 'MALLOC_MMAP_THRESHOLD_')),
  },
  {
    // V8's --optimize-for-size (smaller heap growth steps, fewer caches): 1.5-4.5 MiB less idle,
    // ~2.5 MiB less streaming, CPU per frame +2% (within this machine's noise).
    ...SHIPPED,
    name: 'shipped without --optimize-for-size',
    args: SHIPPED.args.filter((a) => a !== '--optimize-for-size'),
  },
  { name: 'plain node', args: [], env: {} },
  {
    // TurboFan's compiled code and compile zones: ~10 MiB resident; the hot path is native code,
    // so the JS it would optimise (hub, sockets) costs no measurable CPU per frame without it.
    ...SHIPPED,
    name: 'shipped with TurboFan on',
    args: SHIPPED.args.filter((a) => a !== '--no-turbofan'),
  },
  { name: '--max-semi-space-size=1 only', args: ['--max-semi-space-size=1'], env: {} },
  { name: 'MALLOC_ARENA_MAX=2 only', args: [], env: { MALLOC_ARENA_MAX: '2' } },
  // --lite-mode saved about as much but turns off WebAssembly (the limited-range expansion).
];

const CLIENTS = 5;
const mib = (bytes: number) => bytes / 2 ** 20;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`memory bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

function stopped(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

/** Bare Node idling: the floor any Node daemon starts from. */
export async function bareNodeRss(): Promise<number> {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1500);
  const rss = rssOf(p.pid!);
  await stopped(p);
  return rss;
}

async function startBroker(dir: string): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  await sleep(300);
  return { proc, port };
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}

interface VideoFigures {
  video: { cpuMsPerFrame: number; encodeFps: number; encoder: string };
  mqtt: { connected: boolean };
}

/** Settled for a few seconds, then the highest of 8 samples over 2 s. */
async function idlePeak(pid: number): Promise<number> {
  await sleep(4000);
  let idle = 0;
  for (let i = 0; i < 8; i++, await sleep(250)) idle = Math.max(idle, rssOf(pid));
  return idle;
}

/**
 * bench/stack-floor.ts bundled as scripts/bundle.mjs bundles the daemon (inside the package, so
 * koffi resolves from node_modules), started with the shipped flags, idle with MQTT connected: the
 * part of the daemon's idle RSS that is the packages it is built on. The lowest of 3 starts: its
 * malloc heap ([heap] in smaps) settles at either 4.6 or 10.8 MiB, depending on where the last
 * block still in use lands when V8's compile zones are freed (seen 3 times in 4 here; the daemon's
 * stays near 4.8), and the floor is the stack's best case.
 */
export async function stackFloorRss(): Promise<number> {
  const { build } = await import('esbuild');
  const root = packageRoot();
  const outfile = path.join(root, 'dist/bench/stack-floor.bundle.js');
  const { NODE_BUNDLE } = (await import(
    pathToFileURL(path.join(root, 'scripts/bundle-options.mjs')).href
  )) as {
    NODE_BUNDLE: BuildOptions;
  };
  await build({ ...NODE_BUNDLE, entryPoints: [path.join(root, 'dist/bench/stack-floor.js')], outfile });
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) lowest = Math.min(lowest, await stackFloorOnce(outfile));
  return lowest;
}

async function stackFloorOnce(outfile: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-floorbench-'));
  const broker = await startBroker(dir);
  const proc = spawn(process.execPath, [...SHIPPED.args, outfile, String(broker.port)], {
    env: { ...process.env, ...SHIPPED.env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    await waitFor('the stack floor to connect', () => out.includes('ready') || proc.exitCode !== null);
    if (proc.exitCode !== null) throw new Error('memory bench: the stack floor exited');
    return await idlePeak(proc.pid!);
  } finally {
    await stopped(proc);
    await stopped(broker.proc);
  }
}

export async function measureVariant(v: Variant, seconds: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-membench-'));
  const broker = await startBroker(dir);
  const config = path.join(dir, 'kvmr0ck.yaml');
  writeFileSync(
    config,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      'auth: { mode: none }',
      'hid: { sink: recording }',
      'video: { source: test-pattern, width: 1920, height: 1080, fps: 30 }',
      `mqtt: { url: "mqtt://127.0.0.1:${broker.port}", node_id: membench, discovery_delay_ms: 0, snapshot_interval_s: 1 }`,
      `paths: { state: "${path.join(dir, 'state')}" }`,
      'log: { level: info }',
      '',
    ].join('\n'),
  );
  const cli = path.join(packageRoot(), v.entry ?? 'dist/kvmr0ck.js');
  const proc = spawn(process.execPath, [...v.args, cli, 'run', '--config', config], {
    env: { ...process.env, ...v.env, KVMR0CK_CONFIG: config },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const clients: http.ClientRequest[] = [];
  try {
    let base = '';
    await waitFor('the daemon to serve', () => {
      const m = /serving the panel at (https?:\/\/[^ ]+\/)/.exec(out);
      base = m ? m[1]!.replace('localhost', '127.0.0.1') : '';
      return base !== '' || proc.exitCode !== null;
    });
    if (!base) throw new Error(`daemon exited:\n${out}`);
    const state = () => getJson(`${base}api/state`) as Promise<VideoFigures>;
    await waitFor('MQTT to connect', async () => (await state()).mqtt.connected);
    // Idle: connected, snapshots on, nobody watching.
    const idle = await idlePeak(proc.pid!);
    let frames = 0;
    for (let i = 0; i < CLIENTS; i++)
      clients.push(
        http.get(`${base}stream`, (res) =>
          res.on('data', (d: Buffer) => {
            frames += d.includes('--kvmr0ckframe') ? 1 : 0;
          }),
        ),
      );
    const samples: number[] = [];
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      samples.push(rssOf(proc.pid!));
      await sleep(250);
    }
    const s = await state();
    samples.sort((a, b) => a - b);
    return {
      variant: v.name,
      'idle MiB (<= 60)': mib(idle).toFixed(1),
      'streaming peak MiB (<= 80)': mib(samples[samples.length - 1]!).toFixed(1),
      'streaming median MiB': mib(samples[Math.floor(samples.length / 2)]!).toFixed(1),
      'frames to clients/s': (frames / seconds).toFixed(0),
      'CPU ms per encoded frame': s.video.cpuMsPerFrame,
      encoder: s.video.encoder,
    };
  } finally {
    for (const c of clients) c.destroy();
    await stopped(proc);
    await stopped(broker.proc);
  }
}

export async function runMemoryBench(seconds = 15): Promise<Row[]> {
  const rows: Row[] = [];
  const bare = await bareNodeRss();
  const floor = await stackFloorRss();
  for (const v of VARIANTS) {
    const r = await measureVariant(v, seconds);
    rows.push({
      ...r,
      'bare node MiB': mib(bare).toFixed(1),
      'peak / bare node': (Number(r['streaming peak MiB (<= 80)']) / mib(bare)).toFixed(2),
      'stack floor MiB': mib(floor).toFixed(1),
      'idle - floor MiB': (Number(r['idle MiB (<= 60)']) - mib(floor)).toFixed(1),
    });
  }
  return rows;
}
