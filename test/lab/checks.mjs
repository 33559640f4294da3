// What every lab scenario prints and waits with: one `ok - …` / `not ok - …` line per check (with
// the time since the scenario started) and bounded polling.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A scenario's checks: `check()` prints one line; `failures` counts the `not ok` ones. */
export function checks() {
  const t0 = Date.now();
  let failures = 0;
  return {
    check(name, ok, detail = '') {
      if (!ok) failures++;
      console.log(
        `${ok ? 'ok' : 'not ok'} - ${name}${ok || !detail ? '' : `: ${detail}`}  (+${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    },
    get failures() {
      return failures;
    },
    /** Seconds since the scenario started. */
    elapsed: () => (Date.now() - t0) / 1000,
  };
}

/**
 * How much longer than on the x86 guest any wait may take here. The arm64 guest is emulated
 * instruction by instruction (qemu TCG): on a quiet 2-core host the daemon serves ~7 s after start,
 * on a loaded one it took over 60 s and the smoke failed on a wait, not on the daemon. Only the
 * ceilings grow; every wait still ends as soon as its condition holds. smoke.sh sets it.
 */
export const TIME_SCALE = Math.max(1, Number(process.env.LAB_TIME_SCALE) || 1);

/**
 * Polls `fn` until it returns something truthy (errors count as "not yet"); null after `ms`
 * (times TIME_SCALE).
 */
export async function waitFor(fn, ms, everyMs = 250) {
  const end = Date.now() + ms * TIME_SCALE;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) return null;
    await sleep(everyMs);
  }
}

/** Width and height from a JPEG's SOF0/SOF2 marker. */
export function jpegSize(buf) {
  for (let i = 2; i < buf.length - 9; ) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    const len = buf.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2)
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}
