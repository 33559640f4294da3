// The web panel (src/web/index.html): the shared client pieces wired to the page's controls.
// Relative URLs only: the panel may live under a path prefix (Home Assistant ingress, proxies).

import { DirectSession } from './direct.js';
import { InputController, type MouseMode } from './input.js';
import { LatencyMeter } from './latency.js';
import type { KvmState, MacroInfo, ServerMessage } from './socket.js';
import { wallNow } from './socket.js';
import { softKeyboard } from './softkeys.js';
import { StreamView } from './stream.js';
import { el, fillLayouts, fillTypingProfiles, macroForm, renderMacroStatus, unknownMacro } from './ui.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const screen = $('screen');
// Timed: the picture is read with fetch() so each frame's capture time is known (latency readout).
// It costs the browser more CPU than the <img> reading the stream itself, so phones start without
// it; a click on the readout turns it on or off.
const view = new StreamView(screen, {
  timed: !matchMedia('(pointer: coarse)').matches,
  onPaint: (f) => meter.painted(f),
});
const session = new DirectSession({
  base: new URL('./', location.href).href,
  sameOrigin: true,
  view,
  onLink,
  onMessage,
});
const input = new InputController({
  screen,
  picture: view.img,
  sink: session.sink,
  enabled: () => session.socket.canSend,
  onCapture: (on) => screen.classList.toggle('captured', on),
});
const meter = new LatencyMeter(session.socket.clock);
const layout = $<HTMLSelectElement>('layout');
let macros: MacroInfo[] = [];

function setText(id: string, text: string, cls = ''): void {
  const e = $(id);
  e.textContent = text;
  e.className = cls;
}

function onLink(s: string): void {
  if (s === 'auth') {
    // The session ended (a daemon restart forgets sessions; the token may have changed): log in again.
    location.href = 'login';
    return;
  }
  const label = s === 'online' ? 'connected' : s === 'offline' ? 'disconnected, retrying…' : 'connecting…';
  setText('s-conn', label, s === 'online' ? 'on' : 'off');
  if (s === 'online') {
    const hello = session.socket.hello!;
    fillLayouts(layout, hello);
    fillTypingProfiles($<HTMLSelectElement>('typing'), hello.typing);
    macros = hello.macros ?? [];
    fillMacros();
    document.body.classList.toggle('viewer', hello.role === 'viewer');
  }
}

function onMessage(m: ServerMessage): void {
  if (m.t === 'state') render(session.socket.state);
  else if (m.t === 'pong') setText('s-rtt', `${session.socket.rttMs} ms`, 'dim');
  else if (m.t === 'type_progress') $('paste-progress').textContent = `${m.done} / ${m.total}`;
  else if (m.t === 'type_done') $('paste-progress').textContent = 'done';
  else if (m.t === 'error') {
    // Refused input (HID offline: the target's USB is unplugged; MACRO_BUSY: another session's
    // macro runs) shows in the status bar for a while, and in the paste box if that caused it.
    $('paste-progress').textContent = `${m.code}: ${m.message}`;
    setText('s-error', `${m.code}: ${m.message}`, 'off');
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => setText('s-error', ''), ERROR_SHOW_MS);
  }
}
const ERROR_SHOW_MS = 6000;

/** Capture -> paint and painted fps, twice a second. */
function renderLatency(): void {
  if (!view.timed) {
    setText('s-lat', 'latency: off', 'dim');
    $('s-lat').title =
      'Click to measure capture → paint latency and fps (reads the stream frame by frame: more CPU in this browser)';
    return;
  }
  const r = meter.readout(wallNow());
  const lat = r.latencyMs === null ? '–' : `${r.latencyMs} ms`;
  setText('s-lat', `${lat} · ${r.fps} fps`, r.fps === 0 ? 'dim' : '');
  $('s-lat').title =
    "Capture → paint: how old each frame is when this browser paints it (median over 2 s), from the frame's capture time on the board. " +
    "The board's clock is related to this browser's by the WebSocket pings (offset = board time − the ping's midpoint)" +
    (r.errorMs === null ? '.' : `, so it is accurate to ±${r.errorMs} ms.`) +
    ` fps: frames painted per second here. Input round trip: ${session.socket.rttMs ?? '–'} ms. Click to turn off (less CPU).`;
}
$('s-lat').addEventListener('click', () => {
  view.setTimed(!view.timed);
  renderLatency();
});
setInterval(renderLatency, 500);

/** The live quality (changed here, by MQTT or the API) as the selected option, added when it is not one. */
function showQuality(q: number | undefined): void {
  const sel = $<HTMLSelectElement>('quality');
  if (!q || sel.value === String(q)) return;
  if (!Array.from(sel.options).some((o) => o.value === String(q))) sel.add(new Option(String(q)));
  sel.value = String(q);
}
let errorTimer: ReturnType<typeof setTimeout> | undefined;

