import { type Static, Type } from '@sinclair/typebox';

/** The USB composite gadget built through configfs (`kvmr0ck gadget up`). */
export const GadgetConfigSchema = Type.Object(
  {
    name: Type.String({
      default: 'kvmr0ck',
      pattern: '^[A-Za-z0-9_.-]{1,32}$',
      description: 'Directory name under <configfs>/usb_gadget/.',
    }),
    udc: Type.String({
      default: '',
      description: 'USB device controller to bind to (from /sys/class/udc); empty: the only one present.',
    }),
    vendor_id: Type.Integer({ default: 0x1d6b, minimum: 0, maximum: 0xffff }),
    product_id: Type.Integer({ default: 0x0104, minimum: 0, maximum: 0xffff }),
    manufacturer: Type.String({ default: 'kvmr0ck', maxLength: 126 }),
    product: Type.String({ default: 'kvmr0ck Composite KVM Device', maxLength: 126 }),
    serial: Type.String({ default: 'kvmr0ck-0001', maxLength: 126 }),
    max_power_ma: Type.Integer({ default: 100, minimum: 2, maximum: 500 }),
    functions: Type.Object(
      {
        keyboard: Type.Boolean({ default: true }),
        mouse: Type.Boolean({ default: true, description: 'Absolute pointer (0..32767).' }),
        mouse_rel: Type.Boolean({
          default: true,
          description: 'Relative boot-protocol mouse for BIOS screens.',
        }),
        consumer: Type.Boolean({ default: false, description: 'Media keys and system power/sleep/wake.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    udc_poll_ms: Type.Integer({
      default: 1000,
      minimum: 100,
      maximum: 60_000,
      description: 'How often the UDC state (configured, suspended, not attached) is read into state `usb`.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type GadgetConfig = Static<typeof GadgetConfigSchema>;
