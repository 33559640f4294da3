// The card's visual editor (getConfigElement): a form over the same config keys as the YAML,
// reporting each change with the `config-changed` event Home Assistant's dashboard editor listens for.

import type { CardConfig } from './kvmr0ck-card.js';
import { el } from './ui.js';

const FIELDS: { key: keyof CardConfig; label: string; mode: 'direct' | 'ha' | 'both'; type?: string }[] = [
  { key: 'title', label: 'Title', mode: 'both' },
  { key: 'url', label: 'Board URL (https:// when the dashboard is HTTPS)', mode: 'direct' },
  { key: 'token', label: 'Access token', mode: 'direct', type: 'password' },
  { key: 'entity', label: 'Camera entity (MJPEG camera of the board)', mode: 'ha' },
  { key: 'node_id', label: 'MQTT node id of the board', mode: 'ha' },
  { key: 'topic_prefix', label: 'MQTT topic prefix', mode: 'ha' },
];

export class Kvmr0ckCardEditor extends HTMLElement {
  private config: CardConfig = {};
  private form: HTMLFormElement | null = null;

  setConfig(config: CardConfig): void {
    this.config = { ...config };
    this.render();
  }

  set hass(_hass: unknown) {
    // Nothing here depends on the states; HA sets it on every editor anyway.
  }

  private get mode(): 'direct' | 'ha' {
    return this.config.entity && !this.config.url ? 'ha' : 'direct';
  }

  private render(): void {
    if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
    const root = this.shadowRoot!;
    // Re-rendering while the user types would move the caret: update the values in place.
    if (this.form && this.form.dataset.mode === this.mode) {
      for (const f of FIELDS) {
        const input = this.form.querySelector<HTMLInputElement>(`[name="${f.key}"]`);
        const v = String(this.config[f.key] ?? '');
        if (input && input.value !== v && root.activeElement !== input) input.value = v;
      }
      return;
    }
    const form = el('form', { class: 'editor' });
    form.dataset.mode = this.mode;
    const modeSelect = el(
      'select',
      { name: 'mode' },
      el('option', { value: 'direct' }, 'Direct to the board (stream and WebSocket)'),
      el('option', { value: 'ha' }, 'Through Home Assistant (camera entity and MQTT)'),
    );
    modeSelect.value = this.mode;
    form.append(el('label', {}, el('span', {}, 'Mode'), modeSelect));
    for (const f of FIELDS) {
      if (f.mode !== 'both' && f.mode !== this.mode) continue;
      const input = el('input', { name: f.key, type: f.type ?? 'text' });
      input.value = String(this.config[f.key] ?? '');
      form.append(el('label', {}, el('span', {}, f.label), input));
    }
    const macros = el('input', { name: 'macros', placeholder: 'enter_bios, boot_menu' });
    macros.value = (this.config.macros ?? []).join(', ');
    form.append(el('label', {}, el('span', {}, 'Macro buttons (names, comma-separated)'), macros));
    form.addEventListener('input', (e) => this.changed(e.target as HTMLInputElement | HTMLSelectElement));
    form.addEventListener('change', (e) => this.changed(e.target as HTMLInputElement | HTMLSelectElement));
    root.replaceChildren(
      el(
        'style',
        {},
        '.editor{display:flex;flex-direction:column;gap:10px}label{display:flex;flex-direction:column;gap:4px;color:var(--secondary-text-color,#727272)}input,select{font:inherit;padding:8px;border-radius:6px;border:1px solid var(--divider-color,#ccc);background:var(--card-background-color,#fff);color:var(--primary-text-color,#212121)}',
      ),
      form,
    );
    this.form = form;
  }

  private changed(input: HTMLInputElement | HTMLSelectElement): void {
    const next: CardConfig = { ...this.config };
    if (input.name === 'mode') {
      if (input.value === 'ha') {
        delete next.url;
        delete next.token;
        next.entity = next.entity || 'camera.kvmr0ck';
        next.node_id = next.node_id ?? '';
      } else {
        delete next.entity;
        delete next.node_id;
        delete next.topic_prefix;
        next.url = next.url || 'http://kvm.local:8080/';
      }
    } else if (input.name === 'macros') {
      next.macros = input.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else {
      const key = input.name as keyof CardConfig;
      if (input.value === '' && key !== 'url' && key !== 'entity') delete next[key];
      else (next as Record<string, unknown>)[key] = input.value;
    }
    if (JSON.stringify(next) === JSON.stringify(this.config)) return;
    this.config = next;
    this.render();
    this.dispatchEvent(
      new CustomEvent('config-changed', { detail: { config: next }, bubbles: true, composed: true }),
    );
  }
}
