// The built daemon as the lab scenarios start it: capturing from a V4L2 node, started the way it
// ships (the V8 flags and allocator settings of every start: the memory bench's first variant), so
// the x86 and arm64 guests run what users run on their boards.
import { spawn } from 'node:child_process';
import { VARIANTS } from '../../dist/bench/memory.js';
import { waitFor } from './checks.mjs';

const shipped = VARIANTS[0];

/**
 * Starts `dist/kvmr0ck.js run` on `dev` at `port` (no auth, recording HID sink, loopback only: the
 * lab checks capture, access control has its own tests); `env` adds or overrides settings. Resolves
 * once it serves the panel or after `readyMs` (times TIME_SCALE), printing the log's tail then.
 * `logs`, when given, receives the log array at once, so a scenario can keep the output of a
 * daemon that never came up.
 */
export async function startDaemon(dev, port, { env = {}, readyMs = 60_000, logs } = {}) {
  const out = [];
  logs?.push(out);
  const proc = spawn(process.execPath, [...shipped.args, 'dist/kvmr0ck.js', 'run', '--port', String(port)], {
    env: {
      ...process.env,
      ...shipped.env,
      KVMR0CK_CONFIG: '/dev/null',
      KVMR0CK_LOG__FORMAT: 'json',
      KVMR0CK_VIDEO__SOURCE: 'v4l2',
      KVMR0CK_VIDEO__DEVICE: dev,
      KVMR0CK_VIDEO__FPS: '15',
      KVMR0CK_HID__SINK: 'recording',
      KVMR0CK_AUTH__MODE: 'none',
      KVMR0CK_SERVER__HOST: '127.0.0.1',
      KVMR0CK_PATHS__STATE: '/tmp/kvmr0ck-state',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A native crash (SIGSEGV, SIGBUS) logs nothing: say how the daemon ended.
  proc.on('exit', (code, signal) => out.push(`[daemon on ${dev} exited: code ${code}, signal ${signal}]\n`));
  proc.stdout.on('data', (d) => out.push(d.toString()));
  proc.stderr.on('data', (d) => out.push(d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  const up = await waitFor(() => out.join('').includes('serving the panel'), readyMs);
  if (!up) console.log(out.join('').slice(-2000));
  return { proc, url, log: () => out.join(''), stop: () => proc.kill('SIGTERM') };
}
