import { Type } from '@sinclair/typebox';

export const HidConfigSchema = Type.Object(
  {
    sink: Type.Union([Type.Literal('auto'), Type.Literal('hidg'), Type.Literal('recording')], {
      default: 'auto',
      description: 'auto: the gadget devices if /dev/hidg0 exists, else the recording sink.',
    }),
    recording: Type.Object(
      {
        capacity: Type.Integer({ default: 10_000, minimum: 10, maximum: 1_000_000 }),
        file: Type.String({
          default: '',
          description: 'Also append each report as a JSON line to this file (empty: off).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
