import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/wait.js';

/**
 * The real daemon runs the built-in enter_bios against the test pattern, which turns into a still
 * "setup screen" after 4 s (video.test_pattern_still_after_s): the macro spams Delete until the
 * screen stands still, then stops by itself.
 */
describe('enter_bios end to end', () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({
      command: 'demo',
      env: { KVMR0CK_VIDEO__TEST_PATTERN_STILL_AFTER_S: '4', KVMR0CK_VIDEO__FPS: '10' },
    });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('lists the built-ins over HTTP without their steps', async () => {
    const r = (await (await fetch(`${d.url}api/macros`, { headers: d.authHeaders })).json()) as {
      macros: { name: string }[];
    };
    const names = r.macros.map((m) => m.name);
    for (const n of [
      'ctrl_alt_del',
      'enter_bios',
      'boot_menu',
      'grub_default',
      'wake',
      'sysrq_reboot',
      'lock_screen',
    ]) {
      expect(names).toContain(n);
    }
    expect(JSON.stringify(r)).not.toContain('steps');
  });

  it('spams Delete until the scripted setup screen appears, then stops', async () => {
    const run = await fetch(`${d.url}api/macros/enter_bios/run`, {
      method: 'POST',
      headers: { ...d.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ params: { key: 'delete' } }),
    });
    expect(await run.json()).toEqual({ name: 'enter_bios', status: 'started' });
    const busy = await fetch(`${d.url}api/macros/wake/run`, { method: 'POST', headers: d.authHeaders });
    expect(busy.status).toBe(409);

    type State = { macro: { status: string; last: { result: string } | null } };
    let state = null as State | null;
    await until(
      async () => {
        state = (await (await fetch(`${d.url}api/state`, { headers: d.authHeaders })).json()) as State;
        return state.macro.status !== 'running';
      },
      30_000,
      'the macro to stop by itself',
    );
    expect(state?.macro).toMatchObject({ status: 'finished', last: { result: 'finished' } });
    const rec = (await (await fetch(`${d.url}api/hid/recorded`, { headers: d.authHeaders })).json()) as {
      reports: { fn: string; hex: string }[];
    };
    const deletes = rec.reports.filter(
      (r) => r.fn === 'keyboard' && r.hex === '00 00 4c 00 00 00 00 00',
    ).length;
    // Delete went out again and again while the picture moved (how often depends on the machine's
    // speed), and stopped once it stood still: far fewer than 30 s worth (~130).
    expect(deletes).toBeGreaterThan(2);
    expect(deletes).toBeLessThan(60);
    expect(rec.reports.filter((r) => r.fn === 'keyboard').at(-1)?.hex).toBe('00 00 00 00 00 00 00 00');
  });

  it('a bad parameter is refused before anything is typed', async () => {
    const r = await fetch(`${d.url}api/macros/enter_bios/run`, {
      method: 'POST',
      headers: { ...d.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ params: { key: 'f13' } }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
      /must be one of delete, f2/,
    );
  });
});

describe('/metrics', () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ command: 'demo' });
  });
  afterAll(async () => {
    await d?.stop('SIGKILL');
  });

  it('serves Prometheus text with video, stream, HID and macro figures, behind auth', async () => {
    expect((await fetch(`${d.url}metrics`)).status).toBe(401);
    const run = await fetch(`${d.url}api/macros/wake/run`, { method: 'POST', headers: d.authHeaders });
    expect(run.status).toBe(200);
    // The run answers when it starts; the counter moves when it finishes.
    let text = '';
    await until(
      async () => {
        const r = await fetch(`${d.url}metrics`, { headers: d.authHeaders });
        expect(r.headers.get('content-type')).toContain('text/plain');
        text = await r.text();
        return text.includes('kvmr0ck_macro_runs_total{result="finished"} 1');
      },
      10_000,
      'the macro run to finish',
    );
    for (const m of [
      'kvmr0ck_video_signal 1',
      'kvmr0ck_stream_clients 0',
      'kvmr0ck_hid_online 1',
      'kvmr0ck_macro_runs_total{result="finished"} 1',
    ]) {
      expect(text).toContain(m);
    }
    expect(text).toMatch(/kvmr0ck_hid_reports_written_total [1-9]/);
    expect(text).toMatch(/# TYPE kvmr0ck_video_encode_ms_p50 gauge/);
  });
});
