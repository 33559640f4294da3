// USB HDMI dongle scenario in the lab guest (run by test/lab/run.sh; prepare.sh built the dongle
// and its JPEGs on the host into /lab-results). The emulated dongle (uvc-dongle.c) plugs into
// vhci_hcd; the real uvcvideo driver makes it /dev/videoN; the real daemon captures from it:
// MJPEG passed through byte for byte, YUYV encoded, a mode change, an unplug, a bad frame.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { jpegSize, sleep, waitFor } from '../checks.mjs';
import { startDaemon } from '../daemon.mjs';

const R = process.env.LAB_RESULTS ?? '/lab-results';
let failures = 0;
const t0 = Date.now();
const elapsed = () => `+${((Date.now() - t0) / 1000).toFixed(1)} s`;

function check(name, ok, detail = '') {
  if (!ok) failures++;
  if (!ok) appendFileSync(`${R}/progress.txt`, `# dongle: ${dongleOut.slice(-6).join(' | ')}\n`);
  const line = `${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}  (${elapsed()})`;
  console.log(line);
  // The console shows the output only at the end: a guest cut by LAB_TIMEOUT leaves this behind.
  appendFileSync(`${R}/progress.txt`, `${line}\n`);
}

const sha = (b) => createHash('sha256').update(b).digest('hex');
/** The JPEGs the dongle plays, by hash: what a passthrough must hand clients unchanged. */
const fixtures = new Map();
for (const f of readdirSync(R).filter((n) => /^\d+-\d+\.jpg$/.test(n)))
  fixtures.set(sha(readFileSync(`${R}/${f}`)), f);

// ---- the dongle ----
const dongleOut = [];
const dongle = spawn(`${R}/uvc-dongle`, [R], { stdio: ['pipe', 'pipe', 'pipe'] });
dongle.stdout.on('data', (d) => dongleOut.push(...d.toString().trim().split('\n')));
dongle.stderr.on('data', (d) =>
  dongleOut.push(
    ...d
      .toString()
      .trim()
      .split('\n')
      .map((l) => `stderr: ${l}`),
  ),
);
const tell = (cmd) => dongle.stdin.write(`${cmd}\n`);
const sentNames = () => new Set(dongleOut.filter((l) => l.startsWith('sent ')).map((l) => l.split(' ')[3]));

/** The dongle's capture node: uvcvideo names it after the USB product; index 0 is video, 1 metadata. */
function dongleNode() {
  for (const n of readdirSync('/sys/class/video4linux')) {
    const dir = `/sys/class/video4linux/${n}`;
    if (
      readFileSync(`${dir}/name`, 'utf8').startsWith('USB HDMI dongle') &&
      readFileSync(`${dir}/index`, 'utf8').trim() === '0'
    )
      return `/dev/${n}`;
  }
  return null;
}

// ---- the daemon ----
// Left in /lab-results (the host's $LAB_DIR/results) for a run that fails: both logs in full.
const daemonLogs = [];
process.on('exit', () => {
  writeFileSync(`${R}/dongle.log`, dongleOut.join('\n'));
  writeFileSync(`${R}/daemons.log`, daemonLogs.map((o) => o.join('')).join('\n----\n'));
  try {
    writeFileSync(`${R}/dmesg.txt`, execFileSync('dmesg').toString().split('\n').slice(-60).join('\n'));
  } catch {
    // no dmesg: nothing more to leave behind
  }
});
// A node start is ~2 s in a quiet guest and over 100 s when the host is loaded (measured).
const daemon = (dev, port, env = {}) =>
  startDaemon(dev, port, { env: { KVMR0CK_VIDEO__FPS: '30', ...env }, readyMs: 300_000, logs: daemonLogs });

const state = async (url) => (await fetch(`${url}api/state`)).json();
const videoWhen = (url, pred, ms = 60_000) =>
  waitFor(async () => {
    const v = (await state(url)).video;
    return pred(v) ? v : null;
  }, ms);

async function snapshot(url) {
  const r = await fetch(`${url}snapshot.jpg?fresh=1`);
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}

