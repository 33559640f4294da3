// kvmr0ck-card: a Lovelace card with the target's live screen, keyboard and mouse, and a toolbar
// (Ctrl+Alt+Del, macros, type text). Two modes:
//   direct: { url: https://kvm.example/, token } — the daemon's stream and WebSocket (lowest latency)
//   ha:     { entity: camera.kvm, node_id, topic_prefix } — the live picture through Home
//           Assistant's camera proxy stream, input published as commands with mqtt.publish:
//           nothing but Home Assistant is exposed, and it works on an HTTPS dashboard.
// Served by the daemon at /kvmr0ck-card.js and shipped with the add-on. Custom card API:
// https://developers.home-assistant.io/docs/frontend/custom-ui/custom-card

import { Kvmr0ckCardEditor } from './card-editor.js';
import { CARD_CSS } from './card-style.js';
import { DirectSession } from './direct.js';
import { HaCommands, type Hass } from './ha-sink.js';
import { InputController, type InputSink, type MouseMode } from './input.js';
import type { MacroInfo, ServerMessage } from './socket.js';
import { StreamView } from './stream.js';
import { el, fillLayouts, fillTypingProfiles, macroForm, renderMacroStatus, unknownMacro } from './ui.js';

export interface CardConfig {
  type?: string;
  title?: string;
  url?: string;
  token?: string;
  entity?: string;
  node_id?: string;
  topic_prefix?: string;
  macros?: string[];
}

