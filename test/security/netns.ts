import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REQUEST = path.resolve('test/security/ns-request.mjs');

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
export interface Reply {
  status: number;
  body: string;
  ms: number;
}

/** Root is needed for network namespaces; CI runs as root. */
export const IS_ROOT = process.getuid?.() === 0;

export interface Lan {
  /** The board's address on this LAN. */
  hostAddress: string;
  /** An HTTP request from another host on the LAN, sent from `from`: status and body. */
  request(from: string, url: string, init?: RequestInit): Promise<Reply>;
  /** Many requests at once, each from its own address (one process, so they really overlap). */
  batch(specs: (RequestInit & { from: string; url: string })[]): Promise<Reply[]>;
  destroy(): void;
}

/**
 * A LAN with other hosts on it: a network namespace joined to this machine by a veth pair, the
 * board at `${prefix}.1`, the namespace holding `addresses` (e.g. an attacker at 172.30.32.2, the
 * address Home Assistant's ingress proxy uses). All traffic stays inside this machine.
 */
export function makeLan(prefix: string, addresses: string[]): Lan {
  const name = `kvsec${process.pid % 100000}`;
  const host = `vh${process.pid % 100000}`;
  const peer = `vn${process.pid % 100000}`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  ip('netns', 'add', name);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', name);
  ip('addr', 'add', `${prefix}.1/24`, 'dev', host);
  ip('link', 'set', host, 'up');
  for (const a of addresses) ip('netns', 'exec', name, 'ip', 'addr', 'add', `${a}/24`, 'dev', peer);
  ip('netns', 'exec', name, 'ip', 'link', 'set', peer, 'up');
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  return {
    hostAddress: `${prefix}.1`,
    async request(from, url, init = {}) {
      return (await this.batch([{ ...init, from, url }]))[0]!;
    },
    async batch(specs) {
      const { stdout } = await run(
        'ip',
        ['netns', 'exec', name, process.execPath, REQUEST, JSON.stringify(specs)],
        {
          timeout: 60_000,
        },
      );
      return JSON.parse(stdout) as Reply[];
    },
    destroy() {
      try {
        ip('netns', 'del', name);
      } catch {
        // already gone
      }
      try {
        ip('link', 'del', host);
      } catch {
        // deleting the namespace removed the pair
      }
    },
  };
}
