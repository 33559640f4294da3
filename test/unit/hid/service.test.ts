import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { KvmError } from '../../../src/core/errors.js';
import type { HidConfig } from '../../../src/hid/config.js';
import type { HidSink, HidSinkListener } from '../../../src/hid/types.js';
import { makeHid, SlowHostSink } from './helpers.js';

const KB_IDLE = 'keyboard: 00 00 00 00 00 00 00 00';

describe('HidService keys', () => {
  it('sends modifiers as bits and keys in press order, and releases in any order', async () => {
    const { hid, take, store } = await makeHid();
    await hid.keyDown('ctrl');
    await hid.keyDown('altgr');
    await hid.keyDown('a');
    await hid.keyDown('F13');
    expect(store.slice('hid').keysHeld).toBe(4);
    await hid.keyUp('a');
    await hid.keyUp('left_ctrl');
    await hid.keyUp('right_alt');
    await hid.keyUp('f13');
    expect(take()).toEqual([
      'keyboard: 01 00 00 00 00 00 00 00',
      'keyboard: 41 00 00 00 00 00 00 00',
      'keyboard: 41 00 04 00 00 00 00 00',
      'keyboard: 41 00 04 68 00 00 00 00',
      'keyboard: 41 00 68 00 00 00 00 00',
      'keyboard: 40 00 68 00 00 00 00 00',
      'keyboard: 00 00 68 00 00 00 00 00',
      KB_IDLE,
    ]);
    expect(store.slice('hid')).toMatchObject({
      keysHeld: 0,
      reportsWritten: 8,
      online: true,
      sink: 'recording',
    });
  });

  it('does not resend a key that is already down or up', async () => {
    const { hid, take } = await makeHid();
    await hid.keyDown('a');
    await hid.keyDown('a');
    await hid.keyUp('a');
    await hid.keyUp('a');
    expect(take()).toEqual(['keyboard: 00 00 04 00 00 00 00 00', KB_IDLE]);
  });

  it('reports ErrorRollOver while more than six keys are down, and recovers', async () => {
    const { hid, take } = await makeHid();
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await hid.keyDown(k);
    take();
    await hid.keyDown('shift');
    await hid.keyDown('g');
    await hid.keyUp('a');
    expect(take()).toEqual([
      'keyboard: 02 00 04 05 06 07 08 09',
      'keyboard: 02 00 01 01 01 01 01 01',
      'keyboard: 02 00 05 06 07 08 09 0a',
    ]);
  });

  it('sends JIS keys and the top of the usage range', async () => {
    const { hid, take, clock } = await makeHid();
    const done = hid.press(['ro', 'yen', 'henkan', 'lang1', 'kp_hexadecimal'], 0);
    await clock.advance(0);
    await done;
    expect(take().slice(0, 5)).toEqual([
      'keyboard: 00 00 87 00 00 00 00 00',
      'keyboard: 00 00 87 89 00 00 00 00',
      'keyboard: 00 00 87 89 8a 00 00 00',
      'keyboard: 00 00 87 89 8a 90 00 00',
      'keyboard: 00 00 87 89 8a 90 dd 00',
    ]);
  });

  it('refuses an unknown key with UNKNOWN_KEY before sending anything', async () => {
    const { hid, take } = await makeHid();
    await expect(hid.press(['ctrl', 'bogus'])).rejects.toMatchObject({ code: 'UNKNOWN_KEY' });
    expect(take()).toEqual([]);
    expect(hid.isKey('bogus')).toBe(false);
    expect(hid.isKey('Volume_Up')).toBe(true);
  });

  it('press holds the combo for the hold time, then releases in reverse order', async () => {
    const { hid, take, clock } = await makeHid();
    const done = hid.press(['ctrl', 'alt', 'delete'], 100);
    await clock.advance(50);
    expect(take()).toEqual([
      'keyboard: 01 00 00 00 00 00 00 00',
      'keyboard: 05 00 00 00 00 00 00 00',
      'keyboard: 05 00 4c 00 00 00 00 00',
    ]);
    await clock.advance(50);
    await done;
    expect(take()).toEqual([
      'keyboard: 05 00 00 00 00 00 00 00',
      'keyboard: 01 00 00 00 00 00 00 00',
      KB_IDLE,
    ]);
  });

  it('sends media keys on the consumer report and power on the system report', async () => {
    const { hid, take, clock } = await makeHid();
    for (const key of ['volume_up', 'power']) {
      const done = hid.press([key], 0);
      await clock.advance(0);
      await done;
    }
    expect(take()).toEqual([
      'consumer: 01 e9 00',
      'consumer: 01 00 00',
      'consumer: 02 01',
      'consumer: 02 00',
    ]);
  });

  it('releaseAll sends all-up reports on every function and keeps the pointer where it is', async () => {
    const { hid, take, store } = await makeHid();
    await hid.mouseMoveAbs(1, 0.5);
    await hid.mouseButtons({ left: true });
    await hid.keyDown('shift');
    await hid.keyDown('mute');
    take();
    await hid.releaseAll();
    expect(take()).toEqual([
      KB_IDLE,
      'consumer: 01 00 00',
      'consumer: 02 00',
      'mouse: 00 ff 7f 00 40 00 00',
      'mouse_rel: 00 00 00 00',
    ]);
    expect(store.slice('hid').keysHeld).toBe(0);
  });
});

