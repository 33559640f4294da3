import type { Logger } from '../core/log.js';
import type { SystemPaths } from '../core/paths.js';
import type { GadgetConfig } from './config.js';
import { applyChanges, type ConfigfsOps, readCurrent, realConfigfs } from './configfs.js';
import { gadgetDir, hidDevices } from './functions.js';
import { type Change, desiredGadget, planDown, planUp } from './plan.js';
import { pickUdc, readUdcState } from './udc.js';

export interface GadgetDeps {
  gadget: GadgetConfig;
  paths: SystemPaths;
  log: Logger;
  ops?: ConfigfsOps;
}

/** Builds or updates the gadget and binds it; returns the changes made (none when already up). */
export function gadgetUp(d: GadgetDeps): Change[] {
  const { paths, gadget } = d;
  const udc = pickUdc(paths, gadget.udc);
  const dir = gadgetDir(paths, gadget);
  const want = desiredGadget(gadget, udc);
  const changes = planUp(want, readCurrent(dir, want));
  applyChanges(dir, changes, d.log, d.ops ?? realConfigfs);
  d.log.info(changes.length ? `gadget: up on ${udc}` : `gadget: already up on ${udc}, nothing to change`);
  return changes;
}

export function gadgetDown(d: GadgetDeps): Change[] {
  const { paths, gadget } = d;
  const dir = gadgetDir(paths, gadget);
  const changes = planDown(readCurrent(dir, desiredGadget(gadget, '')));
  applyChanges(dir, changes, d.log, d.ops ?? realConfigfs);
  d.log.info(changes.length ? 'gadget: removed' : 'gadget: not present, nothing to remove');
  return changes;
}

export interface GadgetStatus {
  present: boolean;
  udc: string | null;
  /** UDC state: configured, suspended, not attached, ... */
  state: string;
  /** Whether configfs matches the config (false: `gadget up` would change something). */
  upToDate: boolean;
  devices: Array<{ fn: string; path: string }>;
}

export function gadgetStatus(d: Pick<GadgetDeps, 'gadget' | 'paths'>): GadgetStatus {
  const { paths, gadget } = d;
  const dir = gadgetDir(paths, gadget);
  const probe = desiredGadget(gadget, '');
  const current = readCurrent(dir, probe);
  const udc = current.udc || null;
  const pending = current.exists ? planUp(desiredGadget(gadget, current.udc), current) : ['missing'];
  return {
    present: current.exists,
    udc,
    state: udc ? readUdcState(paths, udc) : 'not bound',
    upToDate: current.exists && pending.length === 0 && udc !== null,
    devices: hidDevices(paths, gadget),
  };
}
