/**
 * Home Assistant add-on: turns the options the user set in the add-on UI (/data/options.json) and
 * the broker the Supervisor provides (`bashio::services mqtt`) into a kvmr0ck config. Pure, so
 * the add-on's behaviour is tested here rather than inside a container.
 */
export interface AddonOptions {
  video_device: string;
  video_format: string;
  /** Optional: add-on configs saved before it existed lack it. */
  video_range?: string;
  video_fps: number;
  jpeg_quality: number;
  edid: string;
  hid_layout: string;
  read_only: boolean;
  /** Optional: add-on configs saved before it existed lack it. */
  dangerous_macro_buttons?: boolean;
  log_level: string;
  mqtt_topic_prefix?: string;
}

export interface SupervisorMqtt {
  host: string;
  port: number;
  username: string;
  password: string;
  ssl: boolean;
}

/** Ingress requests reach the add-on from the Supervisor's proxy on this port (config.yaml ingress_port). */
export const INGRESS_PORT = 8099;
/** The direct port (config.yaml `ports`, off unless the user maps it): the token is needed there. */
export const DIRECT_PORT = 8080;
/** Home Assistant's ingress proxy: trusted on the ingress listener only, never on the direct port. */
export const INGRESS_PROXY = '172.30.32.2';

export function addonConfig(
  o: AddonOptions,
  mqtt: SupervisorMqtt | null,
  dataDir = '/data',
  slug = '',
): Record<string, unknown> {
  const edid =
    {
      '1080p60': '/app/overlays/edid/1080p60.hex',
      'bios-720p': '/app/overlays/edid/bios-720p.hex',
      none: '',
    }[o.edid] ?? '';
  const config: Record<string, unknown> = {
    // public_url: the link Home Assistant's device page opens; HA's device registry accepts its
    // own homeassistant:// scheme, and this path opens the add-on's ingress panel.
    server: {
      host: '0.0.0.0',
      port: DIRECT_PORT,
      ingress_port: INGRESS_PORT,
      public_url: /^[a-z0-9_-]+$/.test(slug) ? `homeassistant://hassio/ingress/${slug}` : '',
      // The names a Home Assistant box answers to; others are added in the add-on's own config.
      allowed_hosts: ['homeassistant', 'homeassistant.local'],
    },
    auth: { trusted_proxies: [INGRESS_PROXY], read_only: o.read_only },
    video: {
      source: 'auto',
      device: o.video_device,
      format: o.video_format,
      range: o.video_range ?? 'auto',
      fps: o.video_fps,
      quality: o.jpeg_quality,
      edid,
    },
    hid: { sink: 'auto', layout: o.hid_layout },
    // The add-on keeps its state in /data, the one directory the Supervisor preserves.
    paths: { state: dataDir },
    log: { level: o.log_level, format: 'json' },
  };
  if (mqtt) {
    config.mqtt = {
      url: `${mqtt.ssl ? 'mqtts' : 'mqtt'}://${mqtt.host}:${mqtt.port}`,
      username: mqtt.username,
      password: mqtt.password,
      topic_prefix: o.mqtt_topic_prefix ?? 'kvmr0ck',
      read_only: o.read_only,
      dangerous_macro_buttons: o.dangerous_macro_buttons ?? false,
    };
  }
  return config;
}
