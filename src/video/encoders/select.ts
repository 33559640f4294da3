import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { loadLibYuv } from '../native/libyuv.js';
import { loadTurboJpeg } from '../native/turbojpeg.js';
import type { JpegEncoder } from '../types.js';
import { WorkerPoolEncoder } from './pool.js';
import { SharpEncoder } from './sharp.js';
import { TurboJpegEncoder } from './turbojpeg.js';

/**
 * Picks the JPEG encoder: libturbojpeg in a worker pool when the library loads, sharp otherwise
 * (said once, with the package to install).
 */
export function createEncoder(config: Config, log: Logger): JpegEncoder {
  const v = config.video;
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
  return v.encoder_workers === 1 ? new TurboJpegEncoder() : new WorkerPoolEncoder(v.encoder_workers);
}
