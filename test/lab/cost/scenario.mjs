// What video costs on real V4L2 capture (issue 19), in the lab guest: vivid's HDMI input at 1080p30
// UYVY streamed to 5 clients for 60 s. Prints the daemon's resident memory, its CPU time per frame
// delivered and the frames delivered. The guest is ~16x slower than the host under TCG, so the
// absolute figures mean little; a peer run on the same device in the same guest gives the ratio.
// Peer: ustreamer, the encoder PiKVM streams with, run with the same format, size, rate, quality,
// clients and duration: Debian's package (`ustreamer`, 4.9 in bookworm; .ci/run installs it) at
// /usr/bin/ustreamer, or KVMR0CK_LAB_USTREAMER=/path/to/ustreamer for another build.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { checks, sleep, waitFor } from '../checks.mjs';
import { startDaemon } from '../daemon.mjs';

const CLIENTS = 5;
const SECONDS = Number(process.env.LAB_COST_SECONDS || 60);
const WARMUP_S = 10;
const QUALITY = 80;
const DEV = '/dev/video0';

// Not destructured with a rest: that would copy `failures` once, at 0, and the scenario could never fail.
const run = checks();
const { check } = run;

const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** utime + stime of the whole process (all threads), ms; proc(5) fields 14 and 15, in clock ticks. */
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
}

/**
 * `clients` readers of an MJPEG stream, each counting the JPEG parts it received. Counting looks
 * for each part's `Content-Type: image/jpeg` header with Buffer#indexOf (native), keeping a tail
 * so a header split across chunks still counts: the readers must cost the guest little.
 */
function readers(url, clients) {
  const marker = Buffer.from('Content-Type: image/jpeg');
  const counts = new Array(clients).fill(0);
  const reqs = [];
  for (let i = 0; i < clients; i++) {
    reqs.push(
      http.get(url, (res) => {
        let tail = Buffer.alloc(0);
        res.on('data', (chunk) => {
          const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
          let at = buf.indexOf(marker);
          let end = 0;
          while (at >= 0) {
            counts[i]++;
            end = at + marker.length;
            at = buf.indexOf(marker, end);
          }
          tail = Buffer.from(buf.subarray(Math.max(end, buf.length - marker.length + 1)));
        });
      }),
    );
  }
  return {
    counts,
    stop: () => {
      for (const r of reqs) r.destroy();
    },
  };
}

/** Streams to the clients for the warm-up, then measures the process over SECONDS. */
async function measure(name, pid, url) {
  const r = readers(url, CLIENTS);
  const flowing = await waitFor(() => r.counts.every((c) => c > 0), 60_000);
  check(`${name}: all ${CLIENTS} clients receive JPEGs`, flowing !== null, JSON.stringify(r.counts));
  await sleep(WARMUP_S * 1000);
  const c0 = cpuMs(pid);
  const f0 = [...r.counts];
  const rss = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    rss.push(rssKiB(pid));
    await sleep(1000);
  }
  const cpu = cpuMs(pid) - c0;
  const perClient = r.counts.map((c, i) => c - f0[i]);
  r.stop();
  rss.sort((a, b) => a - b);
  const delivered = perClient.reduce((a, b) => a + b, 0);
  // Per frame streamed: each frame is encoded once and sent to every client.
  const framesEach = delivered / CLIENTS;
  const fig = {
    name,
    rssPeakMiB: rss[rss.length - 1] / 1024,
    rssMedianMiB: rss[Math.floor(rss.length / 2)] / 1024,
    cpuMs: cpu,
    cpuPercent: cpu / (SECONDS * 10),
    framesDelivered: delivered,
    perClient,
    fpsPerClient: framesEach / SECONDS,
    cpuMsPerFrame: framesEach > 0 ? cpu / framesEach : Number.NaN,
  };
  console.log(
    `# ${name}: RSS peak ${fig.rssPeakMiB.toFixed(1)} MiB (median ${fig.rssMedianMiB.toFixed(1)}), ` +
      `CPU ${fig.cpuMs.toFixed(0)} ms in ${SECONDS} s (${fig.cpuPercent.toFixed(0)}% of one core), ` +
      `frames delivered ${delivered} (${perClient.join('/')} per client, ${fig.fpsPerClient.toFixed(1)} fps each), ` +
      `CPU ms per delivered frame ${fig.cpuMsPerFrame.toFixed(1)}`,
  );
  check(`${name}: frames delivered over ${SECONDS} s`, delivered > 0, JSON.stringify(perClient));
  return fig;
}

