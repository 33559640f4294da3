import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import koffi, { type TypeObject } from 'koffi';
import { describe, expect, it } from 'vitest';
import * as abi from '../../../src/video/v4l2/abi.js';

/**
 * The koffi declarations must match <linux/videodev2.h> byte for byte: a C program compiled against
 * the real header (Debian linux-libc-dev) prints sizes, offsets and ioctl numbers to compare.
 */
const FIELDS: Record<string, string[]> = {
  v4l2_capability: ['capabilities', 'device_caps'],
  v4l2_fmtdesc: ['pixelformat', 'description'],
  v4l2_format: ['fmt'],
  v4l2_pix_format_mplane: ['plane_fmt', 'num_planes'],
  v4l2_requestbuffers: ['memory', 'flags'],
  v4l2_buffer: ['timestamp', 'sequence', 'memory', 'm', 'length', 'request_fd'],
  v4l2_plane: ['m', 'data_offset'],
  v4l2_event: ['u', 'pending', 'timestamp', 'id'],
  v4l2_event_subscription: ['flags'],
  v4l2_edid: ['blocks', 'edid'],
};

describe('V4L2 ABI declarations', () => {
  it('match the kernel header: sizes, offsets and ioctl numbers', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'v4l2abi-'));
    const lines: string[] = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include <linux/videodev2.h>',
      'int main(void) {',
    ];
    for (const [s, fields] of Object.entries(FIELDS)) {
      lines.push(`printf("sizeof ${s} %zu\\n", sizeof(struct ${s}));`);
      for (const f of fields) lines.push(`printf("offsetof ${s}.${f} %zu\\n", offsetof(struct ${s}, ${f}));`);
    }
    lines.push('printf("sizeof v4l2_dv_timings %zu\\n", sizeof(struct v4l2_dv_timings));');
    for (const name of Object.keys(abi.VIDIOC))
      lines.push(`printf("VIDIOC_${name} %lu\\n", (unsigned long)VIDIOC_${name});`);
    lines.push('return 0; }');
    writeFileSync(path.join(dir, 'abi.c'), lines.join('\n'));
    execFileSync('cc', ['-o', path.join(dir, 'abi'), path.join(dir, 'abi.c')]);
    const expected = execFileSync(path.join(dir, 'abi')).toString().trim().split('\n');

    const actual: string[] = [];
    const types = abi as unknown as Record<string, TypeObject>;
    for (const [s, fields] of Object.entries(FIELDS)) {
      actual.push(`sizeof ${s} ${koffi.sizeof(types[s]!)}`);
      for (const f of fields) actual.push(`offsetof ${s}.${f} ${koffi.offsetof(types[s]!, f)}`);
    }
    actual.push(`sizeof v4l2_dv_timings ${abi.V4L2_DV_TIMINGS_SIZE}`);
    for (const [name, n] of Object.entries(abi.VIDIOC)) actual.push(`VIDIOC_${name} ${n}`);
    expect(actual).toEqual(expected);
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
