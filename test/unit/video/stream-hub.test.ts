import { describe, expect, it } from 'vitest';
import { StreamHub } from '../../../src/video/stream-hub.js';

/** Viewers (the stream clients sensor) and frame demand (snapshots, macro waits, MQTT) are two things. */
describe('StreamHub viewers and frame demand', () => {
  it('a snapshot wants frames, waking the encoder, but is not a viewer', () => {
    const hub = new StreamHub();
    const seen: [number, number][] = [];
    hub.onDemand((demand, viewers) => seen.push([demand, viewers]));
    const snapshot = hub.wantFrames();
    expect(hub.demand).toBe(1);
    expect(hub.viewers).toBe(0);
    const viewer = hub.addViewer();
    expect([hub.demand, hub.viewers]).toEqual([2, 1]);
    snapshot();
    snapshot(); // releasing twice counts once
    expect([hub.demand, hub.viewers]).toEqual([1, 1]);
    viewer();
    expect([hub.demand, hub.viewers]).toEqual([0, 0]);
    expect(seen).toEqual([
      [1, 0],
      [2, 1],
      [1, 1],
      [0, 0],
    ]);
  });
});

describe('StreamHub on the injected clock', () => {
  it('a wait for a frame times out when the fake clock passes its timeout, with no real waiting', async () => {
    const { FakeClock } = await import('../../../src/core/clock.js');
    const clock = new FakeClock();
    const hub = new StreamHub(clock);
    let got: unknown = 'pending';
    void hub.next(0, { timeoutMs: 3000 }).then((f) => {
      got = f;
    });
    await clock.advance(2999);
    expect(got).toBe('pending');
    await clock.advance(1);
    expect(got).toBeNull();
  });
});