function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

execFileSync('v4l2-ctl', [
  '-d',
  DEV,
  '--set-ctrl',
  'dv_timings_signal_mode=4',
  '--set-ctrl',
  'dv_timings=12',
]);

// kvmr0ck, started the way it ships (startDaemon: the start scripts' flags and settings).
// Node's start-up is the slowest part of the guest (TCG, and a busy host makes it slower still).
const kvmr0ck = await startDaemon(DEV, 18095, {
  readyMs: 400_000,
  env: {
    KVMR0CK_VIDEO__FORMAT: 'UYVY',
    KVMR0CK_VIDEO__FPS: '30',
    KVMR0CK_VIDEO__QUALITY: String(QUALITY),
    // Every frame encoded, as the peer does by default (vivid's picture changes each frame anyway).
    KVMR0CK_VIDEO__DROP_SAME_FRAMES: 'false',
  },
});
const base = kvmr0ck.url;
const up = await waitFor(async () => {
  const st = await (await fetch(`${base}api/state`)).json();
  return st.video.signal && st.video.width === 1920 ? st : null;
}, 60_000);
check(
  'kvmr0ck: capturing 1920x1080 UYVY from vivid',
  up?.video.format === 'UYVY',
  kvmr0ck.log().slice(-2000),
);
let ours = null;
if (up) {
  ours = await measure('kvmr0ck', kvmr0ck.proc.pid, `${base}stream`);
  const st = await (await fetch(`${base}api/state`)).json();
  console.log(
    `# kvmr0ck state: encoder ${st.video.encoder}, rssMiB ${st.video.rssMiB}, cpuMsPerFrame ${st.video.cpuMsPerFrame}, ` +
      `encodeMsP50 ${st.video.encodeMsP50}, captureFps ${st.video.captureFps}, encodeFps ${st.video.encodeFps}`,
  );
}
await stop(kvmr0ck.proc);

const peer = process.env.KVMR0CK_LAB_USTREAMER || '/usr/bin/ustreamer';
if (existsSync(peer)) {
  const pout = [];
  const ustreamer = spawn(
    peer,
    [
      ...[
        '--device',
        DEV,
        '--format',
        'UYVY',
        '--resolution',
        '1920x1080',
        '--desired-fps',
        '30',
        '--dv-timings',
      ],
      ...['--encoder', 'CPU', '--quality', String(QUALITY), '--host', '127.0.0.1', '--port', '18096'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  ustreamer.stdout.on('data', (d) => pout.push(d.toString()));
  ustreamer.stderr.on('data', (d) => pout.push(d.toString()));
  const ready = await waitFor(async () => (await fetch('http://127.0.0.1:18096/state')).ok, 60_000);
  check('ustreamer: serving', ready !== null, pout.join('').slice(-2000));
  if (ready) {
    const theirs = await measure('ustreamer', ustreamer.pid, 'http://127.0.0.1:18096/stream');
    if (ours)
      console.log(
        `# kvmr0ck / ustreamer: RSS peak ${(ours.rssPeakMiB / theirs.rssPeakMiB).toFixed(2)}x, ` +
          `CPU ms per delivered frame ${(ours.cpuMsPerFrame / theirs.cpuMsPerFrame).toFixed(2)}x, ` +
          `frames delivered ${(ours.framesDelivered / theirs.framesDelivered).toFixed(2)}x`,
      );
  }
  await stop(ustreamer);
} else {
  console.log(`# no peer: ${peer} is missing (apt-get install ustreamer, or set KVMR0CK_LAB_USTREAMER)`);
}

console.log(
  `cost lab: ${run.failures === 0 ? 'all passed' : `${run.failures} failed`} in ${run.elapsed().toFixed(0)} s`,
);
process.exit(run.failures === 0 ? 0 : 1);
