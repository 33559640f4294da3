import { type Static, Type } from '@sinclair/typebox';

/** Macros run on a cron schedule (node-cron syntax, optionally in a time zone). */
export const ScheduleEntrySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    cron: Type.String({ minLength: 1, maxLength: 100 }),
    macro: Type.String({ minLength: 1 }),
    params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      default: {},
    }),
    timezone: Type.String({ default: '' }),
  },
  { additionalProperties: false },
);

export const ScheduleConfigSchema = Type.Array(ScheduleEntrySchema, { default: [], maxItems: 64 });

export type ScheduleEntry = Static<typeof ScheduleEntrySchema>;
export type ScheduleConfig = Static<typeof ScheduleConfigSchema>;
