import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

describe('the daemon in demo mode, as a user runs it', () => {
  let d: Daemon;
  const hidFile = path.join(mkdtempSync(path.join(tmpdir(), 'hid-')), 'reports.jsonl');
  beforeAll(async () => {
    d = await startDaemon({
      command: 'run',
      env: { KVMR0CK_VIDEO__DEVICE: '/nonexistent/video0', KVMR0CK_HID__RECORDING__FILE: hidFile },
    });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('says it falls back to the test pattern and the recording sink', () => {
    const msgs = d.logs.map((l) => String(l.msg));
    expect(msgs.some((m) => /no capture device .* using the built-in test-pattern source/.test(m))).toBe(
      true,
    );
    expect(msgs.some((m) => /using the recording HID sink/.test(m))).toBe(true);
  });

  it('serves /stream as MJPEG that ffmpeg reads: 10 decodable frames that differ', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'frames-'));
    await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'mpjpeg',
        '-i',
        `${d.url}stream?token=${d.token}`,
        '-frames:v',
        '10',
        '-f',
        'image2',
        path.join(out, 'f%02d.png'),
      ],
      { timeout: 20_000 },
    );
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(10);
    const pixels = await Promise.all(
      files.map((f) => sharp(path.join(out, f)).raw().toBuffer({ resolveWithObject: true })),
    );
    for (const p of pixels) {
      expect(p.info.width).toBe(1280);
      expect(p.info.height).toBe(720);
    }
    // The clock and frame counter move: no two consecutive frames are identical.
    for (let i = 1; i < pixels.length; i++) expect(pixels[i]!.data.equals(pixels[i - 1]!.data)).toBe(false);
  });

  it('ffprobe sees an MJPEG video stream of the right size', async () => {
    const { stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-f',
        'mpjpeg',
        '-show_entries',
        'stream=codec_name,width,height',
        '-of',
        'json',
        `${d.url}stream?token=${d.token}`,
      ],
      { timeout: 20_000 },
    );
    const info = JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] };
    expect(info.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 1280, height: 720 });
  });

  it('serves /snapshot.jpg and /api/state', async () => {
    const snap = await fetch(`${d.url}snapshot.jpg`, { headers: d.authHeaders });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await snap.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1280, height: 720 });

    const state = (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as Record<
      string,
      Record<string, unknown>
    >;
    expect(state.video).toMatchObject({ source: 'test-pattern', signal: true, width: 1280, height: 720 });
    expect(state.hid).toMatchObject({ sink: 'recording', online: true });
    expect(state.stream).toHaveProperty('clients');
  });

  it('serves a panel page that shows the stream', async () => {
    const html = await (await fetch(d.url, { headers: d.authHeaders })).text();
    // The page is a shell; the bundled client puts the stream in #screen (the browser tests show it).
    expect(html).toContain('id="screen"');
    expect(html).toContain('<script src="panel.js"></script>');
    const js = await fetch(`${d.url}panel.js`, { headers: d.authHeaders });
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('stream');
  });

  it('stops cleanly on SIGTERM within 2 s, releasing all keys, exit code 0', async () => {
    // Keep a stream client connected: stopping must close it, not wait for it.
    const ac = new AbortController();
    const streaming = fetch(`${d.url}stream`, { signal: ac.signal, headers: d.authHeaders }).then((r) =>
      r.body?.getReader().read(),
    );
    // The client must really be connected, or the test would pass without testing anything.
    await until(
      async () =>
        (
          (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as {
            stream: { clients: number };
          }
        ).stream.clients === 1,
      10_000,
      'the stream client to connect',
    );
    const { code, ms } = await d.stop('SIGTERM');
    ac.abort();
    await streaming.catch(() => {});
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
    expect(d.logs.map((l) => String(l.msg))).toContain('stopped');
    // The last keyboard report written is the all-keys-up report.
    const reports = readFileSync(hidFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fn: string; hex: string });
    expect(reports.filter((r) => r.fn === 'keyboard').at(-1)?.hex).toBe('00 00 00 00 00 00 00 00');
  });
});

describe('a bad config stops the daemon with file, line and reason', () => {
  it('names the path and the allowed range', async () => {
    await expect(startDaemon({ command: 'run', configYaml: 'video:\n  quality: 150\n' })).rejects.toThrow(
      /kvmr0ck\.yaml:2: video\.quality: must be 1\.\.100, got 150/,
    );
  });

  it('check-config prints the same and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'k.yaml');
    (await import('node:fs')).writeFileSync(file, 'server:\n  prot: 80\n');
    const err = await run(process.execPath, ['dist/kvmr0ck.js', 'check-config', file]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain(
      `${file}:2: server.prot: unknown key (did you mean 'port'?)`,
    );
  });
});

describe('snapshots and unchanged frames', () => {
  let d: Daemon;
  beforeAll(async () => {
    // A still screen from the start: every frame after the first is identical.
    d = await startDaemon({ command: 'demo', env: { KVMR0CK_VIDEO__TEST_PATTERN_STILL_AFTER_S: '0.1' } });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('resizes a snapshot to fit ?width= and ?height=, keeping the aspect', async () => {
    const r = await fetch(`${d.url}snapshot.jpg?width=320&height=320`, { headers: d.authHeaders });
    expect(r.status).toBe(200);
    const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([320, 180]);
    const bad = await fetch(`${d.url}snapshot.jpg?width=99999`, { headers: d.authHeaders });
    expect(bad.status).toBe(400);
  });

  it('does not re-encode identical frames, but still sends one every second', async () => {
    const unchanged = async () =>
      (
        (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as {
          video: { unchangedFrames: number };
        }
      ).video.unchangedFrames;
    const res = await fetch(`${d.url}stream`, { headers: d.authHeaders });
    const reader = res.body!.getReader();
    const u0 = await unchanged();
    let parts = 0;
    let dropped = 0;
    // Counted in captured frames, not seconds: a busy machine captures fewer, and sends fewer.
    while (dropped < 60) {
      const { value, done } = await reader.read();
      if (done) break;
      parts += (
        Buffer.from(value)
          .toString('latin1')
          .match(/Content-Type: image\/jpeg/g) ?? []
      ).length;
      dropped = (await unchanged()) - u0;
    }
    await reader.cancel();
    // The picture never changes: of 60+ identical frames captured, only the keepalive (about one a
    // second, so at most one in ten at 10 fps or more) goes out, and at least one does.
    expect(dropped).toBeGreaterThanOrEqual(60);
    expect(parts).toBeGreaterThanOrEqual(1);
    expect(parts).toBeLessThanOrEqual(Math.ceil(dropped / 10) + 2);
  });
});
