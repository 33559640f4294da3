import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as abi from '../../../src/video/v4l2/abi.js';
// The lists and the C program are shared with the arm64 lab, which compares them on arm64.
import { cProgram, koffiLines } from '../../lab/arm64/abi.mjs';

/**
 * The koffi declarations must match <linux/videodev2.h> byte for byte: a C program compiled against
 * the real header (Debian linux-libc-dev) prints sizes, offsets and ioctl numbers to compare.
 */
describe('V4L2 ABI declarations', () => {
  it('match the kernel header: sizes, offsets and ioctl numbers', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'v4l2abi-'));
    writeFileSync(path.join(dir, 'abi.c'), cProgram(abi));
    execFileSync('cc', ['-o', path.join(dir, 'abi'), path.join(dir, 'abi.c')]);
    const expected = execFileSync(path.join(dir, 'abi')).toString().trim().split('\n');
    expect(koffiLines(abi)).toEqual(expected);
  });

  it('spells fourcc codes as V4L2 does', () => {
    expect(abi.fourcc('YUYV')).toBe(0x56595559);
    expect(abi.fourccName(abi.fourcc('NM12'))).toBe('NM12');
  });
});

describe('sample range from the negotiated format', () => {
  it('follows V4L2: limited by default for YUV, full when the driver says so or for JPEG', async () => {
    const { quantizationRange } = await import('../../../src/video/v4l2/device.js');
    expect(quantizationRange('UYVY', 1 /* SMPTE170M */, 0 /* DEFAULT */)).toBe('limited');
    expect(quantizationRange('NM12', 3 /* REC709 */, 2 /* LIM_RANGE */)).toBe('limited');
    expect(quantizationRange('NV12', 1, 1 /* FULL_RANGE */)).toBe('full');
    expect(quantizationRange('YUYV', 7 /* JPEG */, 0)).toBe('full');
    expect(quantizationRange('MJPG', 0, 0)).toBe('full');
  });
});
