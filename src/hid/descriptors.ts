/**
 * HID report descriptors of the gadget functions, one item per line with its meaning, so a reviewer
 * can check each byte against HID 1.11 §6.2.2 (item tags: 0x05 Usage Page, 0x09 Usage, 0x19/0x29
 * Usage Min/Max, 0x15/0x25 Logical Min/Max, 0x75 Report Size, 0x95 Report Count, 0x81 Input,
 * 0x91 Output, 0x85 Report ID, 0xA1 Collection, 0xC0 End Collection) and the USB HID Usage Tables 1.4.
 * The low two bits of each tag give the data size: 1 → 1 byte, 2 → 2 bytes (little-endian).
 */
export type DescriptorItem = readonly [bytes: readonly number[], meaning: string];

/**
 * Boot-compatible keyboard: the 8-byte input report of HID 1.11 Appendix B.1 (modifiers, reserved,
 * six key slots), a 1-byte LED output report, and key slots covering the whole Keyboard page
 * 0x00–0xFF instead of the common 0x00–0x65 cap, so JIS keys (International1..9, LANG1..9) and
 * F13–F24 can be sent.
 */
export const KEYBOARD_DESCRIPTOR: readonly DescriptorItem[] = [
  [[0x05, 0x01], 'Usage Page (Generic Desktop)'],
  [[0x09, 0x06], 'Usage (Keyboard)'],
  [[0xa1, 0x01], 'Collection (Application)'],
  [[0x05, 0x07], '  Usage Page (Keyboard/Keypad, HUT §10)'],
  [[0x19, 0xe0], '  Usage Minimum (0xE0 Left Control)'],
  [[0x29, 0xe7], '  Usage Maximum (0xE7 Right GUI)'],
  [[0x15, 0x00], '  Logical Minimum (0)'],
  [[0x25, 0x01], '  Logical Maximum (1)'],
  [[0x75, 0x01], '  Report Size (1 bit)'],
  [[0x95, 0x08], '  Report Count (8)'],
  [[0x81, 0x02], '  Input (Data, Variable, Absolute): byte 0, one bit per modifier'],
  [[0x95, 0x01], '  Report Count (1)'],
  [[0x75, 0x08], '  Report Size (8 bits)'],
  [[0x81, 0x01], '  Input (Constant): byte 1, reserved (boot protocol)'],
  [[0x05, 0x08], '  Usage Page (LEDs, HUT §11)'],
  [[0x19, 0x01], '  Usage Minimum (0x01 Num Lock)'],
  [[0x29, 0x05], '  Usage Maximum (0x05 Kana)'],
  [[0x95, 0x05], '  Report Count (5)'],
  [[0x75, 0x01], '  Report Size (1 bit)'],
  [[0x91, 0x02], '  Output (Data, Variable, Absolute): LED bits 0..4 the host sets'],
  [[0x95, 0x01], '  Report Count (1)'],
  [[0x75, 0x03], '  Report Size (3 bits)'],
  [[0x91, 0x01], '  Output (Constant): padding to a whole byte'],
  [[0x05, 0x07], '  Usage Page (Keyboard/Keypad)'],
  [[0x19, 0x00], '  Usage Minimum (0x00)'],
  [[0x2a, 0xff, 0x00], '  Usage Maximum (0x00FF): the full page, not capped at 0x65'],
  [[0x15, 0x00], '  Logical Minimum (0)'],
  // Logical values are signed (HID 1.11 §5.8): a 1-byte 0xFF would mean −1, so 255 needs 2 bytes.
  [[0x26, 0xff, 0x00], '  Logical Maximum (255), 2-byte form'],
  [[0x95, 0x06], '  Report Count (6)'],
  [[0x75, 0x08], '  Report Size (8 bits)'],
  [[0x81, 0x00], '  Input (Data, Array, Absolute): bytes 2..7, up to six pressed keys'],
  [[0xc0], 'End Collection'],
];