function render(state: KvmState): void {
  const v = state.video;
  showQuality(v?.quality);
  const fps = `${v?.captureFps ?? 0} fps captured · ${state.stream?.sentFps ?? 0} fps sent`;
  setText(
    's-video',
    v?.signal ? `${v.width}×${v.height} ${v.format} · ${fps}` : `no signal (${v?.signalReason ?? '?'})`,
    v?.signal ? '' : 'off',
  );
  const hid = state.hid;
  setText(
    's-usb',
    `USB ${state.usb?.state ?? '?'}${hid?.online ? '' : ' · HID offline'}`,
    hid?.online ? '' : 'off',
  );
  const mq = state.mqtt;
  // Only when a broker is configured: "offline" tells the user Home Assistant cannot reach us.
  setText(
    's-mqtt',
    mq?.enabled ? (mq.connected ? 'MQTT' : `MQTT offline${mq.queued ? ` · ${mq.queued} queued` : ''}`) : '',
    mq?.enabled && !mq.connected ? 'off' : 'dim',
  );
  document.querySelectorAll<HTMLElement>('[data-led]').forEach((led) => {
    led.classList.toggle('lit', hid?.[led.dataset.led as 'capsLock' | 'numLock' | 'scrollLock'] === true);
  });
  renderMacroStatus($('s-macro'), state, () => session.cancel());
}

function fillMacros(): void {
  const select = $<HTMLSelectElement>('macros');
  select.replaceChildren(el('option', { value: '' }, 'Macros…'));
  for (const m of macros) select.append(el('option', { value: m.name }, m.title));
}

function runMacro(name: string): void {
  const info = macros.find((m) => m.name === name) ?? unknownMacro(name);
  macroForm(document.querySelector('main')!, info, (params) => session.macro(name, params));
}

// Toolbar.
document.addEventListener('click', (e) => {
  const t = (e.target as HTMLElement).closest<HTMLElement>('[data-key], [data-macro]');
  if (t?.dataset.key) input.tap(t.dataset.key);
  if (t?.dataset.macro) runMacro(t.dataset.macro);
});
$<HTMLSelectElement>('keys').addEventListener('change', (e) => {
  const s = e.target as HTMLSelectElement;
  if (s.value) input.tap(s.value);
  s.value = '';
});
$<HTMLSelectElement>('macros').addEventListener('change', (e) => {
  const s = e.target as HTMLSelectElement;
  if (s.value) runMacro(s.value);
  s.value = '';
});
$<HTMLSelectElement>('mouse-mode').addEventListener('change', (e) =>
  input.setMode((e.target as HTMLSelectElement).value as MouseMode),
);
$<HTMLSelectElement>('quality').addEventListener('change', (e) =>
  session.setQuality(Number((e.target as HTMLSelectElement).value)),
);
$<HTMLSelectElement>('max-fps').addEventListener('change', (e) =>
  session.setMaxFps(Number((e.target as HTMLSelectElement).value)),
);
$('menu').addEventListener('click', () => {
  const open = $('top').classList.toggle('open');
  $('menu').setAttribute('aria-expanded', String(open));
});
$('fullscreen').addEventListener('click', async () => {
  if (document.fullscreenElement) return void (await document.exitFullscreen());
  await document.documentElement.requestFullscreen();
  // Keyboard Lock (Chromium): Esc, Alt+Tab, Ctrl+W reach the target; holding Esc leaves full screen.
  const kb = (navigator as Navigator & { keyboard?: { lock?(): Promise<void> } }).keyboard;
  await kb?.lock?.().catch(() => undefined);
  screen.focus();
});
$('logout').addEventListener('click', async () => {
  await fetch('api/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  location.href = 'login';
});

// Paste box.
const pasteBox = $('paste');
$('paste-open').addEventListener('click', () => {
  pasteBox.hidden = false;
  $('paste-text').focus();
});
$('paste-close').addEventListener('click', () => {
  pasteBox.hidden = true;
});
function paste(text: string): void {
  $('paste-progress').textContent = 'typing…';
  session.type(text, layout.value, $<HTMLSelectElement>('typing').value);
}
$('paste-go').addEventListener('click', () => paste($<HTMLTextAreaElement>('paste-text').value));
$('paste-clip').addEventListener('click', async () => {
  $('paste-progress').textContent = 'reading the clipboard…';
  const text = await navigator.clipboard.readText().catch(() => null);
  if (text === null) {
    $('paste-progress').textContent = 'the browser did not allow reading the clipboard';
    return;
  }
  $<HTMLTextAreaElement>('paste-text').value = text;
  paste(text);
});
$('paste-cancel').addEventListener('click', () => session.cancel());

// Soft keyboard (phones): the button focuses a hidden input, which opens the keyboard.
const softInput = $<HTMLInputElement>('soft-input');
softKeyboard(softInput, {
  text: (t) => session.typeQueued(t, layout.value),
  key: (c) => session.tapQueued(c),
});
$('soft-kbd').addEventListener('click', () => softInput.focus());

// Phones start in touch-pad mode: a finger cannot hover, and aiming at small targets is easier
// by dragging the pointer than by tapping where it should land.
if (matchMedia('(pointer: coarse)').matches) {
  $<HTMLSelectElement>('mouse-mode').value = 'touchpad';
  input.setMode('touchpad');
} else input.setMode('abs');

input.start();
session.start();
window.addEventListener('pagehide', () => input.release());
