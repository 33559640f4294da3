import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { VideoConfig } from './config.js';
import { TestPatternSource } from './test-pattern.js';
import type { FrameSource } from './types.js';

export interface SourceDeps {
  video: VideoConfig;
  clock: Clock;
  log: Logger;
}

/** Picks the frame source from config; `auto` falls back to the test pattern when no device exists. */
export async function createFrameSource(deps: SourceDeps): Promise<FrameSource> {
  const v = deps.video;
  const testPattern = () =>
    new TestPatternSource({
      width: v.width,
      height: v.height,
      fps: v.fps,
      idleFps: v.idle_fps,
      clock: deps.clock,
      stillAfterMs: v.test_pattern_still_after_s * 1000,
    });
  if (v.source === 'test-pattern') {
    deps.log.info(
      `video: using the built-in test-pattern source (${v.width}x${v.height} @ ${v.fps} fps), as configured`,
    );
    return testPattern();
  }
  const present = existsSync(v.device);
  if (v.source === 'auto' && !present) {
    deps.log.info(
      `video: no capture device at ${v.device}: using the built-in test-pattern source (${v.width}x${v.height} @ ${v.fps} fps)`,
    );
    return testPattern();
  }
  // Loaded only for a real device: they bind libc through koffi.
  const { V4l2Source } = await import('./v4l2/source.js');
  const { openV4l2Device } = await import('./v4l2/device.js');
  return new V4l2Source({
    device: v.device,
    format: v.format,
    width: v.width,
    height: v.height,
    fps: v.fps,
    idleFps: v.idle_fps,
    buffers: v.buffers,
    edidFile: v.edid,
    range: v.range,
    devices: openV4l2Device,
    clock: deps.clock,
    log: deps.log.child({ component: 'v4l2' }),
  });
}
