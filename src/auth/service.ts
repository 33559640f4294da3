import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  unwatchFile,
  watchFile,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { errnoCode, KvmError } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import { type AuditEvent, AuditLog } from './audit.js';
import type { AuthConfig } from './config.js';
import { FailureLimiter } from './limiter.js';
import { publicId, type Session, type SessionInfo, SessionTable } from './sessions.js';
import {
  hashToken,
  initialTokenFile,
  newToken,
  type Role,
  readTokens,
  type StoredToken,
  sha256,
  tokenFile,
  verifyToken,
  writePrivate,
  writeToken,
} from './token-store.js';

export type { Role } from './token-store.js';

/** How a request proved who it is. */
export type PrincipalKind = 'token' | 'session' | 'ingress' | 'open';

export interface Principal {
  kind: PrincipalKind;
  role: Role;
  /** The session's public id (kind `session`). */
  session?: string;
}

export interface AuthOptions extends AuthConfig {
  stateDir: string;
  log: Logger;
  now?: () => number;
  /** Shows a generated token to the person at the terminal (only when stdout is a TTY). */
  announce?: (token: string, file: string) => void;
}

/** scrypt runs at most this many at once; more waiting than QUEUE are refused (busy). */
const HASHING = 2;
const QUEUE = 64;
/** Verified tokens remembered (by sha256), so the owner's requests cost no scrypt. */
const VERIFIED_MAX = 32;

/**
 * Who may use the daemon: the holder of the admin or viewer token (bearer header, `?token=` for
 * cameras, or a session cookie from the login page), and Home Assistant's ingress proxy on the
 * ingress listener. Also the one place that knows the tokens changed: connections made with the old
 * credentials are ended (`track`).
 */
export class AuthService implements Service {
  readonly name = 'auth';
  private tokens: Partial<Record<Role, StoredToken>> = {};
  private configured: Partial<Record<Role, StoredToken>> | null = null;
  private epoch = '';
  private dir = '';
  private readonly verified = new Map<string, Role>();
  private limiter!: FailureLimiter;
  private sessions!: SessionTable;
  private auditLog!: AuditLog;
  private hashing = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly tracked = new Set<{ principal: Principal; end: (why: string) => void }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private initialPending = false;

  constructor(private readonly o: AuthOptions) {}

  async start(): Promise<void> {
    this.limiter = new FailureLimiter(this.o.login_attempts_per_minute, () => this.now());
    if (this.o.mode === 'none') {
      this.o.log.warn(
        'auth: mode none: anyone who can reach this port controls the keyboard and mouse of the target',
      );
    }
    this.dir = this.stateDirWritable();
    this.auditLog = new AuditLog({
      file: this.o.audit_log ? path.join(this.dir, 'audit.log') : '',
      maxBytes: 1024 * 1024,
      log: this.o.log,
      now: () => this.now(),
    });
    this.sessions = new SessionTable({
      stateDir: this.dir,
      maxAgeMs: this.o.session_hours * 3_600_000,
      idleMs: this.o.session_idle_minutes * 60_000,
      now: () => this.now(),
    });
    if (this.o.mode === 'none') return;
    this.load(true);
    this.sessions.load(this.epoch);
    // A new token from `kvmr0ck passwd` takes effect without a restart (the CLI also sends SIGHUP
    // where it can; polling the file covers the rest, at the cost of one stat a second).
    watchFile(tokenFile(this.dir), { interval: 1000, persistent: false }, () => this.reload());
    this.flushTimer = setInterval(() => this.sessions.flush(), 60_000);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    unwatchFile(tokenFile(this.dir));
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    if (this.o.mode !== 'none') this.sessions?.flush();
  }

  get enabled(): boolean {
    return this.o.mode !== 'none';
  }

  /** The audit log; usable before start (the file is opened then). */
  readonly audit = { write: (e: AuditEvent) => this.auditLog?.write(e) };

  /** The role a credential grants, after global read-only. */
  effectiveRole(role: Role): Role {
    return this.o.read_only ? 'viewer' : role;
  }

  /** Home Assistant's ingress proxy, by address; callers also check the request came to the ingress listener. */
  isTrustedProxy(ip: string): boolean {
    return this.o.trusted_proxies.includes(ip.replace(/^::ffff:/, ''));
  }

  /**
   * The role `token` grants, or a KvmError: UNAUTHORIZED for a wrong token, RATE_LIMITED when
   * `ip` failed too often this minute or too many checks are waiting. A token verified before is
   * answered from memory, so the owner is never held up by someone else's guessing.
   */
  async verify(token: string, ip: string): Promise<Role> {
    const digest = sha256(token);
    const known = this.verified.get(digest);
    if (known) return known;
    if (!this.limiter.begin(ip)) {
      this.auditLog.write({ event: 'token_refused', address: ip, reason: 'rate_limited' });
      throw new KvmError(
        'RATE_LIMITED',
        `too many wrong tokens from this address; try again in ${this.limiter.retryAfterS(ip)} s`,
      );
    }
    let role: Role | null = null;
    try {
      role = token.length > 0 && token.length <= 256 ? await this.match(token) : null;
    } finally {
      this.limiter.end(ip, role === null);
    }
    if (!role) {
      this.auditLog.write({ event: 'token_refused', address: ip, reason: 'wrong' });
      throw new KvmError('UNAUTHORIZED', 'the access token is wrong');
    }
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(digest, role);
    if (role === 'admin') this.usedInitial(token);
    return role;
  }

  /** The live session for a cookie, or null. */
  session(cookie: string): Session | null {
    return this.enabled ? this.sessions.get(cookie) : null;
  }

