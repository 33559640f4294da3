// Small pieces of interface both the panel and the card show: the layout choice, the macro form
// (parameters, and a confirmation for macros marked `dangerous`), and the running macro with its
// cancel button. Plain DOM, so they work in the panel's page and in the card's shadow root.

import type { Hello, KvmState, MacroInfo } from './socket.js';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Fills a layout <select>, keeping the user's choice, else picking the configured layout. */
export function fillLayouts(select: HTMLSelectElement, hello: Hello): void {
  const keep = select.dataset.chosen;
  select.replaceChildren(...hello.layouts.map((l) => el('option', { value: l }, l)));
  select.value = keep && hello.layouts.includes(keep) ? keep : (hello.layout ?? 'us');
  if (!select.dataset.bound) {
    select.dataset.bound = '1';
    select.addEventListener('change', () => {
      select.dataset.chosen = select.value;
    });
  }
}

export const TYPING_PROFILES = ['fast', 'safe', 'bios'] as const;

/**
 * Fills a typing-profile <select> (fast: OS targets; safe: a release after every key; bios: slow,
 * modifiers apart, for firmware screens), keeping the user's choice, else the configured one.
 */
export function fillTypingProfiles(select: HTMLSelectElement, configured: string | undefined): void {
  if (select.options.length === 0) {
    // Unknown (the card in HA mode has no hello): the first choice leaves it to the board.
    if (configured === undefined) select.append(el('option', { value: '' }, 'typing: board default'));
    select.append(...TYPING_PROFILES.map((p) => el('option', { value: p }, p)));
    select.addEventListener('change', () => {
      select.dataset.chosen = select.value;
    });
  }
  const want = select.dataset.chosen ?? configured ?? '';
  select.value = Array.from(select.options).some((o) => o.value === want) ? want : select.options[0]!.value;
}

/** A macro the daemon did not list (the card's configured names before the socket says more). */
export function unknownMacro(name: string): MacroInfo {
  return {
    name,
    title: name.replace(/_/g, ' '),
    description: '',
    params: {},
    dangerous: false,
    builtin: false,
  };
}

export type ParamValues = Record<string, string | number | boolean>;

/**
 * The form a macro is run from. It shows whenever the macro takes parameters or asks for a
 * confirmation; a macro with neither runs at once. `run` gets the values; Close dismisses the form.
 */
export function macroForm(host: HTMLElement, m: MacroInfo, run: (params: ParamValues) => void): void {
  const names = Object.keys(m.params);
  if (names.length === 0 && !m.dangerous) {
    run({});
    return;
  }
  host.querySelector('.kvm-macro-form')?.remove();
  const form = el('form', { class: 'kvm-macro-form', 'aria-label': `Run ${m.title}` });
  form.append(el('b', {}, m.title));
  if (m.description) form.append(el('p', {}, m.description));
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  for (const name of names) {
    const spec = m.params[name]!;
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.choices) {
      input = el('select', { name });
      input.append(...spec.choices.map((c) => el('option', { value: String(c) }, String(c))));
      if (spec.default !== undefined) input.value = String(spec.default);
    } else if (spec.type === 'boolean') {
      input = el('input', { name, type: 'checkbox' });
      input.checked = spec.default === true;
    } else {
      input = el('input', { name, type: spec.type === 'number' ? 'number' : 'text' });
      if (spec.default !== undefined) input.value = String(spec.default);
    }
    inputs.set(name, input);
    form.append(el('label', {}, el('span', {}, spec.description ?? name), input));
  }
  if (m.dangerous)
    form.append(el('p', { class: 'kvm-warn' }, `This macro asks to be confirmed: ${m.title}.`));
  const go = el(
    'button',
    { type: 'submit', class: m.dangerous ? 'kvm-danger' : '' },
    m.dangerous ? 'Confirm and run' : 'Run',
  );
  const close = el('button', { type: 'button' }, 'Close');
  form.append(el('div', { class: 'kvm-row' }, go, close));
  close.addEventListener('click', () => form.remove());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params: ParamValues = {};
    for (const [name, input] of inputs) {
      const spec = m.params[name]!;
      if (input instanceof HTMLInputElement && input.type === 'checkbox') params[name] = input.checked;
      else if (spec.type === 'number') params[name] = Number(input.value);
      else params[name] = input.value;
    }
    form.remove();
    run(params);
  });
  host.append(form);
  (form.querySelector('select, input, button') as HTMLElement | null)?.focus();
}

/** "Running <macro> 3/10 [Cancel]" while a macro runs; the last result otherwise. */
export function renderMacroStatus(box: HTMLElement, state: KvmState, cancel: () => void): void {
  const mac = state.macro;
  if (mac?.running) {
    let button = box.querySelector<HTMLButtonElement>('button.kvm-cancel');
    if (!button) {
      button = el('button', { type: 'button', class: 'kvm-cancel kvm-danger' }, 'Cancel');
      button.addEventListener('click', cancel);
    }
    const label = el('span', {}, `${mac.running} ${mac.step ?? 0}/${mac.steps ?? 0}`);
    box.replaceChildren(label, button);
    box.dataset.running = mac.running;
    return;
  }
  delete box.dataset.running;
  box.replaceChildren(mac?.last ? `last macro: ${mac.last.name} ${mac.last.result}` : '');
}
