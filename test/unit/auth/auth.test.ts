import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../../src/auth/limiter.js';
import { publicId, SessionTable } from '../../../src/auth/sessions.js';
import { readTokens, writeToken } from '../../../src/auth/token-store.js';
import { boardNames, HostGuard } from '../../../src/http/hosts.js';

describe('FailureLimiter', () => {
  it('counts failures and tries in flight per address, for a sliding minute', () => {
    let t = 0;
    const l = new FailureLimiter(3, () => t);
    // Three tries at once: the fourth is refused before any has failed.
    expect([l.begin('a'), l.begin('a'), l.begin('a'), l.begin('a')]).toEqual([true, true, true, false]);
    l.end('a', true);
    l.end('a', false); // a right token costs nothing
    l.end('a', true);
    expect(l.begin('a')).toBe(true);
    l.end('a', true);
    expect(l.begin('a')).toBe(false);
    expect(l.retryAfterS('a')).toBe(60);
    // Another address is not affected.
    expect(l.begin('b')).toBe(true);
    l.end('b', false);
    t = 60_001;
    expect(l.begin('a')).toBe(true);
    l.end('a', false);
    expect(l.size).toBe(0);
  });

  it('keeps at most maxAddresses addresses (a spoofed flood cannot grow it)', () => {
    const l = new FailureLimiter(5, () => 0, 100);
    for (let i = 0; i < 1000; i++) {
      l.begin(`10.0.${i >> 8}.${i & 255}`);
      l.end(`10.0.${i >> 8}.${i & 255}`, true);
    }
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe('SessionTable', () => {
  const table = (now: () => number, dir = mkdtempSync(path.join(tmpdir(), 'sessions-'))) =>
    new SessionTable({ stateDir: dir, maxAgeMs: 10 * 3_600_000, idleMs: 60 * 60_000, now });

  it('ends a session after the idle limit, keeps an active one until its fixed expiry', () => {
    let t = 1_000_000;
    const s = table(() => t);
    s.load('e1');
    const idle = s.create('admin', '10.0.0.1', 'e1').cookie;
    const busy = s.create('viewer', '10.0.0.2', 'e1').cookie;
    for (let m = 0; m < 59; m++) {
      t += 60_000;
      expect(s.get(busy)?.role).toBe('viewer');
    }
    t += 2 * 60_000;
    expect(s.get(idle)).toBeNull();
    expect(s.get(busy)).not.toBeNull();
    // Active all along, it still ends at session_hours.
    for (let h = 0; h < 10; h++) {
      t += 30 * 60_000;
      s.get(busy);
      t += 30 * 60_000;
      s.get(busy);
    }
    expect(s.get(busy)).toBeNull();
  });

  it('stays alive while only its WebSocket is used (touched by public id), and ends only by its own cookie', () => {
    let t = 1_000_000;
    const s = table(() => t);
    s.load('e1');
    const { cookie, session } = s.create('admin', '10.0.0.1', 'e1');
    const id = publicId(session);
    // Two hours of panel activity with no HTTP request: the idle limit is one hour.
    for (let m = 0; m < 120; m++) {
      t += 60_000;
      expect(s.touch(id), `minute ${m}`).not.toBeNull();
    }
    expect(s.get(cookie)).not.toBeNull();
    expect(s.end('another-cookie')).toBeNull();
    expect(s.end(cookie)?.key).toBe(session.key);
    expect(s.get(cookie)).toBeNull();
  });

  it('survives a restart in a 0600 file that holds no cookie, and drops sessions of another epoch', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sessions-'));
    const a = table(() => 1000, dir);
    a.load('e1');
    const { cookie } = a.create('admin', '10.0.0.1', 'e1');
    const file = path.join(dir, 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(cookie);
    const b = table(() => 2000, dir);
    b.load('e1');
    expect(b.get(cookie)?.role).toBe('admin');
    const c = table(() => 2000, dir);
    c.load('e2'); // kvmr0ck passwd ran meanwhile
    expect(c.get(cookie)).toBeNull();
  });
});

describe('token store', () => {
  it('keeps the other role’s token and starts a new epoch on every change', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tokens-'));
    const a = writeToken(dir, 'admin', 'a'.repeat(24));
    const v = writeToken(dir, 'viewer', 'v'.repeat(24));
    expect(v.admin).toEqual(a.admin);
    expect(v.epoch).not.toBe(a.epoch);
    expect(readTokens(dir)).toEqual(v);
    expect(statSync(path.join(dir, 'auth.json')).mode & 0o777).toBe(0o600);
  });
});

describe('HostGuard', () => {
  const guard = new HostGuard(
    boardNames({ public_url: 'https://kvm.example.net:8443/', allowed_hosts: ['KVM.home.arpa'] }, 'radxa'),
  );
  it.each([
    ['localhost:8080', null],
    ['radxa', null],
    ['radxa.local:8080', null],
    ['RADXA.LOCAL.', null],
    ['kvm.example.net', null],
    ['kvm.home.arpa:80', null],
    ['192.168.1.20:8080', null],
    ['[fe80::1]:8080', null],
    ['rebind.attacker.test:8080', 'rebind.attacker.test'],
    ['kvm.example.net.evil.test', 'kvm.example.net.evil.test'],
  ])('Host %s → %s', (host, refused) => {
    expect(guard.refuse(host)).toBe(refused);
  });
});
