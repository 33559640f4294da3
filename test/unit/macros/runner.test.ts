import { createSocket } from 'node:dgram';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { FakeClock } from '../../../src/core/clock.js';
import type { StreamHub } from '../../../src/video/stream-hub.js';
import { until } from '../../helpers/wait.js';
import { makeMacros } from './helpers.js';

const UP = 'keyboard: 00 00 00 00 00 00 00 00';

/** A captured screen of one colour, as the pipeline would publish it. */
async function publishScreen(hub: StreamHub, background: { r: number; g: number; b: number }) {
  const jpeg = await sharp({ create: { width: 160, height: 90, channels: 3, background } })
    .jpeg()
    .toBuffer();
  hub.publish({ jpeg, width: 160, height: 90, sequence: 0, capturedAt: 0, encodedAt: 0, synthetic: false });
}

/**
 * Moves the fake clock `steps` times by `stepMs`, each time only once the macro waits on it (a
 * timer is pending): screen comparisons decode JPEGs on libuv's thread pool, in real time, between
 * its timers. Stops early once `done()` holds.
 */
async function drive(clock: FakeClock, steps: number, stepMs: number, done: () => boolean = () => false) {
  for (let i = 0; i < steps && !done(); i++) {
    await until(() => clock.pending() > 0 || done(), 10_000, 'the macro to wait on the clock');
    await clock.advance(stepMs);
  }
}

