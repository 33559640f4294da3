import { createHash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/log.js';
import { hashToken, loadOrCreate, verifyToken } from './token-store.js';

export interface AuthOptions {
  mode: 'token' | 'none';
  token: string;
  trusted_proxies: string[];
  session_hours: number;
  login_attempts_per_minute: number;
}

/**
 * Who may use the daemon: the holder of the access token (bearer header, `?token=` for cameras,
 * or a session cookie from the login page), and the configured trusted proxies (HA ingress).
 */
export class AuthService implements Service {
  readonly name = 'auth';
  private stored: ReturnType<typeof hashToken> | null = null;
  /** sha256 of tokens that passed scrypt once: scrypt costs ~50 ms, too slow for every request. */
  private readonly verified = new Set<string>();
  private readonly sessions = new Map<string, number>();
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly o: AuthOptions & { stateDir: string; log: Logger; now?: () => number }) {}

  async start(): Promise<void> {
    if (this.o.mode === 'none') {
      this.o.log.warn(
        'auth: mode none: anyone who can reach this port controls the keyboard and mouse of the target',
      );
      return;
    }
    if (this.o.token) {
      this.stored = hashToken(this.o.token);
      return;
    }
    let dir = this.o.stateDir;
    let loaded: ReturnType<typeof loadOrCreate>;
    try {
      loaded = loadOrCreate(dir);
    } catch (err) {
      // Run by hand as a normal user, /var/lib/kvmr0ck is not ours: keep the token in the home directory.
      if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') throw err;
      dir = path.join(homedir(), '.local', 'state', 'kvmr0ck');
      this.o.log.info(`auth: ${this.o.stateDir} is not writable; keeping the token in ${dir}`);
      loaded = loadOrCreate(dir);
    }
    const { stored, created } = loaded;
    this.stored = stored;
    if (created) {
      // Shown once: only its hash is kept (auth.json, mode 0600).
      this.o.log.info(
        `auth: generated the access token ${created} (shown once; log in with it, or send "Authorization: Bearer <token>"; make a new one with: kvmr0ck passwd)`,
      );
    }
  }

  async stop(): Promise<void> {
    this.sessions.clear();
  }

  get enabled(): boolean {
    return this.o.mode !== 'none';
  }

  isTrusted(ip: string): boolean {
    const plain = ip.replace(/^::ffff:/, '');
    return this.o.trusted_proxies.includes(plain);
  }

  checkToken(token: string): boolean {
    if (!this.stored || token.length === 0 || token.length > 256) return false;
    const digest = createHash('sha256').update(token).digest('hex');
    if (this.verified.has(digest)) return true;
    if (!verifyToken(token, this.stored)) return false;
    this.verified.add(digest);
    return true;
  }

  checkSession(id: string): boolean {
    const exp = this.sessions.get(id);
    if (exp === undefined) return false;
    if (exp < this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Counts a login attempt from `ip`; false when it is over the per-minute limit. */
  allowAttempt(ip: string): boolean {
    const t = this.now();
    const recent = (this.attempts.get(ip) ?? []).filter((x) => t - x < 60_000);
    recent.push(t);
    this.attempts.set(ip, recent);
    return recent.length <= this.o.login_attempts_per_minute;
  }

  newSession(): { id: string; maxAgeS: number } {
    const id = randomBytes(24).toString('base64url');
    const maxAgeS = this.o.session_hours * 3600;
    this.sessions.set(id, this.now() + maxAgeS * 1000);
    return { id, maxAgeS };
  }

  endSession(id: string): void {
    this.sessions.delete(id);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
