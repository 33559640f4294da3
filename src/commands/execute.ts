import { type ErrorCode, errorMessage, isKvmError, KvmError } from '../core/errors.js';
import type { HidApi } from '../hid/api.js';
import type { MacroLike } from './macros.js';
import type { Command, CommandOf } from './schema.js';

export interface CommandResult {
  id: string | null;
  ok: boolean;
  error?: { code: ErrorCode; message: string };
}

export interface CommandDeps {
  hid: Pick<
    HidApi,
    | 'isKey'
    | 'press'
    | 'checkText'
    | 'type'
    | 'mouseMoveAbs'
    | 'mouseMoveRel'
    | 'mouseButtons'
    | 'mouseWheel'
    | 'releaseAll'
  >;
  macros?: MacroLike | null;
  /** Publishes a fresh snapshot (MQTT image entity); absent: `snapshot` is refused. */
  snapshot?: () => Promise<void>;
}

/**
 * Runs validated commands. Everything a command needs is checked before its first report is sent,
 * so a bad key name or an untypable character never leaves half a combo typed. Typing runs
 * concurrently with later commands so `cancel` can stop it.
 */
export class CommandExecutor {
  private readonly typing = new Set<AbortController>();

  constructor(private readonly deps: CommandDeps) {}

  /** Checks a command against the live HID and macro state without doing anything. */
  check(cmd: Command): void {
    const { hid, macros } = this.deps;
    switch (cmd.action) {
      case 'press':
        for (const k of cmd.keys) if (!hid.isKey(k)) throw new KvmError('UNKNOWN_KEY', `unknown key '${k}'`);
        return;
      case 'type':
        try {
          hid.checkText(cmd.text, cmd.layout);
        } catch (e) {
          throw redactTextError(e);
        }
        return;
      case 'macro':
        if (!macros) throw new KvmError('MACRO_NOT_FOUND', 'macros not available');
        if (!macros.list().some((m) => m.name === cmd.name)) {
          throw new KvmError('MACRO_NOT_FOUND', `no macro named '${cmd.name}'`);
        }
        return;
      case 'snapshot':
        if (!this.deps.snapshot) throw new KvmError('COMMAND_REFUSED', 'snapshots not available');
        return;
      default:
        return;
    }
  }

  async execute(cmd: Command, origin: string): Promise<void> {
    this.check(cmd);
    const { hid } = this.deps;
    switch (cmd.action) {
      case 'press':
        return hid.press(cmd.keys, cmd.hold_ms);
      case 'type':
        return this.type(cmd);
      case 'macro':
        await this.deps.macros!.run(cmd.name, cmd.params ?? {}, { origin });
        return;
      case 'mouse':
        return this.mouse(cmd);
      case 'release_all':
        return hid.releaseAll();
      case 'snapshot':
        return this.deps.snapshot!();
      case 'cancel':
        return cancelInput(hid, this.deps.macros, this.typing);
    }
  }

  /** `execute`, folded into a result object that carries no typed text. */
  async run(cmd: Command, origin: string): Promise<CommandResult> {
    try {
      await this.execute(cmd, origin);
      return { id: cmd.id ?? null, ok: true };
    } catch (e) {
      return failure(cmd.id ?? null, e);
    }
  }

  private async type(cmd: CommandOf<'type'>): Promise<void> {
    const ac = new AbortController();
    this.typing.add(ac);
    try {
      await this.deps.hid.type(cmd.text, { layout: cmd.layout, profile: cmd.typing, signal: ac.signal });
    } catch (e) {
      throw redactTextError(e);
    } finally {
      this.typing.delete(ac);
    }
  }

  private async mouse(cmd: CommandOf<'mouse'>): Promise<void> {
    const { hid } = this.deps;
    if (cmd.move) await hid.mouseMoveAbs(cmd.move.x, cmd.move.y);
    if (cmd.move_rel) await hid.mouseMoveRel(cmd.move_rel.dx, cmd.move_rel.dy);
    if (cmd.click) {
      await hid.mouseButtons({ [cmd.click]: true });
      await hid.mouseButtons({ [cmd.click]: false });
    }
    if (cmd.scroll) await hid.mouseWheel(cmd.scroll.vertical ?? 0, cmd.scroll.horizontal ?? 0);
  }
}

/**
 * What `cancel` means at every door (MQTT here, the WebSocket in http/ws.ts): stop the typing the
 * sender started, stop the running macro, then release every key, modifier and button on the
 * target, so whatever the cancelled job held down comes up.
 */
export async function cancelInput(
  hid: Pick<HidApi, 'releaseAll'>,
  macros: Pick<MacroLike, 'cancel'> | null | undefined,
  typing: Iterable<AbortController>,
): Promise<void> {
  for (const c of typing) c.abort();
  await macros?.cancel();
  await hid.releaseAll();
}

export function failure(id: string | null, e: unknown): CommandResult {
  const err = isKvmError(e) ? e : new KvmError('INTERNAL', errorMessage(e));
  return { id, ok: false, error: { code: err.code, message: err.message } };
}

/** UNMAPPABLE_CHAR names the character; for typed text (passwords) only its position is kept. */
function redactTextError(e: unknown): unknown {
  if (isKvmError(e) && e.code === 'UNMAPPABLE_CHAR') {
    const d = e.details ?? {};
    return new KvmError(
      'UNMAPPABLE_CHAR',
      `character at position ${String(d.position ?? '?')} cannot be typed with the '${String(d.layout ?? '?')}' layout`,
    );
  }
  return e;
}
