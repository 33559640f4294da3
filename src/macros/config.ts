import { type Static, Type } from '@sinclair/typebox';

export const MacrosConfigSchema = Type.Object(
  {
    dirs: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 16,
      description: 'Extra directories of *.yaml macro files (config/macros is always read first).',
    }),
    secrets_file: Type.String({
      default: '',
      description: 'YAML mapping of secret names to values (mode 0600).',
    }),
    busy: Type.Union([Type.Literal('queue'), Type.Literal('refuse')], {
      default: 'refuse',
      description: 'When a macro runs and another is requested: queue it, or refuse it.',
    }),
    queue_limit: Type.Integer({ default: 4, minimum: 1, maximum: 32 }),
    max_steps: Type.Integer({ default: 500, minimum: 1, maximum: 10_000 }),
    max_duration_s: Type.Integer({ default: 600, minimum: 1, maximum: 86_400 }),
    max_text_length: Type.Integer({ default: 4096, minimum: 1, maximum: 65_536 }),
    wol_broadcast: Type.String({ default: '255.255.255.255', minLength: 1 }),
  },
  { additionalProperties: false, default: {} },
);

export type MacrosConfig = Static<typeof MacrosConfigSchema>;
