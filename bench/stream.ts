import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { createApp } from '../src/main.js';
import { percentile } from './stats.js';

/**
 * Frame-to-client latency: from the moment a frame is captured (the test pattern stands in for a
 * V4L2 dequeue) to the last byte of its JPEG arriving at a loopback client, with 5 clients at 1080p.
 * The clients run in a process of their own (bench/stream-client.ts), as viewers do. Less the
 * median encode time, what is left is the pipeline's own cost: the hand-off to the encoder thread,
 * the copy out of the encoder, the hub and the socket writes.
 */
export async function runStreamBench(seconds = 8, clients = 5): Promise<Record<string, string | number>[]> {
  const { config } = loadConfig({ overrides: baseOverrides() });
  const app = await createApp({
    config,
    log: createLogger({ level: 'error', format: 'json' }),
    version: 'bench',
  });
  await app.start();
  const url = app.urls()[0]!.replace('localhost', '127.0.0.1');
  const capturedAt = new Map<number, number>();
  let watching = true;
  void (async () => {
    let last = 0;
    while (watching) {
      const f = await app.hub.next(last, { timeoutMs: 500 });
      if (!f) continue;
      last = f.id;
      capturedAt.set(f.id, f.capturedAt);
    }
  })();
  // capturedAt is performance.now(); the clients report CLOCK_MONOTONIC (process.hrtime), which
  // differs from it in this process by a constant.
  const toMonotonic = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  let rssPeak = 0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 200);
  const arrivals = await clientArrivals(`${url}stream`, clients, seconds);
  clearInterval(sampler);
  watching = false;
  const latencies: number[] = [];
  for (const [id, at] of arrivals) {
    const captured = capturedAt.get(id);
    if (captured !== undefined) latencies.push(at - (captured + toMonotonic));
  }
  const bytes = app.hub.latest()?.jpeg.length ?? 0;
  const state = app.store.get();
  await app.stop();
  const delivery = (await bareDelivery(bytes, clients, seconds)).sort((a, b) => a - b);
  const floor = percentile(delivery, 50);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => percentile(latencies, p);
  return [
    {
      setup: `1920x1080 test pattern @30, ${clients} clients in their own process, ${state.video.encoder}`,
      'frames received': latencies.length,
      'latency p50 ms': pct(50).toFixed(2),
      'latency p99 ms': pct(99).toFixed(1),
      'encode ms p50': state.video.encodeMsP50,
      'latency - encode, p50 ms (<= 0.5)': (pct(50) - state.video.encodeMsP50).toFixed(2),
      'plain node:http delivery of the same bytes, p50 ms': floor.toFixed(2),
      'latency - encode - that delivery, p50 ms': (pct(50) - state.video.encodeMsP50 - floor).toFixed(2),
      'RSS peak MiB (bench process)': (rssPeak / 2 ** 20).toFixed(0),
    },
  ];
}

/**
 * Runs bench/stream-client.js against `url` for `seconds`; each JPEG part's frame id with the
 * CLOCK_MONOTONIC ms its last byte arrived at (one entry per client and part).
 */
async function clientArrivals(
  url: string,
  clients: number,
  seconds: number,
): Promise<Array<[number, number]>> {
  const client = spawn(
    process.execPath,
    [path.join(path.dirname(fileURLToPath(import.meta.url)), 'stream-client.js'), url, String(clients)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let received = '';
  client.stdout!.on('data', (d: Buffer) => {
    received += d.toString();
  });
  const exited = new Promise((resolve) => client.once('exit', resolve));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  client.kill('SIGTERM');
  await exited;
  return received
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, id, at] = line.split(' ').map(Number);
      return [id!, at!];
    });
}

/**
 * The machine's floor for the same delivery, measured in the same run: a bare node:http server
 * writing parts of `bytes` bytes at 30 per second to the same clients, framed as /stream frames
 * them; ms from each write to its last byte at the client. Loopback TCP to another process is
 * not free (~0.8 ms for one 1080p JPEG on the 2-core x86 VM this was written on).
 */
async function bareDelivery(bytes: number, clients: number, seconds: number): Promise<number[]> {
  const body = Buffer.alloc(bytes, 0x5a);
  const written = new Map<number, number>();
  const responses = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=b', Connection: 'close' });
    res.socket?.setNoDelay(true);
    responses.add(res);
    res.on('close', () => responses.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let id = 0;
  const ticker = setInterval(() => {
    id++;
    written.set(id, Number(process.hrtime.bigint()) / 1e6);
    for (const res of responses) {
      res.write(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${bytes}\r\nX-Frame-Id: ${id}\r\n\r\n`);
      res.write(body);
      res.write('\r\n');
    }
  }, 1000 / 30);
  const port = (server.address() as { port: number }).port;
  const arrivals = await clientArrivals(`http://127.0.0.1:${port}/`, clients, seconds);
  clearInterval(ticker);
  for (const res of responses) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  return arrivals.flatMap(([i, at]) => (written.has(i) ? [at - written.get(i)!] : []));
}

function baseOverrides(): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0 },
    video: { source: 'test-pattern', width: 1920, height: 1080, fps: 30 },
    hid: { sink: 'recording' },
    auth: { mode: 'none' },
  };
}
