import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VARIANTS } from '../../bench/memory.js';
import { CLI, type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';
import { openPanelSocket } from '../helpers/ws.js';

/**
 * What ships is one bundled module (scripts/bundle.mjs): the parts a bundle can break are what it
 * loads beside itself at run time. The typing worker thread is started from a file next to the
 * bundle (and silently replaced by the main-thread pacer if that file is missing); koffi and sharp
 * stay in node_modules, sharp imported only when used. The other integration tests run the same
 * bundle; this one starts it exactly as the units do. (mqtt.js's lazy load is checked on tsc's
 * output by test/unit/mqtt/lazy-load.test.ts; the bundle keeps it behind the same call.)
 */
describe('the shipped bundle', () => {
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
  });

  it('loads none of our own files at run time: everything but the worker is inside it', () => {
    // Static (`from"./x"`) and dynamic (`import("./x")`) imports, as esbuild writes them.
    expect(readFileSync(CLI, 'utf8')).not.toMatch(/(from|import\()\s*["']\.{1,2}\//);
  });

  it('holds no Ajv: routes are checked by TypeBox (src/http/validation.ts)', () => {
    // --keep-names writes each class's name as a string; Ajv's was there three times before.
    expect(readFileSync(CLI, 'utf8')).not.toContain('"Ajv"');
  });

  it('types through the gadget devices on its worker thread, with the shipped V8 flags', async () => {
    // Regular files stand in for /dev/hidg*: the sink opens and writes them like the gadget's.
    const dev = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-bundle-dev-'));
    for (let i = 0; i < 5; i++) closeSync(openSync(path.join(dev, `hidg${i}`), 'w'));
    const d = await startDaemon({
      command: 'run',
      nodeArgs: VARIANTS[0]!.args,
      env: {
        ...VARIANTS[0]!.env,
        KVMR0CK_HID__SINK: 'hidg',
        KVMR0CK_PATHS__DEV: dev,
        KVMR0CK_VIDEO__SOURCE: 'test-pattern',
      },
    });
    daemons.push(d);
    const { ws, messages } = await openPanelSocket(d);
    ws.send(JSON.stringify({ t: 'type', text: 'ab', layout: 'us' }));
    await until(() => messages.some((m) => m.t === 'type_done' || m.t === 'error'), 20_000, 'typing to end');
    ws.close();
    expect(messages.find((m) => m.t === 'error')).toBeUndefined();
    // The worker thread said hello: it ran from dist/pace-worker.js, beside the bundle.
    expect(d.output()).toMatch(/hid: typing worker (runs at real-time priority|at normal priority)/);
    // Boot Keyboard reports (HID 1.11 B.1): 8 bytes, the key in byte 2; a (0x04) then b (0x05),
    // each let go again (HID Usage Tables 10, Keyboard/Keypad page).
    const kb = readFileSync(path.join(dev, 'hidg0'));
    const keys: number[] = [];
    for (let i = 0; i + 8 <= kb.length; i += 8) keys.push(kb[i + 2]!);
    expect(kb.length % 8).toBe(0);
    expect(keys.filter((k, i) => k !== 0 && k !== keys[i - 1])).toEqual([0x04, 0x05]);
    expect(keys.at(-1)).toBe(0);
    // A snapshot is encoded by libturbojpeg (through koffi, from node_modules); nothing here needs
    // sharp (the fallback encoder, a macro's screen match), so libvips was never loaded.
    const snap = await fetch(`${d.url}snapshot.jpg`, { headers: d.authHeaders });
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const maps = readFileSync(`/proc/${d.proc.pid}/maps`, 'utf8');
    expect(maps).toContain('libturbojpeg');
    expect(maps).not.toContain('libvips');
  });
});
