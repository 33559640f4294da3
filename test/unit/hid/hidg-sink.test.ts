import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/log.js';
import { type DeviceIo, fsDeviceIo } from '../../../src/hid/sinks/device-io.js';
import { HidgSink } from '../../../src/hid/sinks/hidg.js';
import type { HidFunctionName } from '../../../src/hid/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Real files under a temp `paths.dev`, with faults scripted per path on top. */
function setup(opts: { create?: boolean; fns?: HidFunctionName[]; staleMs?: number } = {}) {
  const dev = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-hidg-'));
  dirs.push(dev);
  const fns = opts.fns ?? ['keyboard', 'mouse', 'mouse_rel'];
  const devices = fns.map((fn, i) => ({ fn, path: path.join(dev, `hidg${i}`) }));
  if (opts.create !== false) for (const d of devices) writeFileSync(d.path, '');
  const faults: string[] = []; // errno codes thrown by the next writes, in order
  const fdPath = new Map<number, string>();
  const io: DeviceIo = {
    open(p, flags) {
      const fd = fsDeviceIo.open(p, flags);
      fdPath.set(fd, p);
      return fd;
    },
    write(fd, data) {
      const code = faults.shift();
      if (code) throw Object.assign(new Error(`${code}: scripted`), { code });
      return fsDeviceIo.write(fd, data);
    },
    read: fsDeviceIo.read,
    close: fsDeviceIo.close,
  };
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n'))
          if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  });
  const clock = new FakeClock();
  const sink = new HidgSink({
    devices,
    clock,
    log,
    io,
    eagainTimeoutMs: 100,
    staleMs: opts.staleMs ?? 1000,
    reopenMs: 500,
    ledPollMs: 100,
  });
  const events: string[] = [];
  const listener = {
    online: (on: boolean, err: string | null) => events.push(on ? 'online' : `offline: ${err}`),
    leds: (bits: number) => events.push(`leds ${bits}`),
  };
  const hex = (i: number) =>
    Array.from(readFileSync(devices[i]!.path), (b) => b.toString(16).padStart(2, '0'))
      .join(' ')
      .replace(/(([0-9a-f]{2} ?){8})/g, '$1|');
  const bytes = (i: number) => Array.from(readFileSync(devices[i]!.path));
  return { dev, devices, faults, clock, sink, events, listener, lines, hex, bytes };
}

