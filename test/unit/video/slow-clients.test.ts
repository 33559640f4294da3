import net from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { type App, createApp } from '../../../src/main.js';
import { until } from '../../helpers/wait.js';

/**
 * A stream client that reads slowly: its socket is paused most of the time, so the daemon's writes
 * stay queued in Node (a partial write keeps a reference to the JPEG) while new frames are encoded.
 * A JPEG handed out as a view of memory the encoder reuses arrives broken in exactly this case.
 */
class SlowClient {
  readonly jpegs: { id: number; jpeg: Buffer }[] = [];
  private buf = Buffer.alloc(0);
  private readonly sock: net.Socket;
  private timer: NodeJS.Timeout | null = null;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    // HTTP/1.0: no chunked encoding in the way of the multipart parts.
    this.sock.write(`GET /stream HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    this.sock.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
      // One chunk, then a pause: the daemon's socket fills up and its writes stay pending.
      this.sock.pause();
      this.timer = setTimeout(() => this.sock.resume(), 40);
    });
  }

  private parse(): void {
    for (;;) {
      const start = this.buf.indexOf('--kvmr0ckframe\r\n');
      if (start < 0) return;
      const head = this.buf.indexOf('\r\n\r\n', start);
      if (head < 0) return;
      const text = this.buf.subarray(start, head).toString('latin1');
      const len = Number(/Content-Length: (\d+)/.exec(text)?.[1]);
      const id = Number(/X-Frame-Id: (\d+)/.exec(text)?.[1]);
      if (this.buf.length < head + 4 + len) return;
      this.jpegs.push({ id, jpeg: Buffer.from(this.buf.subarray(head + 4, head + 4 + len)) });
      this.buf = this.buf.subarray(head + 4 + len);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.sock.destroy();
  }
}

describe('two slow clients of the single-thread encoder', () => {
  let app: App;
  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        video: {
          source: 'test-pattern',
          width: 1280,
          height: 720,
          fps: 30,
          encoder: 'turbojpeg',
          encoder_workers: 1,
          drop_same_frames: false,
        },
        hid: { sink: 'recording' },
        auth: { mode: 'none' },
      },
    });
    app = await createApp({ config, log: createLogger({ level: 'error', format: 'json' }), version: 'test' });
    await app.start();
  });
  afterAll(() => app.stop());

  it('receive only intact JPEGs: the bytes encoded, SOI first, EOI last, decoding without a warning', async () => {
    const port = Number(new URL(app.urls()[0]!).port);
    // What the encoder produced, copied the moment each frame was published.
    const published = new Map<number, Buffer>();
    let watching = true;
    const watcher = (async () => {
      let last = 0;
      while (watching) {
        const f = await app.hub.next(last, { timeoutMs: 200 });
        if (!f) continue;
        last = f.id;
        published.set(f.id, Buffer.from(f.jpeg));
      }
    })();
    const clients = [new SlowClient(port), new SlowClient(port)];
    try {
      await until(() => clients.every((c) => c.jpegs.length >= 40), 100_000, '40 JPEGs per slow client');
    } finally {
      for (const c of clients) c.close();
      watching = false;
      await watcher;
    }
    // The daemon reports what streaming costs it.
    await until(() => app.store.get().video.cpuMsPerFrame > 0, 10_000, 'CPU ms per frame in the state');
    expect(app.store.get().video.rssMiB).toBeGreaterThan(20);
    for (const c of clients) {
      for (const [i, { id, jpeg }] of c.jpegs.entries()) {
        const what = `JPEG ${i} of ${c.jpegs.length}`;
        expect(jpeg.equals(published.get(id)!), `${what}: the bytes the encoder made`).toBe(true);
        expect(jpeg.subarray(0, 2).toString('hex'), what).toBe('ffd8');
        expect(jpeg.subarray(-2).toString('hex'), what).toBe('ffd9');
        const info = await sharp(jpeg, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
        expect([info.info.width, info.info.height], what).toEqual([1280, 720]);
      }
    }
  }, 120_000);
});
