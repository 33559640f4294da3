// The V4L2 and evdev layouts on arm64, where the boards are. The same comparison as
// test/unit/video/v4l2-abi.test.ts makes on x86-64, across the architecture line: a C program
// compiled on the host by Debian's aarch64 cross compiler against the arm64 <linux/videodev2.h>
// and <linux/input.h> prints sizes, offsets and ioctl numbers; in the arm64 guest it runs natively
// and koffi (its arm64 build) lays out the daemon's declarations to compare.
// test/unit/video/v4l2-abi.test.ts uses the same two lists on the host.
//   node abi.mjs --emit-c            (host) prints the C program
//   node abi.mjs --check <program>   (arm64 guest) compares, one ok/not ok line per group
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import koffi from 'koffi';

// The struct members whose offsets a wrong padding rule or a wrong `long` size would move.
const FIELDS = {
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
// struct input_event as the lab's evdev readers decode it (test/lab/hid): 24 bytes on LP64.
const INPUT_EVENT = [
  'sizeof input_event 24',
  'offsetof input_event.type 16',
  'offsetof input_event.value 20',
];

/** The C program printing every size, offset and ioctl number; `abi`: src/video/v4l2/abi. */
export function cProgram(abi) {
  const l = ['#include <stdio.h>', '#include <stddef.h>', '#include <linux/videodev2.h>'];
  l.push('#include <linux/input.h>', 'int main(void) {');
  for (const [s, fields] of Object.entries(FIELDS)) {
    l.push(`printf("sizeof ${s} %zu\\n", sizeof(struct ${s}));`);
    for (const f of fields) l.push(`printf("offsetof ${s}.${f} %zu\\n", offsetof(struct ${s}, ${f}));`);
  }
  l.push('printf("sizeof v4l2_dv_timings %zu\\n", sizeof(struct v4l2_dv_timings));');
  for (const name of Object.keys(abi.VIDIOC))
    l.push(`printf("VIDIOC_${name} %lu\\n", (unsigned long)VIDIOC_${name});`);
  l.push('printf("sizeof input_event %zu\\n", sizeof(struct input_event));');
  l.push('printf("offsetof input_event.type %zu\\n", offsetof(struct input_event, type));');
  l.push('printf("offsetof input_event.value %zu\\n", offsetof(struct input_event, value));');
  l.push('return 0; }');
  return l.join('\n');
}

/** The same lines from the daemon's koffi declarations, on this machine's architecture. */
export function koffiLines(abi) {
  const out = [];
  for (const [s, fields] of Object.entries(FIELDS)) {
    out.push(`sizeof ${s} ${koffi.sizeof(abi[s])}`);
    for (const f of fields) out.push(`offsetof ${s}.${f} ${koffi.offsetof(abi[s], f)}`);
  }
  out.push(`sizeof v4l2_dv_timings ${abi.V4L2_DV_TIMINGS_SIZE}`);
  for (const [name, n] of Object.entries(abi.VIDIOC)) out.push(`VIDIOC_${name} ${n}`);
  return [...out, ...INPUT_EVENT];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const abi = await import('../../../dist/src/video/v4l2/abi.js');
  if (process.argv[2] === '--emit-c') {
    console.log(cProgram(abi));
  } else if (process.argv[2] === '--check') {
    const expected = execFileSync(process.argv[3]).toString().trim().split('\n');
    const actual = koffiLines(abi);
    const wrong = expected.filter((line, i) => actual[i] !== line);
    const ok = wrong.length === 0 && actual.length === expected.length;
    console.log(
      `# ${process.arch} ${process.version}, koffi ${koffi.version}: ${expected.length} values compared`,
    );
    console.log(
      `${ok ? 'ok' : 'not ok'} - V4L2 struct sizes, offsets and ioctl numbers and struct input_event match the kernel headers on ${process.arch}${ok ? '' : `: ${JSON.stringify(wrong)} vs ${JSON.stringify(actual)}`}`,
    );
    process.exit(ok ? 0 : 1);
  } else {
    console.error('usage: abi.mjs --emit-c | --check <program>');
    process.exit(2);
  }
}
