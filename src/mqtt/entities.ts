import type { MacroInfo } from '../commands/macros.js';
import { KvmError } from '../core/errors.js';
import { sanitizeId, type Topics } from './node-id.js';

/**
 * The device's entities as data: one component per entity of Home Assistant's device-based
 * discovery (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload).
 * Entity names never repeat the device name (HA prefixes it). Each entity id is pinned with
 * `default_entity_id` (domain prefix required; `object_id` was removed in HA 2026.4), so two
 * entities can never race for one id. Categories follow HA's entity guidelines: `diagnostic` for
 * figures about the KVM rather than the target, `config` for settings; the noisy ones are
 * disabled by default (`enabled_by_default: false`) and so cost the recorder nothing until enabled.
 */
export interface EntityContext {
  node: string;
  topics: Topics;
  deviceName: string;
  readOnly: boolean;
  textEntity: boolean;
  textMode: 'password' | 'text';
  textMax: number;
  /** null: no macro service, so no macro entities at all. */
  macros: readonly MacroInfo[] | null;
  /** Macros marked dangerous get a button and a select option only when true. */
  dangerousMacroButtons: boolean;
  board: boolean;
  /** A Restart button (the daemon restarts in place). */
  restart: boolean;
}

export type Component = Record<string, unknown> & { p: string };

export const SELECT_NONE = '(choose)';
export const HOST_STATES = ['off', 'no signal', 'still', 'active'] as const;
/** The retained state of the text entity: JSON, because an empty retained message deletes itself. */
export const TEXT_EMPTY = '{"text":""}';

const onOff = (expr: string) => `{{ 'ON' if ${expr} else 'OFF' }}`;
const field = (name: string) => `{{ value_json.${name} }}`;

/** Component key of a macro's button; macro names may hold characters HA ids do not. */
export function macroKey(name: string): string {
  return `macro_${sanitizeId(name) || 'x'}`;
}

/** Entity ids take lowercase letters, digits and single underscores. */
function objectId(s: string): string {
  return sanitizeId(s).replace(/-/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '') || 'kvmr0ck';
}

/** Macros that get one-tap entities (buttons, select options). */
export function tappableMacros(c: Pick<EntityContext, 'macros' | 'dangerousMacroButtons'>): MacroInfo[] {
  return (c.macros ?? []).filter((m) => c.dangerousMacroButtons || !m.dangerous);
}

/**
 * The select's options: macro titles (what a person reads), made unique by the name when two
 * titles match. The inbox maps a chosen option back with the same list.
 */
export function macroChoices(macros: readonly MacroInfo[]): { option: string; name: string }[] {
  const label = (m: MacroInfo) => m.title || m.name;
  const count = new Map<string, number>();
  for (const m of macros) count.set(label(m), (count.get(label(m)) ?? 0) + 1);
  return macros.map((m) => ({
    option: (count.get(label(m)) ?? 0) > 1 ? `${label(m)} (${m.name})` : label(m),
    name: m.name,
  }));
}

/**
 * The macro a button press (its name) or a select option (its label) stands for, by the same
 * lists discovery uses. A dangerous macro has no entity unless allowed: a press on its topic
 * (a stale entity, a hand-made message) is refused rather than run.
 */
export function macroForEntity(
  macros: readonly MacroInfo[],
  dangerousAllowed: boolean,
  via: 'button' | 'select',
  value: string,
): string {
  const tappable = tappableMacros({ macros, dangerousMacroButtons: dangerousAllowed });
  const name = via === 'select' ? macroChoices(tappable).find((x) => x.option === value)?.name : value;
  if (name === undefined)
    throw new KvmError('MACRO_NOT_FOUND', `no macro for the option '${value.slice(0, 64)}'`);
  if (!dangerousAllowed && macros.find((m) => m.name === name)?.dangerous) {
    throw new KvmError(
      'COMMAND_REFUSED',
      `macro '${name}' is marked dangerous: run it with a command (or set mqtt.dangerous_macro_buttons)`,
    );
  }
  return name;
}

