import { Value } from '@sinclair/typebox/value';
import type { MacroLike } from '../../../src/commands/macros.js';
import { type Config, ConfigSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/core/log.js';
import { RecordingSink } from '../../../src/hid/sinks/recording.js';
import { type App, type AppOptions, createApp } from '../../../src/main.js';

export const quietLog = createLogger({ level: 'silent', format: 'json' });

export function mqttConfig(url: string, node: string, mqtt: Record<string, unknown> = {}): Config {
  return Value.Default(ConfigSchema, {
    server: { host: '127.0.0.1', port: 0 },
    video: { source: 'test-pattern', fps: 2, width: 320, height: 240, encoder: 'sharp', encoder_workers: 1 },
    hid: { sink: 'recording', type_delay_ms: 0 },
    // These tests are about MQTT; the HTTP side's access control has its own tests.
    auth: { mode: 'none' },
    paths: { dev: '/nonexistent/dev', sys: '/nonexistent/sys', configfs: '/nonexistent', state: '/tmp' },
    mqtt: {
      url,
      node_id: node,
      discovery_delay_ms: 0,
      reconnect_min_ms: 200,
      reconnect_max_ms: 1000,
      ...mqtt,
    },
  }) as Config;
}

export async function startApp(
  config: Config,
  macros?: MacroLike,
  onRestart?: () => void,
): Promise<App & { recording: RecordingSink }> {
  // The MQTT side only uses the MacroLike part of the macro service; a stand-in keeps these tests
  // about MQTT, independent of macro files.
  const m = macros ? { macros: macros as unknown as NonNullable<AppOptions['macros']> } : {};
  const r = onRestart ? { onRestart } : {};
  const app = await createApp({ config, log: quietLog, version: 'test', ...m, ...r });
  await app.start();
  if (!(app.sink instanceof RecordingSink)) throw new Error('expected the recording sink');
  return Object.assign(app, { recording: app.sink });
}

export { until } from '../../helpers/wait.js';

/** A macro service stand-in with the MacroLike shape (the real one is another feature). */
export function fakeMacros(names: string[], dangerous: string[] = []) {
  const runs: { name: string; params: Record<string, unknown>; origin: string }[] = [];
  let list = names.map((n) => ({ name: n, title: n.toUpperCase(), dangerous: dangerous.includes(n) }));
  const changeListeners = new Set<() => void>();
  const eventListeners = new Set<
    (e: { type: 'started' | 'finished' | 'failed' | 'cancelled'; name: string }) => void
  >();
  const macros: MacroLike & { runs: typeof runs; remove(name: string): void } = {
    runs,
    list: () => list,
    async run(name, params, opts) {
      runs.push({ name, params, origin: opts.origin });
      for (const l of eventListeners) l({ type: 'started', name });
      for (const l of eventListeners) l({ type: 'finished', name });
    },
    cancel() {},
    onEvent(l) {
      eventListeners.add(l);
      return () => eventListeners.delete(l);
    },
    onChange(l) {
      changeListeners.add(l);
      return () => changeListeners.delete(l);
    },
    remove(name) {
      list = list.filter((m) => m.name !== name);
      for (const l of changeListeners) l();
    },
  };
  return macros;
}
