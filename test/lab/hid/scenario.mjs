// HID scenarios in the lab guest (run by boot.sh inside qemu, on the built dist/): the gadget
// enumerates on dummy_hcd, and what the daemon's HID service sends arrives on the guest's own
// host-side evdev devices exactly as expected.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema } from '../../../dist/src/config/schema.js';
import { initialAppState } from '../../../dist/src/core/app-state.js';
import { systemClock } from '../../../dist/src/core/clock.js';
import { createLogger } from '../../../dist/src/core/log.js';
import { StateStore } from '../../../dist/src/core/state.js';
import { MODIFIER_EVDEV, usageToEvdev } from '../../../dist/src/hid/evdev.js';
import { LayoutRegistry } from '../../../dist/src/hid/layout.js';
import { LAYOUTS } from '../../../dist/src/hid/layouts/index.js';
import { HidService } from '../../../dist/src/hid/service.js';
import { createHidSink } from '../../../dist/src/hid/sinks.js';
import { sleep, TIME_SCALE, waitFor as waitUntil } from '../checks.mjs';
import { typingChecks } from './typing.mjs';

const UDC = 'dummy_udc.0';
const GADGET = '/sys/kernel/config/usb_gadget/kvmr0ck';
const EV_SYN = 0;
const EV_KEY = 1;
const EV_REL = 2;
const EV_ABS = 3;
const EV_LED = 0x11;
let failures = 0;
const t0 = Date.now();

function check(name, ok, detail = '') {
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok' : 'not ok'} - ${name}${ok || !detail ? '' : `: ${detail}`}  (+${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

/** checks.mjs's waitFor (its ceiling scaled by LAB_TIME_SCALE), but a timeout is an error naming `what`. */
async function waitFor(what, fn, ms) {
  const v = await waitUntil(fn, ms, 100);
  if (!v) throw new Error(`timed out after ${ms} ms (x${TIME_SCALE}) waiting for ${what}`);
  return v;
}

/**
 * Host-side event devices of each gadget interface, found by sysfs path (`1-1:1.<n>`), not number.
 * `out[n]` is the first; `out.all[n]` every one (hid-input makes one input device per application
 * collection, so the consumer/system-control interface has two).
 */
function eventDevices() {
  const out = { all: {} };
  const events = readdirSync('/sys/class/input').filter((x) => x.startsWith('event'));
  for (const e of events.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))) {
    const m = /:1\.(\d)\/[^/]+\/input\/input\d+\/event\d+$/.exec(realpathSync(`/sys/class/input/${e}`));
    if (!m) continue;
    out[m[1]] ??= `/dev/input/${e}`;
    out.all[m[1]] = [...(out.all[m[1]] ?? []), `/dev/input/${e}`];
  }
  return out;
}

let readers = 0;

/**
 * Records one event device from a separate process (evdev-reader.mjs); resolves once it has the
 * device open (opening the keyboard is what makes the host poll it). `events` decodes what it
 * got since the last `clear()`: struct input_event on x86-64 is timeval (16), type, code, value.
 */
async function reader(dev) {
  const file = `/tmp/evdev-${readers++}.bin`;
  // Real-time priority: evdev keeps ~64 events per reader and drops them all (SYN_DROPPED) when
  // the reader falls behind, which fast typing in the busy emulated guest otherwise causes.
  const script = path.join(import.meta.dirname, 'evdev-reader.mjs');
  const proc = spawn('chrt', ['-f', '50', process.execPath, script, dev, file]);
  await new Promise((resolve, reject) => {
    proc.stdout.once('data', resolve);
    proc.once('exit', (code) => reject(new Error(`evdev reader for ${dev} exited (${code})`)));
  });
  let from = 0;
  const all = () => {
    const b = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
    const ev = [];
    for (let o = from; o + 24 <= b.length; o += 24) {
      ev.push({
        ms: Number(b.readBigInt64LE(o)) * 1000 + Number(b.readBigInt64LE(o + 8)) / 1000,
        t: b.readUInt16LE(o + 16),
        c: b.readUInt16LE(o + 18),
        v: b.readInt32LE(o + 20),
      });
    }
    return { ev, size: b.length };
  };
  return {
    get events() {
      return all().ev;
    },
    clear() {
      from = all().size;
    },
    /** Everything read, as text (for usbmon). */
    text: () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
    stop: () => proc.kill('SIGKILL'),
  };
}