/** Reads `n` JPEG parts of /stream (by their Content-Length); returns them and the seconds taken. */
async function streamParts(url, n) {
  const res = await fetch(`${url}stream`);
  const reader = res.body.getReader();
  let buf = Buffer.alloc(0);
  const parts = [];
  const start = Date.now();
  const timer = setTimeout(() => reader.cancel(), 90_000); // bounded: a stalled stream fails the check
  while (parts.length < n) {
    const { value, done } = await reader.read().catch(() => ({ done: true }));
    if (done) break;
    buf = Buffer.concat([buf, Buffer.from(value)]);
    for (;;) {
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) break;
      const len = Number(/Content-Length: (\d+)/.exec(buf.subarray(0, head).toString('latin1'))?.[1]);
      if (buf.length < head + 4 + len) break;
      parts.push(buf.subarray(head + 4, head + 4 + len));
      buf = buf.subarray(head + 4 + len);
    }
  }
  clearTimeout(timer);
  await reader.cancel().catch(() => {});
  return { parts: parts.slice(0, n), seconds: (Date.now() - start) / 1000 };
}

/** How many of `parts` are, byte for byte, one of the JPEGs the dongle sent. */
const identical = (parts) =>
  parts.filter((p) => fixtures.has(sha(p)) && sentNames().has(fixtures.get(sha(p)))).length;

// 0. Enumeration: uvcvideo binds, formats and sizes as the descriptors say, bulk streaming.
let node = await waitFor(dongleNode, 60_000);
check(
  'the dongle enumerates: uvcvideo makes a capture node',
  node !== null,
  `${node} (${dongleOut[1] ?? ''})`,
);
if (!node) {
  console.log(dongleOut.join('\n'));
  console.log(execFileSync('dmesg').toString().split('\n').slice(-30).join('\n'));
  process.exit(1);
}
const nodeName = node.slice(5);
const formats = execFileSync('v4l2-ctl', ['-d', node, '--list-formats-ext']).toString();
check(
  'uvcvideo offers MJPG and YUYV at 1280x720 and 1920x1080',
  /'MJPG'[\s\S]*1280x720[\s\S]*1920x1080[\s\S]*'YUYV'[\s\S]*1280x720[\s\S]*1920x1080/.test(formats),
  formats.replace(/\s+/g, ' ').slice(0, 300),
);
const usbIntf = realpathSync(`/sys/class/video4linux/${nodeName}/device`); // the VideoControl interface
const usbDev = usbIntf.replace(/:1\.0$/, '');
const transfer = readFileSync(`${usbDev}:1.1/ep_81/type`, 'utf8').trim();
const nodrop = readFileSync('/sys/module/uvcvideo/parameters/nodrop', 'utf8').trim();
console.log(`# streaming endpoint: ${transfer} (the emulated dongle's choice), uvcvideo nodrop=${nodrop}`);

