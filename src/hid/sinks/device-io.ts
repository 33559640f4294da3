import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { errnoCode, errorMessage } from '../../core/errors.js';

/**
 * The system calls the hidg sink makes, behind a seam so tests can script faults (EAGAIN,
 * ESHUTDOWN, ...) on top of real files. Every fd is opened O_NONBLOCK, so these synchronous calls
 * return at once (f_hid answers EAGAIN instead of waiting) and never stall the event loop; they
 * also skip the libuv thread pool, which matters for input latency.
 */
export interface DeviceIo {
  open(path: string, flags: number): number;
  write(fd: number, data: Uint8Array): number;
  read(fd: number, into: Uint8Array): number;
  close(fd: number): void;
}

export const fsDeviceIo: DeviceIo = {
  open: (path, flags) => openSync(path, flags),
  write: (fd, data) => writeSync(fd, data),
  read: (fd, into) => readSync(fd, into, 0, into.length, null),
  close: (fd) => closeSync(fd),
};

// O_APPEND means nothing to a device node; it makes the plain files that stand in for devices in
// tests keep every report across reopens instead of overwriting from the start.
export const O_WRITE = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND;
/** The keyboard device is also read: the host's LED output reports arrive there. */
export const O_READ_WRITE = constants.O_RDWR | constants.O_NONBLOCK | constants.O_APPEND;

/** errno codes meaning the device or the host link is gone, not a passing hiccup. */
export const GONE_CODES = new Set(['ENOENT', 'ENODEV', 'ENXIO', 'ESHUTDOWN', 'EPIPE', 'EIO', 'EBADF']);

/**
 * One non-blocking write of a report, classified for the pacer: `again` while the gadget still
 * holds the previous report for the host (EAGAIN), an error with `gone` when the device or the
 * link is gone.
 */
export function tryWrite(
  io: DeviceIo,
  fd: number,
  report: Uint8Array,
  path: string,
): 'ok' | 'again' | { code: 'HID_OFFLINE' | 'HID_WRITE_FAILED'; message: string; gone: boolean } {
  try {
    io.write(fd, report);
    return 'ok';
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'again';
    if (code && GONE_CODES.has(code)) {
      const why = code === 'ESHUTDOWN' ? 'USB host disconnected' : 'device gone';
      return { code: 'HID_OFFLINE', message: `${path}: ${why} (${code})`, gone: true };
    }
    return { code: 'HID_WRITE_FAILED', message: `${path}: ${errorMessage(err)}`, gone: false };
  }
}
