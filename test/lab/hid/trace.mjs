// Lines up the typing worker's own trace of a job (every report the gadget accepted, with
// CLOCK_MONOTONIC times: PaceJob.trace) with what the host's USB stack took (usbmon, stamped by
// ktime_get_ts64, the same clock), so a report that is missing on the host, or a key held too
// long, is attributed: to our writing (the worker wrote late) or to the host (it polled late).

/** usbmon's text stamp: CLOCK_MONOTONIC µs, seconds kept modulo 4096 (drivers/usb/mon/mon_text.c). */
const WRAP_US = 4096 * 1_000_000;
const stampUs = (ms) => Math.round(ms * 1000) % WRAP_US;
/** b − a in µs for two usbmon-style stamps, across the 4096 s wrap. */
const diffUs = (a, b) => {
  let d = (b - a) % WRAP_US;
  if (d < -WRAP_US / 2) d += WRAP_US;
  if (d >= WRAP_US / 2) d -= WRAP_US;
  return d;
};
const hex = (r) => Buffer.from(r).toString('hex');
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * `reports`: the job's reports (the confirming all-up is index reports.length); `trace`: the
 * worker's [index, offeredMs, acceptedMs, again] per accepted write; `taken`: usbmon's reports
 * ({us, report}) in order. Consecutive reports of a job always differ, so a greedy walk pairs
 * each job report with the next usbmon report equal to it; a job report with none is lost.
 */
export function lineUp(reports, trace, taken) {
  const all = [...reports, new Uint8Array(8)];
  const acc = new Map(trace.map(([i, off, at, again, last]) => [i, { off, at, again, last }]));
  let j = taken.findIndex((t) => same(t.report, all[0]));
  const host = [];
  const lost = [];
  const extra = [];
  for (let i = 0; i < all.length; i++) {
    if (j < 0 || j >= taken.length) {
      lost.push(i);
      continue;
    }
    if (same(taken[j].report, all[i])) {
      host[i] = taken[j].us;
      j++;
      continue;
    }
    // Not the next one the host took: lost, unless the host took something else in between.
    const k = taken.findIndex((t, n) => n > j && same(t.report, all[i]));
    if (k >= 0 && k - j < 4 && i + 1 < all.length && !same(taken[j].report, all[i + 1])) {
      for (let n = j; n < k; n++) extra.push({ at: n, report: hex(taken[n].report) });
      host[i] = taken[k].us;
      j = k + 1;
    } else lost.push(i);
  }
  const describe = (i) => {
    const a = acc.get(i);
    return {
      index: i,
      report: hex(all[i]),
      worker: a ? { offeredUs: stampUs(a.off), acceptedUs: stampUs(a.at), again: a.again } : 'never accepted',
      hostUs: host[i] ?? null,
      prevHostUs: host[i - 1] ?? null,
      nextHostUs: host[i + 1] ?? null,
    };
  };
  // From the worker's acceptance of a report to the host taking it; the worker's own delay from
  // one acceptance to the next offer (0 when it writes the next report at once); and the longest
  // the worker was away between a refused write and the next try (a 1 ms sleep, when it runs).
  let hostLagMax = { us: -1 };
  let ourGapMax = { us: -1 };
  let ourRetryMax = { us: -1 };
  for (let i = 0; i < all.length; i++) {
    const a = acc.get(i);
    if (a && host[i] !== undefined) {
      const us = diffUs(stampUs(a.at), host[i]);
      if (us > hostLagMax.us) hostLagMax = { us, index: i };
    }
    if (a?.again) {
      const us = Math.round((a.at - a.last) * 1000);
      if (us > ourRetryMax.us) ourRetryMax = { us, index: i };
    }
    const p = acc.get(i - 1);
    if (a && p) {
      const us = Math.round((a.off - p.at) * 1000);
      if (us > ourGapMax.us) ourGapMax = { us, index: i };
    }
  }
  // Longest hold of a non-modifier key, seen by the host and by the worker.
  let hold = { hostUs: -1 };
  const since = new Map();
  for (let i = 0; i < all.length; i++) {
    const keys = new Set([...all[i].subarray(2)].filter((u) => u));
    for (const k of keys) if (!since.has(k)) since.set(k, i);
    for (const [k, p] of since) {
      if (keys.has(k)) continue;
      since.delete(k);
      if (host[p] === undefined || host[i] === undefined) continue;
      const hostUs = diffUs(host[p], host[i]);
      if (hostUs > hold.hostUs) {
        const ap = acc.get(p);
        const ar = acc.get(i);
        hold = {
          hostUs,
          key: k,
          press: describe(p),
          release: describe(i),
          workerUs: ap && ar ? Math.round((ar.at - ap.at) * 1000) : null,
        };
      }
    }
  }
  return { lost: lost.map(describe), extra, hostLagMax, ourGapMax, ourRetryMax, hold };
}

/**
 * usbmon's own consistency on one endpoint: usbhid keeps one interrupt-IN URB and resubmits it
 * from its completion, so its events must alternate S, C, S, C; two S in a row mean a completion
 * event (perhaps a report) was lost by the reader, not by the USB stack.
 */
export function usbmonGaps(text, addr) {
  let last = '';
  let gaps = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== addr || (f[2] !== 'S' && f[2] !== 'C')) continue;
    if (f[2] === last) gaps++;
    last = f[2];
  }
  return gaps;
}
