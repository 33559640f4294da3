import { describe, expect, it } from 'vitest';
import { makeHid } from './helpers.js';

const KB_IDLE = 'keyboard: 00 00 00 00 00 00 00 00';

describe('interactive sessions', () => {
  it('releases keys and buttons when keepalives stop, and modifiers only after the longer bound', async () => {
    const { hid, take, clock, store } = await makeHid({
      config: { keepalive_ms: 1000, modifier_keepalive_ms: 5000 },
    });
    const s = hid.session('ws-1');
    await s.keyDown('ctrl');
    await s.keyDown('c');
    await s.mouseMoveAbs(0, 0);
    await s.mouseButtons({ left: true });
    take();
    await clock.advance(900);
    s.keepalive();
    await clock.advance(900);
    expect(take()).toEqual([]); // the keepalive kept them
    await clock.advance(200);
    expect(take()).toEqual(['keyboard: 01 00 00 00 00 00 00 00', 'mouse: 00 00 00 00 00 00 00']);
    expect(store.slice('hid').keysHeld).toBe(1);
    await clock.advance(3700);
    expect(take()).toEqual([]);
    await clock.advance(200);
    expect(take()).toEqual([KB_IDLE]);
    expect(store.slice('hid').keysHeld).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('any input counts as a keepalive', async () => {
    const { hid, take, clock } = await makeHid({ config: { keepalive_ms: 1000 } });
    const s = hid.session('ws-1');
    await s.keyDown('a');
    await clock.advance(800);
    await s.mouseMoveAbs(0.5, 0.5);
    await clock.advance(800);
    take();
    await clock.advance(300);
    expect(take()).toEqual([KB_IDLE]);
  });

  it("close releases only this client's keys, and the id gets a fresh session afterwards", async () => {
    const { hid, take, clock } = await makeHid();
    const a = hid.session('a');
    const b = hid.session('b');
    expect(hid.session('a')).toBe(a);
    await a.keyDown('x');
    await b.keyDown('y');
    take();
    await a.close();
    expect(take()).toEqual(['keyboard: 00 00 1c 00 00 00 00 00']);
    expect(hid.session('a')).not.toBe(a);
    await b.close();
    expect(take()).toEqual([KB_IDLE]);
    expect(clock.pending()).toBe(0);
  });

  it('stopping the service closes sessions and releases everything', async () => {
    const { hid, take } = await makeHid();
    await hid.session('a').keyDown('shift');
    take();
    await hid.stop();
    expect(take()).toContain(KB_IDLE);
  });
});
