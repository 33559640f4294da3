// Copies the raw events of one /dev/input/eventN (or usbmon's text) to a file (argv[3]) until
// killed or the device goes away. Its own process, so a blocking read cannot stall the scenario (LAB.md). It does no
// work per event: evdev keeps only ~64 events per reader and drops the lot (SYN_DROPPED) when a
// slow reader falls behind, which fast typing in the emulated guest would otherwise cause.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const out = openSync(process.argv[3], 'w');
process.stdout.write('ready\n');
const buf = Buffer.alloc(24 * 256);
try {
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    writeSync(out, buf, 0, n);
  }
} finally {
  closeSync(out);
}
