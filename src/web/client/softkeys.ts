// The phone's on-screen keyboard: a hidden input takes the focus (which is what opens it), and
// what is typed there goes to the target. Phones do not send usable key codes for characters
// (Android reports keyCode 229 with an empty code), so characters go as text in the target's
// layout; deletions and Enter, which `beforeinput` names, go as keys. The input keeps one space
// before the caret: with nothing to delete, a soft keyboard sends no Backspace at all.

export interface SoftKeyTarget {
  text(t: string): void;
  key(code: string): void;
}

const KEY_FOR_INPUT: Record<string, string> = {
  deleteContentBackward: 'Backspace',
  deleteContentForward: 'Delete',
  insertLineBreak: 'Enter',
  insertParagraph: 'Enter',
};
const SENTINEL = ' ';

export function softKeyboard(input: HTMLInputElement, target: SoftKeyTarget): () => void {
  const reset = () => {
    input.value = SENTINEL;
    input.setSelectionRange(SENTINEL.length, SENTINEL.length);
  };
  const onBeforeInput = (e: InputEvent) => {
    // Composition (predictive keyboards) cannot be cancelled; its result is read on `input`.
    if (!e.cancelable || e.isComposing) return;
    e.preventDefault();
    const key = KEY_FOR_INPUT[e.inputType];
    if (key) target.key(key);
    else if (e.data) target.text(e.data);
  };
  const onInput = (e: Event) => {
    if ((e as InputEvent).isComposing) return;
    const v = input.value;
    if (v.length < SENTINEL.length) target.key('Backspace');
    else if (v !== SENTINEL) target.text(v.startsWith(SENTINEL) ? v.slice(SENTINEL.length) : v);
    reset();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    // Enter on a soft keyboard is a keydown with a usable code, and no beforeinput in a one-line input.
    if (e.key === 'Enter') {
      e.preventDefault();
      target.key('Enter');
    }
  };
  reset();
  input.addEventListener('focus', reset);
  input.addEventListener('beforeinput', onBeforeInput);
  input.addEventListener('input', onInput);
  input.addEventListener('compositionend', onInput);
  input.addEventListener('keydown', onKeyDown);
  return () => {
    input.removeEventListener('focus', reset);
    input.removeEventListener('beforeinput', onBeforeInput);
    input.removeEventListener('input', onInput);
    input.removeEventListener('compositionend', onInput);
    input.removeEventListener('keydown', onKeyDown);
  };
}
