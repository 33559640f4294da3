import type { MacroInfo } from '../commands/macros.js';
import { sanitizeId, type Topics } from './node-id.js';

/**
 * Home Assistant device-based discovery, as data. One retained message on
 * `homeassistant/device/<node>/config` carries the device, the origin and every component:
 * https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload
 * Entity names never repeat the device name (HA prefixes it).
 */
export interface DiscoveryContext {
  node: string;
  topics: Topics;
  deviceName: string;
  version: string;
  panelUrl: string | null;
  readOnly: boolean;
  textEntity: boolean;
  textMode: 'password' | 'text';
  textMax: number;
  /** null: no macro service, so no macro entities at all. */
  macros: readonly MacroInfo[] | null;
}

export type Component = Record<string, unknown> & { p: string };

export const SELECT_NONE = '(choose)';
export const HOST_STATES = ['off', 'no signal', 'still', 'active'] as const;

const onOff = (expr: string) => `{{ 'ON' if ${expr} else 'OFF' }}`;

/** Component key of a macro's button; macro names may hold characters HA ids do not. */
export function macroKey(name: string): string {
  return `macro_${sanitizeId(name) || 'x'}`;
}

export function buildComponents(c: DiscoveryContext): Record<string, Component> {
  const t = c.topics;
  const st = { stat_t: t.state };
  const cmps: Record<string, Component> = {};
  const add = (key: string, comp: Component) => {
    cmps[key] = { ...comp, unique_id: `${c.node}_${key}` };
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
  add('caps_lock', { p: 'binary_sensor', name: 'Caps Lock', ...st, val_tpl: onOff('value_json.caps_lock') });
  add('num_lock', { p: 'binary_sensor', name: 'Num Lock', ...st, val_tpl: onOff('value_json.num_lock') });
  add('scroll_lock', {
    p: 'binary_sensor',
    name: 'Scroll Lock',
    ...st,
    val_tpl: onOff('value_json.scroll_lock'),
  });

  // https://www.home-assistant.io/integrations/sensor.mqtt/
  add('resolution', {
    p: 'sensor',
    name: 'Resolution',
    ...st,
    val_tpl: '{{ value_json.resolution }}',
    icon: 'mdi:monitor',
  });
  add('capture_fps', {
    p: 'sensor',
    name: 'Capture fps',
    ...st,
    val_tpl: '{{ value_json.capture_fps }}',
    unit_of_meas: 'fps',
    stat_cla: 'measurement',
  });
  add('stream_clients', {
    p: 'sensor',
    name: 'Stream clients',
    ...st,
    val_tpl: '{{ value_json.stream_clients }}',
    stat_cla: 'measurement',
    icon: 'mdi:account-eye',
  });
  add('encode_ms', {
    p: 'sensor',
    name: 'Encode time',
    ...st,
    val_tpl: '{{ value_json.encode_ms }}',
    unit_of_meas: 'ms',
    dev_cla: 'duration',
    stat_cla: 'measurement',
    ent_cat: 'diagnostic',
  });
  add('host', {
    p: 'sensor',
    name: 'Host state',
    ...st,
    val_tpl: '{{ value_json.host }}',
    dev_cla: 'enum',
    options: [...HOST_STATES],
  });
  if (c.macros)
    add('macro_status', {
      p: 'sensor',
      name: 'Macro status',
      ...st,
      val_tpl: '{{ value_json.macro }}',
      icon: 'mdi:script-text-play',
    });
  if (c.macros) {
    // https://www.home-assistant.io/integrations/event.mqtt/
    add('macro_event', {
      p: 'event',
      name: 'Macro',
      stat_t: t.event,
      event_types: ['finished', 'failed', 'cancelled'],
    });
  }
  if (c.readOnly) return cmps;

  // https://www.home-assistant.io/integrations/button.mqtt/ (payload_press defaults to PRESS)
  add('ctrl_alt_del', {
    p: 'button',
    name: 'Ctrl-Alt-Del',
    cmd_t: `${t.set}/ctrl_alt_del`,
    icon: 'mdi:keyboard',
  });
  add('cancel', { p: 'button', name: 'Cancel macro', cmd_t: `${t.set}/cancel`, icon: 'mdi:cancel' });
  for (const m of c.macros ?? []) {
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
    // database; the state topic only ever carries "", published after each text.
    add('type_text', {
      p: 'text',
      name: 'Type text',
      cmd_t: `${t.set}/type`,
      stat_t: t.textState,
      mode: c.textMode,
      max: Math.min(255, c.textMax),
    });
  }
  if (c.macros && c.macros.length > 0) {
    // https://www.home-assistant.io/integrations/select.mqtt/ : choosing an option runs that macro;
    // the state snaps back to SELECT_NONE so choosing the same macro again runs it again.
    add('macro_select', {
      p: 'select',
      name: 'Run macro',
      cmd_t: `${t.set}/macro_select`,
      stat_t: t.macroSelect,
      options: [SELECT_NONE, ...c.macros.map((m) => m.name)],
    });
  }
  // https://www.home-assistant.io/integrations/number.mqtt/
  add('jpeg_quality', {
    p: 'number',
    name: 'JPEG quality',
    ...st,
    val_tpl: '{{ value_json.jpeg_quality }}',
    cmd_t: `${t.set}/jpeg_quality`,
    min: 1,
    max: 100,
    step: 1,
    ent_cat: 'config',
  });
  add('max_fps', {
    p: 'number',
    name: 'Max fps',
    ...st,
    val_tpl: '{{ value_json.max_fps }}',
    cmd_t: `${t.set}/max_fps`,
    min: 1,
    max: 120,
    step: 1,
    unit_of_meas: 'fps',
    ent_cat: 'config',
  });
  return cmps;
}

/**
 * The whole discovery payload. Components published before but gone now (a deleted macro) are
 * sent once as `{"p": platform}`, which is how HA removes one component of a device.
 */
export function buildDiscovery(c: DiscoveryContext, previous: Record<string, Component> = {}) {
  const cmps: Record<string, Component> = buildComponents(c);
  const current = { ...cmps };
  for (const [k, v] of Object.entries(previous)) if (!(k in cmps)) cmps[k] = { p: v.p };
  const dev: Record<string, unknown> = {
    ids: [c.node],
    name: c.deviceName,
    mf: 'kvmr0ck',
    mdl: 'KVM over IP',
    sw: c.version,
  };
  if (c.panelUrl) dev.cu = c.panelUrl;
  return {
    payload: {
      dev,
      o: { name: 'kvmr0ck', sw: c.version, url: 'https://github.com/kvmr0ck/kvmr0ck' },
      avty_t: c.topics.availability,
      qos: 1,
      cmps,
    },
    /** What to pass as `previous` next time. */
    current,
  };
}