describe('macro runner (recording sink, fake clock)', () => {
  it('ctrl_alt_del-style press: modifiers and key down, held, released in reverse', async () => {
    const t = await makeMacros({
      'm.yaml': 'cad:\n  steps:\n    - press: [ctrl, alt, delete]\n      hold: 100ms\n',
    });
    t.take();
    const ticket = await t.macros.run('cad', {}, { origin: 'test' });
    expect(ticket.status).toBe('started');
    await t.clock.advance(1000);
    await ticket.done;
    expect(t.take()).toEqual([
      'keyboard: 01 00 00 00 00 00 00 00',
      'keyboard: 05 00 00 00 00 00 00 00',
      'keyboard: 05 00 4c 00 00 00 00 00',
      'keyboard: 05 00 00 00 00 00 00 00',
      'keyboard: 01 00 00 00 00 00 00 00',
      UP,
    ]);
    expect(t.store.get().macro).toMatchObject({
      running: null,
      status: 'finished',
      last: { name: 'cad', result: 'finished' },
    });
  });

  it('tap repeats at the interval, with parameters substituted', async () => {
    const t = await makeMacros({
      'm.yaml':
        'spam:\n  params:\n    key: { default: f2, choices: [f2, delete] }\n  steps:\n    - tap: "{{key}}"\n      repeat: 3\n      interval: 200ms\n',
    });
    t.take();
    const ticket = await t.macros.run('spam', { key: 'delete' }, { origin: 'test' });
    await t.clock.advance(100);
    expect(t.take().filter((r) => r.includes('4c'))).toHaveLength(1);
    await t.clock.advance(2000);
    await ticket.done;
    expect(t.take().filter((r) => r.includes('4c'))).toHaveLength(2);
    await expect(t.macros.run('spam', { key: 'f13' }, { origin: 'test' })).rejects.toThrow(
      /must be one of f2, delete/,
    );
    await expect(t.macros.run('spam', { nope: 1 }, { origin: 'test' })).rejects.toThrow(
      /has no parameter 'nope'/,
    );
  });

  it('cancel during a wait releases every key at once and says cancelled', async () => {
    const t = await makeMacros({
      'm.yaml': 'hold:\n  steps:\n    - down: [shift, a]\n    - wait: 10s\n    - up: [a, shift]\n',
    });
    t.take();
    const ticket = await t.macros.run('hold', {}, { origin: 'test' });
    await t.clock.advance(1000);
    expect(t.take()).toEqual(['keyboard: 02 00 00 00 00 00 00 00', 'keyboard: 02 00 04 00 00 00 00 00']);
    expect(await t.macros.cancel()).toBe(true);
    await t.clock.advance(10);
    await expect(ticket.done).rejects.toMatchObject({ code: 'MACRO_CANCELLED' });
    // One all-up report per function, nothing else: the keys went up at once.
    expect(t.take().filter((r) => r.startsWith('keyboard'))).toEqual([UP]);
    expect(t.store.get().macro.status).toBe('cancelled');
    expect(t.store.get().hid.keysHeld).toBe(0);
  });

  it('a second request is refused or queued as configured, and the answer says which', async () => {
    const files = { 'm.yaml': 'slow:\n  steps:\n    - wait: 1s\n    - tap: a\n' };
    const r = await makeMacros(files);
    const first = await r.macros.run('slow', {}, { origin: 'test' });
    await expect(r.macros.run('slow', {}, { origin: 'test' })).rejects.toMatchObject({ code: 'MACRO_BUSY' });
    await r.clock.advance(2000);
    await first.done;

    const q = await makeMacros(files, { busy: 'queue' });
    const a = await q.macros.run('slow', {}, { origin: 'test' });
    const b = await q.macros.run('slow', {}, { origin: 'test' });
    expect([a.status, b.status]).toEqual(['started', 'queued']);
    expect(q.store.get().macro.queued).toBe(1);
    await q.clock.advance(5000);
    await b.done;
    expect(q.take().filter((x) => x.includes(' 04 '))).toHaveLength(2);
  });

  it('types a secret without it ever reaching the log or the state', async () => {
    const secret = 'hunter2-Corr3ct';
    const t = await makeMacros(
      { 'm.yaml': 'unlock:\n  steps:\n    - type: !secret luks\n    - press: [enter]\n' },
      {},
      { KVMR0CK_SECRET_LUKS: secret },
    );
    const ticket = await t.macros.run('unlock', {}, { origin: 'test' });
    await t.clock.advance(60_000);
    await ticket.done;
    expect(t.take().length).toBeGreaterThan(secret.length); // fast profile: about one report per key
    const logged = t.lines.join('');
    expect(logged).toContain('type <secret:luks>');
    expect(logged).not.toContain(secret);
    expect(JSON.stringify(t.store.get())).not.toContain(secret);
    expect(JSON.stringify(t.macros.list())).not.toContain(secret);
  });

  it('wait_for signal waits for the HDMI signal, or fails after its timeout', async () => {
    const t = await makeMacros({
      'm.yaml':
        'w:\n  steps:\n    - wait_for: { signal: true, timeout: 5s }\n    - tap: a\nf:\n  steps:\n    - wait_for: { signal: true, timeout: 1s }\n',
    });
    const ok = await t.macros.run('w', {}, { origin: 'test' });
    await t.clock.advance(1000);
    t.store.patch('video', { signal: true });
    await t.clock.advance(1000);
    await ok.done;
    t.store.patch('video', { signal: false });
    const bad = await t.macros.run('f', {}, { origin: 'test' });
    await t.clock.advance(3000);
    await expect(bad.done).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('repeat … until still: spams a key until the screen stops changing (scripted frames)', async () => {
    const t = await makeMacros({
      'm.yaml':
        'bios:\n  steps:\n    - repeat:\n        for: 30s\n        until: { still: 1s }\n        steps:\n          - tap: delete\n          - wait: 200ms\n',
    });
    const publish = (shade: number) => publishScreen(t.hub, { r: shade, g: shade, b: shade });
    await publish(0);
    t.take();
    const ticket = await t.macros.run('bios', {}, { origin: 'test' });
    // POST: the picture changes every 250 ms for 3 s.
    for (let i = 0; i < 12; i++) {
      await publish((i * 40) % 250);
      await drive(t.clock, 5, 50);
    }
    expect(t.store.get().macro.running).toBe('bios');
    // Setup screen: the same picture from now on; the macro stops after ~1 s of stillness.
    await publish(100);
    let finished = false;
    void ticket.done.then(() => {
      finished = true;
    });
    await drive(t.clock, 120, 50, () => finished);
    await ticket.done;
    const taps = t.take().filter((r) => r.includes('4c')).length;
    expect(taps).toBeGreaterThan(5);
    expect(taps).toBeLessThan(30);
  });

  it('a second wait_for still counts from its own start, not from the first wait', async () => {
    const t = await makeMacros({
      'm.yaml':
        'two:\n  steps:\n    - wait_for: { still: 1s, timeout: 10s }\n    - tap: a\n    - wait_for: { still: 2s, timeout: 10s }\n    - tap: b\n',
    });
    const publish = (shade: number) => publishScreen(t.hub, { r: shade, g: 0, b: 255 - shade });
    await publish(0);
    t.take();
    const ticket = await t.macros.run('two', {}, { origin: 'test' });
    const tapAt: Record<string, number> = {};
    t.recording.onReport((r) => {
      if (r.hex.startsWith('00 00 04')) tapAt.a ??= t.clock.monotonic();
      if (r.hex.startsWith('00 00 05')) tapAt.b ??= t.clock.monotonic();
    });
    let finished = false;
    void ticket.done.then(() => {
      finished = true;
    });
    // The same picture until `a` is tapped, then a new one (the key opened a menu), held still.
    let changed = false;
    for (let i = 0; i < 200 && !finished; i++) {
      if (tapAt.a !== undefined && !changed) {
        changed = true;
        await publish(200);
      } else await publish(changed ? 200 : 0);
      await drive(t.clock, 1, 100, () => finished);
    }
    await ticket.done;
    expect(tapAt.b! - tapAt.a!).toBeGreaterThanOrEqual(2000);
  });

  it('wake_on_lan sends the magic packet: 6 × FF then the MAC 16 times', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<Buffer>((r) => sock.on('message', (m) => r(m)));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const t = await makeMacros({
      'm.yaml': 'wol:\n  steps:\n    - wake_on_lan: { mac: "aa:bb:cc:dd:ee:ff", broadcast: "127.0.0.1" }\n',
    });
    // The step sends to port 9; for the test, point it at our listener.
    const { sendWakeOnLan } = await import('../../../src/macros/wol.js');
    await sendWakeOnLan('aa:bb:cc:dd:ee:ff', '127.0.0.1', port);
    const pkt = await got;
    sock.close();
    expect(pkt.length).toBe(102);
    expect(pkt.subarray(0, 6).equals(Buffer.alloc(6, 0xff))).toBe(true);
    expect(pkt.subarray(6, 12).toString('hex')).toBe('aabbccddeeff');
    expect(pkt.subarray(96).toString('hex')).toBe('aabbccddeeff');
    expect(t.macros.list().map((m) => m.name)).toEqual(['wol']);
  });

  it('publish fails clearly when MQTT is not configured, with keys released', async () => {
    const t = await makeMacros({
      'm.yaml': 'plug:\n  steps:\n    - down: ctrl\n    - publish: { topic: plug/set, payload: "ON" }\n',
    });
    t.take();
    const ticket = await t.macros.run('plug', {}, { origin: 'test' });
    await t.clock.advance(100);
    await expect(ticket.done).rejects.toThrow(/MQTT is not configured/);
    expect(
      t
        .take()
        .filter((r) => r.startsWith('keyboard'))
        .at(-1),
    ).toBe(UP);
    expect(t.store.get().macro.last).toMatchObject({ result: 'failed' });
  });
});

describe('macro steps on the screen and the mouse', () => {
  it('wait_for match: waits until a screen region looks like the reference image', async () => {
    const t = await makeMacros({
      'm.yaml':
        'login:\n  steps:\n    - wait_for: { match: { image: ref.png, region: [0, 0, 0.5, 0.5], threshold: 0.05 }, timeout: 10s }\n    - tap: enter\n',
    });
    // The reference: the top-left quarter of a screen that shows a blue dialog.
    const screen = (dialog: boolean) =>
      sharp({ create: { width: 320, height: 180, channels: 3, background: { r: 20, g: 20, b: 20 } } })
        .composite(
          dialog
            ? [
                {
                  input: {
                    create: { width: 120, height: 60, channels: 3, background: { r: 0, g: 0, b: 200 } },
                  },
                  left: 20,
                  top: 15,
                },
              ]
            : [],
        )
        .jpeg()
        .toBuffer();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      `${t.dir}/ref.png`,
      await sharp(await screen(true))
        .extract({ left: 0, top: 0, width: 160, height: 90 })
        .png()
        .toBuffer(),
    );
    const publish = async (dialog: boolean) =>
      t.hub.publish({
        jpeg: await screen(dialog),
        width: 320,
        height: 180,
        sequence: 0,
        capturedAt: 0,
        encodedAt: 0,
        synthetic: false,
      });
    await publish(false);
    t.take();
    const ticket = await t.macros.run('login', {}, { origin: 'test' });
    await drive(t.clock, 10, 100);
    expect(t.take().filter((r) => r.includes(' 28 '))).toHaveLength(0); // no Enter yet
    await publish(true);
    let done = false;
    void ticket.done.then(() => {
      done = true;
    });
    await drive(t.clock, 80, 100, () => done);
    await ticket.done;
    expect(t.take().filter((r) => r.includes(' 28 '))).toHaveLength(1); // Enter (usage 0x28) once
  });

  it('mouse steps send absolute moves, clicks and scrolls', async () => {
    const t = await makeMacros({
      'm.yaml':
        'm:\n  steps:\n    - mouse: { move: [0.5, 0.25] }\n    - mouse: { click: left }\n    - mouse: { scroll: -2 }\n',
    });
    t.take();
    const ticket = await t.macros.run('m', {}, { origin: 'test' });
    await t.clock.advance(1000);
    await ticket.done;
    const mouse = t.take().filter((r) => r.startsWith('mouse:'));
    // Absolute report: buttons, X (LE 16-bit), Y, wheel, pan: 16384 = 0x4000, 8192 = 0x2000.
    // A click is press then release: the button must not stay held (the scroll reports 00 buttons).
    expect(mouse).toEqual([
      'mouse: 00 00 40 00 20 00 00',
      'mouse: 01 00 40 00 20 00 00',
      'mouse: 00 00 40 00 20 00 00',
      'mouse: 00 00 40 00 20 fe 00',
    ]);
  });
});
