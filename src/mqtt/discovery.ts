import { buildComponents, type Component, type EntityContext } from './entities.js';

/**
 * Home Assistant device-based discovery: one retained message on
 * `homeassistant/device/<node>/config` carries the device, the origin and every component
 * (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload).
 */
export interface DiscoveryContext extends EntityContext {
  version: string;
  /** The device page's "Visit" link (configuration_url), or null for none. */
  panelUrl: string | null;
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

/**
 * The components of a retained discovery payload we published in an earlier run (read back at
 * start, as zigbee2mqtt does), so ones that no longer exist can be removed. Removal markers
 * (`{"p": ...}` alone) and anything unreadable count as nothing published.
 */
export function publishedComponents(payload: Buffer): Record<string, Component> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return {};
  }
  const cmps = (parsed as { cmps?: unknown } | null)?.cmps;
  if (typeof cmps !== 'object' || cmps === null) return {};
  const out: Record<string, Component> = {};
  for (const [k, v] of Object.entries(cmps as Record<string, unknown>)) {
    const c = v as Partial<Component> | null;
    if (c && typeof c.p === 'string' && Object.keys(c).length > 1) out[k] = { p: c.p };
  }
  return out;
}

/**
 * The device page's link. HA opens it in the user's browser, so a wildcard listener's
 * `localhost` would point at the viewer's own machine: prefer the configured public URL (the
 * add-on sets `homeassistant://hassio/ingress/<slug>`, which HA's device registry accepts), then
 * an address other machines can reach, and give none rather than a wrong one.
 */
export function configurationUrl(
  publicUrl: string,
  panelUrls: readonly string[],
  listensOnAll: boolean,
): string | null {
  if (publicUrl !== '') return publicUrl;
  // Bound to one address on purpose (loopback behind a reverse proxy, a test): that is the one.
  if (!listensOnAll) return panelUrls[0] ?? null;
  return panelUrls.find((u) => !/^\w+:\/\/(localhost|\[::1\]|127\.)/.test(u)) ?? null;
}