/** Absolute pointer (tablet-like, works without host acceleration): 7-byte input report. */
export const MOUSE_ABS_DESCRIPTOR: readonly DescriptorItem[] = [
  [[0x05, 0x01], 'Usage Page (Generic Desktop)'],
  [[0x09, 0x02], 'Usage (Mouse)'],
  [[0xa1, 0x01], 'Collection (Application)'],
  [[0x09, 0x01], '  Usage (Pointer)'],
  [[0xa1, 0x00], '  Collection (Physical)'],
  [[0x05, 0x09], '    Usage Page (Button, HUT §12)'],
  [[0x19, 0x01], '    Usage Minimum (Button 1: left)'],
  [[0x29, 0x05], '    Usage Maximum (Button 5: forward)'],
  [[0x15, 0x00], '    Logical Minimum (0)'],
  [[0x25, 0x01], '    Logical Maximum (1)'],
  [[0x95, 0x05], '    Report Count (5)'],
  [[0x75, 0x01], '    Report Size (1 bit)'],
  [[0x81, 0x02], '    Input (Data, Variable, Absolute): byte 0 bits 0..4, buttons'],
  [[0x95, 0x01], '    Report Count (1)'],
  [[0x75, 0x03], '    Report Size (3 bits)'],
  [[0x81, 0x01], '    Input (Constant): padding'],
  [[0x05, 0x01], '    Usage Page (Generic Desktop)'],
  [[0x09, 0x30], '    Usage (X)'],
  [[0x09, 0x31], '    Usage (Y)'],
  [[0x15, 0x00], '    Logical Minimum (0)'],
  [[0x26, 0xff, 0x7f], '    Logical Maximum (32767)'],
  [[0x75, 0x10], '    Report Size (16 bits)'],
  [[0x95, 0x02], '    Report Count (2)'],
  [[0x81, 0x02], '    Input (Data, Variable, Absolute): bytes 1..4, X and Y little-endian'],
  [[0x09, 0x38], '    Usage (Wheel)'],
  [[0x15, 0x81], '    Logical Minimum (−127)'],
  [[0x25, 0x7f], '    Logical Maximum (127)'],
  [[0x75, 0x08], '    Report Size (8 bits)'],
  [[0x95, 0x01], '    Report Count (1)'],
  [[0x81, 0x06], '    Input (Data, Variable, Relative): byte 5, wheel, positive = up'],
  [[0x05, 0x0c], '    Usage Page (Consumer, HUT §15)'],
  [[0x0a, 0x38, 0x02], '    Usage (0x0238 AC Pan)'],
  [[0x95, 0x01], '    Report Count (1)'],
  [[0x81, 0x06], '    Input (Data, Variable, Relative): byte 6, horizontal wheel, positive = right'],
  [[0xc0], '  End Collection'],
  [[0xc0], 'End Collection'],
];

/**
 * Relative mouse in boot format (HID 1.11 Appendix B.2: buttons, X, Y) plus a wheel byte, which
 * boot-protocol hosts (BIOS setup screens) ignore. BIOSes that cannot use an absolute pointer
 * need this one.
 */
export const MOUSE_REL_DESCRIPTOR: readonly DescriptorItem[] = [
  [[0x05, 0x01], 'Usage Page (Generic Desktop)'],
  [[0x09, 0x02], 'Usage (Mouse)'],
  [[0xa1, 0x01], 'Collection (Application)'],
  [[0x09, 0x01], '  Usage (Pointer)'],
  [[0xa1, 0x00], '  Collection (Physical)'],
  [[0x05, 0x09], '    Usage Page (Button)'],
  [[0x19, 0x01], '    Usage Minimum (Button 1)'],
  [[0x29, 0x05], '    Usage Maximum (Button 5)'],
  [[0x15, 0x00], '    Logical Minimum (0)'],
  [[0x25, 0x01], '    Logical Maximum (1)'],
  [[0x95, 0x05], '    Report Count (5)'],
  [[0x75, 0x01], '    Report Size (1 bit)'],
  [[0x81, 0x02], '    Input (Data, Variable, Absolute): byte 0 bits 0..4, buttons'],
  [[0x95, 0x01], '    Report Count (1)'],
  [[0x75, 0x03], '    Report Size (3 bits)'],
  [[0x81, 0x01], '    Input (Constant): padding'],
  [[0x05, 0x01], '    Usage Page (Generic Desktop)'],
  [[0x09, 0x30], '    Usage (X)'],
  [[0x09, 0x31], '    Usage (Y)'],
  [[0x09, 0x38], '    Usage (Wheel)'],
  [[0x15, 0x81], '    Logical Minimum (−127)'],
  [[0x25, 0x7f], '    Logical Maximum (127)'],
  [[0x75, 0x08], '    Report Size (8 bits)'],
  [[0x95, 0x03], '    Report Count (3)'],
  [[0x81, 0x06], '    Input (Data, Variable, Relative): bytes 1..3, dX, dY, wheel'],
  [[0xc0], '  End Collection'],
  [[0xc0], 'End Collection'],
];

