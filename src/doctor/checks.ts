import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freemem } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../core/errors.js';

export type Level = 'ok' | 'warn' | 'fail';

export interface Check {
  level: Level;
  name: string;
  detail: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return null;
  }
};

/** Everything `kvmr0ck doctor` looks at, with a fix for each problem. All paths come from config. */
export async function runChecks(config: Config, now = new Date()): Promise<Check[]> {
  const out: Check[] = [];
  const { paths } = config;

  // USB device controller: exists only when the OTG port is in peripheral (or otg) mode.
  const udcDir = path.join(paths.sys, 'class', 'udc');
  const udcs = existsSync(udcDir) ? readdirSync(udcDir) : [];
  const udc = config.gadget.udc || udcs[0];
  if (!udc) {
    out.push({
      level: 'fail',
      name: 'USB device controller',
      detail: `none in ${udcDir}`,
      fix: 'put the OTG port in peripheral mode: overlays/README.md (Radxa: rk3566-usb-otg-peripheral; Pi: dtoverlay=dwc2,dr_mode=peripheral), then reboot',
    });
  } else {
    const state = read(path.join(udcDir, udc, 'state'));
    out.push({
      level: state === 'configured' ? 'ok' : 'warn',
      name: 'USB device controller',
      detail: `${udc}, state ${state ?? 'unknown'}`,
      fix:
        state === 'configured'
          ? undefined
          : 'plug the OTG port into the target (data, not only power) and run kvmr0ck gadget up',
    });
  }
  const bound = read(path.join(paths.configfs, 'usb_gadget', config.gadget.name, 'UDC'));
  out.push(
    bound
      ? { level: 'ok', name: 'USB gadget', detail: `${config.gadget.name} bound to ${bound}` }
      : {
          level: 'fail',
          name: 'USB gadget',
          detail: 'not set up or not bound',
          fix: 'sudo kvmr0ck gadget up (the kvmr0ck-gadget service does it at boot)',
        },
  );
  for (const n of [0, 1, 2]) {
    const dev = path.join(paths.dev, `hidg${n}`);
    if (!existsSync(dev)) continue;
    try {
      accessSync(dev, constants.W_OK);
      out.push({ level: 'ok', name: `HID device ${dev}`, detail: 'writable' });
    } catch {
      out.push({
        level: 'fail',
        name: `HID device ${dev}`,
        detail: 'not writable by this user',
        fix: 'install packaging/99-kvmr0ck-hidg.rules and add the user to the kvmr0ck group',
      });
    }
  }

  // Capture.
  const dev = config.video.device;
  if (!existsSync(dev)) {
    out.push({
      level: 'warn',
      name: 'capture device',
      detail: `${dev} not found (the daemon would use the test pattern)`,
      fix: 'check the HDMI bridge overlay or the USB dongle; v4l2-ctl --list-devices lists what exists',
    });
  } else {
    out.push(await captureCheck(dev, config.video.format));
  }

  // Libraries on the hot paths.
  for (const [lib, pkg, why] of [
    ['libturbojpeg.so.0', 'libturbojpeg0', 'JPEG encoding ~5x faster than the sharp fallback'],
    ['libyuv.so.0', 'libyuv0', 'UYVY/YUYV unpacking ~10x faster than the JS fallback'],
  ] as const) {
    try {
      const koffi = (await import('koffi')).default;
      koffi.load(lib);
      out.push({ level: 'ok', name: lib, detail: 'loads' });
    } catch {
      out.push({ level: 'warn', name: lib, detail: `missing (${why})`, fix: `sudo apt-get install ${pkg}` });
    }
  }

  // MQTT broker, when configured.
  if (config.mqtt.url) {
    const u = new URL(config.mqtt.url);
    const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883));
    const reached = await tcpReachable(u.hostname, port, 2000);
    out.push(
      reached === true
        ? { level: 'ok', name: 'MQTT broker', detail: `${u.hostname}:${port} reachable` }
        : {
            level: 'fail',
            name: 'MQTT broker',
            detail: `${u.hostname}:${port}: ${reached}`,
            fix: 'check mqtt.url and that the broker runs (Mosquitto add-on in Home Assistant)',
          },
    );
  }

  // Boards without a real-time clock start in 1970 until NTP answers: TLS and cron go wrong.
  out.push(
    now.getUTCFullYear() >= 2024
      ? { level: 'ok', name: 'clock', detail: now.toISOString() }
      : {
          level: 'warn',
          name: 'clock',
          detail: now.toISOString(),
          fix: 'enable time sync (systemd-timesyncd) or add an RTC',
        },
  );
  const free = freemem() / 2 ** 20;
  out.push(
    free >= 64
      ? { level: 'ok', name: 'free memory', detail: `${free.toFixed(0)} MiB` }
      : {
          level: 'warn',
          name: 'free memory',
          detail: `${free.toFixed(0)} MiB`,
          fix: 'capture buffers and encoders need ~60 MiB at 1080p; stop other services or lower video.buffers',
        },
  );
  try {
    mkdirSync(paths.state, { recursive: true });
    accessSync(paths.state, constants.W_OK);
    out.push({ level: 'ok', name: 'state directory', detail: `${paths.state} writable` });
  } catch {
    out.push({
      level: 'fail',
      name: 'state directory',
      detail: `${paths.state} not writable`,
      fix: 'the systemd unit creates it (StateDirectory=kvmr0ck); or set paths.state',
    });
  }
  return out;
}

async function captureCheck(dev: string, format: string): Promise<Check> {
  try {
    const { V4l2Device, V4l2Error } = await import('../video/v4l2/device.js');
    const { chooseFormat } = await import('../video/v4l2/choose.js');
    const d = new V4l2Device(dev);
    d.open();
    try {
      const cap = d.querycap();
      const formats = d.enumFormats();
      let signal = 'no DV timings (USB dongle)';
      try {
        const t = d.queryDvTimings();
        signal = `signal ${t.width}x${t.height} @ ${t.fps} Hz`;
      } catch (e) {
        if (e instanceof V4l2Error && !['ENOTTY', 'EINVAL'].includes(e.code))
          signal = `no signal (${e.code})`;
      }
      const choice = chooseFormat(formats, format);
      return {
        level: signal.startsWith('no signal') ? 'warn' : 'ok',
        name: 'capture device',
        detail: `${dev}: ${cap.card} (${cap.driver}${cap.multiplanar ? ', multi-planar' : ''}); formats ${formats.join(' ')}; would use ${choice.fourcc}; ${signal}`,
        fix: signal.startsWith('no signal')
          ? 'is the target on and its HDMI plugged in? A BIOS that shows nothing may need video.edid: overlays/edid/bios-720p.hex'
          : undefined,
      };
    } finally {
      d.close();
    }
  } catch (err) {
    return {
      level: 'fail',
      name: 'capture device',
      detail: `${dev}: ${errorMessage(err)}`,
      fix: 'is the user in the video group? is another program capturing?',
    };
  }
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (r: true | string) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done('timed out'));
    s.once('connect', () => done(true));
    s.once('error', (e) => done(errorMessage(e)));
  });
}

export function formatChecks(checks: Check[]): string {
  const tag = { ok: ' ok ', warn: 'WARN', fail: 'FAIL' } as const;
  return checks
    .map((c) => `[${tag[c.level]}] ${c.name}: ${c.detail}${c.fix ? `\n        fix: ${c.fix}` : ''}`)
    .join('\n');
}
