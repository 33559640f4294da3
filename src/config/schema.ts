import { type Static, Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '../auth/config.js';
import { GadgetConfigSchema } from '../gadget/config.js';
import { HidConfigSchema } from '../hid/config.js';
import { ServerConfigSchema } from '../http/config.js';
import { MacrosConfigSchema } from '../macros/config.js';
import { MqttConfigSchema } from '../mqtt/config.js';
import { ScheduleConfigSchema } from '../schedule/config.js';
import { VideoConfigSchema } from '../video/config.js';

/**
 * The whole configuration. Each feature owns its section's schema in its own folder; limits and
 * defaults live there, so a value out of range is refused at load with a message, never clamped.
 */
const PathsSchema = Type.Object(
  {
    dev: Type.String({ default: '/dev', minLength: 1 }),
    sys: Type.String({ default: '/sys', minLength: 1 }),
    configfs: Type.String({ default: '/sys/kernel/config', minLength: 1 }),
    proc: Type.String({ default: '/proc', minLength: 1 }),
    state: Type.String({ default: '/var/lib/kvmr0ck', minLength: 1 }),
  },
  { additionalProperties: false, default: {} },
);

const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    format: Type.Union([Type.Literal('auto'), Type.Literal('pretty'), Type.Literal('json')], {
      default: 'auto',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    server: ServerConfigSchema,
    auth: AuthConfigSchema,
    video: VideoConfigSchema,
    hid: HidConfigSchema,
    gadget: GadgetConfigSchema,
    mqtt: MqttConfigSchema,
    macros: MacrosConfigSchema,
    schedule: ScheduleConfigSchema,
    paths: PathsSchema,
    log: LogSchema,
  },
  { additionalProperties: false, default: {} },
);

export type Config = Static<typeof ConfigSchema>;
