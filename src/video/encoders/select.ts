import { availableParallelism } from 'node:os';
import type { Logger } from '../../core/log.js';
import type { VideoConfig } from '../config.js';
import { loadLibYuv } from '../native/libyuv.js';
import { loadTurboJpeg } from '../native/turbojpeg.js';
import type { JpegEncoder } from '../types.js';
import { SharpEncoder } from './sharp.js';
import { TurboJpegEncoder } from './turbojpeg.js';

/**
 * Picks the JPEG encoder: libturbojpeg on native threads when the library loads, sharp otherwise
 * (said once, with the package to install).
 */
export function createEncoder(v: VideoConfig, log: Logger): JpegEncoder {
  if (v.encoder === 'sharp') return new SharpEncoder();
  try {
    loadTurboJpeg();
  } catch (err) {
    if (v.encoder === 'turbojpeg') throw err;
    log.warn(
      'video: libturbojpeg not found (install the libturbojpeg0 package): encoding with sharp, about 5x slower',
    );
    return new SharpEncoder();
  }
  if (!loadLibYuv()) log.info('video: libyuv not found (libyuv0): unpacking YUV in JS, ~1 ms more per frame');
  return new TurboJpegEncoder({ threads: encodeThreads(v.encoder_workers), subsampling: v.subsampling });
}

/**
 * Encodes share libuv's pool (UV_THREADPOOL_SIZE, default 4) with capture's poll() and file I/O:
 * one pool thread is always left for those, or a busy encoder would delay the next dequeue.
 */
export function encodeThreads(requested: number, env: NodeJS.ProcessEnv = process.env): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || 4;
  const wanted = requested > 0 ? requested : availableParallelism();
  return Math.max(1, Math.min(wanted, pool - 1));
}
