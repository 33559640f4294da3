import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import koffi from 'koffi';
import mqtt from 'mqtt';
import pino from 'pino';
import YAML from 'yaml';

/**
 * The memory bench's floor: the packages the daemon is built on, each doing the least the daemon
 * needs of it and nothing of the daemon's own: a fastify server with @fastify/websocket and one
 * route, listening; a pino logger; a YAML document parsed; mqtt.js connected to the bench's broker
 * (number cache off, as the daemon runs it); libturbojpeg and libyuv loaded through koffi. Bundled
 * and started as the daemon is (bench/memory.ts), its RSS says how much of the daemon's is the
 * stack's before any of our code runs.
 *
 * Usage: node stack-floor.bundle.js BROKER_PORT; prints "ready" once listening and connected.
 */
const log = pino({ level: 'info' });
YAML.parse('server: { host: 127.0.0.1, port: 0 }\nvideo: { fps: 30 }\n');
koffi.load('libturbojpeg.so.0');
koffi.load('libyuv.so.0');
const app = Fastify({ loggerInstance: log });
await app.register(websocket);
app.get('/api/state', async () => ({ ok: true }));
app.get('/ws', { websocket: true }, () => {});
await app.listen({ host: '127.0.0.1', port: 0 });
const client = mqtt.connect(`mqtt://127.0.0.1:${process.argv[2]}`, { writeCache: false });
client.on('connect', () => {
  client.publish('stack-floor/state', 'online', { retain: true });
  process.stdout.write('ready\n');
});
