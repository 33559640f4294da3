import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';

function file(text: string, name = 'kvmr0ck.yaml'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a config error');
}

describe('config loading', () => {
  it('gives every option a default', () => {
    const { config } = loadConfig({});
    expect(config.server.port).toBe(8080);
    expect(config.video.quality).toBe(80);
    expect(config.hid.sink).toBe('auto');
  });

  it('reports a YAML syntax error with file, line and column', () => {
    const f = file('video:\n  quality: [1\n');
    expect(problems(() => loadConfig({ file: f }))).toMatch(new RegExp(`^${f}:\\d+:\\d+: `));
  });

  it('reports an unknown key with its line and a suggestion', () => {
    const f = file('server:\n  host: 127.0.0.1\n  prot: 80\n');
    expect(problems(() => loadConfig({ file: f }))).toBe(
      `${f}:3: server.prot: unknown key (did you mean 'port'?)`,
    );
  });

  it('reports an unknown section', () => {
    const f = file('vidoe:\n  quality: 10\n');
    expect(problems(() => loadConfig({ file: f }))).toContain(
      `${f}:1: vidoe: unknown key (did you mean 'video'?)`,
    );
  });

  it('reports a wrong type with what it got', () => {
    const f = file('server:\n  port: eighty\n');
    expect(problems(() => loadConfig({ file: f }))).toBe(
      `${f}:2: server.port: must be a whole number, got string "eighty"`,
    );
  });

  it('reports an out-of-range value with the allowed range', () => {
    const f = file('video:\n  quality: 150\n');
    expect(problems(() => loadConfig({ file: f }))).toBe(`${f}:2: video.quality: must be 1..100, got 150`);
  });

  it('reports a value outside an enumeration with the choices', () => {
    const f = file('video:\n  source: hdmi\n');
    expect(problems(() => loadConfig({ file: f }))).toBe(
      `${f}:2: video.source: must be one of auto, v4l2, test-pattern, got "hdmi"`,
    );
  });

  it('never shows a secret value in an error, only its kind, and hides a password in a broker URL', () => {
    const f = file('mqtt:\n  password: 31415926\n  url: "mqtt://kvm:hunter2@"\nauth:\n  token: [abc123]\n');
    const msg = problems(() => loadConfig({ file: f }));
    expect(msg).toContain(`${f}:2: mqtt.password: must be a string, got a number`);
    expect(msg).toContain(`${f}:5: auth.token: must be a string, got a list`);
    expect(msg).toContain(`${f}:3: mqtt.url: must be a broker URL such as mqtt://host:1883`);
    expect(msg).toContain(`got "mqtt://"`);
    for (const secret of ['31415926', 'hunter2', 'abc123']) expect(msg).not.toContain(secret);
  });

  it('accepts broker URLs with a host, port, IPv6 literal, path or credentials', () => {
    for (const url of [
      'mqtt://broker',
      'mqtts://u:p@h.lan:8883',
      'mqtt://[::1]:1883',
      'wss://h.example/mqtt',
    ]) {
      expect(loadConfig({ overrides: { mqtt: { url } } }).config.mqtt.url).toBe(url);
    }
    for (const url of ['mqtt://', 'mqtt://u:p@', 'http://broker', 'mqtt://h:port']) {
      expect(() => loadConfig({ overrides: { mqtt: { url } } }), url).toThrow(
        /mqtt\.url: must be a broker URL/,
      );
    }
  });

  it('reports every problem at once', () => {
    const f = file('video:\n  quality: 0\n  fps: 500\n');
    const msg = problems(() => loadConfig({ file: f }));
    expect(msg).toContain('video.quality: must be 1..100, got 0');
    expect(msg).toContain('video.fps: must be 1..120, got 500');
  });

  it('refuses a top level that is not a mapping', () => {
    const f = file('- a\n- b\n');
    expect(problems(() => loadConfig({ file: f }))).toContain('the top level must be a mapping of sections');
  });

  it('applies override.d files in name order, then the environment', () => {
    const f = file('video:\n  quality: 50\n  fps: 10\n');
    const od = path.join(path.dirname(f), 'override.d');
    mkdirSync(od);
    writeFileSync(path.join(od, '20-b.yaml'), 'video:\n  quality: 70\n');
    writeFileSync(path.join(od, '10-a.yaml'), 'video:\n  quality: 60\n  fps: 20\n');
    const { config, files } = loadConfig({ file: f, env: { KVMR0CK_VIDEO__FPS: '25' } });
    expect(config.video.quality).toBe(70);
    expect(config.video.fps).toBe(25);
    expect(files.map((x) => path.basename(x))).toEqual(['kvmr0ck.yaml', '10-a.yaml', '20-b.yaml']);
  });

  it('names the override file that set a bad value', () => {
    const f = file('video:\n  quality: 50\n');
    const od = path.join(path.dirname(f), 'override.d');
    mkdirSync(od);
    writeFileSync(path.join(od, 'x.yaml'), '# comment\nvideo:\n  quality: 101\n');
    expect(problems(() => loadConfig({ file: f }))).toBe(
      `${path.join(od, 'x.yaml')}:3: video.quality: must be 1..100, got 101`,
    );
  });

  it('names the environment variable that set a bad value', () => {
    expect(problems(() => loadConfig({ env: { KVMR0CK_SERVER__PORT: '70000' } }))).toBe(
      'env KVMR0CK_SERVER__PORT: server.port: must be 0..65535, got 70000',
    );
  });

  it('says which file is missing', () => {
    expect(() => loadConfig({ file: '/nonexistent/k.yaml' })).toThrow(
      '/nonexistent/k.yaml: config file not found',
    );
  });

  it('accepts the shipped example config, which lists every option', async () => {
    const example = path.resolve('config/kvmr0ck.yaml');
    const { config } = loadConfig({ file: example });
    const defaults = loadConfig({}).config;
    // The example sets every option to its default: it documents, it does not change behaviour.
    expect(config).toEqual(defaults);
    const { parse } = await import('yaml');
    const leaves = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === 'object' && !Array.isArray(v) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    const fromFile = leaves(parse((await import('node:fs')).readFileSync(example, 'utf8')) as object);
    expect(fromFile.sort()).toEqual(leaves(defaults).sort());
  });
});
