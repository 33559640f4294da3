// Prints the events of one /dev/input/eventN as JSON lines. Runs as its own process: a blocking
// read here cannot stall the scenario, and the scenario kills it when done (LAB.md).
import { openSync, readSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const buf = Buffer.alloc(24 * 64); // struct input_event on x86-64: timeval (16), type, code, value
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  const lines = [];
  for (let o = 0; o + 24 <= n; o += 24) {
    lines.push(
      JSON.stringify({
        t: buf.readUInt16LE(o + 16),
        c: buf.readUInt16LE(o + 18),
        v: buf.readInt32LE(o + 20),
      }),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
