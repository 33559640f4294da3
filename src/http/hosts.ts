import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { ServerConfig } from './config.js';

/** This board's own names: what a browser may send as Host without server.allowed_hosts. */
export function boardNames(
  cfg: Pick<ServerConfig, 'public_url' | 'allowed_hosts'>,
  host = hostname(),
): string[] {
  const names = new Set(['localhost', host, `${host}.local`]);
  const pub = hostOf(cfg.public_url);
  if (pub && !isIP(pub)) names.add(pub);
  for (const h of cfg.allowed_hosts) names.add(h);
  return [...names].map(normalise).filter((n) => n !== '');
}

/**
 * The board's addresses: all of them, loopback and IPv6 included (certificate names), or only the
 * IPv4 ones other machines can reach (the URLs the start-up log shows).
 */
export function boardAddresses(which: 'all' | 'external-ipv4' = 'all'): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && (which === 'all' || (!i.internal && i.family === 'IPv4')))
    .map((i) => i!.address);
}

/**
 * The DNS-rebinding guard: a page on an attacker's name that resolves to the board sends that name
 * as Host, so only the board's own names are accepted (in every auth mode). An IP address as Host
 * cannot come from rebinding (the browser would treat it as another origin), so any is accepted:
 * the board is then reachable by whatever address a router or VPN gives it.
 */
export class HostGuard {
  private readonly names: Set<string>;

  constructor(names: string[]) {
    this.names = new Set(names.map(normalise));
  }

  /** The offending name, or null when `header` (a Host header, maybe with a port) is fine. */
  refuse(header: string | undefined): string | null {
    // HTTP/1.0 clients may send no Host; browsers always do.
    if (header === undefined || header === '') return null;
    const name = hostOf(`http://${header}`);
    if (name === null) return header;
    if (isIP(name) || this.names.has(name)) return null;
    return name;
  }
}

function hostOf(url: string): string | null {
  if (!url) return null;
  try {
    return normalise(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return null;
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
