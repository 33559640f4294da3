import { createSocket } from 'node:dgram';

/** Wake-on-LAN magic packet: 6 × 0xFF, then the MAC 16 times (AMD "Magic Packet" white paper). */
export function magicPacket(mac: string): Buffer {
  const bytes = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  if (bytes.length !== 6) throw new Error(`not a MAC address: ${mac}`);
  return Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => bytes)]);
}

export function sendWakeOnLan(mac: string, address: string, port = 9): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', (e) => {
      sock.close();
      reject(e);
    });
    sock.bind(() => {
      sock.setBroadcast(true);
      sock.send(magicPacket(mac), port, address, (err) => {
        sock.close();
        if (err) reject(err);
        else resolve();
      });
    });
  });
}