/** Checks a config the way HA expects: a thrown Error's message is what the dashboard shows. */
export function checkConfig(
  c: CardConfig,
): Required<Pick<CardConfig, 'topic_prefix' | 'macros'>> & CardConfig {
  if (!c || typeof c !== 'object') throw new Error('kvmr0ck-card: the config must be a mapping');
  if (!c.url && !c.entity)
    throw new Error('kvmr0ck-card: set url (direct mode) or entity (Home Assistant mode)');
  if (c.url) {
    let u: URL;
    try {
      u = new URL(c.url);
    } catch {
      throw new Error(
        `kvmr0ck-card: url ${JSON.stringify(c.url)} is not a URL (e.g. http://kvm.local:8080/)`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new Error('kvmr0ck-card: url must start with http:// or https://');
  } else {
    if (!/^camera\.[a-z0-9_]+$/.test(c.entity ?? ''))
      throw new Error(
        `kvmr0ck-card: entity must be a camera entity id (camera.…), not ${JSON.stringify(c.entity)}`,
      );
    if (!c.node_id)
      throw new Error(
        'kvmr0ck-card: node_id is required in Home Assistant mode: the MQTT node id of the board (mqtt.node_id), commands go to <topic_prefix>/<node_id>/command',
      );
  }
  if (c.macros !== undefined && !Array.isArray(c.macros))
    throw new Error('kvmr0ck-card: macros must be a list of macro names');
  return { ...c, topic_prefix: c.topic_prefix || 'kvmr0ck', macros: c.macros ?? [] };
}

/** How long the editor's keystrokes settle before a changed url or token reconnects. */
const RECONNECT_SETTLE_MS = 400;
/** A camera stream that failed is retried at most this often. */
const CAMERA_RETRY_MS = 5000;

type Checked = ReturnType<typeof checkConfig>;
const NO_MACROS: MacroInfo[] = [];

export class Kvmr0ckCard extends HTMLElement {
  private config: Checked | null = null;
  private _hass: Hass | undefined;
  private root: ShadowRoot | null = null;
  private view: StreamView | null = null;
  private input: InputController | null = null;
  private direct: DirectSession | null = null;
  private ha: HaCommands | null = null;
  private macros: MacroInfo[] = [];
  private settle: ReturnType<typeof setTimeout> | null = null;
  /** When the camera stream was last (re)opened: HA sets `hass` on every state change anywhere. */
  private cameraOpenedAt = -Infinity;
  /** url+token+entity the live parts were built for: other changes (title, macros) keep them. */
  private builtFor = '';
  private mouseMode: MouseMode = 'abs';

  static getConfigElement(): HTMLElement {
    return document.createElement('kvmr0ck-card-editor');
  }

  static getStubConfig(hass?: Hass): CardConfig {
    const camera = Object.keys(hass?.states ?? {}).find((e) => e.startsWith('camera.') && e.includes('kvm'));
    return camera
      ? { entity: camera, node_id: '', macros: ['enter_bios', 'boot_menu'] }
      : { url: 'http://kvm.local:8080/', token: '', macros: ['enter_bios', 'boot_menu'] };
  }

  setConfig(config: CardConfig): void {
    this.config = checkConfig(config);
    if (this.isConnected) this.build();
  }

  set hass(hass: Hass) {
    this._hass = hass;
    if (this.config?.entity && !this.config.url && this.view) {
      this.showCamera();
      this.macrosFromHa(hass);
    }
  }

  /** The entity carrying the board's macro list (kvmr0ck's macro status sensor), once found. */
  private macroEntity: string | null = null;

  /**
   * HA mode: the board publishes its macros (parameters, `dangerous`) as the attributes of its
   * macro status sensor; the one whose `node_id` is this card's gives the forms and confirmations.
   */
  private macrosFromHa(hass: Hass): void {
    const node = this.config!.node_id;
    const owns = (id: string) => hass.states[id]?.attributes.node_id === node;
    if (!this.macroEntity || !owns(this.macroEntity))
      this.macroEntity =
        Object.keys(hass.states).find(
          (id) => id.startsWith('sensor.') && owns(id) && Array.isArray(hass.states[id]!.attributes.macros),
        ) ?? null;
    const sensor = this.macroEntity ? hass.states[this.macroEntity]! : null;
    this.renderHaMacroStatus(sensor?.state ?? '');
    const list = sensor ? (sensor.attributes.macros as MacroInfo[]) : NO_MACROS;
    if (list === this.haMacros) return;
    this.haMacros = list;
    this.macros = list;
    this.renderToolbar();
  }
  private haMacros: MacroInfo[] | null = null;

  /** HA mode: the macro status sensor's state ("running enter_bios"), with Cancel while one runs. */
  private renderHaMacroStatus(state: string): void {
    const status = this.root?.querySelector<HTMLElement>('.status');
    if (!status || status.dataset.sensor === state) return;
    status.dataset.sensor = state;
    const running = /^running (.+)$/.exec(state)?.[1];
    if (!running) {
      delete status.dataset.running;
      status.replaceChildren(state && state !== 'idle' ? `last macro: ${state}` : '');
      return;
    }
    const cancel = el('button', { type: 'button', class: 'kvm-cancel kvm-danger' }, 'Cancel');
    cancel.addEventListener('click', () => this.act({ action: 'cancel' }));
    status.dataset.running = running;
    status.replaceChildren(el('span', {}, `running ${running}`), cancel);
  }

  get hass(): Hass | undefined {
    return this._hass;
  }

  getCardSize(): number {
    return 7; // rows of ~50 px: a 16:9 picture at a column's width and the toolbar
  }

  getGridOptions(): Record<string, number> {
    // Sections view: full width by default, never narrower than half; no `rows`, so the height
    // follows the picture.
    return { columns: 12, min_columns: 6 };
  }

  connectedCallback(): void {
    if (this.config) this.build();
  }

  disconnectedCallback(): void {
    // A view switch detaches the card; it may come back (connectedCallback), so tear down only
    // what holds a connection or input, and rebuild it then.
    this.teardown();
  }

  private key(): string {
    const c = this.config!;
    return JSON.stringify([c.url ?? '', c.token ?? '', c.entity ?? '', c.node_id ?? '', c.topic_prefix]);
  }

  private build(): void {
    const c = this.config!;
    if (!this.root) {
      this.root = this.attachShadow({ mode: 'open' });
    }
    const key = this.key();
    if (this.view && key === this.builtFor && (this.direct || this.ha)) {
      this.renderToolbar();
      return;
    }
    this.teardown();
    this.builtFor = key;
    this.root.replaceChildren(el('style', {}, CARD_CSS));
    const card = document.createElement('ha-card');
    const header = el('div', { class: 'card-header' });
    const screen = el('div', {
      class: 'screen',
      tabindex: '0',
      role: 'application',
      'aria-label': 'target screen: click to capture the keyboard, Esc twice to release',
    });
    const bar = el('div', { class: 'bar' });
    const status = el('div', { class: 'status' });
    card.append(header, screen, bar, status);
    this.root.append(card);
    const view = new StreamView(screen);
    this.view = view;
    let sink: InputSink;
    let enabled: () => boolean;
    if (c.url) {
      const base = c.url.endsWith('/') ? c.url : `${c.url}/`;
      if (location.protocol === 'https:' && base.startsWith('http:')) {
        view.show(
          'broken',
          'this dashboard is served over HTTPS, so the browser blocks an http:// board (mixed content). Serve the board over HTTPS (server.tls_cert and server.tls_key) and use its https:// URL, or use Home Assistant mode (entity and node_id)',
        );
        this.renderToolbar();
        return;
      }
      const direct = new DirectSession({
        base,
        ...(c.token ? { token: c.token } : {}),
        sameOrigin: new URL(base).origin === location.origin,
        view,
        onLink: () => this.onLink(),
        onMessage: (m) => this.onMessage(m),
      });
      this.direct = direct;
      sink = direct.sink;
      enabled = () => direct.socket.canSend;
    } else {
      const ha = new HaCommands(() => this._hass, `${c.topic_prefix}/${c.node_id}/command`);
      this.ha = ha;
      sink = ha.sink;
      enabled = () => this._hass !== undefined;
    }
    this.input = new InputController({
      screen,
      picture: view.img,
      sink,
      enabled,
      onCapture: (on) => screen.classList.toggle('captured', on),
    });
    this.input.setMode(this.mouseMode);
    this.input.start();
    this.renderToolbar();
    if (this.direct) {
      // An editor typing a URL calls setConfig per keystroke: connect once the value settles.
      const direct = this.direct;
      this.settle = setTimeout(() => {
        this.settle = null;
        direct.start();
      }, RECONNECT_SETTLE_MS);
    } else {
      this.showCamera();
      if (this._hass) this.macrosFromHa(this._hass);
    }
  }

  private teardown(): void {
    if (this.settle) clearTimeout(this.settle);
    this.settle = null;
    this.input?.stop();
    this.direct?.stop();
    this.ha?.stop();
    this.view?.pause();
    this.input = null;
    this.direct = null;
    this.ha = null;
    this.view = null;
    this.builtFor = '';
    this.cameraOpenedAt = -Infinity;
    this.haMacros = null;
  }

  /** HA mode: the camera entity's live MJPEG through HA's camera proxy (its short-lived token). */
  private showCamera(): void {
    const c = this.config!;
    const view = this.view!;
    const st = this._hass?.states[c.entity!];
    if (!this._hass) return;
    if (!st || st.state === 'unavailable') {
      view.show('offline', st ? `${c.entity} is unavailable` : `${c.entity} does not exist`);
      return;
    }
    const token = st.attributes.access_token;
    // HA rotates the token every few minutes; an open stream keeps going, so only a stream that
    // is not running (first show, after an error, after unavailable) is opened with the new one.
    if (view.img.getAttribute('src') && view.troubleNow === 'online') return;
    if (performance.now() - this.cameraOpenedAt < CAMERA_RETRY_MS) return;
    this.cameraOpenedAt = performance.now();
    view.setSource({
      url: `/api/camera_proxy_stream/${c.entity}?token=${encodeURIComponent(String(token ?? ''))}`,
    });
    view.show('online');
  }

  private onLink(): void {
    const hello = this.direct?.socket.hello;
    if (hello) this.macros = hello.macros ?? [];
    this.renderToolbar();
  }

  private onMessage(m: ServerMessage): void {
    const status = this.root?.querySelector<HTMLElement>('.status');
    if (!status || !this.direct) return;
    if (m.t === 'state')
      renderMacroStatus(status, this.direct.socket.state, () => this.act({ action: 'cancel' }));
    else if (m.t === 'error') status.textContent = `${m.code}: ${m.message}`;
  }

  /** One action, sent the way the mode says: over the WebSocket, or published through HA. */
  private act(command: { action: string; [k: string]: unknown }): void {
    if (this.direct) {
      if (command.action === 'macro')
        this.direct.macro(String(command.name), (command.params as Record<string, unknown>) ?? {});
      else if (command.action === 'type')
        this.direct.type(String(command.text), command.layout as string, command.typing as string);
      else if (command.action === 'cancel') this.direct.cancel();
      return;
    }
    this.ha?.send(command);
  }

  private renderToolbar(): void {
    const c = this.config!;
    const root = this.root!;
    const header = root.querySelector<HTMLElement>('.card-header')!;
    header.textContent = c.title ?? '';
    header.hidden = !c.title;
    const bar = root.querySelector<HTMLElement>('.bar')!;
    const viewer = this.direct?.socket.hello?.role === 'viewer';
    bar.replaceChildren();
    if (viewer || (!this.direct && !this.ha)) return;
    const button = (label: string, fn: () => void, cls = '') => {
      const b = el('button', { type: 'button', class: cls }, label);
      b.addEventListener('click', fn);
      return b;
    };
    bar.append(button('Ctrl+Alt+Del', () => this.runMacro('ctrl_alt_del'), 'cad'));
    const names = c.macros.length > 0 ? c.macros : this.macros.filter((m) => !m.builtin).map((m) => m.name);
    for (const name of names) {
      const info = this.macros.find((m) => m.name === name);
      const b = button(info?.title ?? name.replace(/_/g, ' '), () => this.runMacro(name));
      b.dataset.macro = name;
      bar.append(b);
    }
    const text = el('input', { class: 'text', placeholder: 'Type text', 'aria-label': 'text to type' });
    const layout = el('select', { class: 'layout', 'aria-label': 'target layout' });
    const hello = this.direct?.socket.hello;
    if (hello) fillLayouts(layout, hello);
    else layout.hidden = true; // HA mode: the board types in its configured layout
    const typing = el('select', { class: 'typing', 'aria-label': 'typing profile' });
    fillTypingProfiles(typing, hello ? (hello.typing ?? 'fast') : undefined);
    const send = () => {
      if (text.value)
        this.act({
          action: 'type',
          text: text.value,
          ...(hello ? { layout: layout.value } : {}),
          ...(typing.value ? { typing: typing.value } : {}),
        });
      text.value = '';
    };
    text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') send();
    });
    bar.append(el('span', { class: 'typer' }, text, layout, typing, button('Type', send, 'type')));
    // Relative: for BIOS screens and games; the first click locks the pointer, Esc releases it.
    const mouse = el(
      'select',
      {
        class: 'mouse-mode',
        'aria-label': 'mouse mode',
        title: 'Mouse: absolute, or relative (BIOS, games: click to lock the pointer, Esc releases it)',
      },
      el('option', { value: 'abs' }, 'mouse: absolute'),
      el('option', { value: 'rel' }, 'mouse: relative'),
    );
    mouse.value = this.mouseMode;
    mouse.addEventListener('change', () => {
      this.mouseMode = mouse.value as MouseMode;
      this.input?.setMode(this.mouseMode);
    });
    bar.append(mouse);
  }

  private runMacro(name: string): void {
    const info = this.macros.find((m) => m.name === name) ?? unknownMacro(name);
    macroForm(this.root!.querySelector('ha-card')!, info, (params) =>
      this.act({ action: 'macro', name, params }),
    );
  }
}

if (!customElements.get('kvmr0ck-card')) customElements.define('kvmr0ck-card', Kvmr0ckCard);
if (!customElements.get('kvmr0ck-card-editor'))
  customElements.define('kvmr0ck-card-editor', Kvmr0ckCardEditor);
const w = window as unknown as { customCards?: object[] };
w.customCards = w.customCards ?? [];
w.customCards.push({
  type: 'kvmr0ck-card',
  name: 'kvmr0ck KVM',
  description: 'Live screen, keyboard and mouse of a kvmr0ck KVM',
  preview: false,
});
