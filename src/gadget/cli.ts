import { errorMessage, isKvmError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type GadgetDeps, gadgetDown, gadgetStatus, gadgetUp } from './gadget.js';

/** `kvmr0ck gadget up|down|status`; returns the exit code. */
export function runGadgetCommand(
  sub: string | undefined,
  config: Pick<GadgetDeps, 'gadget' | 'paths'>,
  log: Logger,
  out: (line: string) => void,
): number {
  try {
    switch (sub) {
      case 'up':
        gadgetUp({ ...config, log });
        return 0;
      case 'down':
        gadgetDown({ ...config, log });
        return 0;
      case 'status': {
        const s = gadgetStatus(config);
        out(`gadget ${config.gadget.name}: ${s.present ? 'present' : 'absent'}`);
        out(`udc: ${s.udc ?? '-'} (${s.state})`);
        out(`matches config: ${s.upToDate ? 'yes' : 'no (run: kvmr0ck gadget up)'}`);
        for (const d of s.devices) out(`${d.fn}: ${d.path}`);
        return s.upToDate ? 0 : 3;
      }
      default:
        out('usage: kvmr0ck gadget up|down|status');
        return 2;
    }
  } catch (err) {
    log.error({ code: isKvmError(err) ? err.code : 'INTERNAL' }, errorMessage(err));
    return 1;
  }
}
