import http from 'node:http';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { createApp } from '../src/main.js';

/**
 * Frame-to-client latency: from the moment a frame is captured (the test pattern stands in for a
 * V4L2 dequeue) to the last byte of its JPEG arriving at a loopback client, with 5 clients at 1080p.
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
        let buf = Buffer.alloc(0);
        res.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          for (;;) {
            const head = buf.indexOf('\r\n\r\n');
            if (head < 0) return;
            const text = buf.subarray(0, head).toString('latin1');
            const len = Number(/Content-Length: (\d+)/.exec(text)?.[1]);
            const id = Number(/X-Frame-Id: (\d+)/.exec(text)?.[1]);
            if (buf.length < head + 4 + len + 2) return;
            const at = capturedAt.get(id);
            if (at !== undefined) latencies.push(performance.now() - at);
            buf = buf.subarray(head + 4 + len + 2);
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
      'latency p50 ms': pct(50).toFixed(1),
      'latency p99 ms': pct(99).toFixed(1),
      'encode ms p50': state.video.encodeMsP50,
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
