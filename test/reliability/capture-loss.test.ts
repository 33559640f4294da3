import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import { type App, createApp } from '../../src/main.js';
import { TestPatternSource } from '../../src/video/test-pattern.js';
import type { FrameConsumer, FrameSource, SourceStatus } from '../../src/video/types.js';
import { recordFigure } from './figures.js';

const FPS = 10;
const CLIENTS = 8;
const PHASE_MS = 4000;

/**
 * The test pattern behind a switch that makes the device vanish and return, reporting what the
 * V4L2 source reports when its device node disappears (signal lost, reason `device gone`) and, on
 * return, the source's real status again. The V4L2 side of this (unbinding vivid) runs in the lab.
 */
class VanishingSource implements FrameSource {
  readonly name = 'vanishing-test-pattern';
  private consumer: FrameConsumer | null = null;
  private gone = false;
  private last: SourceStatus | null = null;
  constructor(private readonly inner: TestPatternSource) {}
  async start(consumer: FrameConsumer): Promise<void> {
    this.consumer = consumer;
    await this.inner.start({
      frame: (f) => (this.gone ? f.release() : consumer.frame(f)),
      status: (s) => {
        this.last = s;
        if (!this.gone) consumer.status(s);
      },
    });
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  setIdle(idle: boolean): void {
    this.inner.setIdle(idle);
  }
  vanish(): void {
    this.gone = true;
    this.consumer?.status({ signal: false, reason: 'device gone', width: 0, height: 0, format: '', fps: 0 });
  }
  back(): void {
    this.gone = false;
    if (this.last) this.consumer?.status(this.last);
  }
}

interface Client {
  ids: number[];
  closed: boolean;
  close(): void;
}

function mjpegClient(url: string): Client {
  const c: Client = { ids: [], closed: false, close: () => {} };
  let tail = '';
  const req = http.get(`${url}stream`, (res) => {
    res.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      for (const m of text.matchAll(/X-Frame-Id: (\d+)\r\n/g)) {
        if (m.index + m[0].length > tail.length) c.ids.push(Number(m[1]));
      }
      tail = text.slice(-40);
    });
    res.on('close', () => {
      c.closed = true;
    });
  });
  req.on('error', () => {
    c.closed = true;
  });
  c.close = () => req.destroy();
  return c;
}

/**
 * The capture device vanishes for a few seconds while viewers watch: every viewer stays connected,
 * sees the no-signal picture while it is gone, and the live picture again when it returns; the state
 * says why; a real MJPEG client (ffmpeg) decodes across both changes without giving up.
 */
describe('capture source vanishes and returns under viewers', () => {
  let app: App;
  let source: VanishingSource;
  let url: string;
  /** Frame ids the hub published, and whether each was the generated no-signal picture. */
  const synthetic = new Map<number, boolean>();
  let watching = true;

  beforeAll(async () => {
    const { config } = loadConfig({
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        video: { source: 'test-pattern', fps: FPS, width: 640, height: 360 },
        hid: { sink: 'recording' },
        auth: { mode: 'none' },
      },
    });
    source = new VanishingSource(
      new TestPatternSource({ width: 640, height: 360, fps: FPS, idleFps: 1, clock: systemClock }),
    );
    app = await createApp({
      config,
      log: createLogger({ level: 'error', format: 'json' }),
      version: 'vanish',
      source,
    });
    await app.start();
    url = app.urls()[0]!.replace('localhost', '127.0.0.1');
    void (async () => {
      let after = 0;
      while (watching) {
        const f = await app.hub.next(after, { timeoutMs: 500 });
        if (f) {
          synthetic.set(f.id, f.synthetic);
          after = f.id;
        }
      }
    })();
  });
  afterAll(async () => {
    watching = false;
    await app?.stop();
  });

  it('keeps every viewer connected through no-signal and back to the live picture', async () => {
    const clients = Array.from({ length: CLIENTS }, () => mjpegClient(url));
    const ffmpegFrames: number[] = [];
    const ffmpeg: ChildProcess = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'mjpeg',
        '-i',
        `${url}stream`,
        '-f',
        'null',
        '-progress',
        'pipe:1',
        '-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let ffmpegErr = '';
    ffmpeg.stderr!.on('data', (d: Buffer) => {
      ffmpegErr += d.toString();
    });
    ffmpeg.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/^frame=(\d+)$/gm)) ffmpegFrames.push(Number(m[1]));
    });
    let ffmpegExit: number | null = null;
    ffmpeg.on('exit', (code) => {
      ffmpegExit = code ?? -1;
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const mark = () => clients.map((c) => c.ids.length);

    await sleep(PHASE_MS);
    const before = mark();
    source.vanish();
    await sleep(500);
    const gone = app.store.get().video;
    const atGone = mark();
    await sleep(PHASE_MS - 500);
    const during = mark();
    source.back();
    await sleep(500);
    const atBack = mark();
    const ffmpegAtBack = ffmpegFrames.at(-1) ?? 0;
    const back = app.store.get().video;
    await sleep(PHASE_MS - 500);
    const after = mark();
    const ffmpegAtEnd = ffmpegFrames.at(-1) ?? 0;
    for (const c of clients) c.close();
    ffmpeg.kill('SIGINT');

    // What each viewer received in the outage window and after the return.
    const outageFrames = clients.map((c, i) => c.ids.slice(atGone[i], during[i]));
    const resumedFrames = clients.map((c, i) => c.ids.slice(atBack[i], after[i]));
    const outageSynthetic = outageFrames.every(
      (ids) => ids.length > 0 && ids.every((id) => synthetic.get(id) === true),
    );
    const resumedLive = resumedFrames.every(
      (ids) => ids.filter((id) => synthetic.get(id) === false).length >= FPS,
    );
    const stillOpen = clients.filter((c) => !c.closed).length;
    const perSecond = (n: number[]) => (Math.min(...n) / ((PHASE_MS - 500) / 1000)).toFixed(1);

    recordFigure({
      surface: 'capture loss',
      figure: 'viewers connected after loss and return',
      value: `${stillOpen} / ${CLIENTS}`,
      target: 'all',
    });
    recordFigure({
      surface: 'capture loss',
      figure: 'no-signal frames/s per viewer while gone (min)',
      value: perSecond(outageFrames.map((x) => x.length)),
      target: '~1',
    });
    recordFigure({
      surface: 'capture loss',
      figure: 'live frames/s per viewer after return (min)',
      value: perSecond(resumedFrames.map((x) => x.length)),
      target: `~${FPS}`,
    });
    recordFigure({
      surface: 'capture loss',
      figure: 'ffmpeg frames decoded / still running',
      value: `${ffmpegAtEnd} / ${ffmpegExit === null}`,
      target: 'growing / true',
    });

    expect(before.every((n) => n >= FPS)).toBe(true);
    expect(gone).toMatchObject({ signal: false, signalReason: 'device gone' });
    expect(outageSynthetic).toBe(true);
    expect(back.signal).toBe(true);
    expect(resumedLive).toBe(true);
    expect(stillOpen).toBe(CLIENTS);
    // ffmpeg decoded across both changes (it reports progress about twice a second) and was still reading.
    expect(ffmpegExit, ffmpegErr).toBeNull();
    expect(ffmpegAtEnd - ffmpegAtBack).toBeGreaterThanOrEqual(2 * FPS);
    const res = await fetch(`${url}api/state`);
    expect(res.status).toBe(200);
  });
});
