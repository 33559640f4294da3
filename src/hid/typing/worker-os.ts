import koffi from 'koffi';

/**
 * What the typing worker asks of the kernel beyond plain writes, through libc (koffi), for the
 * worker thread itself. Both are optional: without them the worker retries on a 1 ms sleep at
 * normal priority, which is correct but later by up to a retry and at the mercy of a busy CPU.
 */
export interface WorkerOs {
  /**
   * poll(2) for POLLOUT on a /dev/hidgN fd: f_hid reports it writable once the host has taken the
   * held report (f_hidg_poll tests the same `!write_pending` as f_hidg_write, and the request's
   * completion wakes the queue), so this returns when the next write can go out, or after `ms`.
   * True when poll returned at once with any event: writable, or an error or hang-up (revents
   * POLLERR/POLLHUP are reported whatever was asked, poll(2)), which keeps returning at once — the
   * caller must then not poll again before a plain sleep, or a real-time thread spins.
   */
  waitWritable(fd: number, ms: number): boolean;
  /**
   * Moves the calling thread to SCHED_FIFO at `priority`; the errno name when refused (EPERM
   * without root or CAP_SYS_NICE).
   */
  realtime(priority: number): string | null;
}

const POLLOUT = 0x4;
const SCHED_FIFO = 1;
const ERRNO: Record<number, string> = { 1: 'EPERM', 22: 'EINVAL', 38: 'ENOSYS' };

export function loadWorkerOs(): WorkerOs {
  const lib = koffi.load('libc.so.6');
  // Plain pointers to typed arrays, not named koffi structs: koffi registers names per process,
  // and the main thread may declare its own (v4l2's pollfd).
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  // pid 0 is the calling thread (sched_setscheduler(2): the thread, not the whole process).
  const setScheduler = lib.func('int sched_setscheduler(int pid, int policy, void *param)');
  const fds = new Int32Array(2); // struct pollfd { int fd; short events; short revents; }
  const shorts = new Int16Array(fds.buffer);
  return {
    waitWritable(fd, ms) {
      fds[0] = fd;
      shorts[2] = POLLOUT;
      shorts[3] = 0;
      const rc = poll(fds, 1, Math.max(0, Math.ceil(ms))) as number;
      return rc > 0 && shorts[3]! !== 0;
    },
    realtime(priority) {
      const rc = setScheduler(0, SCHED_FIFO, new Int32Array([priority])) as number;
      if (rc === 0) return null;
      const e = koffi.errno();
      return ERRNO[e] ?? `errno ${e}`;
    },
  };
}
