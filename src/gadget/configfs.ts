import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { errnoCode, errorMessage, KvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type Change, CONFIG_DIR, type CurrentGadget, type DesiredGadget, describeChange } from './plan.js';

/** The filesystem calls the applier makes; tests swap `rmdir` for one that behaves like configfs. */
export interface ConfigfsOps {
  mkdir(p: string): void;
  write(p: string, value: string | Uint8Array): void;
  symlink(target: string, p: string): void;
  unlink(p: string): void;
  rmdir(p: string): void;
}

export const realConfigfs: ConfigfsOps = {
  mkdir: (p) => mkdirSync(p, { recursive: true }),
  // configfs takes each attribute in one write(2), which writeFileSync does for these sizes.
  write: (p, v) => writeFileSync(p, v),
  symlink: (target, p) => symlinkSync(target, p),
  unlink: (p) => unlinkSync(p),
  rmdir: (p) => rmdirSync(p),
};

function tryRead(p: string): Uint8Array | undefined {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

function tryList(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}

function tryListLinks(p: string): string[] {
  try {
    return readdirSync(p, { withFileTypes: true })
      .filter((e) => e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Reads the parts of configfs the plan compares against. */
export function readCurrent(dir: string, want: DesiredGadget): CurrentGadget {
  const exists = existsSync(dir);
  const attrs = new Map<string, Uint8Array>();
  if (!exists) return { exists, attrs, functions: [], links: [], udc: '' };
  for (const a of want.attrs) {
    const v = tryRead(path.join(dir, a.path));
    if (v !== undefined) attrs.set(a.path, v);
  }
  const functions = tryList(path.join(dir, 'functions')).map((f) => `functions/${f}`);
  const links = tryListLinks(path.join(dir, CONFIG_DIR)).map((f) => `${CONFIG_DIR}/${f}`);
  const udc = Buffer.from(tryRead(path.join(dir, 'UDC')) ?? new Uint8Array())
    .toString('utf8')
    .trim();
  return { exists, attrs, functions, links, udc };
}

/** Applies a change set in order, logging each step; stops at the first failure with a GADGET error. */
export function applyChanges(dir: string, changes: readonly Change[], log: Logger, ops = realConfigfs): void {
  for (const c of changes) {
    log.info(`gadget: ${describeChange(c)}`);
    const p = path.join(dir, c.path);
    try {
      switch (c.op) {
        case 'MKDIR':
          ops.mkdir(p);
          break;
        case 'WRITE':
          // An empty write(2) may never reach the kernel: unbind with a lone newline, which it strips.
          ops.write(p, c.path === 'UDC' && c.value === '' ? '\n' : c.value);
          break;
        case 'SYMLINK':
          ops.symlink(path.join(dir, c.target), p);
          break;
        case 'UNLINK':
          ops.unlink(p);
          break;
        case 'RMDIR':
          ops.rmdir(p);
          break;
      }
    } catch (err) {
      const code = errnoCode(err);
      const hint =
        c.path === 'UDC' && code === 'EBUSY'
          ? ': the UDC is in use by another gadget'
          : code === 'ENOENT' && c.op === 'MKDIR'
            ? ': is configfs mounted and libcomposite loaded (modprobe libcomposite)?'
            : '';
      throw new KvmError('GADGET', `gadget: ${describeChange(c)} failed: ${errorMessage(err)}${hint}`, {
        change: describeChange(c),
        errno: code,
      });
    }
  }
}
