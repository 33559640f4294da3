import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { recordFigure } from './figures.js';
import { cpuSeconds, fdCount, percentile, rssMiB } from './proc.js';

const SECONDS = Number(process.env.KVMR0CK_LOAD_SECONDS ?? 120);
const FAST = 40;
const SLOW = 10;

interface ClientStats {
  ids: number[];
  bytes: number;
  errored: boolean;
  closed: boolean;
}

/**
 * One MJPEG client over a raw HTTP request. Fast clients read as fast as the socket allows; slow
 * ones read one chunk every 500 ms (~130 KB/s, a weak Wi-Fi link). Frame ids come from the
 * X-Frame-Id part header, so we know which published frames each client got.
 */
function client(
  url: string,
  headers: Record<string, string>,
  slow: boolean,
): { stats: ClientStats; close(): void } {
  const stats: ClientStats = { ids: [], bytes: 0, errored: false, closed: false };
  let tail = '';
  const req = http.get(`${url}stream`, { headers }, (res) => {
    res.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      // Headers are ASCII; scanning latin1 text of the chunk (plus the previous tail) finds them.
      const text = tail + chunk.toString('latin1');
      for (const m of text.matchAll(/X-Frame-Id: (\d+)\r\n/g)) {
        // A header wholly inside the carried-over tail was counted with the previous chunk.
        if (m.index + m[0].length > tail.length) stats.ids.push(Number(m[1]));
      }
      tail = text.slice(-40);
      if (slow) {
        res.pause();
        setTimeout(() => res.resume(), 500).unref();
      }
    });
    res.on('close', () => {
      stats.closed = true;
    });
  });
  req.on('error', () => {
    stats.errored = true;
  });
  return { stats, close: () => req.destroy() };
}

describe(`MJPEG load: ${FAST} fast + ${SLOW} slow clients for ${SECONDS} s`, () => {
  let d: Daemon;
  beforeAll(async () => {
    // 50 clients: past the default cap of 16 streams (server.max_stream_clients), on purpose here.
    d = await startDaemon({
      command: 'demo',
      env: { KVMR0CK_SERVER__MAX_STREAM_CLIENTS: String(FAST + SLOW) },
    });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('fast clients get every frame, slow ones skip frames, memory and fds stay bounded', async () => {
    const pid = d.proc.pid!;
    const headers = d.authHeaders ?? {};
    // Warm up: one snapshot so the encoder and sockets exist before the baseline.
    await fetch(`${d.url}snapshot.jpg?fresh=1`, { headers });
    const fdStart = fdCount(pid);
    const rssStart = rssMiB(pid);
    let rssPeak = rssStart;
    const cpuStart = cpuSeconds(pid);

    const clients = [
      ...Array.from({ length: FAST }, () => ({ slow: false, c: client(d.url, headers, false) })),
      ...Array.from({ length: SLOW }, () => ({ slow: true, c: client(d.url, headers, true) })),
    ];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB(pid));
    }, 500);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(sampler);
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpuStart;
    const state = (await (await fetch(`${d.url}api/state`, { headers })).json()) as {
      stream: { clients: number };
      video: { encodeFps: number; captureFps: number };
    };
    expect(state.stream.clients).toBe(FAST + SLOW);
    for (const { c } of clients) c.close();
    await new Promise((r) => setTimeout(r, 1500));
    const fdEnd = fdCount(pid);
    const rssEnd = rssMiB(pid);
    const after = (await (await fetch(`${d.url}api/state`, { headers })).json()) as {
      stream: { clients: number };
    };

    // Share of the frames published while a client was connected that it received.
    const share = (s: ClientStats) => {
      if (s.ids.length < 2) return 0;
      const span = s.ids.at(-1)! - s.ids[0]! + 1;
      return s.ids.length / span;
    };
    const fast = clients.filter((x) => !x.slow).map((x) => x.c.stats);
    const slow = clients.filter((x) => x.slow).map((x) => x.c.stats);
    const fastShares = fast.map(share);
    const fastFps = fast.map((s) => s.ids.length / elapsed);
    const slowFps = slow.map((s) => s.ids.length / elapsed);

    recordFigure({ surface: 'stream', figure: 'clients (fast/slow)', value: `${FAST}/${SLOW}` });
    recordFigure({ surface: 'stream', figure: 'encode fps (daemon)', value: state.video.encodeFps });
    recordFigure({
      surface: 'stream',
      figure: 'fast client fps min/median',
      value: `${Math.min(...fastFps).toFixed(1)}/${percentile(fastFps, 50).toFixed(1)}`,
    });
    recordFigure({
      surface: 'stream',
      figure: 'fast clients: share of frames received (min)',
      value: Math.min(...fastShares).toFixed(3),
      target: '>= 0.9',
    });
    recordFigure({
      surface: 'stream',
      figure: 'slow client fps median',
      value: percentile(slowFps, 50).toFixed(2),
    });
    recordFigure({
      surface: 'stream',
      figure: 'RSS MiB start/peak/end',
      value: `${rssStart.toFixed(0)}/${rssPeak.toFixed(0)}/${rssEnd.toFixed(0)}`,
      target: 'peak < start + 200',
    });
    recordFigure({
      surface: 'stream',
      figure: 'fd delta after clients left',
      value: fdEnd - fdStart,
      target: '<= 2',
    });
    recordFigure({
      surface: 'stream',
      figure: 'daemon CPU ms per client-second',
      value: ((cpu * 1000) / (FAST + SLOW) / elapsed).toFixed(2),
    });

    expect(fast.every((s) => !s.errored)).toBe(true);
    expect(Math.min(...fastShares)).toBeGreaterThanOrEqual(0.9);
    // Slow clients are not starved entirely, and they skip frames rather than queueing them.
    expect(Math.min(...slowFps)).toBeGreaterThan(0);
    expect(percentile(slowFps, 50)).toBeLessThan(percentile(fastFps, 50));
    expect(rssPeak).toBeLessThan(rssStart + 200);
    expect(fdEnd - fdStart).toBeLessThanOrEqual(2);
    expect(after.stream.clients).toBe(0);
  });
});
