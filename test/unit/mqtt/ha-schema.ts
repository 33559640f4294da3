/**
 * A check of MQTT discovery components against what Home Assistant accepts, written from HA's
 * MQTT platform documentation (https://www.home-assistant.io/integrations/<platform>.mqtt/) and
 * the entity docs (device classes, entity categories). It returns every problem found, so a
 * test failure names them all. Keys may be abbreviated as HA's discovery allows
 * (https://www.home-assistant.io/integrations/mqtt/#supported-abbreviations-in-mqtt-discovery-messages).
 */
const ABBREVIATIONS: Record<string, string> = {
  p: 'platform',
  uniq_id: 'unique_id',
  def_ent_id: 'default_entity_id',
  stat_t: 'state_topic',
  cmd_t: 'command_topic',
  cmd_tpl: 'command_template',
  val_tpl: 'value_template',
  dev_cla: 'device_class',
  stat_cla: 'state_class',
  unit_of_meas: 'unit_of_measurement',
  ent_cat: 'entity_category',
  en: 'enabled_by_default',
  ic: 'icon',
  ops: 'options',
  avty_t: 'availability_topic',
  json_attr_t: 'json_attributes_topic',
  pl_prs: 'payload_press',
  exp_aft: 'expire_after',
  frc_upd: 'force_update',
  ret: 'retain',
  opt: 'optimistic',
  e: 'encoding',
};

/** Keys every MQTT entity takes (MQTT entity common schema, availability options). */
const COMMON = [
  'platform',
  'name',
  'unique_id',
  'default_entity_id',
  'icon',
  'entity_category',
  'enabled_by_default',
  'entity_picture',
  'availability_topic',
  'availability_template',
  'availability_mode',
  'payload_available',
  'payload_not_available',
  'json_attributes_topic',
  'json_attributes_template',
  'encoding',
  'qos',
];

/** Keys of every entity that takes commands and reports its state back. */
const COMMANDED = ['command_topic', 'command_template', 'state_topic', 'value_template', 'retain'];

interface PlatformRule {
  required: string[];
  allowed: string[];
  deviceClasses?: string[];
  /** Platforms whose entities may not be `config` (HA refuses it). */
  noConfigCategory?: boolean;
}

const RULES: Record<string, PlatformRule> = {
  image: {
    required: [],
    allowed: ['image_topic', 'image_encoding', 'url_topic', 'url_template', 'content_type'],
  },
  binary_sensor: {
    required: ['state_topic'],
    allowed: [
      'state_topic',
      'value_template',
      'device_class',
      'expire_after',
      'force_update',
      'off_delay',
      'payload_on',
      'payload_off',
    ],
    // https://www.home-assistant.io/integrations/binary_sensor/#device-class
    deviceClasses:
      'battery battery_charging carbon_monoxide cold connectivity door garage_door gas heat light lock moisture motion moving occupancy opening plug power presence problem running safety smoke sound tamper update vibration window'.split(
        ' ',
      ),
    noConfigCategory: true,
  },
  sensor: {
    required: ['state_topic'],
    allowed: [
      'state_topic',
      'value_template',
      'device_class',
      'state_class',
      'unit_of_measurement',
      'suggested_display_precision',
      'expire_after',
      'force_update',
      'last_reset_value_template',
      'options',
    ],
    // https://www.home-assistant.io/integrations/sensor/#device-class (the ones a KVM could use
    // and their neighbours; an unknown one fails the check).
    deviceClasses:
      'apparent_power aqi battery current data_rate data_size date duration enum energy frequency humidity illuminance power power_factor signal_strength temperature timestamp voltage'.split(
        ' ',
      ),
    noConfigCategory: true,
  },
  button: {
    required: ['command_topic'],
    allowed: ['command_topic', 'command_template', 'device_class', 'payload_press', 'retain'],
    deviceClasses: ['identify', 'restart', 'update'],
  },
  text: { required: ['command_topic'], allowed: [...COMMANDED, 'min', 'max', 'mode', 'pattern'] },
  select: { required: ['command_topic', 'options'], allowed: [...COMMANDED, 'options', 'optimistic'] },
  number: {
    required: ['command_topic'],
    allowed: [
      ...COMMANDED,
      'min',
      'max',
      'step',
      'mode',
      'device_class',
      'unit_of_measurement',
      'payload_reset',
      'optimistic',
    ],
    deviceClasses: ['temperature', 'duration', 'frequency', 'data_rate', 'power', 'voltage', 'current'],
  },
  event: {
    required: ['state_topic', 'event_types'],
    allowed: ['state_topic', 'value_template', 'event_types', 'device_class'],
    deviceClasses: ['button', 'doorbell', 'motion'],
  },
  update: {
    required: [],
    allowed: [
      'state_topic',
      'command_topic',
      'device_class',
      'latest_version_template',
      'latest_version_topic',
      'payload_install',
      'release_summary',
      'release_url',
      'retain',
      'title',
      'value_template',
    ],
    deviceClasses: ['firmware'],
  },
};

/** Units HA accepts per sensor device class (the classes above that carry units). */
const UNITS: Record<string, string[]> = {
  temperature: ['°C', '°F', 'K'],
  duration: ['d', 'h', 'min', 's', 'ms', 'µs'],
  data_size: ['B', 'kB', 'MB', 'GB', 'KiB', 'MiB', 'GiB'],
};
const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'];