export function buildComponents(c: EntityContext): Record<string, Component> {
  const t = c.topics;
  const st = { stat_t: t.state };
  const diag = { ent_cat: 'diagnostic' };
  const quiet = { ...diag, en: false };
  const dev = objectId(c.deviceName);
  const cmps: Record<string, Component> = {};
  const add = (key: string, comp: Component) => {
    cmps[key] = { ...comp, unique_id: `${c.node}_${key}`, default_entity_id: `${comp.p}.${dev}_${key}` };
  };

  // https://www.home-assistant.io/integrations/image.mqtt/ : raw bytes on image_topic.
  add('screen', { p: 'image', name: 'Screen', image_topic: t.screen, content_type: 'image/jpeg' });

  // https://www.home-assistant.io/integrations/binary_sensor.mqtt/
  add('signal', {
    p: 'binary_sensor',
    name: 'HDMI signal',
    ...st,
    val_tpl: onOff('value_json.signal'),
    icon: 'mdi:video-input-hdmi',
  });
  add('usb', {
    p: 'binary_sensor',
    name: 'Target USB',
    dev_cla: 'connectivity',
    ...st,
    val_tpl: onOff("value_json.usb == 'configured'"),
  });
  for (const [key, name] of [
    ['caps_lock', 'Caps Lock'],
    ['num_lock', 'Num Lock'],
    ['scroll_lock', 'Scroll Lock'],
  ] as const) {
    add(key, { p: 'binary_sensor', name, ...st, val_tpl: onOff(`value_json.${key}`), ...diag });
  }

  // https://www.home-assistant.io/integrations/sensor.mqtt/
  add('host', {
    p: 'sensor',
    name: 'Host state',
    ...st,
    val_tpl: field('host'),
    dev_cla: 'enum',
    options: [...HOST_STATES],
  });
  add('resolution', {
    p: 'sensor',
    name: 'Resolution',
    ...st,
    val_tpl: field('resolution'),
    icon: 'mdi:monitor',
    ...diag,
  });
  add('stream_clients', {
    p: 'sensor',
    name: 'Stream clients',
    ...st,
    val_tpl: field('stream_clients'),
    stat_cla: 'measurement',
    icon: 'mdi:account-eye',
    ...diag,
  });
  add('capture_fps', {
    p: 'sensor',
    name: 'Capture fps',
    ...st,
    val_tpl: field('capture_fps'),
    unit_of_meas: 'fps',
    stat_cla: 'measurement',
    ...quiet,
  });
  add('encode_ms', {
    p: 'sensor',
    name: 'Encode time',
    ...st,
    val_tpl: field('encode_ms'),
    unit_of_meas: 'ms',
    dev_cla: 'duration',
    stat_cla: 'measurement',
    ...quiet,
  });
  if (c.board) addBoard(add, st, quiet);

  // https://www.home-assistant.io/integrations/update.mqtt/ : the installed version; kvmr0ck does
  // not look for releases (the add-on store and apt do), so latest is the installed one.
  add('version', { p: 'update', name: 'Firmware', stat_t: t.version, title: 'kvmr0ck', ...diag });
  // https://www.home-assistant.io/integrations/event.mqtt/ : a command refused or failed (an
  // untypable character, an unknown macro), with its code and message as event attributes.
  add('command_error', {
    p: 'event',
    name: 'Command error',
    stat_t: t.error,
    event_types: ['failed'],
    icon: 'mdi:alert-circle-outline',
    ...diag,
  });
  if (c.macros) {
    add('macro_status', {
      p: 'sensor',
      name: 'Macro status',
      ...st,
      val_tpl: field('macro'),
      // The macro list as attributes (node_id, macros): the dashboard card reads each macro's
      // parameters and `dangerous` flag there, having no other way to the board in HA mode.
      json_attr_t: t.macros,
      icon: 'mdi:script-text-play',
    });
    add('macro_event', {
      p: 'event',
      name: 'Macro',
      stat_t: t.event,
      event_types: ['finished', 'failed', 'cancelled'],
    });
  }
  if (c.readOnly) return cmps;
  addControls(c, add);
  return cmps;
}

