import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every system path the daemon touches goes through here, so tests and the hardware lab can point
 * them at a temporary tree (the approach of kvmd's SYSFS_PREFIX).
 */
export interface SystemPaths {
  /** Root of device nodes, normally `/dev`. */
  dev: string;
  /** Root of sysfs, normally `/sys`. */
  sys: string;
  /** configfs mount, normally `/sys/kernel/config`. */
  configfs: string;
  /** Writable state (generated tokens, caches), normally `/var/lib/kvmr0ck`. */
  state: string;
}

export function devPath(paths: SystemPaths, ...parts: string[]): string {
  return path.join(paths.dev, ...parts);
}

export function sysPath(paths: SystemPaths, ...parts: string[]): string {
  return path.join(paths.sys, ...parts);
}

let cachedRoot: string | undefined;

/** The package root (where package.json is), both from `src/` under tsx/vitest and from `dist/src/`. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  cachedRoot = dir;
  return dir;
}