  newSession(role: Role, address: string): { cookie: string; id: string; maxAgeS: number } {
    const { cookie, session } = this.sessions.create(role, address, this.epoch);
    const id = publicId(session);
    this.auditLog.write({ event: 'login', ok: true, address, role, session: id });
    return { cookie, id, maxAgeS: this.o.session_hours * 3600 };
  }

  endSession(cookie: string, address: string): void {
    const s = this.sessions.end(cookie);
    if (!s) return;
    const id = publicId(s);
    this.auditLog.write({ event: 'logout', address, session: id });
    this.endTracked((p) => p.session === id, 'logged out');
  }

  touch(principal: Principal): void {
    if (principal.session) this.sessions.touch(principal.session);
  }

  listSessions(): SessionInfo[] {
    return this.sessions.list();
  }

  revokeSession(id: string, by: string): boolean {
    const s = this.sessions.revoke(id);
    if (!s) return false;
    this.auditLog.write({ event: 'session_revoked', session: id, by });
    this.endTracked((p) => p.session === id, 'session revoked');
    return true;
  }

  /**
   * Registers a long-lived connection (WebSocket, stream) made with `principal`; `end` is called when
   * its credentials stop being valid. Returns the function that unregisters it.
   */
  track(principal: Principal, end: (why: string) => void): () => void {
    const entry = { principal, end };
    this.tracked.add(entry);
    return () => this.tracked.delete(entry);
  }

  /** Re-reads auth.json; a changed epoch ends every session and every connection made with a token or a cookie. */
  reload(): void {
    if (this.o.mode === 'none') return;
    const before = this.epoch;
    try {
      this.load(false);
    } catch (err) {
      this.o.log.warn({ err }, `auth: cannot read ${tokenFile(this.dir)}; keeping the current tokens`);
      return;
    }
    if (this.epoch === before) return;
    this.verified.clear();
    const ended = this.sessions.list().length;
    this.sessions.load(this.epoch);
    this.endTracked((p) => p.kind === 'token' || p.kind === 'session', 'the access token changed');
    this.auditLog.write({ event: 'tokens_changed', sessions_ended: ended });
    this.o.log.info(
      `auth: the access tokens changed; ${ended} session(s) ended, old tokens refused from now on`,
    );
  }

  private endTracked(match: (p: Principal) => boolean, why: string): void {
    for (const t of [...this.tracked]) {
      if (!match(t.principal)) continue;
      this.tracked.delete(t);
      t.end(why);
    }
  }

  private async match(token: string): Promise<Role | null> {
    await this.slot();
    try {
      for (const role of ['admin', 'viewer'] as const) {
        const stored = this.tokens[role];
        if (stored && (await verifyToken(token, stored))) return role;
      }
      return null;
    } finally {
      this.hashing--;
      this.waiting.shift()?.();
    }
  }

  /** Waits for one of HASHING scrypt slots; refuses when QUEUE checks already wait. */
  private slot(): Promise<void> {
    if (this.hashing < HASHING) {
      this.hashing++;
      return Promise.resolve();
    }
    if (this.waiting.length >= QUEUE) {
      return Promise.reject(new KvmError('RATE_LIMITED', 'too many token checks at once; try again shortly'));
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.hashing++;
        resolve();
      }),
    );
  }

  /** Reads the tokens: from the config when set there, else auth.json (made at the first start). */
  private load(first: boolean): void {
    let file = readTokens(this.dir);
    if (!file && !this.o.token && first) {
      const token = newToken();
      file = writeToken(this.dir, 'admin', token);
      const where = initialTokenFile(this.dir);
      writePrivate(this.dir, where, `${token}\n`);
      this.initialPending = true;
      // The token never goes to the log (journald and the add-on log are read by others): it is in a
      // 0600 file until first used, and on the terminal when a person started the daemon there.
      this.o.announce?.(token, where);
      this.o.log.info(
        `auth: generated an access token; it is in ${where} (readable by this user only; removed at its first use). A new one: kvmr0ck passwd`,
      );
    } else if (first) {
      this.initialPending = file !== null && existsSync(initialTokenFile(this.dir));
      this.o.log.info(
        this.o.token
          ? 'auth: using the access token from the config (auth.token)'
          : `auth: using the access token kept in ${tokenFile(this.dir)} (a new one: kvmr0ck passwd)`,
      );
    }
    // Config tokens are hashed once, so a check costs the same whatever the token's origin.
    this.configured ??= {
      admin: this.o.token ? hashToken(this.o.token) : undefined,
      viewer: this.o.viewer_token ? hashToken(this.o.viewer_token) : undefined,
    };
    this.tokens = {
      admin: this.configured.admin ?? file?.admin,
      viewer: this.configured.viewer ?? file?.viewer,
    };
    const configured = `${this.o.token}\0${this.o.viewer_token}`;
    this.epoch = sha256(`${file?.epoch ?? ''}\0${configured}`).slice(0, 16);
  }

  /** The generated token's file goes once the owner has used it. */
  private usedInitial(token: string): void {
    if (!this.initialPending) return;
    const where = initialTokenFile(this.dir);
    try {
      if (readFileSync(where, 'utf8').trim() !== token) return;
      rmSync(where, { force: true });
      this.initialPending = false;
      this.o.log.info(`auth: the generated token was used; removed ${where}`);
    } catch {
      this.initialPending = false;
    }
  }

  /** The state folder, or a folder of the user's own when it is not writable (run by hand). */
  private stateDirWritable(): string {
    const dir = this.o.stateDir;
    try {
      accessSync(ensureDir(dir), constants.W_OK);
      return dir;
    } catch (err) {
      if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') throw err;
      const own = path.join(homedir(), '.local', 'state', 'kvmr0ck');
      this.o.log.info(`auth: ${dir} is not writable; keeping the token in ${own}`);
      ensureDir(own);
      return own;
    }
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
