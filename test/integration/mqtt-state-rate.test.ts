import { describe, expect, it } from 'vitest';
import { fileBroker, probe } from '../helpers/mosquitto.js';
import { mqttConfig, startApp, until } from '../unit/mqtt/app.js';

const broker = fileBroker();

/**
 * Typing changes the HID slice with every report (reportsWritten), but nothing the retained MQTT
 * state shows: MQTT listens per slice and does not rebuild its state for it.
 */
describe('MQTT state follows only the slices it shows', () => {
  it('typing 500 characters twice (keys, text) rebuilds and publishes the state almost never; stop leaves no listener', async () => {
    const node = `rate_${process.pid}`;
    const p = await probe(broker.url, [`kvmr0ck/${node}/state`]);
    const app = await startApp(mqttConfig(broker.url, node, { state_interval_s: 3600 }));
    try {
      await p.wait((t) => t === `kvmr0ck/${node}/state`, 20_000);
      await until(() => app.store.get().mqtt.connected, 20_000, 'MQTT connected');
      // The test pattern's figures (video, stream) change on their own meanwhile: those may rebuild.
      let others = 0;
      const owner = {};
      for (const slice of ['video', 'stream', 'usb'] as const) app.store.on(slice, () => others++, owner);
      const before = { ...app.mqtt.stateCounts };
      const reportsBefore = app.store.get().hid.reportsWritten;
      // The panel's keyboard: one key down and up per character (each report patches the HID slice),
      // then the same as one text job.
      for (let i = 0; i < 500; i++) {
        await app.hid.keyDown('a');
        await app.hid.keyUp('a');
      }
      await app.hid.type('a'.repeat(500));
      const reports = app.store.get().hid.reportsWritten - reportsBefore;
      const built = app.mqtt.stateCounts.built - before.built;
      const sent = app.mqtt.stateCounts.sent - before.sent;
      app.store.off(owner);
      console.log(
        `typing 500 characters: ${reports} HID reports, ${built} state rebuilds, ${sent} publishes, ${others} other slice changes`,
      );
      expect(reports).toBeGreaterThanOrEqual(2000);
      // Before per-slice subscriptions: a rebuild per HID slice change (about 2,000 here).
      expect(built).toBeLessThanOrEqual(others + 2);
      expect(sent).toBeLessThanOrEqual(others + 1);
    } finally {
      await app.stop();
      await p.close();
    }
    expect(app.store.listenerCount(app.mqtt)).toBe(0);
  });
});
