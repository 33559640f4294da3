import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { errnoCode } from '../core/errors.js';

export type Role = 'admin' | 'viewer';

/** Stored form of one token: scrypt hash and salt only, never the token itself. */
export interface StoredToken {
  salt: string;
  hash: string;
  created: string;
}

/**
 * auth.json (mode 0600): the hashed admin token, an optional hashed viewer token, and the epoch.
 * A new epoch (every `kvmr0ck passwd`) ends every session made under the old one, also those kept
 * across a restart in sessions.json.
 */
export interface TokenFile {
  admin?: StoredToken;
  viewer?: StoredToken;
  epoch: string;
}

const KEYLEN = 32;
/** The shortest token accepted, generated or configured: 20 characters resist guessing at any rate we allow. */
export const MIN_TOKEN_LENGTH = 20;
const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export function hashToken(token: string, salt = randomBytes(16)): StoredToken {
  return {
    salt: salt.toString('hex'),
    hash: scryptSync(token, salt, KEYLEN).toString('hex'),
    created: new Date().toISOString(),
  };
}

/** scrypt on libuv's thread pool: a wrong guess costs ~50 ms of a pool thread, never the event loop. */
export async function verifyToken(token: string, stored: StoredToken): Promise<boolean> {
  const h = await scryptAsync(token, Buffer.from(stored.salt, 'hex'), KEYLEN);
  const want = Buffer.from(stored.hash, 'hex');
  return h.length === want.length && timingSafeEqual(h, want);
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function newToken(): string {
  // 24 random bytes: 32 characters of base64url, typed once into a password manager.
  return randomBytes(24).toString('base64url');
}

export function tokenFile(stateDir: string): string {
  return path.join(stateDir, 'auth.json');
}

/** Where a generated token waits for its owner (0600), until it is first used or replaced. */
export function initialTokenFile(stateDir: string): string {
  return path.join(stateDir, 'initial-token');
}

/** Reads auth.json; null when there is none. The first format (one bare token) is the admin token. */
export function readTokens(stateDir: string): TokenFile | null {
  let text: string;
  try {
    text = readFileSync(tokenFile(stateDir), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  const raw = JSON.parse(text) as Partial<TokenFile> & Partial<StoredToken>;
  if (typeof raw.hash === 'string' && typeof raw.salt === 'string') {
    return { admin: { salt: raw.salt, hash: raw.hash, created: raw.created ?? '' }, epoch: raw.hash };
  }
  return { admin: raw.admin, viewer: raw.viewer, epoch: raw.epoch ?? randomBytes(8).toString('hex') };
}

/**
 * Replaces the `role` token (the other role's token is kept) and starts a new epoch. The file is
 * written whole and renamed into place, so a daemon watching it never reads half of it; when root
 * writes it (`sudo kvmr0ck passwd`) it keeps the owner of the state folder, so the service can read it.
 */
export function writeToken(stateDir: string, role: Role, token: string): TokenFile {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const prev = readTokens(stateDir);
  const next: TokenFile = { ...prev, [role]: hashToken(token), epoch: randomBytes(8).toString('hex') };
  writePrivate(stateDir, tokenFile(stateDir), JSON.stringify(next));
  return next;
}

/** Writes a 0600 file atomically, owned like its folder (root writing into the service's state folder). */
export function writePrivate(dir: string, file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  if (process.getuid?.() === 0) {
    const owner = statSync(dir);
    if (owner.uid !== 0) chownSync(tmp, owner.uid, owner.gid);
  }
  renameSync(tmp, file);
}