type Add = (key: string, comp: Component) => void;

function addBoard(add: Add, st: { stat_t: string }, quiet: Record<string, unknown>): void {
  add('cpu_temp', {
    p: 'sensor',
    name: 'CPU temperature',
    ...st,
    val_tpl: field('cpu_temp'),
    dev_cla: 'temperature',
    unit_of_meas: '°C',
    stat_cla: 'measurement',
    ...quiet,
  });
  add('load_1m', {
    p: 'sensor',
    name: 'Load (1 min)',
    ...st,
    val_tpl: field('load_1m'),
    stat_cla: 'measurement',
    icon: 'mdi:cpu-64-bit',
    ...quiet,
  });
  add('mem_used_pct', {
    p: 'sensor',
    name: 'Memory used',
    ...st,
    val_tpl: field('mem_used_pct'),
    unit_of_meas: '%',
    stat_cla: 'measurement',
    icon: 'mdi:memory',
    ...quiet,
  });
  add('disk_used_pct', {
    p: 'sensor',
    name: 'Disk used',
    ...st,
    val_tpl: field('disk_used_pct'),
    unit_of_meas: '%',
    stat_cla: 'measurement',
    icon: 'mdi:harddisk',
    ...quiet,
  });
  // A timestamp sensor takes no state class; it changes only when the board reboots.
  add('booted_at', {
    p: 'sensor',
    name: 'Last boot',
    ...st,
    val_tpl: field('booted_at'),
    dev_cla: 'timestamp',
    ...quiet,
  });
}

function addControls(c: EntityContext, add: Add): void {
  const t = c.topics;
  // https://www.home-assistant.io/integrations/button.mqtt/ (payload_press defaults to PRESS).
  // Ctrl+Alt+Del is the built-in macro's button: one entity, one id.
  if (c.restart)
    add('restart', {
      p: 'button',
      name: 'Restart',
      dev_cla: 'restart',
      cmd_t: `${t.set}/restart`,
      ent_cat: 'config',
    });
  add('cancel', { p: 'button', name: 'Cancel macro', cmd_t: `${t.set}/cancel`, icon: 'mdi:cancel' });
  const macros = tappableMacros(c);
  for (const m of macros) {
    add(macroKey(m.name), {
      p: 'button',
      name: m.title || m.name,
      cmd_t: `${t.set}/macro/${m.name}`,
      icon: 'mdi:play',
    });
  }
  if (c.textEntity) {
    // https://www.home-assistant.io/integrations/text.mqtt/ : max is capped at 255 by HA. Without
    // a state topic HA would keep the typed text (a password) as the entity's state in its
    // database; the state topic only ever carries an empty text.
    add('type_text', {
      p: 'text',
      name: 'Type text',
      cmd_t: `${t.set}/type`,
      stat_t: t.textState,
      val_tpl: field('text'),
      mode: c.textMode,
      max: Math.min(255, c.textMax),
    });
  }
  if (macros.length > 0) {
    // https://www.home-assistant.io/integrations/select.mqtt/ : choosing an option runs that macro;
    // the state stays SELECT_NONE, so choosing the same macro again runs it again.
    add('macro_select', {
      p: 'select',
      name: 'Run macro',
      cmd_t: `${t.set}/macro_select`,
      stat_t: t.macroSelect,
      options: [SELECT_NONE, ...macroChoices(macros).map((x) => x.option)],
    });
  }
  // https://www.home-assistant.io/integrations/number.mqtt/
  add('jpeg_quality', {
    p: 'number',
    name: 'JPEG quality',
    stat_t: t.state,
    val_tpl: field('jpeg_quality'),
    cmd_t: `${t.set}/jpeg_quality`,
    min: 1,
    max: 100,
    step: 1,
    ent_cat: 'config',
  });
  add('max_fps', {
    p: 'number',
    name: 'Max fps',
    stat_t: t.state,
    val_tpl: field('max_fps'),
    cmd_t: `${t.set}/max_fps`,
    min: 1,
    max: 120,
    step: 1,
    unit_of_meas: 'fps',
    ent_cat: 'config',
  });
}
