import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/log.js';

/** What the audit log records: who came in and what they did, never what they typed. */
export type AuditEvent =
  | { event: 'login'; ok: boolean; address: string; role?: string; session?: string }
  | { event: 'logout'; address: string; session: string }
  | { event: 'token_refused'; address: string; reason: 'wrong' | 'rate_limited' }
  | { event: 'tokens_changed'; sessions_ended: number }
  | { event: 'session_revoked'; session: string; by: string }
  | {
      event: 'input_session';
      phase: 'start' | 'end';
      address: string;
      via: string;
      role: string;
      session?: string;
      keys?: number;
      mouse?: number;
      typed_chars?: number;
    }
  | { event: 'macro'; name: string; origin: string };

export interface AuditOptions {
  /** The file; empty: audit events go to the main log only. */
  file: string;
  /** Past this size the file becomes `<file>.1` (one old file kept). */
  maxBytes: number;
  log: Logger;
  now?: () => number;
}

/**
 * An append-only JSON-lines file, separate from the daemon's log, so it can be kept longer and
 * read by someone who should not see the debug output. Each line is also logged at debug level.
 */
export class AuditLog {
  private size = -1;

  constructor(private readonly o: AuditOptions) {}

  write(e: AuditEvent): void {
    const line = `${JSON.stringify({ at: new Date((this.o.now ?? Date.now)()).toISOString(), ...e })}\n`;
    this.o.log.debug({ audit: e }, `audit: ${e.event}`);
    if (!this.o.file) return;
    try {
      if (this.size < 0) {
        mkdirSync(path.dirname(this.o.file), { recursive: true, mode: 0o700 });
        this.size = fileSize(this.o.file);
      }
      if (this.size + line.length > this.o.maxBytes) {
        renameSync(this.o.file, `${this.o.file}.1`);
        this.size = 0;
      }
      appendFileSync(this.o.file, line, { mode: 0o600 });
      this.size += Buffer.byteLength(line);
    } catch (err) {
      // An audit file we cannot write must not stop the KVM: warn, and try again with the next event.
      this.o.log.warn({ err }, `audit: cannot write ${this.o.file}`);
      this.size = -1;
    }
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
