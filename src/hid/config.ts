import { type Static, Type } from '@sinclair/typebox';
import { LAYOUT_ALIASES, LAYOUT_NAMES } from './layout.js';
import { TYPING_PROFILES } from './typing/profiles.js';

export const HidConfigSchema = Type.Object(
  {
    sink: Type.Union([Type.Literal('auto'), Type.Literal('hidg'), Type.Literal('recording')], {
      default: 'auto',
      description:
        'auto: the gadget devices if /dev/hidg0 exists or the board has a USB device controller, else the recording sink.',
    }),
    layout: Type.Union(
      [...LAYOUT_NAMES, ...Object.keys(LAYOUT_ALIASES)].map((n) => Type.Literal(n)),
      {
        default: 'us',
        description:
          "The target computer's keyboard layout, used when typing text (xkb names such as gb, ch are aliases).",
      },
    ),
    typing: Type.Union(
      TYPING_PROFILES.map((n) => Type.Literal(n)),
      {
        default: 'fast',
        description:
          'How text is typed unless a request says otherwise: fast (keys share transitions), safe (a release after every key), bios (modifiers apart, 15 ms per report).',
      },
    ),
    type_delay_ms: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 1000,
      description: "Extra pause after each typed report, on top of the host's pace and the profile.",
    }),
    stall_timeout_s: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 3600,
      description:
        'Typing waits while the host takes no reports (state hid.typing: waiting for the host) and fails after this long.',
    }),
    press_hold_ms: Type.Integer({
      default: 50,
      minimum: 0,
      maximum: 10_000,
      description: 'How long a pressed combo is held when the caller gives no hold time.',
    }),
    keepalive_ms: Type.Integer({
      default: 1500,
      minimum: 100,
      maximum: 60_000,
      description:
        "Interactive clients' held keys and buttons are released after this long without a keepalive.",
    }),
    modifier_keepalive_ms: Type.Integer({
      default: 5000,
      minimum: 100,
      maximum: 300_000,
      description:
        'Held modifiers (Ctrl, Shift, Alt, Meta) are released after this long without a keepalive.',
    }),
    hidg: Type.Object(
      {
        eagain_timeout_ms: Type.Integer({
          default: 100,
          minimum: 1,
          maximum: 10_000,
          description: 'Retry a report the host is not ready for (EAGAIN) this long, then fail it.',
        }),
        stale_ms: Type.Integer({
          default: 1000,
          minimum: 10,
          maximum: 60_000,
          description: 'Queued reports older than this are dropped when a newer one for the device waits.',
        }),
        reopen_ms: Type.Integer({ default: 500, minimum: 50, maximum: 60_000 }),
        led_poll_ms: Type.Integer({ default: 100, minimum: 10, maximum: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
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

export type HidConfig = Static<typeof HidConfigSchema>;
