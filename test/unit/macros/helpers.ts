import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import { createLogger } from '../../../src/core/log.js';
import { type MacrosConfig, MacrosConfigSchema } from '../../../src/macros/config.js';
import { MacroService } from '../../../src/macros/service.js';
import { StreamHub } from '../../../src/video/stream-hub.js';
import { makeHid } from '../hid/helpers.js';

/** A macro service over the real HidService + recording sink + FakeClock, with macro files from `files`. */
export async function makeMacros(
  files: Record<string, string>,
  over: Partial<MacrosConfig> = {},
  env: Record<string, string> = {},
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'macros-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const h = await makeHid();
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    destination: new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    }),
  });
  const hub = new StreamHub();
  const config = { ...(Value.Default(MacrosConfigSchema, {}) as MacrosConfig), ...over };
  const macros = new MacroService({
    config,
    hid: h.hid,
    hub,
    store: h.store,
    clock: h.clock,
    log,
    env,
    builtinDir: dir,
  });
  await macros.start();
  return { ...h, macros, hub, lines, dir };
}
