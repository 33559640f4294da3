// The panel: live MJPEG plus keyboard and mouse over the WebSocket (docs/websocket.md).
// Relative URLs only: the panel may live under a path prefix (Home Assistant ingress, proxies).

const $ = (id) => document.getElementById(id);
const screen = $('screen');
let ws = null;
let state = {};
const down = new Set();

function connect() {
  const url = new URL('api/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(url);
  ws.onopen = () => setText('s-conn', 'connected', 'on');
  ws.onclose = () => {
    setText('s-conn', 'disconnected, retrying…', 'off');
    setTimeout(connect, 1000);
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.t === 'hello') fillLayouts(m.layouts);
    else if (m.t === 'state') {
      if (m.state) state = m.state;
      else state[m.slice] = m.value;
      render();
    } else if (m.t === 'type_progress') $('paste-progress').textContent = `${m.done} / ${m.total}`;
    else if (m.t === 'type_done') $('paste-progress').textContent = 'done';
    else if (m.t === 'error') $('paste-progress').textContent = `${m.code}: ${m.message}`;
  };
}
const send = (m) => ws && ws.readyState === 1 && ws.send(JSON.stringify(m));
setInterval(() => send({ t: 'ping' }), 1000);

function setText(id, text, cls = '') {
  const el = $(id);
  el.textContent = text;
  el.className = cls;
}

function render() {
  const v = state.video || {};
  setText(
    's-video',
    v.signal ? `${v.width}×${v.height} ${v.format} · ${v.captureFps} fps` : `no signal (${v.signalReason})`,
    v.signal ? '' : 'off',
  );
  const usb = state.usb || {};
  const hid = state.hid || {};
  setText('s-usb', `USB ${usb.state || '?'}${hid.online ? '' : ' · HID offline'}`, hid.online ? '' : 'off');
  const mq = state.mqtt || {};
  // Only when a broker is configured: "offline" tells the user Home Assistant cannot reach us.
  setText(
    's-mqtt',
    mq.enabled ? (mq.connected ? 'MQTT' : `MQTT offline${mq.queued ? ` · ${mq.queued} queued` : ''}`) : '',
    mq.enabled && !mq.connected ? 'off' : 'dim',
  );
  setText(
    's-leds',
    `${hid.capsLock ? 'CAPS ' : ''}${hid.numLock ? 'NUM ' : ''}${hid.scrollLock ? 'SCROLL' : ''}`,
  );
  const mac = state.macro || {};
  setText(
    's-macro',
    mac.running
      ? `macro ${mac.running} ${mac.step}/${mac.steps}`
      : mac.last
        ? `last macro: ${mac.last.name} ${mac.last.result}`
        : '',
    'dim',
  );
}

// Keyboard: captured while the screen has focus; keys go by physical code (event.code).
let lastEsc = 0;
screen.addEventListener('focus', () => {
  screen.classList.add('captured');
});
screen.addEventListener('blur', releaseAll);
screen.addEventListener('keydown', (e) => {
  if (e.code === 'Escape' && e.timeStamp - lastEsc < 500) {
    screen.blur();
    return;
  }
  if (e.code === 'Escape') lastEsc = e.timeStamp;
  e.preventDefault();
  if (down.has(e.code)) return; // the target repeats keys itself
  down.add(e.code);
  send({ t: 'key', code: e.code, down: true });
});
screen.addEventListener('keyup', (e) => {
  e.preventDefault();
  down.delete(e.code);
  send({ t: 'key', code: e.code, down: false });
});
function releaseAll() {
  screen.classList.remove('captured');
  for (const code of down) send({ t: 'key', code, down: false });
  down.clear();
  send({ t: 'buttons' });
}
window.addEventListener('blur', releaseAll);
document.addEventListener('visibilitychange', () => document.hidden && releaseAll());
window.addEventListener('beforeunload', releaseAll);

// Mouse: absolute, as a fraction of the displayed picture.
let pending = null;
const picture = $('picture');
screen.addEventListener('mousemove', (e) => {
  const r = picture.getBoundingClientRect();
  pending = {
    t: 'mouse_abs',
    x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
    y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)),
  };
});
setInterval(() => {
  if (pending) send(pending);
  pending = null;
  if (rel.dx || rel.dy) send({ t: 'mouse_rel', dx: rel.dx, dy: rel.dy });
  rel = { dx: 0, dy: 0 };
}, 16); // moves are coalesced to ~60 per second; keys never are
const buttons = (e) => ({
  t: 'buttons',
  left: (e.buttons & 1) !== 0,
  right: (e.buttons & 2) !== 0,
  middle: (e.buttons & 4) !== 0,
});
screen.addEventListener('mousedown', (e) => send(buttons(e)));
screen.addEventListener('mouseup', (e) => send(buttons(e)));
screen.addEventListener('contextmenu', (e) => e.preventDefault());
screen.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    send({ t: 'wheel', v: e.deltaY < 0 ? 1 : -1 });
  },
  { passive: false },
);

// Special keys and macros.
for (let i = 1; i <= 12; i++) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = `F${i}`;
  b.dataset.key = `F${i}`;
  $('fkeys').append(b);
}
document.addEventListener('click', (e) => {
  const t = e.target;
  if (t.dataset.key) {
    send({ t: 'key', code: t.dataset.key, down: true });
    send({ t: 'key', code: t.dataset.key, down: false });
  }
  if (t.dataset.macro) send({ t: 'macro', name: t.dataset.macro });
});
fetch('api/macros')
  .then((r) => r.json())
  .then((r) => {
    for (const m of r.macros) {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = m.title;
      $('macros').append(o);
    }
  });
$('more-keys').addEventListener('change', (e) => {
  const code = e.target.value;
  if (code) {
    send({ t: 'key', code, down: true });
    send({ t: 'key', code, down: false });
  }
  e.target.value = '';
});
$('macros').addEventListener('change', (e) => {
  if (e.target.value) send({ t: 'macro', name: e.target.value });
  e.target.value = '';
});

// Paste box.
function fillLayouts(layouts) {
  $('layout').innerHTML = layouts.map((l) => `<option>${l}</option>`).join('');
}
$('paste-open').onclick = () => ($('paste').style.display = 'flex');
$('paste-close').onclick = () => ($('paste').style.display = 'none');
$('paste-go').onclick = () => send({ t: 'type', text: $('paste-text').value, layout: $('layout').value });
$('paste-cancel').onclick = () => send({ t: 'cancel' });

connect();