/**
 * Media keys and system power/sleep/wake on one device, told apart by report ID:
 * ID 1 = Consumer Control (one 16-bit usage), ID 2 = System Control (three bits).
 */
export const CONSUMER_DESCRIPTOR: readonly DescriptorItem[] = [
  [[0x05, 0x0c], 'Usage Page (Consumer, HUT §15)'],
  [[0x09, 0x01], 'Usage (Consumer Control)'],
  [[0xa1, 0x01], 'Collection (Application)'],
  [[0x85, 0x01], '  Report ID (1)'],
  [[0x19, 0x00], '  Usage Minimum (0)'],
  [[0x2a, 0xff, 0x03], '  Usage Maximum (0x03FF)'],
  [[0x15, 0x00], '  Logical Minimum (0)'],
  [[0x26, 0xff, 0x03], '  Logical Maximum (0x03FF)'],
  [[0x75, 0x10], '  Report Size (16 bits)'],
  [[0x95, 0x01], '  Report Count (1)'],
  [[0x81, 0x00], '  Input (Data, Array, Absolute): the pressed consumer usage, 0 = none'],
  [[0xc0], 'End Collection'],
  [[0x05, 0x01], 'Usage Page (Generic Desktop)'],
  [[0x09, 0x80], 'Usage (System Control, HUT §4.5)'],
  [[0xa1, 0x01], 'Collection (Application)'],
  [[0x85, 0x02], '  Report ID (2)'],
  [[0x19, 0x81], '  Usage Minimum (0x81 System Power Down)'],
  [[0x29, 0x83], '  Usage Maximum (0x83 System Wake Up)'],
  [[0x15, 0x00], '  Logical Minimum (0)'],
  [[0x25, 0x01], '  Logical Maximum (1)'],
  [[0x75, 0x01], '  Report Size (1 bit)'],
  [[0x95, 0x03], '  Report Count (3)'],
  [[0x81, 0x02], '  Input (Data, Variable, Absolute): bit 0 power, 1 sleep, 2 wake'],
  [[0x95, 0x05], '  Report Count (5)'],
  [[0x81, 0x01], '  Input (Constant): padding'],
  [[0xc0], 'End Collection'],
];

export function descriptorBytes(items: readonly DescriptorItem[]): Uint8Array {
  return Uint8Array.from(items.flatMap(([b]) => b));
}

/** The configfs attributes of one hid function (f_hid: protocol, subclass, report_length, report_desc). */
export interface HidFunctionSpec {
  /** Interface protocol: 1 keyboard, 2 mouse (boot), 0 none (HID 1.11 §4.3). */
  protocol: number;
  /** Interface subclass: 1 boot interface, 0 none (HID 1.11 §4.2). */
  subclass: number;
  /** Longest input report in bytes, including a report ID. */
  reportLength: number;
  descriptor: Uint8Array;
}

export const FUNCTION_SPECS = {
  keyboard: { protocol: 1, subclass: 1, reportLength: 8, descriptor: descriptorBytes(KEYBOARD_DESCRIPTOR) },
  // Not a boot device: boot mice are relative by definition, so the absolute one has no boot flag.
  mouse: { protocol: 0, subclass: 0, reportLength: 7, descriptor: descriptorBytes(MOUSE_ABS_DESCRIPTOR) },
  mouse_rel: {
    protocol: 2,
    subclass: 1,
    reportLength: 4,
    descriptor: descriptorBytes(MOUSE_REL_DESCRIPTOR),
  },
  consumer: { protocol: 0, subclass: 0, reportLength: 3, descriptor: descriptorBytes(CONSUMER_DESCRIPTOR) },
} as const satisfies Record<string, HidFunctionSpec>;
