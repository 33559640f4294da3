// kvmr0ck-card: a Lovelace card with the target's screen and a toolbar (Ctrl+Alt+Del, macros,
// type text, keyboard capture). Two modes:
//   direct: { url: http://kvm.local:8080/, token: ... } — live MJPEG and the WebSocket (lowest latency)
//   ha:     { entity: camera.kvm, node_id: ..., topic_prefix: kvmr0ck } — picture from Home Assistant,
//           actions published to the command topic with mqtt.publish; nothing but HA is exposed.
// Served by the daemon at /kvmr0ck-card.js and shipped with the add-on.

class Kvmr0ckCard extends HTMLElement {
  static getStubConfig() {
    return { url: 'http://kvm.local:8080/', token: '', macros: ['enter_bios', 'boot_menu'] };
  }

  setConfig(config) {
    if (!config.url && !config.entity)
      throw new Error('kvmr0ck-card: set url (direct mode) or entity (Home Assistant mode)');
    this.config = { topic_prefix: 'kvmr0ck', macros: [], ...config };
    this.mode = config.url ? 'direct' : 'ha';
    this.render();
  }

  set hass(hass) {
    this._hass = hass;
    if (this.mode === 'ha' && this.img) {
      const st = hass.states[this.config.entity];
      const pic = st?.attributes?.entity_picture;
      if (pic && this.img.getAttribute('src') !== pic) this.img.src = pic;
    }
  }

  getCardSize() {
    return 6;
  }

  render() {
    const c = this.config;
    this.innerHTML = `<ha-card header="${c.title ?? 'KVM'}">
      <div style="padding:8px">
        <img class="screen" tabindex="0" style="width:100%;background:#000;outline:none" alt="target screen">
        <div class="bar" style="display:flex;gap:6px;flex-wrap:wrap;margin-top:6px">
          <button data-act="cad">Ctrl+Alt+Del</button>
          ${c.macros.map((m) => `<button data-macro="${m}">${m.replace(/_/g, ' ')}</button>`).join('')}
          <input class="text" placeholder="Type text" style="flex:1;min-width:120px">
          <button data-act="type">Type</button>
        </div>
      </div></ha-card>`;
    this.img = this.querySelector('.screen');
    if (this.mode === 'direct') {
      const base = c.url.endsWith('/') ? c.url : `${c.url}/`;
      this.img.src = `${base}stream?token=${encodeURIComponent(c.token ?? '')}`;
      this.connect(base);
      this.captureKeys();
    }
    this.querySelector('.bar').addEventListener('click', (e) => this.onClick(e));
  }

  connect(base) {
    const u = new URL('api/ws', base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('token', this.config.token ?? '');
    this.ws = new WebSocket(u);
    this.ws.onclose = () => setTimeout(() => this.isConnected && this.connect(base), 2000);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.wsSend({ t: 'ping' }), 1000);
  }

  wsSend(m) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(m));
  }

  captureKeys() {
    const held = new Set();
    this.img.addEventListener('keydown', (e) => {
      e.preventDefault();
      if (held.has(e.code)) return;
      held.add(e.code);
      this.wsSend({ t: 'key', code: e.code, down: true });
    });
    this.img.addEventListener('keyup', (e) => {
      e.preventDefault();
      held.delete(e.code);
      this.wsSend({ t: 'key', code: e.code, down: false });
    });
    this.img.addEventListener('blur', () => {
      for (const code of held) this.wsSend({ t: 'key', code, down: false });
      held.clear();
    });
  }

  /** One action, sent the way the mode says: WebSocket, or a command published through HA. */
  act(command) {
    if (this.mode === 'direct') {
      if (command.action === 'press') this.wsSend({ t: 'macro', name: 'ctrl_alt_del' });
      else if (command.action === 'macro') this.wsSend({ t: 'macro', name: command.name });
      else if (command.action === 'type') this.wsSend({ t: 'type', text: command.text });
      return;
    }
    const c = this.config;
    this._hass.callService('mqtt', 'publish', {
      topic: `${c.topic_prefix}/${c.node_id}/command`,
      payload: JSON.stringify({ ...command, ts: Math.floor(Date.now() / 1000) }),
    });
  }

  onClick(e) {
    const t = e.target;
    if (t.dataset.act === 'cad') this.act({ action: 'press', keys: ['ctrl', 'alt', 'delete'] });
    if (t.dataset.macro) this.act({ action: 'macro', name: t.dataset.macro });
    if (t.dataset.act === 'type') {
      const input = this.querySelector('.text');
      if (input.value) this.act({ action: 'type', text: input.value });
      input.value = '';
    }
  }

  disconnectedCallback() {
    clearInterval(this.pinger);
    this.ws?.close();
  }
}

if (!customElements.get('kvmr0ck-card')) customElements.define('kvmr0ck-card', Kvmr0ckCard);
window.customCards = window.customCards || [];
window.customCards.push({
  type: 'kvmr0ck-card',
  name: 'kvmr0ck KVM',
  description: 'Screen and keyboard of a kvmr0ck KVM',
});
