import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/main.js';
import { type Broker, type Probe, probe, startMosquitto } from '../helpers/mosquitto.js';
import { fakeMacros, mqttConfig, startApp, until } from '../unit/mqtt/app.js';

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
async function setup(mqtt: Record<string, unknown> = {}, macros?: ReturnType<typeof fakeMacros>) {
  const node = typeof mqtt.node_id === 'string' ? mqtt.node_id : `t${process.pid}_${seq++}`;
  const p: Probe = await probe(broker.url, [`kvmr0ck/${node}/#`, `homeassistant/device/${node}/config`]);
  cleanups.push(() => p.close());
  const app = await startApp(mqttConfig(broker.url, node, mqtt), macros);
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
  // Required/used keys per platform, from each platform's MQTT doc page.
  const table: [string, string, string[]][] = [
    ['screen', 'image', ['image_topic', 'content_type']], // https://www.home-assistant.io/integrations/image.mqtt/
    ['signal', 'binary_sensor', ['stat_t', 'val_tpl']], // https://www.home-assistant.io/integrations/binary_sensor.mqtt/
    ['usb', 'binary_sensor', ['stat_t', 'val_tpl', 'dev_cla']],
    ['caps_lock', 'binary_sensor', ['stat_t', 'val_tpl']],
    ['resolution', 'sensor', ['stat_t', 'val_tpl']], // https://www.home-assistant.io/integrations/sensor.mqtt/
    ['encode_ms', 'sensor', ['stat_t', 'val_tpl', 'unit_of_meas', 'ent_cat']],
    ['host', 'sensor', ['stat_t', 'val_tpl', 'dev_cla', 'options']],
    ['macro_status', 'sensor', ['stat_t', 'val_tpl']],
    ['ctrl_alt_del', 'button', ['cmd_t']], // https://www.home-assistant.io/integrations/button.mqtt/
    ['cancel', 'button', ['cmd_t']],
    ['macro_boot', 'button', ['cmd_t']],
    ['type_text', 'text', ['cmd_t', 'stat_t', 'mode', 'max']], // https://www.home-assistant.io/integrations/text.mqtt/
    ['macro_select', 'select', ['cmd_t', 'stat_t', 'options']], // https://www.home-assistant.io/integrations/select.mqtt/
    ['jpeg_quality', 'number', ['cmd_t', 'stat_t', 'min', 'max', 'step', 'ent_cat']], // https://www.home-assistant.io/integrations/number.mqtt/
    ['max_fps', 'number', ['cmd_t', 'stat_t', 'min', 'max', 'ent_cat']],
    ['macro_event', 'event', ['stat_t', 'event_types']], // https://www.home-assistant.io/integrations/event.mqtt/
  ];

  it('publishes dev, o and one component per entity, each with p and unique_id', async () => {
    const s = await setup({}, fakeMacros(['boot', 'login']));
    const d = discovery(s.p, s.node);
    expect(d.dev).toMatchObject({ ids: [s.node], name: 'kvmr0ck', mf: 'kvmr0ck', sw: 'test' });
    expect(String(d.dev.cu)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(d.o).toMatchObject({ name: 'kvmr0ck', sw: 'test' });
    expect(d.avty_t).toBe(`${s.base}/availability`);
    for (const [key, platform, keys] of table) {
      const c = d.cmps[key];
      expect(c, key).toBeDefined();
      expect(c!.p, key).toBe(platform);
      expect(c!.unique_id, key).toBe(`${s.node}_${key}`);
      for (const k of keys) expect(c![k], `${key}.${k}`).toBeDefined();
    }
    expect(d.cmps.encode_ms!.ent_cat).toBe('diagnostic');
    expect(d.cmps.jpeg_quality!.ent_cat).toBe('config');
    expect(d.cmps.type_text!.mode).toBe('password');
    expect(d.cmps.macro_select!.options).toEqual(['(choose)', 'boot', 'login']);
    const screen = await s.p.wait((t) => t === `${s.base}/screen`);
    expect([...screen.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const avail = await s.p.wait((t) => t === `${s.base}/availability`);
    expect(avail.toString()).toBe('online');
  });

  it('removes a deleted macro as {"p": "button"}; read_only and text_entity:false omit control entities', async () => {
    const macros = fakeMacros(['boot', 'login']);
    const s = await setup({}, macros);
    macros.remove('login');
    await until(() => s.p.messages.filter((m) => m.topic.startsWith('homeassistant/device/')).length >= 2);
    expect(discovery(s.p, s.node).cmps.macro_login).toEqual({ p: 'button' });

    const ro = await setup({ read_only: true, text_entity: false }, fakeMacros(['boot']));
    const keys = Object.keys(discovery(ro.p, ro.node).cmps);
    for (const k of ['ctrl_alt_del', 'cancel', 'macro_boot', 'type_text', 'macro_select', 'jpeg_quality'])
      expect(keys).not.toContain(k);
    expect(keys).toContain('signal');
    const r = await command(ro, { action: 'press', keys: ['a'] }, 'ro1');
    expect(r.error?.code).toBe('COMMAND_REFUSED');
    const nt = await setup({ text_entity: false });
    expect(Object.keys(discovery(nt.p, nt.node).cmps)).not.toContain('type_text');
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

  it('entity topics: Ctrl-Alt-Del button, text, numbers, macro button and select', async () => {
    const macros = fakeMacros(['boot']);
    const s = await setup({}, macros);
    await s.p.client.publishAsync(`${s.base}/set/ctrl_alt_del`, 'PRESS', { qos: 1 });
    await s.p.wait((t, pl) => t === `${s.base}/command/result` && pl.includes('"ok":true'));
    expect(hex(s.app)).toContain('05004c0000000000');
    await s.p.client.publishAsync(`${s.base}/set/jpeg_quality`, '55', { qos: 1 });
    await until(() => s.app.config.video.quality === 55);
    await s.p.wait((t, pl) => t === `${s.base}/state` && JSON.parse(pl.toString()).jpeg_quality === 55);
    await s.p.client.publishAsync(`${s.base}/set/macro/boot`, 'PRESS', { qos: 1 });
    await s.p.client.publishAsync(`${s.base}/set/macro_select`, 'boot', { qos: 1 });
    await until(() => macros.runs.length === 2);
    expect(macros.runs[0]).toMatchObject({ name: 'boot', origin: 'mqtt-entity' });
    await s.p.wait((t, pl) => t === `${s.base}/event` && JSON.parse(pl.toString()).event_type === 'finished');
    const before = s.app.recording.records().length;
    await s.p.client.publishAsync(`${s.base}/set/type`, 'hi', { qos: 1 });
    await until(() => s.app.recording.records().length >= before + 3); // h, i (sharing the transition), all up
    // HA's text entity is told "" afterwards, so it never stores what was typed. That message may
    // reach the probe after the reports reach the sink: wait for it rather than race it.
    await until(() => s.p.messages.filter((m) => m.topic === `${s.base}/text_state`).length >= 2);
    const texts = s.p.messages
      .filter((m) => m.topic === `${s.base}/text_state`)
      .map((m) => m.payload.toString());
    expect(texts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(texts)).toEqual(new Set(['']));
    const states = s.p.messages
      .filter((m) => m.topic !== `${s.base}/set/type`)
      .map((m) => m.payload.toString());
    expect(states.join()).not.toContain('hi');
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
    expect(JSON.parse(st.toString())).toMatchObject({ host: 'off', resolution: 'none', usb: 'unknown' });
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