describe('HidgSink', () => {
  it('writes each report to its function’s device, after an all-up report on start', async () => {
    const t = setup();
    await t.sink.start(t.listener);
    expect(t.events).toEqual(['online', 'leds 0']); // a new connection starts with LEDs off
    await t.sink.write('keyboard', Uint8Array.of(2, 0, 4, 0, 0, 0, 0, 0));
    await t.sink.write('mouse_rel', Uint8Array.of(1, 0xff, 2, 0));
    expect(t.bytes(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0]);
    expect(t.bytes(1)).toEqual([]); // no absolute position known yet: no release that would move it
    expect(t.bytes(2)).toEqual([0, 0, 0, 0, 1, 0xff, 2, 0]);
    await t.sink.stop();
  });

  it('reads the host’s LED output report from the keyboard device', async () => {
    const t = setup();
    await t.sink.start(t.listener);
    appendFileSync(t.devices[0]!.path, Uint8Array.of(0x00, 0x02)); // a stale 00, then Caps Lock
    await t.clock.advance(100);
    expect(t.events).toEqual(['online', 'leds 0', 'leds 2']);
    await t.sink.stop();
  });

  it('starts offline when the devices are missing, and comes online when they appear', async () => {
    const t = setup({ create: false });
    await t.sink.start(t.listener);
    expect(t.events).toEqual([`offline: ${t.devices[0]!.path}: missing (is the gadget up?)`]);
    await expect(t.sink.write('keyboard', new Uint8Array(8))).rejects.toMatchObject({ code: 'HID_OFFLINE' });
    await t.clock.advance(1000);
    expect(t.events).toHaveLength(1);
    for (const d of t.devices) writeFileSync(d.path, '');
    await t.clock.advance(500);
    expect(t.events.slice(-2)).toEqual(['online', 'leds 0']);
    expect(t.bytes(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    await t.sink.stop();
  });

  it('goes offline on ESHUTDOWN, logs it once, never replays, and releases all on return', async () => {
    const t = setup();
    await t.sink.start(t.listener);
    await t.sink.write('mouse', Uint8Array.of(1, 0x00, 0x40, 0x00, 0x20, 0, 0));
    t.faults.push('ESHUTDOWN');
    await expect(t.sink.write('keyboard', Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 0))).rejects.toMatchObject({
      code: 'HID_OFFLINE',
      message: `USB HID is offline: ${t.devices[0]!.path}: USB host disconnected (ESHUTDOWN)`,
    });
    expect(t.events.at(-1)).toBe(`offline: ${t.devices[0]!.path}: USB host disconnected (ESHUTDOWN)`);
    // Input while offline fails at once and is never sent later.
    await expect(t.sink.write('keyboard', Uint8Array.of(0, 0, 5, 0, 0, 0, 0, 0))).rejects.toMatchObject({
      code: 'HID_OFFLINE',
    });
    await t.clock.advance(500);
    expect(t.events.slice(-2)).toEqual(['online', 'leds 0']);
    // keyboard: start release, then the reconnect release; the failed 04 and the offline 05 never arrive
    expect(t.bytes(0)).toEqual([...new Array(16).fill(0)]);
    // mouse: the pointer stays where it was, with the button up
    expect(t.bytes(1).slice(-7)).toEqual([0, 0x00, 0x40, 0x00, 0x20, 0, 0]);
    expect(t.lines.filter((l) => String(l.msg).startsWith('hid: offline'))).toHaveLength(1);
    await t.sink.stop();
  });

  it('logs a device that keeps failing only once', async () => {
    const t = setup();
    await t.sink.start(t.listener);
    for (const d of t.devices) rmSync(d.path);
    t.faults.push('ENOENT');
    await expect(t.sink.write('keyboard', new Uint8Array(8))).rejects.toMatchObject({ code: 'HID_OFFLINE' });
    await t.clock.advance(5000); // ten reopen attempts
    expect(t.lines.filter((l) => String(l.msg).startsWith('hid: offline'))).toHaveLength(1);
    expect(t.events.filter((e) => e === 'online')).toHaveLength(1);
    await t.sink.stop();
  });

  it('retries EAGAIN without blocking and fails a report the host never takes', async () => {
    const t = setup();
    await t.sink.start(t.listener);
    t.faults.push('EAGAIN', 'EAGAIN');
    const ok = t.sink.write('keyboard', Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 0));
    await t.clock.advance(10);
    await ok;
    expect(t.bytes(0).slice(8)).toEqual([0, 0, 4, 0, 0, 0, 0, 0]);
    t.faults.push(...new Array(200).fill('EAGAIN'));
    const stuck = t.sink.write('keyboard', Uint8Array.of(0, 0, 7, 0, 0, 0, 0, 0)).catch((e: unknown) => e);
    await t.clock.advance(200);
    expect(await stuck).toMatchObject({ code: 'HID_WRITE_FAILED' });
    expect(t.events).toEqual(['online', 'leds 0']); // a slow host is not an unplugged one
    // The failed report is the current state: it is offered again until the host takes it.
    t.faults.length = 0;
    await t.clock.advance(100);
    expect(t.bytes(0).slice(16)).toEqual([0, 0, 7, 0, 0, 0, 0, 0]);
    await t.clock.advance(1000);
    expect(t.bytes(0)).toHaveLength(24);
    expect(t.clock.pending()).toBe(1); // only the LED poll
    await t.sink.stop();
  });

  it('drops stale queued reports when newer ones wait, keeping the newest state', async () => {
    const t = setup({ staleMs: 150 });
    await t.sink.start(t.listener);
    // A host that stalls: each of the first two reports gives up after ~110 ms of EAGAIN (11 tries).
    t.faults.push(...new Array(22).fill('EAGAIN'));
    const a = t.sink.write('keyboard', Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 0)).catch((e: unknown) => e);
    const b = t.sink.write('keyboard', Uint8Array.of(0, 0, 4, 5, 0, 0, 0, 0)).catch((e: unknown) => e);
    const c = t.sink.write('keyboard', Uint8Array.of(0, 0, 5, 0, 0, 0, 0, 0));
    const d = t.sink.write('keyboard', Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0));
    await t.clock.advance(400);
    expect(await a).toMatchObject({ code: 'HID_WRITE_FAILED' });
    expect(await b).toMatchObject({ code: 'HID_WRITE_FAILED' });
    await c; // waited 220 ms with d behind it: superseded, not written
    await d;
    expect(t.bytes(0).slice(8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(t.faults).toEqual([]);
    await t.sink.stop();
  });

  it('streams typed reports as the host takes them: EAGAIN waits (saying so), none is dropped, confirmed at the end', async () => {
    const t = setup({ fns: ['keyboard'] });
    await t.sink.start(t.listener);
    const reports = [4, 5, 6].map((u) => Uint8Array.of(0, 0, u, 0, 0, 0, 0, 0));
    reports.push(new Uint8Array(8));
    // The host is slow on the second report for about half a second (retried every 1 ms, then 10 ms).
    t.faults.push('', ...Array<string>(100).fill('EAGAIN'));
    const waiting: boolean[] = [];
    const r = t.sink.stream('keyboard', reports, {
      gapMs: 0,
      noticeMs: 200,
      stallMs: 10_000,
      onWaiting: (on) => waiting.push(on),
    });
    await t.clock.advance(1000);
    expect(await r).toEqual({ outcome: 'done', taken: 4, written: 4 });
    expect(waiting).toEqual([true, false]);
    // After the start-up all-up: every report in order, then the confirming all-up.
    expect(t.hex(0)).toBe(
      '00 00 00 00 00 00 00 00 |00 00 04 00 00 00 00 00 |00 00 05 00 00 00 00 00 |00 00 06 00 00 00 00 00 |00 00 00 00 00 00 00 00 |00 00 00 00 00 00 00 00|',
    );
    await t.sink.stop();
  });

  it('a stream the host stops taking fails after the stall bound, counting only reports it took', async () => {
    const t = setup({ fns: ['keyboard'] });
    await t.sink.start(t.listener);
    const reports = [4, 5, 6, 7].map((u) => Uint8Array.of(0, 0, u, 0, 0, 0, 0, 0));
    t.faults.push('', '', ...Array<string>(1000).fill('EAGAIN'));
    const r = t.sink.stream('keyboard', reports, { gapMs: 0, noticeMs: 200, stallMs: 2000 });
    await t.clock.advance(2500);
    // Reports 1 and 2 were accepted; the second write proves the host took the first.
    expect(await r).toMatchObject({ outcome: 'stalled', taken: 1, written: 2 });
    await t.sink.stop();
  });

  it('a stream whose device goes away fails HID_OFFLINE and takes the sink offline', async () => {
    const t = setup({ fns: ['keyboard'] });
    await t.sink.start(t.listener);
    const reports = [4, 5, 6, 7].map((u) => Uint8Array.of(0, 0, u, 0, 0, 0, 0, 0));
    t.faults.push('', '', 'ESHUTDOWN');
    const r = t.sink.stream('keyboard', reports, { gapMs: 0, noticeMs: 200, stallMs: 2000 });
    await t.clock.advance(10);
    expect(await r).toMatchObject({ outcome: 'failed', code: 'HID_OFFLINE', taken: 1, written: 2 });
    expect(t.events.at(-1)).toMatch(/^offline: .*USB host disconnected \(ESHUTDOWN\)/);
    await t.sink.stop();
  });

  it('writes through a FIFO to a reader, as to a real device node', async () => {
    const t = setup({ fns: ['keyboard', 'mouse_rel'] });
    rmSync(t.devices[1]!.path);
    execFileSync('mkfifo', [t.devices[1]!.path]);
    const reader = openSync(t.devices[1]!.path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await t.sink.start(t.listener);
      await t.sink.write('mouse_rel', Uint8Array.of(0, 10, 0xf6, 0));
      const buf = Buffer.alloc(64);
      const n = readSync(reader, buf);
      expect([...buf.subarray(0, n)]).toEqual([0, 0, 0, 0, 0, 10, 0xf6, 0]);
    } finally {
      closeSync(reader);
      await t.sink.stop();
    }
  });
});
