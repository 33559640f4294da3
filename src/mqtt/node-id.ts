import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Topic- and unique_id-safe: lowercase letters, digits, `_` and `-`. */
export function sanitizeId(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
}

/**
 * The node id in topics and unique_ids: the configured one, else a hash of the machine id.
 * machine-id(5) asks applications not to expose the raw id ("should be considered confidential"),
 * so only 12 hex digits of a keyed hash go on the wire; it stays the same across reboots and
 * reinstalls of kvmr0ck. Without a machine id the host name stands in.
 */
export function resolveNodeId(configured: string, machineIdFile: string): string {
  if (configured !== '') return sanitizeId(configured) || 'kvmr0ck';
  let seed: string;
  try {
    seed = readFileSync(machineIdFile, 'utf8').trim();
  } catch {
    seed = '';
  }
  if (seed === '') return sanitizeId(`kvmr0ck_${hostname()}`) || 'kvmr0ck';
  const h = createHash('sha256').update(`kvmr0ck:${seed}`).digest('hex').slice(0, 12);
  return `kvmr0ck_${h}`;
}

export interface Topics {
  base: string;
  availability: string;
  state: string;
  screen: string;
  command: string;
  result: string;
  /** Entity command topics: `<base>/set/<what>`. */
  set: string;
  event: string;
  /** Event entity: commands that failed. */
  error: string;
  /** Update entity: the installed version. */
  version: string;
  /** Our own echo, to know the broker has sent every retained message we subscribed to. */
  sync: string;
  macroSelect: string;
  /** Retained: the macros with their parameters (the card's form in Home Assistant mode). */
  macros: string;
  textState: string;
  discovery: string;
  haStatus: string;
}

export function topicsFor(prefix: string, discoveryPrefix: string, node: string): Topics {
  const base = `${prefix}/${node}`;
  return {
    base,
    availability: `${base}/availability`,
    state: `${base}/state`,
    screen: `${base}/screen`,
    command: `${base}/command`,
    result: `${base}/command/result`,
    set: `${base}/set`,
    event: `${base}/event`,
    error: `${base}/command/error`,
    version: `${base}/version`,
    sync: `${base}/sync`,
    macroSelect: `${base}/macro_select`,
    macros: `${base}/macros`,
    textState: `${base}/text_state`,
    discovery: `${discoveryPrefix}/device/${node}/config`,
    haStatus: `${discoveryPrefix}/status`,
  };
}
