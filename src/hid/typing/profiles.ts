import { KvmError } from '../../core/errors.js';

/**
 * How text is turned into keyboard reports (see `typingReports`). Every profile is paced by the
 * host: the next report goes out once the host has taken the previous one, so none is faster than
 * the host's polling interval allows.
 * - `fast`: consecutive keys with the same modifiers share one transition (the release of one and
 *   the press of the next in a single report); the OS targets' choice.
 * - `safe`: every key press is followed by its own all-up report (two reports per key).
 * - `bios`: modifiers go down in a report of their own before the key and up after it, with a
 *   15 ms gap after every report, for firmware setup screens that drop fast or combined input
 *   (15 ms per report was the daemon's old default rate, which firmware took without loss).
 */
export const TYPING_PROFILES = ['fast', 'safe', 'bios'] as const;
export type TypingProfileName = (typeof TYPING_PROFILES)[number];

export interface TypingProfile {
  name: TypingProfileName;
  /** Share the release of one key and the press of the next when their modifiers are equal. */
  share: boolean;
  /** Press and release modifiers in reports of their own around the key. */
  modifiersApart: boolean;
  /** Extra wait after each report, on top of host pacing and `type_delay_ms`. */
  gapMs: number;
}

const PROFILES: Record<TypingProfileName, TypingProfile> = {
  fast: { name: 'fast', share: true, modifiersApart: false, gapMs: 0 },
  safe: { name: 'safe', share: false, modifiersApart: false, gapMs: 0 },
  bios: { name: 'bios', share: false, modifiersApart: true, gapMs: 15 },
};

/** The profile called `name` (any case), or BAD_REQUEST listing the known ones. */
export function typingProfile(name: string): TypingProfile {
  const p = PROFILES[name.toLowerCase() as TypingProfileName];
  if (!p) {
    throw new KvmError(
      'BAD_REQUEST',
      `unknown typing profile '${name}' (known: ${TYPING_PROFILES.join(', ')})`,
      { typing: name },
    );
  }
  return p;
}