export type Components = Record<string, Record<string, unknown>>;

export function expand(c: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [ABBREVIATIONS[k] ?? k, v]));
}

/** Every problem HA would have with these components, as `key: problem` lines; [] when none. */
export function checkComponents(cmps: Components, deviceName: string): string[] {
  const problems: string[] = [];
  const uniqueIds = new Set<string>();
  const entityIds = new Set<string>();
  for (const [key, raw] of Object.entries(cmps)) {
    const c = expand(raw);
    const bad = (what: string) => problems.push(`${key}: ${what}`);
    const platform = String(c.platform);
    const rule = RULES[platform];
    if (!rule) {
      bad(`unknown platform '${platform}'`);
      continue;
    }
    // A removal marker is the platform alone.
    if (Object.keys(c).length === 1) continue;
    for (const k of Object.keys(c))
      if (!COMMON.includes(k) && !rule.allowed.includes(k)) bad(`'${k}' is not a ${platform} option`);
    for (const k of rule.required) if (c[k] === undefined) bad(`'${k}' is required`);
    if (typeof c.unique_id !== 'string' || uniqueIds.has(c.unique_id)) bad('unique_id missing or repeated');
    uniqueIds.add(String(c.unique_id));
    const id = c.default_entity_id;
    if (id !== undefined) {
      if (typeof id !== 'string' || !new RegExp(`^${platform}\\.[a-z0-9]+(_[a-z0-9]+)*$`).test(id))
        bad(`default_entity_id '${String(id)}' must be '${platform}.<lowercase_id>'`);
      if (entityIds.has(String(id))) bad(`default_entity_id '${String(id)}' repeated`);
      entityIds.add(String(id));
    }
    if (typeof c.name === 'string' && c.name.toLowerCase().startsWith(deviceName.toLowerCase()))
      bad('the name repeats the device name');
    const cat = c.entity_category;
    if (cat !== undefined && cat !== 'config' && cat !== 'diagnostic')
      bad(`entity_category '${String(cat)}'`);
    if (cat === 'config' && rule.noConfigCategory) bad(`a ${platform} may not be in the config category`);
    if (c.enabled_by_default !== undefined && typeof c.enabled_by_default !== 'boolean')
      bad('enabled_by_default must be a boolean');
    const dc = c.device_class;
    if (dc !== undefined && !(rule.deviceClasses ?? []).includes(String(dc)))
      bad(`device_class '${String(dc)}' is not one of ${platform}'s`);
    checkPlatform(platform, c, bad);
  }
  return problems;
}

function checkPlatform(platform: string, c: Record<string, unknown>, bad: (what: string) => void): void {
  switch (platform) {
    case 'image':
      if ((c.image_topic === undefined) === (c.url_topic === undefined))
        bad('exactly one of image_topic and url_topic');
      return;
    case 'sensor': {
      const dc = c.device_class as string | undefined;
      if (c.state_class !== undefined && !STATE_CLASSES.includes(String(c.state_class)))
        bad(`state_class '${String(c.state_class)}'`);
      if (c.options !== undefined && dc !== 'enum') bad('options need device_class enum');
      if (dc === 'enum' || dc === 'timestamp') {
        if (c.state_class !== undefined || c.unit_of_measurement !== undefined)
          bad(`a ${dc} sensor has no state_class or unit`);
      }
      if (dc === 'enum' && !(Array.isArray(c.options) && c.options.length > 0)) bad('enum needs options');
      if (dc && UNITS[dc] && !UNITS[dc].includes(String(c.unit_of_measurement)))
        bad(`unit '${String(c.unit_of_measurement)}' is not one of ${dc}'s`);
      return;
    }
    case 'text': {
      const max = (c.max as number | undefined) ?? 255;
      const min = (c.min as number | undefined) ?? 0;
      if (!(Number.isInteger(max) && max <= 255 && Number.isInteger(min) && min >= 0 && min <= max))
        bad(`min ${min} / max ${max} (0 <= min <= max <= 255)`);
      if (c.mode !== undefined && c.mode !== 'text' && c.mode !== 'password') bad(`mode '${String(c.mode)}'`);
      return;
    }
    case 'select': {
      const o = c.options;
      if (
        !Array.isArray(o) ||
        o.length === 0 ||
        o.some((x) => typeof x !== 'string') ||
        new Set(o).size !== o.length
      )
        bad('options must be distinct strings');
      return;
    }
    case 'number': {
      const min = (c.min as number | undefined) ?? 1;
      const max = (c.max as number | undefined) ?? 100;
      const step = (c.step as number | undefined) ?? 1;
      if (!(min < max) || !(step > 0)) bad(`min ${min} < max ${max}, step ${step} > 0`);
      if (c.mode !== undefined && !['auto', 'box', 'slider'].includes(String(c.mode))) bad('mode');
      return;
    }
    case 'event': {
      const t = c.event_types;
      if (!Array.isArray(t) || t.length === 0 || t.some((x) => typeof x !== 'string')) bad('event_types');
      return;
    }
    default:
      return;
  }
}
