/**
 * Which of the device's formats to capture in, best first, and why (logged at start):
 * - MJPG/JPEG: the dongle already compressed it; passing it through costs no CPU at all.
 * - NV12: smallest raw frames (12 bits/pixel), and 4:2:0 is what the JPEG gets anyway.
 * - NV16, UYVY, YUYV: 4:2:2, 16 bits/pixel; UYVY/YUYV need one unpacking pass (libyuv, ~0.1 ms).
 * - NV21/NV61/YU12/422P: same costs, rarer.
 */
const PREFERENCE = [
  'MJPG',
  'JPEG',
  'NV12',
  'NM12',
  'NV16',
  'NM16',
  'UYVY',
  'YUYV',
  'NV21',
  'NM21',
  'NV61',
  'NM61',
  'YU12',
  '422P',
];

const WHY: Record<string, string> = {
  MJPG: 'already JPEG: passed through without re-encoding',
  JPEG: 'already JPEG: passed through without re-encoding',
  NV12: 'smallest raw format (4:2:0), encoded straight from its planes',
  NM12: 'smallest raw format (4:2:0, multi-planar), encoded straight from its planes',
};

export function chooseFormat(offered: string[], wanted: string): { fourcc: string; why: string } {
  if (wanted !== 'auto') {
    if (!offered.includes(wanted)) {
      throw new Error(
        `video.format: the device does not offer ${wanted} (it offers ${offered.join(', ') || 'nothing'})`,
      );
    }
    return { fourcc: wanted, why: 'as configured' };
  }
  for (const f of PREFERENCE) {
    if (offered.includes(f)) return { fourcc: f, why: WHY[f] ?? 'the best raw format this device offers' };
  }
  throw new Error(`no format kvmr0ck can use: the device offers ${offered.join(', ') || 'nothing'}`);
}