// Node starts are the guest's dearest cost: the doctor, the MJPEG daemon and the YUYV daemon start
// together. The YUYV one is pointed at a symlink made only when the first daemon is done with the
// device (a symlink is what udev's /dev/v4l/by-id names are); until then it waits, "device gone".
const yuyvLink = '/tmp/dongle-yuyv';
const doctorRun = new Promise((resolve) => {
  const p = spawn(process.execPath, ['dist/kvmr0ck.js', 'doctor', '--config', '/dev/null'], {
    env: { ...process.env, KVMR0CK_VIDEO__DEVICE: node, KVMR0CK_PATHS__STATE: '/tmp/kvmr0ck-doctor' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  p.stdout.on('data', (b) => {
    text += b;
  });
  p.on('close', () => resolve(text)); // exit 1 is expected: there is no USB gadget in this scenario
});
const daemonsUp = Promise.all([
  daemon(node, 18190),
  daemon(yuyvLink, 18191, { KVMR0CK_VIDEO__FORMAT: 'YUYV', KVMR0CK_VIDEO__FPS: '10' }),
]);
const doctorOut = await doctorRun;
const doctorLine = /.*capture device.*/.exec(doctorOut)?.[0] ?? doctorOut.slice(0, 400);
check(
  'doctor: a uvcvideo device without DV timings, would use MJPG',
  /\[ ok \] capture device: .*uvcvideo.*formats MJPG YUYV; would use MJPG; no DV timings/.test(doctorLine),
  doctorLine,
);

// 1. format: auto → MJPEG, passed through: the bytes clients get are the bytes the dongle sent.
let [d, dYuyv] = await daemonsUp;
let v = await videoWhen(d.url, (x) => x.signal);
check(
  'auto picks MJPEG at 1280x720',
  v?.format === 'MJPEG' && v?.width === 1280 && v?.height === 720,
  JSON.stringify(v),
);
check('the log says it passes MJPEG through', /MJPG.*passed through without re-encoding/.test(d.log()));
const sizeImage = /Size Image\s*:\s*(\d+)/.exec(
  execFileSync('v4l2-ctl', ['-d', node, '--get-fmt-video']).toString(),
)?.[1];
let snaps = [];
for (let i = 0; i < 3; i++) snaps.push((await snapshot(d.url)).bytes);
check(
  '/snapshot.jpg: each is byte for byte a JPEG the dongle sent',
  identical(snaps) === 3,
  `${identical(snaps)}/3 identical; ${snaps.map((s) => `${s.length} B ${fixtures.get(sha(s)) ?? 'unknown'}`).join(', ')}`,
);
let st = await streamParts(d.url, 8);
check(
  '/stream: every part is byte for byte a JPEG the dongle sent',
  st.parts.length === 8 && identical(st.parts) === 8,
  `${identical(st.parts)}/${st.parts.length} identical, ${(st.parts.length / st.seconds).toFixed(1)} fps, ` +
    `${Math.round(st.parts.reduce((a, p) => a + p.length, 0) / st.parts.length)} B a frame; ` +
    `bytesused = the JPEG's length, sizeimage ${sizeImage}`,
);

// A frame the dongle flags as bad (payload header ERR bit, cut short) never reaches a client.
writeFileSync('/sys/module/uvcvideo/parameters/nodrop', '1'); // newer kernels' default: hand it over, flagged
tell('bad');
await waitFor(() => dongleOut.some((l) => l.startsWith('sent-bad')), 20_000);
st = await streamParts(d.url, 6);
check(
  'a frame marked bad (V4L2_BUF_FLAG_ERROR) is not passed through',
  dongleOut.some((l) => l.startsWith('sent-bad')) && identical(st.parts) === st.parts.length,
  `${identical(st.parts)}/${st.parts.length} identical after ${dongleOut.filter((l) => l.startsWith('sent-bad')).join('; ')}`,
);
writeFileSync('/sys/module/uvcvideo/parameters/nodrop', nodrop);

// 4. Unplug while streaming (vhci detach = the cable pulled), then plug back.
tell('unplug');
v = await videoWhen(d.url, (x) => !x.signal, 30_000);
check('unplug: state says device gone', v?.signalReason === 'device gone', JSON.stringify(v));
const noSignal = await waitFor(async () => {
  const s = await snapshot(d.url);
  return s.status === 200 && !fixtures.has(sha(s.bytes)) ? s : null;
}, 30_000);
check('unplug: clients get the no-signal picture', noSignal !== null && jpegSize(noSignal.bytes) !== null);
tell('plug');
v = await videoWhen(d.url, (x) => x.signal, 60_000);
const nodeAfter = await waitFor(dongleNode, 10_000);
// The picture is back when a snapshot is again a JPEG the dongle sent (the first frames after a
// replug can take longer than one snapshot's 3 s wait in a loaded guest: waited for, and shown).
let lastSnap = null;
const back = await waitFor(async () => {
  lastSnap = await snapshot(d.url);
  return lastSnap.status === 200 && identical([lastSnap.bytes]) === 1;
}, 60_000);
check(
  'replug: capture resumes by itself, passthrough again',
  v?.format === 'MJPEG' && back !== null,
  `${JSON.stringify(v)}; node ${node} → ${nodeAfter}; last snapshot HTTP ${lastSnap?.status}, ` +
    `${lastSnap?.bytes.length} B ${lastSnap ? (fixtures.get(sha(lastSnap.bytes)) ?? lastSnap.bytes.subarray(0, 80).toString('latin1')) : ''}`,
);
node = nodeAfter ?? node;

// 3. Mode change while streaming. With UVC the host picks the mode and a scaling dongle (MS2109)
// just scales, so the host sees nothing; a dongle without a scaler has to re-enumerate with the
// new mode. The emulated one does that: it comes back offering 1920x1080 only.
tell('input 1080');
v = await videoWhen(d.url, (x) => x.signal && x.width === 1920, 60_000);
snaps = [(await snapshot(d.url)).bytes];
check(
  'mode change (re-enumerated with 1080p only): capturing 1920x1080 MJPEG, passthrough',
  v?.height === 1080 && identical(snaps) === 1 && /^1080-/.test(fixtures.get(sha(snaps[0])) ?? ''),
  `${JSON.stringify(v)}; ${snaps[0].length} B ${fixtures.get(sha(snaps[0])) ?? 'unknown'}`,
);
check(
  'device loss logged once per loss',
  (d.log().match(/video: device gone/g) ?? []).length <= 2,
  String((d.log().match(/video: device gone/g) ?? []).length),
);
d.stop();
await waitFor(() => d.proc.exitCode !== null, 20_000);

// 2. YUYV (video.format: YUYV): captured and encoded.
tell('input both');
await sleep(500);
node = await waitFor(dongleNode, 60_000);
if (!node) {
  check('the dongle re-enumerates with both formats', false, 'no capture node after 60 s');
  process.exit(1);
}
symlinkSync(node, yuyvLink);
d = dYuyv;
v = await videoWhen(d.url, (x) => x.signal);
check('YUYV as configured, 1280x720', v?.format === 'YUYV' && v?.width === 1280, JSON.stringify(v));
const y = await snapshot(d.url);
const ySize = jpegSize(y.bytes);
let bars = '';
try {
  // The dongle's colour bars: white first, black last (BT.601 limited range, expanded to full).
  const sharp = (await import('sharp')).default;
  const { data, info } = await sharp(y.bytes).raw().toBuffer({ resolveWithObject: true });
  const px = (x) => [
    ...data.subarray((360 * info.width + x) * info.channels, (360 * info.width + x) * info.channels + 3),
  ];
  const white = px(80);
  const black = px(1200);
  bars = `white bar ${white}, black bar ${black}`;
  bars += white.every((c) => c > 220) && black.every((c) => c < 35) ? '' : ' (wrong)';
} catch (e) {
  bars = `decode failed: ${e}`;
}
check(
  'YUYV: snapshot decodes, 1280x720, the colour bars where they belong',
  y.status === 200 &&
    ySize?.width === 1280 &&
    ySize?.height === 720 &&
    !bars.includes('wrong') &&
    !bars.includes('failed'),
  `${y.bytes.length} B, ${JSON.stringify(ySize)}, ${bars}`,
);
st = await streamParts(d.url, 5);
check(
  'YUYV: /stream delivers encoded frames',
  st.parts.length === 5,
  `${(st.parts.length / st.seconds).toFixed(1)} fps`,
);
d.stop();
await waitFor(() => d.proc.exitCode !== null, 20_000);

// 5. The stable name. /dev/v4l/by-id is made by udev (60-persistent-v4l.rules) from the USB
// strings; this guest, like a container without udev, has none: the name there is /dev/videoN.
// The USB device now (it re-enumerated since): the parent of its VideoControl interface.
const usbNow = dirname(realpathSync(`/sys/class/video4linux/${node.slice(5)}/device`));
const m = (f) =>
  readFileSync(`${usbNow}/${f}`, 'utf8')
    .trim()
    .replace(/[^\w#+\-.:=@]/g, '_');
const byId = `/dev/v4l/by-id/usb-${m('manufacturer')}_${m('product')}_${m('serial')}-video-index0`;
check(
  'stable name: no /dev/v4l without udev; udev would name it from the USB strings',
  !existsSync('/dev/v4l'),
  `udev would make ${byId}; here ${node}`,
);

dongle.stdin.end();
console.log(
  `# dongle: ${dongleOut.filter((l) => l.startsWith('sent')).length} frames sent, ${dongleOut.filter((l) => !l.startsWith('sent')).join(' | ')}`,
);
console.log(
  `uvc lab: ${failures === 0 ? 'all passed' : `${failures} failed`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
process.exit(failures === 0 ? 0 : 1);
