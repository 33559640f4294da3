import type { Stroke } from '../layout.js';
import { encodeKeyboard } from '../reports.js';
import type { TypingProfile } from './profiles.js';

const CAPS_LOCK = 0x39;

/** The keyboard reports that type a text, and how many characters the target has after each. */
export interface TypingReports {
  reports: Uint8Array[];
  /**
   * `chars[i]`: characters the target has produced once it has taken reports 0..i. A character
   * counts when the press of its last stroke is taken (hosts turn a key into text on the press;
   * for a dead-key sequence that is the base key).
   */
  chars: number[];
}

/**
 * Plans the reports for `text` already split into strokes (LayoutRegistry.plan), ending all-up.
 * With `profile.share`, a stroke whose modifiers equal the previous stroke's and whose key
 * differs goes straight from the previous press to its own (no all-up between). That is the only
 * transition shared, because it is the only one whose result cannot depend on the order in
 * which a host applies the changes inside one report: the modifiers stay as they were, so the new
 * key is pressed under the same modifiers whether the host handles the old key's release first
 * or last, and a release produces no text. A change of modifiers, or the same key again (which
 * needs its release to be seen as a second press), goes through an all-up report.
 * `capsToggle` taps Caps Lock before and after the text (the layouts assume it off).
 */
export function typingReports(
  plan: readonly (readonly Stroke[])[],
  profile: TypingProfile,
  capsToggle = false,
): TypingReports {
  const reports: Uint8Array[] = [];
  const chars: number[] = [];
  let done = 0;
  let held: Stroke | null = null;
  const emit = (mods: number, usage: number | null) => {
    reports.push(encodeKeyboard(mods, usage === null ? [] : [usage]));
    chars.push(done);
  };
  const allUp = () => {
    if (held) emit(0, null);
    held = null;
  };
  const tapCaps = () => {
    emit(0, CAPS_LOCK);
    emit(0, null);
  };
  if (capsToggle) tapCaps();
  for (const strokes of plan) {
    strokes.forEach((s, i) => {
      const last = i === strokes.length - 1;
      const shareable = profile.share && held && held.mods === s.mods && held.usage !== s.usage;
      if (!shareable) allUp();
      if (profile.modifiersApart && s.mods) emit(s.mods, null);
      if (last) done++; // counted from the report that presses it
      emit(s.mods, s.usage);
      held = s;
      if (profile.modifiersApart && s.mods) {
        emit(s.mods, null);
        allUp();
      } else if (!profile.share) allUp();
    });
  }
  allUp();
  if (capsToggle) tapCaps();
  return { reports, chars };
}
