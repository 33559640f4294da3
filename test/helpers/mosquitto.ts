import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';

export const MOSQUITTO = '/usr/sbin/mosquitto';

/** A real Mosquitto on a free local port; `restart` keeps the port (clients reconnect to it). */
export interface Broker {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL, keeping the config so `start` brings it back on the same port. */
  kill(): Promise<void>;
  /** Kills it and removes its files: the last call. */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function waitPort(port: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = netConnect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > until) reject(new Error(`mosquitto did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** With `users`, anonymous clients are refused and each user needs its password (mosquitto_passwd). */
export async function startMosquitto(opts: { users?: Record<string, string> } = {}): Promise<Broker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kvmr0ck-mosq-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  let access = 'allow_anonymous true\n';
  if (opts.users) {
    const pwfile = path.join(dir, 'passwords');
    writeFileSync(pwfile, '', { mode: 0o600 });
    for (const [user, pw] of Object.entries(opts.users)) {
      execFileSync('/usr/bin/mosquitto_passwd', ['-b', pwfile, user, pw]);
    }
    // Run as root, mosquitto drops to its own user, which cannot read our 0600 file: stay ourselves.
    access = `allow_anonymous false\npassword_file ${pwfile}\nuser ${userInfo().username}\n`;
  }
  writeFileSync(conf, `listener ${port} 127.0.0.1\n${access}persistence false\nlog_dest none\n`);
  let proc: ChildProcess | null = null;
  const broker: Broker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      proc = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
      await waitPort(port);
    },
    async kill() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    async stop() {
      await broker.kill();
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    },
    async restart() {
      await broker.kill();
      await broker.start();
    },
  };
  await broker.start();
  return broker;
}

/** A test client that records every message per topic. */
export interface Probe {
  client: MqttClient;
  messages: { topic: string; payload: Buffer; retain: boolean }[];
  /** Resolves with the first message (already received or future) matching. */
  wait(
    pred: (topic: string, payload: Buffer, retain: boolean) => boolean,
    timeoutMs?: number,
  ): Promise<Buffer>;
  close(): Promise<void>;
}

export async function probe(url: string, topics: string[], opts: IClientOptions = {}): Promise<Probe> {
  const client = connect(url, { protocolVersion: 5, reconnectPeriod: 200, ...opts });
  const messages: Probe['messages'] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, retain: packet.retain });
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    messages,
    wait(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = messages.find((x) => pred(x.topic, x.payload, x.retain));
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m.payload);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching MQTT message in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

/** One Mosquitto for a test file: started before its tests, stopped after; `url` is valid inside them. */
export function fileBroker(): { readonly url: string } {
  let b: Broker | undefined;
  beforeAll(async () => {
    b = await startMosquitto();
  });
  afterAll(async () => {
    await b?.stop();
  });
  return {
    get url() {
      if (!b) throw new Error('the file broker is used outside a test');
      return b.url;
    },
  };
}
