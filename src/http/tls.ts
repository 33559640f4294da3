import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { errorMessage, KvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ServerConfig } from './config.js';
import { boardAddresses, boardNames } from './hosts.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Whether the panel is served over HTTPS. */
export function usesTls(cfg: ServerConfig): boolean {
  return cfg.tls_cert !== '' || cfg.tls === 'self-signed';
}

/**
 * The certificate and key: the configured files, or for `tls: self-signed` a certificate made once
 * (kept in `<state>/tls/`) naming this board's names and addresses, so a browser that was told to
 * trust it once keeps trusting it. Delete the folder to make a new one (after a rename, say).
 */
export async function loadTls(cfg: ServerConfig, stateDir: string, log: Logger): Promise<TlsMaterial | null> {
  if (cfg.tls_cert) {
    return { cert: readPem(cfg.tls_cert, 'server.tls_cert'), key: readPem(cfg.tls_key, 'server.tls_key') };
  }
  if (cfg.tls !== 'self-signed') return null;
  const dir = path.join(stateDir, 'tls');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names = boardNames(cfg);
    const addresses = new Set(boardAddresses().filter((a) => isIP(a) !== 0 && !a.includes('%')));
    const san = [...names.map((n) => `DNS:${n}`), ...[...addresses].map((a) => `IP:${a}`)].join(',');
    try {
      // openssl (Debian's `openssl`, present on every board image) rather than a JavaScript X.509
      // library: one command, an EC P-256 key, and the subjectAltName browsers require.
      await promisify(execFile)(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
          ...['-days', '3650', '-subj', `/CN=${names[1] ?? 'kvmr0ck'}`, '-addext', `subjectAltName=${san}`],
          ...['-keyout', key, '-out', cert],
        ],
        { timeout: 30_000 },
      );
    } catch (err) {
      throw new KvmError(
        'CONFIG_INVALID',
        `server.tls: self-signed: could not make a certificate with openssl (${errorMessage(err)}); install openssl or set server.tls_cert/tls_key`,
      );
    }
    log.info(`tls: made a self-signed certificate for ${san} in ${dir}`);
  }
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new KvmError('CONFIG_INVALID', `${what}: cannot read ${file}: ${errorMessage(err)}`);
  }
}
