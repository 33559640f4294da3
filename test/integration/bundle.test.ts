import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { VARIANTS } from '../../bench/memory.js';
import { CLI, type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';

/**
 * What ships is one bundled module (scripts/bundle.mjs): the parts a bundle can break are what it
 * loads beside itself at run time. The typing worker thread is started from a file next to the
 * bundle (and silently replaced by the main-thread pacer if that file is missing), mqtt.js is
 * bundled but evaluated on the first connect, koffi and sharp stay in node_modules. The other
 * integration tests run the same bundle; this one starts it exactly as the units do.
 */
describe('the shipped bundle', () => {
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
  });

  it('is what the tests and the units run', () => {
    expect(path.relative(path.resolve(CLI, '../..'), CLI)).toBe(path.join('dist', 'kvmr0ck.js'));
    expect(readFileSync(CLI, 'utf8')).not.toMatch(/from ?["']\.{1,2}\//);
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
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}api/ws`, { headers: d.authHeaders });
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(m.toString()) as Record<string, unknown>));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
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
  });
});
