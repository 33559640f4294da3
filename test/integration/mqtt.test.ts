import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/main.js';
import { type Broker, type Probe, probe, startMosquitto } from '../helpers/mosquitto.js';
import { fakeMacros, mqttConfig, startApp, until } from '../unit/mqtt/app.js';
import { checkComponents } from '../unit/mqtt/ha-schema.js';

let broker: Broker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let seq = 0;
async function setup(
  mqtt: Record<string, unknown> = {},
  macros?: ReturnType<typeof fakeMacros>,
  onRestart?: () => void,
) {
  const node = typeof mqtt.node_id === 'string' ? mqtt.node_id : `t${process.pid}_${seq++}`;
  const p: Probe = await probe(broker.url, [`kvmr0ck/${node}/#`, `homeassistant/device/${node}/config`]);
  cleanups.push(() => p.close());
  const app = await startApp(mqttConfig(broker.url, node, mqtt), macros, onRestart);
  cleanups.push(() => app.stop());
  await p.wait((t) => t === `homeassistant/device/${node}/config`);
  await p.wait((t) => t === `kvmr0ck/${node}/state`);
  return { node, p, app, base: `kvmr0ck/${node}` };
}

function discovery(p: Probe, node: string, nth = -1) {
  const all = p.messages.filter((m) => m.topic === `homeassistant/device/${node}/config`);
  const m = all.at(nth);
  if (!m) throw new Error('no discovery');
  return JSON.parse(m.payload.toString()) as {
    dev: Record<string, unknown>;
    o: Record<string, unknown>;
    cmps: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;
}

async function command(s: { p: Probe; base: string }, body: unknown, id: string) {
  const payload = typeof body === 'string' ? body : JSON.stringify({ id, ...(body as object) });
  await s.p.client.publishAsync(`${s.base}/command`, payload, { qos: 1 });
  const r = await s.p.wait((t, pl) => t === `${s.base}/command/result` && pl.toString().includes(`"${id}"`));
  return JSON.parse(r.toString()) as { id: string; ok: boolean; error?: { code: string; message: string } };
}

const hex = (app: App & { recording: { records(): { fn: string; hex: string }[] } }, fn = 'keyboard') =>
  app.recording
    .records()
    .filter((r) => r.fn === fn)
    .map((r) => r.hex.replaceAll(' ', ''));

describe('MQTT discovery (device-based, https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload)', () => {
  it('publishes dev, o and components HA accepts (schema check per platform), each with p and unique_id', async () => {
    let restarts = 0;
    const s = await setup(
      { board_diagnostics: true },
      fakeMacros(['boot', 'login', 'reboot'], ['reboot']),
      () => restarts++,
    );
    const d = discovery(s.p, s.node);
    expect(d.dev).toMatchObject({ ids: [s.node], name: 'kvmr0ck', mf: 'kvmr0ck', sw: 'test' });
    // Bound to 127.0.0.1 in tests: that one address is the link.
    expect(String(d.dev.cu)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(d.o).toMatchObject({ name: 'kvmr0ck', sw: 'test' });
    expect(d.avty_t).toBe(`${s.base}/availability`);
    expect(checkComponents(d.cmps, String(d.dev.name))).toEqual([]);
    for (const [key, c] of Object.entries(d.cmps)) {
      expect(c.unique_id, key).toBe(`${s.node}_${key}`);
      expect(c.default_entity_id, key).toBe(`${c.p}.kvmr0ck_${key}`);
    }
    for (const k of [
      'restart',
      'cancel',
      'macro_boot',
      'macro_login',
      'type_text',
      'macro_select',
      'version',
      'command_error',
      'cpu_temp',
    ])
      expect(d.cmps, k).toHaveProperty(k);
    // The dangerous macro has no one-tap entity; the select shows titles.
    expect(d.cmps).not.toHaveProperty('macro_reboot');
    expect(d.cmps.macro_select!.options).toEqual(['(choose)', 'BOOT', 'LOGIN']);
    expect(d.cmps.type_text!.mode).toBe('password');
    const screen = await s.p.wait((t) => t === `${s.base}/screen`);
    expect([...screen.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const avail = await s.p.wait((t) => t === `${s.base}/availability`);
    expect(avail.toString()).toBe('online');
    const version = await s.p.wait((t) => t === `${s.base}/version`);
    expect(JSON.parse(version.toString())).toEqual({ installed_version: 'test', latest_version: 'test' });
    // The restart button asks the daemon to restart (the CLI rebuilds the app).
    await s.p.client.publishAsync(`${s.base}/set/restart`, 'PRESS', { qos: 1 });
    await until(() => restarts === 1);
  });

  it('the text entity keeps a retained empty state a restarted HA reads back; resolution None without signal', async () => {
    const s = await setup({ snapshot_interval_s: 0 });
    await s.p.wait((t) => t === `${s.base}/text_state`);
    s.app.store.patch('video', { signal: false, signalReason: 'no link' });
    await s.p.wait((t, pl) => t === `${s.base}/state` && JSON.parse(pl.toString()).signal === false);
    // What HA sees after its own restart: the retained messages, delivered to a new subscriber.
    const late = await probe(broker.url, [
      `${s.base}/text_state`,
      `${s.base}/state`,
      `${s.base}/macro_select`,
    ]);
    cleanups.push(() => late.close());
    const text = await late.wait((t) => t === `${s.base}/text_state`);
    expect(late.messages.find((m) => m.topic === `${s.base}/text_state`)!.retain).toBe(true);
    // HA renders value_template {{ value_json.text }} to "" and {{ value_json.resolution }} to
    // "None", which its MQTT sensor turns into unknown.
    expect(JSON.parse(text.toString())).toEqual({ text: '' });
    const st = JSON.parse((await late.wait((t) => t === `${s.base}/state`)).toString());
    expect(st.resolution).toBeNull();
    expect(discovery(s.p, s.node).cmps.resolution!.val_tpl).toBe('{{ value_json.resolution }}');
  });

  it('removes a deleted macro as {"p": "button"}; read_only and text_entity:false omit control entities', async () => {
    const macros = fakeMacros(['boot', 'login']);
    const s = await setup({}, macros);
    macros.remove('login');
    await until(() => s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length >= 2);
    expect(discovery(s.p, s.node).cmps.macro_login).toEqual({ p: 'button' });

    const ro = await setup({ read_only: true, text_entity: false }, fakeMacros(['boot']));
    const keys = Object.keys(discovery(ro.p, ro.node).cmps);
    for (const k of ['restart', 'cancel', 'macro_boot', 'type_text', 'macro_select', 'jpeg_quality'])
      expect(keys).not.toContain(k);
    expect(keys).toContain('signal');
    // Commands are not even received when read-only: test/security/mqtt.test.ts (PUBACK 0x10).
    const nt = await setup({ text_entity: false });
    expect(Object.keys(discovery(nt.p, nt.node).cmps)).not.toContain('type_text');
  });

  it('a macro deleted while the daemon was down is removed from HA when it starts again', async () => {
    const node = `t${process.pid}_restart`;
    const first = await setup({ node_id: node }, fakeMacros(['boot', 'login']));
    expect(discovery(first.p, node).cmps.macro_login).toMatchObject({
      p: 'button',
      cmd_t: `${first.base}/set/macro/login`,
    });
    await first.app.stop();
    // A new process: nothing in memory, only what the broker kept.
    const second = await setup({ node_id: node }, fakeMacros(['boot']));
    // The probe first gets the old retained payload; wait for the new daemon's own.
    await second.p.wait((t, _pl, retained) => t === `homeassistant/device/${node}/config` && !retained);
    expect(discovery(second.p, node).cmps.macro_login).toEqual({ p: 'button' });
    expect(discovery(second.p, node).cmps.macro_boot).toMatchObject({ p: 'button' });
    // What a subscriber (HA) finds on the broker now: the entity is gone.
    const late = await probe(broker.url, [`homeassistant/device/${node}/config`]);
    cleanups.push(() => late.close());
    const retained = JSON.parse((await late.wait(() => true)).toString()) as { cmps: Record<string, object> };
    expect(retained.cmps.macro_login).toEqual({ p: 'button' });
    expect(retained.cmps.macro_boot).toHaveProperty('cmd_t');
  });

  it('with the built-in macros: one Ctrl+Alt+Del button, none for SysRq reboot unless opted in', async () => {
    const s = await setup();
    const cmps = discovery(s.p, s.node).cmps;
    expect(cmps.macro_ctrl_alt_del).toMatchObject({
      name: 'Ctrl+Alt+Del',
      default_entity_id: 'button.kvmr0ck_macro_ctrl_alt_del',
    });
    expect(Object.values(cmps).filter((c) => /ctrl.alt.del/i.test(String(c.name)))).toHaveLength(1);
    expect(cmps).not.toHaveProperty('macro_sysrq_reboot');
    expect(cmps.macro_select!.options).toContain('Enter BIOS setup');
    expect(cmps.macro_select!.options).not.toContain('Emergency reboot (SysRq REISUB)');
    const opted = await setup({ dangerous_macro_buttons: true });
    expect(discovery(opted.p, opted.node).cmps.macro_sysrq_reboot).toMatchObject({ p: 'button' });
  });

  it('republishes discovery and states when Home Assistant says online', async () => {
    const s = await setup();
    const before = s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length;
    const states = s.p.messages.filter((m) => m.topic === `${s.base}/state`).length;
    await s.p.client.publishAsync('homeassistant/status', 'online');
    await until(
      () => s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length > before,
    );
    await until(() => s.p.messages.filter((m) => m.topic === `${s.base}/state`).length > states);
  });
});

describe('MQTT commands end to end into the recording sink', () => {
  it('press and type send the exact reports; result {id, ok}', async () => {
    const s = await setup();
    expect(await command(s, { action: 'press', keys: ['ctrl', 'alt', 'delete'] }, 'p1')).toEqual({
      id: 'p1',
      ok: true,
    });
    expect(hex(s.app)).toEqual([
      '0100000000000000',
      '0500000000000000',
      '05004c0000000000',
      '0500000000000000',
      '0100000000000000',
      '0000000000000000',
    ]);
    s.app.recording.clear?.();
    const n = s.app.recording.records().length;
    expect(await command(s, { action: 'type', text: 'Ab' }, 't1')).toEqual({ id: 't1', ok: true });
    expect(hex(s.app).slice(n)).toEqual([
      '0200040000000000',
      '0000000000000000',
      '0000050000000000',
      '0000000000000000',
    ]);
  });

  it('entity topics take the exact payloads HA sends: button PRESS, raw text, select option, integer number', async () => {
    const macros = fakeMacros(['boot', 'reboot'], ['reboot']);
    const s = await setup({}, macros);
    // number.mqtt publishes an integral value without a decimal point.
    await s.p.client.publishAsync(`${s.base}/set/jpeg_quality`, '55', { qos: 1 });
    await s.p.client.publishAsync(`${s.base}/set/max_fps`, '12', { qos: 1 });
    // Live values land in state through the video controller; the loaded config is not written.
    await until(() => s.app.store.get().video.quality === 55 && s.app.store.get().video.maxFps === 12);
    expect(s.app.config.video.quality).toBe(80);
    await s.p.wait((t, pl) => t === `${s.base}/state` && JSON.parse(pl.toString()).jpeg_quality === 55);
    // button.mqtt sends payload_press, PRESS by default; select.mqtt sends the option as shown.
    await s.p.client.publishAsync(`${s.base}/set/macro/boot`, 'PRESS', { qos: 1 });
    await s.p.client.publishAsync(`${s.base}/set/macro_select`, 'BOOT', { qos: 1 });
    await until(() => macros.runs.length === 2);
    expect(macros.runs.map((r) => [r.name, r.origin])).toEqual([
      ['boot', 'mqtt-entity'],
      ['boot', 'mqtt-entity'],
    ]);
    await s.p.wait((t, pl) => t === `${s.base}/event` && JSON.parse(pl.toString()).event_type === 'finished');
    // text.mqtt sends the text as it is.
    const before = hex(s.app).length;
    await s.p.client.publishAsync(`${s.base}/set/type`, 'hi', { qos: 1 });
    // The fast profile (the default) lets h's release and i's press share one report.
    await until(() => hex(s.app).length >= before + 3 && hex(s.app).at(-1) === '0000000000000000');
    expect(hex(s.app).slice(before)).toEqual(['00000b0000000000', '00000c0000000000', '0000000000000000']);
    // The text entity's state stays the retained empty text; nothing published holds what was typed.
    await s.p.wait((t) => t === `${s.base}/text_state`);
    const texts = s.p.messages
      .filter((m) => m.topic === `${s.base}/text_state`)
      .map((m) => m.payload.toString());
    expect(new Set(texts)).toEqual(new Set(['{"text":""}']));
    const published = s.p.messages
      .filter((m) => m.topic !== `${s.base}/set/type`)
      .map((m) => m.payload.toString());
    expect(published.join()).not.toContain('hi');
  });

  it('failed entity commands fire the Command error event with code and message', async () => {
    const macros = fakeMacros(['boot', 'reboot'], ['reboot']);
    const s = await setup({}, macros);
    const errors = () =>
      s.p.messages
        .filter((m) => m.topic === `${s.base}/command/error`)
        .map((m) => JSON.parse(m.payload.toString()));
    await s.p.client.publishAsync(`${s.base}/set/type`, 'a€', { qos: 1 });
    await until(() => errors().length === 1);
    expect(errors()[0]).toMatchObject({
      event_type: 'failed',
      code: 'UNMAPPABLE_CHAR',
      message: expect.stringMatching(/position 2/),
    });
    expect(JSON.stringify(errors()[0])).not.toContain('€');
    // A dangerous macro has no entity: a press on its old topic is refused, nothing runs.
    await s.p.client.publishAsync(`${s.base}/set/macro/reboot`, 'PRESS', { qos: 1 });
    await s.p.client.publishAsync(`${s.base}/set/macro_select`, 'NO SUCH', { qos: 1 });
    await until(() => errors().length === 3);
    expect(errors().map((e) => e.code)).toEqual(['UNMAPPABLE_CHAR', 'COMMAND_REFUSED', 'MACRO_NOT_FOUND']);
    expect(errors()[1].message).toMatch(/dangerous/);
    expect(macros.runs).toEqual([]);
    expect(s.app.recording.records()).toEqual([]);
    // The JSON command topic (scripts, automations) may still run it: a deliberate act.
    expect((await command(s, { action: 'macro', name: 'reboot' }, 'dz')).ok).toBe(true);
    expect(macros.runs.map((r) => r.name)).toEqual(['reboot']);
  });

  it('refuses bad input with an error result and types nothing', async () => {
    const s = await setup({ max_text_length: 10, max_payload_bytes: 512 });
    const cases: [string, unknown, string, RegExp][] = [
      ['b1', '{not json', 'BAD_REQUEST', /not JSON/],
      ['b2', { action: 'dance' }, 'BAD_REQUEST', /unknown action 'dance'/],
      ['b3', { action: 'press', keys: 'a' }, 'BAD_REQUEST', /press\.keys/],
      ['b4', { action: 'type', text: 5 }, 'BAD_REQUEST', /type\.text/],
      ['b5', { action: 'press', keys: ['ctrl', 'nokey'] }, 'UNKNOWN_KEY', /nokey/],
      ['b6', { action: 'type', text: 'x'.repeat(11) }, 'BAD_REQUEST', /type\.text/],
      ['b7', { action: 'type', text: 'a'.repeat(600) }, 'TOO_LARGE', /limit is 512/],
      ['b8', { action: 'type', text: 'a€' }, 'UNMAPPABLE_CHAR', /position 2/],
      ['b9', { action: 'macro', name: 'x' }, 'MACRO_NOT_FOUND', /macro/],
      ['b10', { action: 'press', keys: ['a'], extra: 1 }, 'BAD_REQUEST', /press/],
      ['b11', { action: 'mouse' }, 'BAD_REQUEST', /mouse/],
    ];
    for (const [id, body, code, msg] of cases) {
      const payload = typeof body === 'string' ? `${body}` : JSON.stringify({ id, ...(body as object) });
      await s.p.client.publishAsync(`${s.base}/command`, payload, { qos: 1 });
      const r =
        id === 'b1'
          ? await s.p.wait((t, pl) => t === `${s.base}/command/result` && pl.includes('not JSON'))
          : await s.p.wait((t, pl) => t === `${s.base}/command/result` && pl.toString().includes(`"${id}"`));
      const res = JSON.parse(r.toString());
      expect(res.ok, id).toBe(false);
      expect(res.error.code, id).toBe(code);
      expect(res.error.message, id).toMatch(msg);
    }
    expect(s.app.recording.records()).toEqual([]);
  });

  it('ignores retained commands and refuses expired ones', async () => {
    const node = `t${process.pid}_retained`;
    const base = `kvmr0ck/${node}`;
    const pre = await probe(broker.url, []);
    await pre.client.publishAsync(`${base}/command`, JSON.stringify({ action: 'press', keys: ['a'] }), {
      qos: 1,
      retain: true,
    });
    const s = await setup({ node_id: node });
    await new Promise((r) => setTimeout(r, 300));
    const old = await command(s, { action: 'press', keys: ['a'], ts: Date.now() - 60_000 }, 'e1');
    expect(old.error?.code).toBe('COMMAND_REFUSED');
    expect(s.app.recording.records()).toEqual([]);
    expect((await command(s, { action: 'press', keys: ['a'], ts: new Date().toISOString() }, 'e2')).ok).toBe(
      true,
    );
    await pre.client.publishAsync(`${base}/command`, '', { qos: 1, retain: true });
    await pre.close();
  });

  it('snapshot, mouse, release_all and cancel', async () => {
    const s = await setup();
    const screens = () => s.p.messages.filter((m) => m.topic === `${s.base}/screen`).length;
    const n = screens();
    expect((await command(s, { action: 'snapshot' }, 's1')).ok).toBe(true);
    await until(() => screens() > n);
    expect(
      (
        await command(
          s,
          { action: 'mouse', move: { x: 0.5, y: 0.5 }, click: 'left', scroll: { vertical: 1 } },
          'm1',
        )
      ).ok,
    ).toBe(true);
    expect(s.app.recording.records().some((r) => r.fn === 'mouse')).toBe(true);
    expect((await command(s, { action: 'release_all' }, 'r1')).ok).toBe(true);
    const typing = command(s, { action: 'type', text: 'abcdefghij' }, 'long');
    expect((await command(s, { action: 'cancel' }, 'c1')).ok).toBe(true);
    const r = await typing;
    expect(r.ok === true || r.error?.code === 'MACRO_CANCELLED').toBe(true);
  });
});

describe('states and the screen image', () => {
  it('a signal change publishes state at once and a fresh screen; stop leaves a retained offline', async () => {
    const s = await setup({ snapshot_interval_s: 0 });
    await s.p.wait((t) => t === `${s.base}/screen`);
    const screens = () => s.p.messages.filter((m) => m.topic === `${s.base}/screen`).length;
    const n = screens();
    s.app.store.patch('video', { signal: false, signalReason: 'no link' });
    const st = await s.p.wait(
      (t, pl) => t === `${s.base}/state` && JSON.parse(pl.toString()).signal === false,
    );
    expect(JSON.parse(st.toString())).toMatchObject({ host: 'off', resolution: null, usb: 'unknown' });
    await until(() => screens() > n);
    s.app.store.patch('usb', { state: 'configured' });
    await s.p.wait((t, pl) => t === `${s.base}/state` && JSON.parse(pl.toString()).host === 'no signal');
    await s.app.stop();
    await s.p.wait((t, pl) => t === `${s.base}/availability` && pl.toString() === 'offline');
  });
});

describe('broker restart', () => {
  it('reconnects, republishes discovery and does not run a command twice', async () => {
    const s = await setup();
    expect((await command(s, { action: 'press', keys: ['a'] }, 'once')).ok).toBe(true);
    const reports = s.app.recording.records().length;
    const disc = s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length;
    await broker.restart();
    await until(() => s.p.client.connected, 10_000);
    await s.p.client.subscribeAsync([`${s.base}/#`, `homeassistant/device/${s.node}/config`], { qos: 1 });
    await until(
      () => s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length > disc,
      10_000,
    );
    // A sender that did not see the result retries with the same id: answered, not run again.
    await s.p.client.publishAsync(
      `${s.base}/command`,
      JSON.stringify({ id: 'once', action: 'press', keys: ['a'] }),
      { qos: 1 },
    );
    await until(
      () =>
        s.p.messages.filter((m) => m.topic === `${s.base}/command/result` && m.payload.includes('"once"'))
          .length >= 2,
      10_000,
    );
    expect(s.app.recording.records().length).toBe(reports);
  });
});
