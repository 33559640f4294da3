import koffi from 'koffi';

/**
 * The libc calls V4L2 needs. `ioctl` is variadic in C; koffi calls it through a fixed
 * three-argument alias, which is what every V4L2 request takes (koffi cannot run a variadic function on the thread pool).
 */
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  ioctl(fd: number, request: number, arg: Buffer | Int32Array | null): number;
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): unknown;
  munmap(addr: unknown, length: number): number;
  /** Waits on one fd off the main thread (koffi runs async calls on its worker pool). */
  pollAsync(fd: number, events: number, timeoutMs: number): Promise<{ rc: number; revents: number }>;
  errno(): number;
  MAP_FAILED(addr: unknown): boolean;
}

let libc: Libc | null = null;

export function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  const open = lib.func('int open(const char *path, int flags)');
  const close = lib.func('int close(int fd)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, void *arg)');
  const mmap = lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)');
  const munmap = lib.func('int munmap(void *addr, size_t length)');
  // Registered by name for the prototype below.
  koffi.struct('pollfd', { fd: 'int', events: 'short', revents: 'short' });
  const poll = lib.func('int poll(_Inout_ pollfd *fds, unsigned long nfds, int timeout)');
  libc = {
    open: (p, f) => open(p, f) as number,
    close: (fd) => close(fd) as number,
    ioctl: (fd, req, arg) => ioctl(fd, req, arg) as number,
    mmap: (a, len, prot, flags, fd, off) => mmap(a, len, prot, flags, fd, off),
    munmap: (a, len) => munmap(a, len) as number,
    pollAsync: (fd, events, timeoutMs) =>
      new Promise((resolve, reject) => {
        const fds = { fd, events, revents: 0 };
        poll.async(fds, 1, timeoutMs, (err: unknown, rc: number) => {
          if (err) reject(err);
          else resolve({ rc, revents: fds.revents });
        });
      }),
    errno: () => koffi.errno(),
    // mmap returns (void *)-1 on failure.
    MAP_FAILED: (addr) => addr === null || koffi.address(addr) === 0xffffffffffffffffn,
  };
  return libc;
}
