import WebSocket from 'ws';
import type { Daemon } from './daemon.js';

export type WsMessage = Record<string, unknown>;

export interface PanelSocket {
  ws: WebSocket;
  /** Every message so far, parsed. */
  messages: WsMessage[];
  /** The first message matching `pred`, polled for up to 3 s; throws with the last five otherwise. */
  wait(pred: (m: WsMessage) => boolean): Promise<WsMessage>;
}

/** Opens the panel's WebSocket (/api/ws) as a real client would; rejects if the upgrade fails. */
export async function openPanelSocket(
  d: Daemon,
  headers: Record<string, string> = d.authHeaders,
): Promise<PanelSocket> {
  const ws = new WebSocket(`${d.url.replace('http', 'ws')}api/ws`, { headers });
  const messages: WsMessage[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(m.toString()) as WsMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const wait = async (pred: (m: WsMessage) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const m = messages.find(pred);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error(`no such message; got ${JSON.stringify(messages.slice(-5))}`);
  };
  return { ws, messages, wait };
}
