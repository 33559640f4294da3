import { type Static, Type } from '@sinclair/typebox';

/**
 * The `mqtt:` section. MQTT stays off while `url` is empty, so the demo runs without a broker.
 * Discovery follows https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload.
 */
export const MqttConfigSchema = Type.Object(
  {
    url: Type.String({
      default: '',
      // A host must follow the optional user:password@ (`mqtt://user:pw@` alone would mean localhost).
      pattern: '^$|^(mqtt|mqtts|ws|wss)://([^@/]*@)?([^@/:\\[\\]]+|\\[[0-9a-fA-F:.]+\\])(:[0-9]+)?(/.*)?$',
      description: 'Broker URL (mqtt://, mqtts://, ws://, wss://); empty: MQTT off.',
      errorMessage: 'must be a broker URL such as mqtt://host:1883 (or mqtts://, ws://, wss://)',
    }),
    username: Type.String({ default: '' }),
    password: Type.String({ default: '', description: 'Broker password; prefer password_file.' }),
    password_file: Type.String({ default: '', description: 'File holding the broker password.' }),
    client_id: Type.String({ default: '', maxLength: 64, description: 'Empty: kvmr0ck_<node_id>.' }),
    ca_file: Type.String({ default: '', description: 'PEM CA bundle for mqtts/wss.' }),
    insecure: Type.Boolean({ default: false, description: 'Skip TLS certificate checks.' }),
    topic_prefix: Type.String({ default: 'kvmr0ck', minLength: 1, pattern: '^[^#+]+$' }),
    discovery_prefix: Type.String({ default: 'homeassistant', minLength: 1, pattern: '^[^#+]+$' }),
    node_id: Type.String({ default: '', pattern: '^[a-zA-Z0-9_-]*$', maxLength: 64 }),
    machine_id_file: Type.String({ default: '/etc/machine-id', minLength: 1 }),
    device_name: Type.String({ default: 'kvmr0ck', minLength: 1, maxLength: 64 }),
    read_only: Type.Boolean({ default: false, description: 'Publish states only; no control entities.' }),
    text_entity: Type.Boolean({ default: true }),
    text_mode: Type.Union([Type.Literal('password'), Type.Literal('text')], { default: 'password' }),
    discovery_delay_ms: Type.Integer({ default: 2000, minimum: 0, maximum: 60_000 }),
    reconnect_min_ms: Type.Integer({ default: 1000, minimum: 100, maximum: 60_000 }),
    reconnect_max_ms: Type.Integer({ default: 60_000, minimum: 1000, maximum: 600_000 }),
    keepalive_s: Type.Integer({ default: 30, minimum: 5, maximum: 3600 }),
    snapshot_interval_s: Type.Integer({ default: 10, minimum: 0, maximum: 3600 }),
    snapshot_height: Type.Integer({ default: 360, minimum: 60, maximum: 2160 }),
    snapshot_quality: Type.Integer({ default: 70, minimum: 1, maximum: 100 }),
    state_interval_s: Type.Integer({
      default: 5,
      minimum: 1,
      maximum: 3600,
      description: 'How often the host state (still/active) is checked.',
    }),
    diagnostics_interval_s: Type.Integer({
      default: 300,
      minimum: 10,
      maximum: 86_400,
      description: 'Counters (fps, encode time, board temperature, load, memory, disk) at most this often.',
    }),
    board_diagnostics: Type.Boolean({
      default: true,
      description: 'Publish the board: CPU temperature, load, memory, disk, boot time.',
    }),
    dangerous_macro_buttons: Type.Boolean({
      default: false,
      description: 'Give macros marked dangerous (SysRq reboot) a button and a place in the select.',
    }),
    still_after_s: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
    max_command_age_s: Type.Integer({ default: 30, minimum: 1, maximum: 86_400 }),
    max_payload_bytes: Type.Integer({ default: 16_384, minimum: 256, maximum: 1_048_576 }),
    max_text_length: Type.Integer({ default: 4096, minimum: 1, maximum: 65_536 }),
    max_keys: Type.Integer({ default: 16, minimum: 1, maximum: 64 }),
  },
  { additionalProperties: false, default: {} },
);

export type MqttConfig = Static<typeof MqttConfigSchema>;
