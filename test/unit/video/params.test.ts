import { describe, expect, it } from 'vitest';
import { initialAppState } from '../../../src/core/app-state.js';
import { StateStore } from '../../../src/core/state.js';
import { VideoParams } from '../../../src/video/params.js';

describe('VideoParams', () => {
  it('applies live quality and max fps to state and the source, never to the config', async () => {
    const store = new StateStore(initialAppState());
    const fpsCalls: number[] = [];
    const config = { quality: 80, fps: 30 };
    const p = new VideoParams({
      store,
      source: { setMaxFps: (n) => fpsCalls.push(n) },
      quality: config.quality,
      maxFps: config.fps,
    });
    await p.start();
    expect(store.get().video).toMatchObject({ quality: 80, maxFps: 30 });
    p.set({ quality: 55 });
    p.set({ maxFps: 12 });
    p.set({ maxFps: 12 }); // unchanged: the source is not asked again
    expect(store.get().video).toMatchObject({ quality: 55, maxFps: 12 });
    expect(p.quality).toBe(55);
    expect(fpsCalls).toEqual([12]);
    expect(config).toEqual({ quality: 80, fps: 30 });
  });

  it('refuses a value out of range whole, naming it', async () => {
    const store = new StateStore(initialAppState());
    const p = new VideoParams({ store, source: {}, quality: 80, maxFps: 30 });
    await p.start();
    expect(() => p.set({ quality: 70, maxFps: 500 })).toThrow(
      /max_fps must be a whole number 1..120, got 500/,
    );
    expect(() => p.set({ quality: 0 })).toThrow(/quality/);
    expect(store.get().video).toMatchObject({ quality: 80, maxFps: 30 });
  });
});
