import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { type Role, sha256, writePrivate } from './token-store.js';

export interface Session {
  /** sha256 of the cookie value: the file and the API never hold the cookie itself. */
  key: string;
  role: Role;
  created: number;
  lastSeen: number;
  expires: number;
  address: string;
  /** The token epoch it was made under; another epoch means `kvmr0ck passwd` ran since. */
  epoch: string;
}

/** What /api/sessions shows: a short public id, never the cookie. */
export interface SessionInfo {
  id: string;
  role: Role;
  address: string;
  created: string;
  last_seen: string;
  expires: string;
}

export interface SessionOptions {
  stateDir: string;
  maxAgeMs: number;
  idleMs: number;
  now: () => number;
}

/**
 * Login sessions, kept in sessions.json (0600) so a restart does not log everyone out. A session
 * ends at its fixed expiry, after `idle` without a request, at logout, when revoked through
 * /api/sessions, or when the token epoch changes (`kvmr0ck passwd`).
 */
export class SessionTable {
  /** By public id (the first 16 hex digits of the key): what the API, WebSockets and revocation name. */
  private readonly byId = new Map<string, Session>();
  private dirty = false;

  constructor(private readonly o: SessionOptions) {}

  private get file(): string {
    return path.join(this.o.stateDir, 'sessions.json');
  }

  /** Loads the kept sessions of `epoch`; others (an older token) are dropped. */
  load(epoch: string): void {
    this.byId.clear();
    let list: Session[] = [];
    try {
      list = JSON.parse(readFileSync(this.file, 'utf8')) as Session[];
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    const t = this.o.now();
    for (const s of Array.isArray(list) ? list : []) {
      if (s.epoch === epoch && this.alive(s, t)) this.byId.set(publicId(s), s);
    }
    this.dirty = list.length !== this.byId.size;
    this.flush();
  }

  create(role: Role, address: string, epoch: string): { cookie: string; session: Session } {
    const cookie = randomBytes(24).toString('base64url');
    const t = this.o.now();
    const session: Session = {
      key: sha256(cookie),
      role,
      created: t,
      lastSeen: t,
      expires: t + this.o.maxAgeMs,
      address,
      epoch,
    };
    this.byId.set(publicId(session), session);
    this.dirty = true;
    this.flush();
    return { cookie, session };
  }

  /** The live session for a cookie value, touched; null when unknown, expired or idle too long. */
  get(cookie: string): Session | null {
    const key = sha256(cookie);
    const s = this.byId.get(key.slice(0, 16));
    // The whole hash must match: the id is only its first 64 bits.
    if (!s || s.key !== key) return null;
    return this.touch(publicId(s));
  }

  /**
   * Marks use (a request, a WebSocket message) and returns the session while it lives. lastSeen
   * reaches the file with the next flush (once a minute, and at stop): using it does no I/O.
   */
  touch(id: string): Session | null {
    const s = this.byId.get(id);
    if (!s) return null;
    const t = this.o.now();
    if (!this.alive(s, t)) {
      this.byId.delete(id);
      this.dirty = true;
      return null;
    }
    s.lastSeen = t;
    this.dirty = true;
    return s;
  }

  end(cookie: string): Session | null {
    const key = sha256(cookie);
    return this.byId.get(key.slice(0, 16))?.key === key ? this.revoke(key.slice(0, 16)) : null;
  }

  /** Ends the session whose public id is `id`. */
  revoke(id: string): Session | null {
    const s = this.byId.get(id);
    if (!s) return null;
    this.byId.delete(id);
    this.dirty = true;
    this.flush();
    return s;
  }

  list(): SessionInfo[] {
    const t = this.o.now();
    return [...this.byId.values()]
      .filter((s) => this.alive(s, t))
      .map((s) => ({
        id: publicId(s),
        role: s.role,
        address: s.address,
        created: new Date(s.created).toISOString(),
        last_seen: new Date(s.lastSeen).toISOString(),
        expires: new Date(Math.min(s.expires, s.lastSeen + this.o.idleMs)).toISOString(),
      }));
  }

  /** Writes the table when it changed. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    writePrivate(this.o.stateDir, this.file, JSON.stringify([...this.byId.values()]));
  }

  private alive(s: Session, t: number): boolean {
    return s.expires > t && s.lastSeen + this.o.idleMs > t;
  }
}

export function publicId(s: Session): string {
  return s.key.slice(0, 16);
}
