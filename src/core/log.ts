import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  level: string;
  /** `pretty` for people at a terminal, `json` for machines; `auto` picks by TTY. */
  format: 'auto' | 'pretty' | 'json';
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
}

/** Keys whose values are never logged, wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'text',
  '*.text',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  // Node's parser attaches the raw bytes of a malformed request to the error (fastify logs it at
  // trace level as 'client error'): they hold the request line with ?token= and every header.
  'err.rawPacket',
  '*.rawPacket',
];

/** A URL without its user:password@ (broker URLs may carry them), for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

export function createLogger(opts: LogOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const pretty =
    opts.format === 'pretty' || (opts.format === 'auto' && Boolean((dest as { isTTY?: boolean }).isTTY));
  const stream = pretty ? prettyStream(dest) : dest;
  return pino(
    {
      level: opts.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '<redacted>' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream as pino.DestinationStream,
  );
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/**
 * A small synchronous pretty printer: `HH:MM:SS.mmm LEVEL [component] message key=value`.
 * pino-pretty would pull a worker thread into the daemon for what is a few lines of formatting.
 */
function prettyStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          const { level, time, msg, component, err, ...rest } = o;
          const ts = new Date(Number(time)).toISOString().slice(11, 23);
          const extra = Object.entries(rest)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          const errText = err
            ? `\n    ${(err as { stack?: string; message?: string }).stack ?? (err as { message?: string }).message}`
            : '';
          dest.write(
            `${ts} ${LEVELS[Number(level)] ?? level} ${component ? `[${component}] ` : ''}${msg ?? ''}${extra ? `  ${extra}` : ''}${errText}\n`,
          );
        } catch {
          dest.write(line + '\n');
        }
      }
      cb();
    },
  });
}

/**
 * Logs a repeating fault once, then again only when it changes or after `everyMs`,
 * so a vanished device does not flood the log (JetKVM rate-limits the same way).
 */
export class OnceLogger {
  private lastKey: string | null = null;
  private lastAt = 0;

  constructor(
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  shouldLog(key: string): boolean {
    const t = this.now();
    if (key !== this.lastKey || t - this.lastAt >= this.everyMs) {
      this.lastKey = key;
      this.lastAt = t;
      return true;
    }
    return false;
  }

  reset(): void {
    this.lastKey = null;
  }
}