/** EV_KEY press/release changes grouped per report (SYN_REPORT), each group sorted. */
function keyGroups(events) {
  const groups = [];
  let cur = [];
  for (const e of events) {
    if (e.t === EV_KEY && e.v !== 2) cur.push(`${e.c}:${e.v}`);
    if (e.t === EV_SYN && e.c === 0 && cur.length) {
      groups.push(cur.sort().join(' '));
      cur = [];
    }
  }
  return groups;
}

function expectedGroups(text, layout = 'us') {
  const reg = new LayoutRegistry(LAYOUTS);
  const groups = [];
  for (const strokes of reg.plan(text, layout)) {
    for (const s of strokes) {
      const mods = MODIFIER_EVDEV.filter((_, bit) => s.mods & (1 << bit));
      const key = usageToEvdev(s.usage);
      groups.push([...mods.map((m) => `${m}:1`), `${key}:1`].sort().join(' '));
      groups.push([...mods.map((m) => `${m}:0`), `${key}:0`].sort().join(' '));
    }
  }
  return groups;
}

async function main() {
  execFileSync('mount', ['-t', 'configfs', 'none', '/sys/kernel/config']);
  const cli = (...args) =>
    execFileSync(process.execPath, ['dist/kvmr0ck.js', 'gadget', ...args], {
      env: {
        ...process.env,
        KVMR0CK_CONFIG: '/dev/null',
        KVMR0CK_LOG__FORMAT: 'json',
        KVMR0CK_GADGET__FUNCTIONS__CONSUMER: 'true',
      },
      encoding: 'utf8',
    });
  const upLog = cli('up');
  check(
    'gadget up logs every configfs change',
    upLog.includes('gadget: MKDIR functions/hid.keyboard') &&
      upLog.includes(`gadget: WRITE UDC = \\"${UDC}\\"`),
    upLog.slice(0, 400),
  );
  // Each node start costs the TCG arm64 guest 1-3 minutes: the smoke skips the repeat.
  if (process.env.LAB_SMOKE !== '1')
    check('gadget up again changes nothing', cli('up').includes('nothing to change'));

  const devs = await waitFor(
    'host-side event devices',
    () => {
      const d = eventDevices();
      return d[0] && d[1] && d[2] && d.all[3]?.length === 2 ? d : null;
    },
    60_000,
  );
  check(
    'the host enumerates keyboard, absolute and relative mouse, consumer and system control',
    true,
    JSON.stringify(devs),
  );
  await waitFor(
    'UDC configured',
    () => readFileSync(`/sys/class/udc/${UDC}/state`, 'utf8').trim() === 'configured',
    30_000,
  );

  const config = Value.Default(ConfigSchema, {
    // Single reports (key down/up, mouse) wait this long for the host before failing: a board's
    // host polls every 1-10 ms, but this emulated guest on a busy machine can go 100 ms (the
    // default) without running its USB host at all, which aborted the scenario.
    hid: { sink: 'hidg', hidg: { eagain_timeout_ms: 3000 } },
    gadget: { functions: { consumer: true } },
  });
  const log = createLogger({ level: 'warn', format: 'json' });
  const store = new StateStore(initialAppState());
  const sink = await createHidSink({ ...config, clock: systemClock, log });
  const hid = new HidService({
    sink,
    store,
    log,
    clock: systemClock,
    config: config.hid,
    layouts: new LayoutRegistry(LAYOUTS),
  });
  await hid.start();
  check('the hidg sink is online', store.slice('hid').online === true, JSON.stringify(store.slice('hid')));

  // Typing with the us layout arrives as exactly the expected key events.
  const text = 'Hello, World! 123 {}[]|~';
  let kb = await reader(devs[0]);
  await sleep(1500);
  const typeStart = performance.now();
  await hid.type(text, { layout: 'us', profile: 'safe' });
  const cps = text.length / ((performance.now() - typeStart) / 1000);
  console.log(
    `# typed ${text.length} characters at ${cps.toFixed(1)} chars/s over the real gadget (safe profile)`,
  );
  await sleep(1500);
  const got = keyGroups(kb.events);
  const want = expectedGroups(text);
  check(
    `typing ${JSON.stringify(text)} arrives as exact evdev key events`,
    JSON.stringify(got) === JSON.stringify(want),
    `got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`,
  );
  check('no autorepeat while typing', !kb.events.some((e) => e.t === EV_KEY && e.v === 2));
  // LAB_SMOKE=1 (the arm64 smoke, test/lab/arm64/smoke.sh): typing proven, the rest (and `gadget
  // down`, another node start) is the full set's.
  if (process.env.LAB_SMOKE === '1') {
    kb.stop();
    await hid.stop();
    return;
  }

  // Keys above usage 0x65, which capped descriptors cannot send: F13, F24, JIS Ro and Yen.
  kb.clear();
  for (const key of ['f13', 'f24', 'ro', 'yen', 'henkan']) await hid.press([key], 20);
  await sleep(1500);
  const high = keyGroups(kb.events);
  // KEY_F13 183, KEY_F24 194, KEY_RO 89, KEY_YEN 124, KEY_HENKAN 92
  const wantHigh = [183, 194, 89, 124, 92].flatMap((c) => [`${c}:1`, `${c}:0`]);
  check(
    'F13, F24 and JIS keys arrive (full 0x00-0xFF range)',
    JSON.stringify(high) === JSON.stringify(wantHigh),
    JSON.stringify(high),
  );

  // A seventh key: ErrorRollOver, which the host ignores (the six stay held, no wrong key); when
  // one goes up the seventh arrives.
  kb.clear();
  for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await hid.keyDown(key);
  await hid.keyUp('a');
  await hid.releaseAll();
  await sleep(1500);
  const roll = keyGroups(kb.events);
  // KEY_A 30, B 48, C 46, D 32, E 18, F 33, G 34. The input core may split the six releases of
  // the last report into two packets (its value buffer is sized per device), so compare them as a set.
  const wantRoll = ['30:1', '48:1', '46:1', '32:1', '18:1', '33:1', '30:0 34:1'];
  const released = roll.slice(7).join(' ').split(' ').sort().join(' ');
  check(
    'a seventh key rolls over cleanly',
    JSON.stringify(roll.slice(0, 7)) === JSON.stringify(wantRoll) &&
      released === '18:0 32:0 33:0 34:0 46:0 48:0',
    JSON.stringify(roll),
  );

  // Caps Lock set on the host shows in state.
  const fd = openSync(devs[0], 'w');
  const ev = Buffer.alloc(48);
  ev.writeUInt16LE(EV_LED, 16);
  ev.writeUInt16LE(1, 18); // LED_CAPSL
  ev.writeInt32LE(1, 20);
  writeSync(fd, ev); // EV_LED then an all-zero EV_SYN
  closeSync(fd);
  try {
    await waitFor('capsLock in state', () => store.slice('hid').capsLock, 10_000);
    check('Caps Lock set on the host shows in state', true);
  } catch (e) {
    check('Caps Lock set on the host shows in state', false, String(e));
  }
  // With Caps Lock on, typing toggles it off around the text so the case comes out right.
  kb.clear();
  await hid.type('Ab', { layout: 'us', profile: 'safe' });
  await sleep(1500);
  const caps = ['58:1', '58:0'];
  const gotCaps = keyGroups(kb.events);
  const wantCaps = [...caps, ...expectedGroups('Ab'), ...caps];
  check(
    'typing with Caps Lock on toggles it around the text',
    JSON.stringify(gotCaps) === JSON.stringify(wantCaps),
    `got ${JSON.stringify(gotCaps)}`,
  );
  kb.stop();

  // Absolute and relative mouse.
  const abs = await reader(devs[1]);
  const rel = await reader(devs[2]);
  await sleep(1500);
  await hid.mouseMoveAbs(0.5, 0.25);
  await hid.mouseMoveRel(10, -5);
  await sleep(1500);
  const absX = abs.events.filter((e) => e.t === EV_ABS && e.c === 0).at(-1)?.v;
  const absY = abs.events.filter((e) => e.t === EV_ABS && e.c === 1).at(-1)?.v;
  check('absolute move arrives as ABS_X/ABS_Y', absX === 16384 && absY === 8192, `x=${absX} y=${absY}`);
  const relX = rel.events.filter((e) => e.t === EV_REL && e.c === 0).map((e) => e.v);
  const relY = rel.events.filter((e) => e.t === EV_REL && e.c === 1).map((e) => e.v);
  check(
    'relative move arrives as REL_X/REL_Y',
    relX.join() === '10' && relY.join() === '-5',
    `x=${relX} y=${relY}`,
  );
  abs.stop();
  rel.stop();

  // Media and system keys on the consumer/system-control function (two report IDs).
  const ccs = await Promise.all(eventDevices().all[3].map(reader));
  await sleep(1500);
  for (const key of ['volume_up', 'play_pause', 'sleep']) await hid.press([key], 20);
  await sleep(1500);
  for (const r of ccs) r.stop();
  const media = ccs.flatMap((r) => keyGroups(r.events)).sort();
  // KEY_VOLUMEUP 115, KEY_PLAYPAUSE 164, KEY_SLEEP 142
  const wantMedia = [115, 164, 142].flatMap((c) => [`${c}:1`, `${c}:0`]).sort();
  check(
    'media and system keys arrive',
    JSON.stringify(media) === JSON.stringify(wantMedia),
    JSON.stringify(media),
  );

  // Fast typing decoded by libxkbcommon, a host that stops polling, and an unplug mid-job (which
  // leaves the UDC bound again).
  await typingChecks({ hid, sink, store, check, reader, eventDevices, waitFor, sleep, GADGET, UDC });
  await waitFor('online again', () => store.slice('hid').online, 30_000);
  const devs2 = await waitFor(
    'host-side devices again',
    () => {
      const d = eventDevices();
      return d[0] ? d : null;
    },
    60_000,
  );
  await waitFor(
    'UDC configured again',
    () => readFileSync(`/sys/class/udc/${UDC}/state`, 'utf8').trim() === 'configured',
    30_000,
  );
  kb = await reader(devs2[0]);
  await sleep(1500);
  await hid.type('ok', { layout: 'us', profile: 'safe' });
  await sleep(1500);
  kb.stop();
  const got2 = keyGroups(kb.events);
  check(
    'after rebind typing works again, exactly',
    JSON.stringify(got2) === JSON.stringify(expectedGroups('ok')),
    JSON.stringify(got2),
  );
  check('no key left held', store.slice('hid').keysHeld === 0);

  await hid.stop();
  cli('down');
  check('gadget down removes it', !existsSync(GADGET));
}

main().then(
  () => {
    console.log(failures ? `FAIL: ${failures} check(s) failed` : 'PASS');
    process.exit(failures ? 1 : 0);
  },
  (e) => {
    console.log(`not ok - scenario aborted: ${e?.stack ?? e}`);
    process.exit(2);
  },
);
