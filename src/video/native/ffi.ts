/**
 * A C function loaded with koffi. Called directly it runs on the calling thread; `.async` queues it
 * on libuv's thread pool (koffi uses napi async work), with typed arrays passed as plain pointers
 * to their memory, not copied: the memory must stay valid and untouched until the call returns.
 */
export interface NativeFn {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}

/** Runs `fn` on libuv's thread pool; resolves with its return value. */
export function callAsync<T>(fn: NativeFn, args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, rc: T) => (err ? reject(err) : resolve(rc)));
  });
}
