import type { IPublishPacket } from 'mqtt';
import { type CommandExecutor, type CommandResult, failure } from '../commands/execute.js';
import { checkText } from '../commands/inputs.js';
import { type Command, type CommandLimits, commandTimeMs, parseCommand } from '../commands/schema.js';
import { KvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { SELECT_NONE } from './entities.js';
import type { Topics } from './node-id.js';

export interface InboxOptions {
  topics: Topics;
  executor: CommandExecutor;
  limits: CommandLimits;
  maxAgeMs: number;
  readOnly: boolean;
  now: () => number;
  log: Logger;
  publishResult(r: CommandResult): void;
  /**
   * The macro a button press or a select option stands for; throws MACRO_NOT_FOUND for an option
   * no macro has, COMMAND_REFUSED for a dangerous macro that has no entity.
   */
  entityMacro(via: 'button' | 'select', value: string): string;
  setQuality(n: number): void;
  setMaxFps(n: number): void;
  /** The Restart button: the daemon stops and starts again (config and macros re-read). */
  restart(): void;
}

const REMEMBERED_IDS = 256;

/**
 * Turns MQTT messages into commands. Retained messages are never executed (a retained "type my
 * password" would run on every reconnect); a command whose `ts` is older than max_command_age_s
 * is refused (MQTT 5 brokers already drop messages past their expiry interval); a command id seen
 * before is answered again without running twice, which covers QoS 1 redelivery after a reconnect.
 */
/** How far a command's `ts` may lie ahead of our clock (two NTP-synced clocks disagree by far less). */
const MAX_SKEW_MS = 30_000;

export class CommandInbox {
  private readonly seen = new Map<string, CommandResult | null>();

  constructor(private readonly o: InboxOptions) {}

  handle(topic: string, payload: Buffer, packet: Pick<IPublishPacket, 'retain'>): void {
    const t = this.o.topics;
    if (topic !== t.command && !topic.startsWith(`${t.set}/`)) return;
    if (packet.retain) {
      this.o.log.warn(
        { topic },
        'mqtt: ignoring a retained command (clear it with an empty retained message)',
      );
      return;
    }
    if (this.o.readOnly) {
      this.o.publishResult(failure(idOf(payload), new KvmError('COMMAND_REFUSED', 'mqtt.read_only is on')));
      return;
    }
    let cmd: Command | null;
    try {
      cmd =
        topic === t.command
          ? parseCommand(payload, this.o.limits)
          : this.entityCommand(topic.slice(t.set.length + 1), payload);
    } catch (e) {
      this.o.publishResult(failure(idOf(payload), e));
      return;
    }
    if (cmd) this.run(cmd, topic === t.command ? 'mqtt' : 'mqtt-entity');
  }

  private run(cmd: Command, origin: string): void {
    const id = cmd.id ?? null;
    const at = commandTimeMs(cmd.ts);
    // A command may carry `ts` (replays after a reconnect must not type a password twice): too old,
    // unreadable, or further ahead than clocks plausibly disagree, it is refused. Without `ts` (Home
    // Assistant's entity payloads, hand-typed commands) it runs: it was delivered live.
    if (
      cmd.ts !== undefined &&
      (at === null || this.o.now() - at > this.o.maxAgeMs || at - this.o.now() > MAX_SKEW_MS)
    ) {
      this.o.publishResult(
        failure(
          id,
          new KvmError(
            'COMMAND_REFUSED',
            `command ts must be within ${this.o.maxAgeMs / 1000} s before now and ${MAX_SKEW_MS / 1000} s after (clock skew)`,
          ),
        ),
      );
      return;
    }
    if (id !== null) {
      if (this.seen.has(id)) {
        const prior = this.seen.get(id);
        this.o.log.info({ id }, 'mqtt: duplicate command id, not run again');
        if (prior) this.o.publishResult(prior);
        return;
      }
      this.seen.set(id, null);
      if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.keys().next().value as string);
    }
    this.o.log.info({ action: cmd.action, id, origin }, 'mqtt: command');
    void this.o.executor.run(cmd, origin).then((r) => {
      if (id !== null && this.seen.has(id)) this.seen.set(id, r);
      if (!r.ok) this.o.log.warn({ action: cmd.action, id, error: r.error }, 'mqtt: command failed');
      this.o.publishResult(r);
    });
  }

  /**
   * Entity command topics carry plain payloads (HA sends PRESS, the text, the option, a number).
   * HA's text and select entities have a state topic, so they are not optimistic: their state
   * stays the retained empty text and SELECT_NONE whatever is sent, and nothing needs resetting.
   */
  private entityCommand(what: string, payload: Buffer): Command | null {
    if (payload.byteLength > this.o.limits.maxPayloadBytes) {
      throw new KvmError(
        'TOO_LARGE',
        `payload is ${payload.byteLength} bytes, the limit is ${this.o.limits.maxPayloadBytes}`,
      );
    }
    const text = payload.toString('utf8');
    switch (what) {
      case 'cancel':
        return { action: 'cancel' };
      case 'restart':
        this.o.log.info({}, 'mqtt: restart requested from Home Assistant');
        this.o.restart();
        return null;
      case 'type':
        return text === ''
          ? null
          : { action: 'type', text: checkText(text, this.o.limits.maxTextLength, 'type.text') };
      case 'macro_select':
        return text === SELECT_NONE ? null : { action: 'macro', name: this.o.entityMacro('select', text) };
      case 'jpeg_quality':
        this.o.setQuality(number(text, 1, 100, 'jpeg_quality'));
        return null;
      case 'max_fps':
        this.o.setMaxFps(number(text, 1, 120, 'max_fps'));
        return null;
      default:
        if (what.startsWith('macro/'))
          return { action: 'macro', name: this.o.entityMacro('button', what.slice('macro/'.length)) };
        throw new KvmError('BAD_REQUEST', `unknown command topic '${what.slice(0, 64)}'`);
    }
  }
}

function number(text: string, min: number, max: number, what: string): number {
  const n = Math.round(Number(text));
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new KvmError('BAD_REQUEST', `${what}: must be ${min}..${max}`);
  }
  return n;
}

/** Best effort: the id of a command that failed to parse, so the sender can match the error. */
function idOf(payload: Buffer): string | null {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { id?: unknown };
    return typeof v.id === 'string' && v.id.length <= 64 ? v.id : null;
  } catch {
    return null;
  }
}
