import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SystemPaths } from '../core/paths.js';
import type { HidFunctionName } from '../hid/types.js';
import type { GadgetConfig } from './config.js';

/** Function order is fixed: it is the order of the configfs mkdirs, hence of the hidgN numbers. */
export const FUNCTION_ORDER: readonly HidFunctionName[] = ['keyboard', 'mouse', 'mouse_rel', 'consumer'];

export function enabledFunctions(g: GadgetConfig): HidFunctionName[] {
  return FUNCTION_ORDER.filter((f) => g.functions[f]);
}

export function gadgetDir(paths: SystemPaths, g: GadgetConfig): string {
  return path.join(paths.configfs, 'usb_gadget', g.name);
}

/**
 * The /dev/hidgN node of each enabled function. f_hid names its node after the minor number
 * (`hidg<minor>`), which configfs shows in `functions/hid.<fn>/dev` as `major:minor`; when that
 * is not readable (gadget made elsewhere, tests) the creation order gives the number.
 */
export function hidDevices(
  paths: SystemPaths,
  g: GadgetConfig,
): Array<{ fn: HidFunctionName; path: string }> {
  return enabledFunctions(g).map((fn, i) => {
    let minor = i;
    try {
      const dev = readFileSync(path.join(gadgetDir(paths, g), 'functions', `hid.${fn}`, 'dev'), 'utf8');
      const m = /^\d+:(\d+)\s*$/.exec(dev);
      if (m) minor = Number(m[1]);
    } catch {
      // not our gadget or not up yet: fall back to the order
    }
    return { fn, path: path.join(paths.dev, `hidg${minor}`) };
  });
}
