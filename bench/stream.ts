import http from 'node:http';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { createApp } from '../src/main.js';

/**
 * Frame-to-client latency: from the moment a frame is captured (the test pattern stands in for a
 * V4L2 dequeue) to the last byte of its JPEG arriving at a loopback client, with 5 clients at 1080p.
 * Less the median encode time, what is left is the pipeline's own cost: the pool hand-off, the
 * copy out of the encoder, the hub and the socket writes.
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
  const latencies: number[] = [];
  const reqs: http.ClientRequest[] = [];
  let rssPeak = 0;
  for (let i = 0; i < clients; i++) {
    reqs.push(
      http.get(`${url}stream`, (res) => {
        // Headers are gathered; a body is only counted down, never copied: the client runs in
        // this process and must not take the daemon's main thread for itself.
        let head: Buffer = Buffer.alloc(0);
        let bodyLeft = 0;
        let id = 0;
        res.on('data', (chunk: Buffer) => {
          let c: Buffer = chunk;
          while (c.length > 0) {
            if (bodyLeft > 0) {
              const n = Math.min(bodyLeft, c.length);
              bodyLeft -= n;
              c = c.subarray(n);
              if (bodyLeft === 0) {
                const at = capturedAt.get(id);
                if (at !== undefined) latencies.push(performance.now() - at);
              }
              continue;
            }
            head = head.length ? Buffer.concat([head, c]) : c;
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) return;
            const text = head.subarray(0, end).toString('latin1');
            bodyLeft = Number(/Content-Length: (\d+)/.exec(text)?.[1]);
            id = Number(/X-Frame-Id: (\d+)/.exec(text)?.[1]);
            c = head.subarray(end + 4);
            head = Buffer.alloc(0);
          }
        });
      }),
    );
  }
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 200);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  watching = false;
  for (const r of reqs) r.destroy();
  const state = app.store.get();
  await app.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0;
  return [
    {
      setup: `1920x1080 test pattern @30, ${clients} clients, ${state.video.encoder}`,
      'frames received': latencies.length,
      'latency p50 ms': pct(50).toFixed(2),
      'latency p99 ms': pct(99).toFixed(1),
      'encode ms p50': state.video.encodeMsP50,
      'latency - encode, p50 ms (<= 0.5)': (pct(50) - state.video.encodeMsP50).toFixed(2),
      'RSS peak MiB (bench process)': (rssPeak / 2 ** 20).toFixed(0),
    },
  ];
}

function baseOverrides(): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0 },
    video: { source: 'test-pattern', width: 1920, height: 1080, fps: 30 },
    hid: { sink: 'recording' },
    auth: { mode: 'none' },
  };
}