describe('HidService mouse', () => {
  it('scales absolute positions to 0..32767 and keeps buttons in later reports', async () => {
    const { hid, take } = await makeHid();
    await hid.mouseMoveAbs(0, 0);
    await hid.mouseButtons({ left: true, right: true });
    await hid.mouseMoveAbs(0.25, 1);
    await hid.mouseButtons({ right: false });
    await hid.mouseWheel(-2, 1);
    expect(take()).toEqual([
      'mouse: 00 00 00 00 00 00 00',
      'mouse: 03 00 00 00 00 00 00',
      'mouse: 03 00 20 ff 7f 00 00',
      'mouse: 01 00 20 ff 7f 00 00',
      'mouse: 01 00 20 ff 7f fe 01',
    ]);
  });

  it('splits long relative moves into steps of at most 127 that add up exactly', async () => {
    const { hid, take } = await makeHid();
    await hid.mouseMoveRel(300, -5);
    await hid.mouseButtons({ middle: true });
    await hid.mouseWheel(1);
    expect(take()).toEqual([
      'mouse_rel: 00 7f fb 00',
      'mouse_rel: 00 7f 00 00',
      'mouse_rel: 00 2e 00 00',
      'mouse_rel: 04 00 00 00',
      'mouse_rel: 04 00 00 01',
    ]);
  });

  it('refuses positions outside the screen', async () => {
    const { hid, take } = await makeHid();
    await expect(hid.mouseMoveAbs(1.5, 0)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(hid.mouseMoveRel(Number.NaN, 0)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(take()).toEqual([]);
  });
});

describe('HidService typing', () => {
  it('safe: types each character as a press and an all-up report, with Shift and the gap given', async () => {
    const { hid, take, clock } = await makeHid();
    const progress: string[] = [];
    const done = hid.type('aB!\n', {
      layout: 'us',
      profile: 'safe',
      delayMs: 10,
      onProgress: (d, t) => progress.push(`${d}/${t}`),
    });
    await clock.advance(80);
    await done;
    const reports = take();
    expect(reports).toEqual([
      'keyboard: 00 00 04 00 00 00 00 00',
      KB_IDLE,
      'keyboard: 02 00 05 00 00 00 00 00',
      KB_IDLE,
      'keyboard: 02 00 1e 00 00 00 00 00',
      KB_IDLE,
      'keyboard: 00 00 28 00 00 00 00 00',
      KB_IDLE,
    ]);
    expect(progress).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('fast: keys with the same modifiers share a transition; a repeated key or a modifier change goes through all-up', async () => {
    const { hid, take } = await makeHid();
    await hid.type('abBCcc', { layout: 'us', profile: 'fast' });
    expect(take()).toEqual([
      'keyboard: 00 00 04 00 00 00 00 00', // a
      'keyboard: 00 00 05 00 00 00 00 00', // a up, b down in one report
      KB_IDLE, // Shift comes next
      'keyboard: 02 00 05 00 00 00 00 00', // B
      'keyboard: 02 00 06 00 00 00 00 00', // C shares (Shift stays)
      KB_IDLE,
      'keyboard: 00 00 06 00 00 00 00 00', // c
      KB_IDLE, // c again needs its release
      'keyboard: 00 00 06 00 00 00 00 00',
      KB_IDLE,
    ]);
  });

  it('bios: modifiers go down and up in reports of their own, 15 ms apart', async () => {
    const { hid, recording, clock } = await makeHid();
    const done = hid.type('aB', { layout: 'us', profile: 'BIOS' });
    await clock.advance(200);
    await done;
    const r = recording.records();
    expect(r.map((x) => x.hex)).toEqual([
      '00 00 04 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '02 00 00 00 00 00 00 00',
      '02 00 05 00 00 00 00 00',
      '02 00 00 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);
    expect(r.slice(1).map((x, i) => x.mono - r[i]!.mono)).toEqual([15, 15, 15, 15, 15]);
  });

  it('refuses an unknown profile, naming the known ones', async () => {
    const { hid } = await makeHid();
    await expect(hid.type('a', { profile: 'turbo' })).rejects.toThrow(
      "unknown typing profile 'turbo' (known: fast, safe, bios)",
    );
  });

  it('does not finish before the extra gaps have passed', async () => {
    const { hid, clock, recording } = await makeHid();
    let finished = false;
    void hid.type('ab', { delayMs: 10, profile: 'safe' }).then(() => (finished = true));
    await clock.advance(25);
    expect(recording.records()).toHaveLength(3);
    expect(finished).toBe(false);
    await clock.advance(20);
    expect(finished).toBe(true);
  });

  it('uses AltGr and dead keys of the target layout', async () => {
    const { hid, take } = await makeHid();
    await hid.type('@é^', { layout: 'de' });
    expect(take()).toEqual([
      'keyboard: 40 00 14 00 00 00 00 00', // AltGr+Q
      KB_IDLE,
      'keyboard: 00 00 2e 00 00 00 00 00', // dead acute (´ key)
      'keyboard: 00 00 08 00 00 00 00 00', // e
      'keyboard: 00 00 35 00 00 00 00 00', // dead circumflex
      'keyboard: 00 00 2c 00 00 00 00 00', // space completes it
      KB_IDLE,
    ]);
  });

  it('accepts xkb layout names and any case, and lists the canonical names with their aliases', async () => {
    const { hid, take } = await makeHid();
    await hid.type('@', { layout: 'GB' });
    expect(take()[0]).toBe('keyboard: 02 00 34 00 00 00 00 00'); // Shift+' on the UK layout
    expect(() => hid.checkText('é', 'CH(fr)')).not.toThrow();
    expect(() => hid.checkText('a', 'xx')).toThrow(/known: .*uk \(gb\).*de-ch \(ch, ch\(de\)\)/);
    expect(() => hid.checkText('✓', 'DE')).toThrow("cannot be typed with the 'de' layout");
  });

  it('refuses an unmappable character, naming it and its position, before typing anything', async () => {
    const { hid, take } = await makeHid();
    const err = await hid.type('ok ✓ no', { layout: 'us' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvmError);
    expect(err).toMatchObject({ code: 'UNMAPPABLE_CHAR', details: { char: '✓', position: 4, layout: 'us' } });
    expect((err as Error).message).toContain("'✓'");
    expect(() => hid.checkText('Привет', 'us')).toThrow(/position 1/);
    expect(() => hid.checkText('Привет', 'ru')).not.toThrow();
    expect(take()).toEqual([]);
  });

  it('cancel stops at the next report, releases every key and rejects with MACRO_CANCELLED', async () => {
    const { hid, take, clock, store } = await makeHid();
    const ac = new AbortController();
    const done = hid
      .type('hello', { delayMs: 10, profile: 'safe', signal: ac.signal })
      .catch((e: unknown) => e);
    await clock.advance(15);
    ac.abort();
    await clock.advance(10);
    const err = await done;
    // h went down and up before the cancel: the target has one character.
    expect(err).toMatchObject({ code: 'MACRO_CANCELLED', details: { done: 1, total: 5 } });
    expect(take()).toEqual(['keyboard: 00 00 0b 00 00 00 00 00', KB_IDLE, KB_IDLE]);
    expect(store.slice('hid').keysHeld).toBe(0);
  });

  it('toggles Caps Lock off for the text when the host reports it on', async () => {
    let listener: HidSinkListener | undefined;
    const inner = await makeHid();
    const sink: HidSink = {
      name: 'leds',
      async start(l) {
        listener = l;
        l.online(true, null);
      },
      async stop() {},
      functions: () => inner.recording.functions(),
      write: (fn, r) => inner.recording.write(fn, r),
      stream: (fn, r, o) => inner.recording.stream(fn, r, o),
    };
    const { hid, store } = await makeHid({ sink });
    listener!.leds(0x02);
    expect(store.slice('hid').capsLock).toBe(true);
    await hid.type('A');
    expect(inner.take()).toEqual([
      'keyboard: 00 00 39 00 00 00 00 00',
      KB_IDLE,
      'keyboard: 02 00 04 00 00 00 00 00',
      KB_IDLE,
      'keyboard: 00 00 39 00 00 00 00 00',
      KB_IDLE,
    ]);
  });
});

/** Characters a host got from the keyboard reports it took: one per key that went down (no dead keys in the text). */
function presses(taken: readonly { hex: string }[]): number {
  let n = 0;
  let prev = new Set<string>();
  for (const t of taken) {
    const keys = new Set(
      t.hex
        .split(' ')
        .slice(2)
        .filter((x) => x !== '00'),
    );
    for (const k of keys) if (!prev.has(k)) n++;
    prev = keys;
  }
  return n;
}

describe('HidService typing paced by a slow host', () => {
  const TEXT = 'the quick brown fox jumps over the lazy dog '.repeat(5);

  async function slowHost(pollMs: number, config: Partial<HidConfig> = {}) {
    const clock = new FakeClock();
    const sink = new SlowHostSink(clock, pollMs);
    const h = await makeHid({ sink, clock, config });
    return { ...h, sink };
  }

  it('sends one report per host poll and never holds a key longer than two polls', async () => {
    const { hid, clock, sink } = await slowHost(4);
    const done = hid.type(TEXT, { profile: 'fast' });
    await clock.advance(TEXT.length * 2 * 4 + 100);
    await done;
    expect(presses(sink.taken)).toBe(TEXT.length);
    // One report per poll: the job takes as many polls as reports, plus the confirmation.
    const span = sink.taken.at(-1)!.at - sink.taken[0]!.at;
    expect(span / 4).toBeLessThanOrEqual(sink.taken.length);
    expect(sink.maxHold('ms')).toBeLessThanOrEqual(2 * 4);
    expect(sink.taken.at(-1)!.hex).toBe('00 00 00 00 00 00 00 00');
  });

  it('a host that stops polling pauses the job ("waiting for the host"); it completes when the host polls again', async () => {
    const { hid, clock, sink, store } = await slowHost(1);
    const done = hid.type(TEXT).then(
      () => 'ok',
      (e: unknown) => e,
    );
    await clock.advance(40);
    sink.polling = false;
    await clock.advance(3000);
    expect(store.slice('hid').typing).toBe('waiting for the host');
    sink.polling = true;
    await clock.advance(TEXT.length * 3);
    expect(await done).toBe('ok');
    expect(store.slice('hid').typing).toBe('idle');
    expect(presses(sink.taken)).toBe(TEXT.length);
    // A key the host took just before it paused stays down on it until it polls again (nothing
    // can reach it meanwhile), and goes up in the very next report it takes.
    expect(sink.maxHold('reports')).toBe(1);
  });

  it('a stall past stall_timeout_s fails, counting exactly the characters in reports the host took', async () => {
    const { hid, clock, sink, store } = await slowHost(1, { stall_timeout_s: 2 });
    const done = hid.type(TEXT, { profile: 'safe' }).catch((e: unknown) => e);
    await clock.advance(41);
    sink.polling = false;
    await clock.advance(2100);
    const err = (await done) as KvmError;
    const got = presses(sink.taken);
    expect(got).toBeGreaterThan(5);
    expect(err.code).toBe('HID_WRITE_FAILED');
    expect(err.details).toMatchObject({ done: got, total: TEXT.length, outcome: 'stalled' });
    expect(err.message).toContain(`typing stopped after ${got} of ${TEXT.length} characters`);
    expect(err.message).toContain('the host took no report for 2 s');
    expect(store.slice('hid').keysHeld).toBe(0);
  });

  it('an unplugged gadget fails the job with HID_OFFLINE and the count of characters the host took', async () => {
    const { hid, clock, sink } = await slowHost(1);
    const done = hid.type(TEXT, { profile: 'fast' }).catch((e: unknown) => e);
    await clock.advance(30);
    sink.unplugged = true;
    await clock.advance(10);
    const err = (await done) as KvmError;
    const got = presses(sink.taken);
    const unconfirmed = err.details?.unconfirmed as number;
    // The gadget held one more report the host never took: it is never counted.
    expect(err.details).toMatchObject({ done: got, total: TEXT.length });
    expect(unconfirmed).toBe(1);
    expect(err.message).toContain(
      `typing stopped after ${got} of ${TEXT.length} characters (and character ${got + 1} if`,
    );
  });

  it('cancel stops within one report and the host is left with nothing held', async () => {
    const { hid, clock, sink } = await slowHost(2);
    const ac = new AbortController();
    const done = hid.type(TEXT, { signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(21);
    const before = sink.taken.length;
    ac.abort();
    await clock.advance(20);
    const err = (await done) as KvmError;
    expect(err.code).toBe('MACRO_CANCELLED');
    expect(sink.taken.length - before).toBeLessThanOrEqual(2); // the report the gadget held, then all-up
    expect(sink.taken.at(-1)!.hex).toBe('00 00 00 00 00 00 00 00');
    expect(err.details).toMatchObject({ done: presses(sink.taken) });
  });
});

describe('HidService and the sink going away', () => {
  function switchableSink(inner: Awaited<ReturnType<typeof makeHid>>) {
    let listener: HidSinkListener | undefined;
    let online = true;
    const sink: HidSink = {
      name: 'switchable',
      async start(l) {
        listener = l;
        l.online(true, null);
      },
      async stop() {},
      functions: () => inner.recording.functions(),
      async write(fn, r) {
        if (!online) throw new KvmError('HID_OFFLINE', 'USB HID is offline: cable out');
        await inner.recording.write(fn, r);
      },
      stream: (fn, r, o) => inner.recording.stream(fn, r, o),
    };
    return {
      sink,
      set(on: boolean) {
        online = on;
        listener!.online(on, on ? null : 'cable out');
      },
    };
  }

  it('a key pressed while offline is refused and not counted as held', async () => {
    const inner = await makeHid();
    const sw = switchableSink(inner);
    const { hid, store } = await makeHid({ sink: sw.sink });
    sw.set(false);
    expect(store.slice('hid')).toMatchObject({ online: false, error: 'cable out' });
    await expect(hid.keyDown('a')).rejects.toMatchObject({ code: 'HID_OFFLINE' });
    expect(store.slice('hid').keysHeld).toBe(0);
    sw.set(true);
    await hid.keyDown('a');
    expect(inner.take()).toEqual(['keyboard: 00 00 04 00 00 00 00 00']);
  });

  it('forgets held keys when the sink comes back (it has released them on the host)', async () => {
    const inner = await makeHid();
    const sw = switchableSink(inner);
    const { hid, store } = await makeHid({ sink: sw.sink });
    await hid.keyDown('shift');
    await hid.keyDown('x');
    expect(store.slice('hid').keysHeld).toBe(2);
    sw.set(false);
    sw.set(true);
    expect(store.slice('hid').keysHeld).toBe(0);
    inner.take();
    await hid.keyDown('y'); // no stale Shift or X in the next report
    expect(inner.take()).toEqual(['keyboard: 00 00 1c 00 00 00 00 00']);
  });

  it('refuses a hold time out of range', async () => {
    const { hid, take } = await makeHid();
    await expect(hid.press(['a'], -1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(take()).toEqual([]);
  });
});
