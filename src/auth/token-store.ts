import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Stored form of the access token: scrypt hash and salt only, never the token (file mode 0600). */
interface StoredToken {
  salt: string;
  hash: string;
  created: string;
}

const KEYLEN = 32;

export function hashToken(token: string, salt = randomBytes(16)): StoredToken {
  return {
    salt: salt.toString('hex'),
    hash: scryptSync(token, salt, KEYLEN).toString('hex'),
    created: new Date().toISOString(),
  };
}

export function verifyToken(token: string, stored: StoredToken): boolean {
  const h = scryptSync(token, Buffer.from(stored.salt, 'hex'), KEYLEN);
  const want = Buffer.from(stored.hash, 'hex');
  return h.length === want.length && timingSafeEqual(h, want);
}

export function newToken(): string {
  // 24 random bytes: 32 characters of base64url, typed once into a password manager.
  return randomBytes(24).toString('base64url');
}

export function tokenFile(stateDir: string): string {
  return path.join(stateDir, 'auth.json');
}

/** Reads the stored hash, or creates a token (returned once, for the start-up log) when there is none. */
export function loadOrCreate(stateDir: string): { stored: StoredToken; created: string | null } {
  const file = tokenFile(stateDir);
  if (existsSync(file))
    return { stored: JSON.parse(readFileSync(file, 'utf8')) as StoredToken, created: null };
  const token = newToken();
  const stored = writeToken(stateDir, token);
  return { stored, created: token };
}

export function writeToken(stateDir: string, token: string): StoredToken {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stored = hashToken(token);
  const file = tokenFile(stateDir);
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  chmodSync(file, 0o600);
  return stored;
}
