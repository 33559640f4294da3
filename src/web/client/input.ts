// Keyboard and mouse capture on the picture, shared by the panel and the card. Keys go by physical
// position (KeyboardEvent.code): the target's layout decides the character. Pointer moves are
// coalesced to one message per frame, and anything that is not a move (a button, a key, the wheel)
// first sends the move still pending, so a click lands where the pointer is, not where it was.

export type MouseMode = 'abs' | 'rel' | 'touchpad';

export interface Buttons {
  left: boolean;
  right: boolean;
  middle: boolean;
}

/** Where input goes: the WebSocket (direct) or commands published through Home Assistant. */
export interface InputSink {
  key(code: string, down: boolean): void;
  /** Absolute position, 0..1 of the picture on each axis. */
  moveAbs(x: number, y: number): void;
  moveRel(dx: number, dy: number): void;
  buttons(b: Buttons): void;
  /** Wheel steps; positive = up / right. */
  wheel(v: number, h: number): void;
}

export interface InputOptions {
  /** The focusable element that captures the keyboard and the pointer. */
  screen: HTMLElement;
  picture: HTMLImageElement;
  sink: InputSink;
  /** False while input must not go out (link down, a viewer's session). */
  enabled(): boolean;
  onCapture?(captured: boolean): void;
}

const FLUSH_MS = 16;
/** Chromium and Firefox report one notch of a mouse wheel as 100 px (deltaMode 0) or 3 lines. */
const PX_PER_STEP = 100;
const LINES_PER_STEP = 3;
/** A two-finger drag this far scrolls one step. */
const TOUCH_PX_PER_STEP = 40;
const TAP_MS = 250;
const TAP_SLOP_PX = 10;
/** The daemon refuses larger relative moves in one message (ws.ts). */
const MAX_REL = 4096;
const MAX_WHEEL = 100;

interface Touch {
  x: number;
  y: number;
  startX: number;
  startY: number;
  at: number;
}

export class InputController {
  mode: MouseMode = 'abs';
  private readonly held = new Set<string>();
  private pendingAbs: { x: number; y: number } | null = null;
  private rel = { dx: 0, dy: 0 };
  private wheelAcc = { v: 0, h: 0 };
  private sentButtons = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastEsc = -1e9;
  private readonly touches = new Map<number, Touch>();
  private maxTouches = 0;
  private readonly off: (() => void)[] = [];

  constructor(private readonly o: InputOptions) {}

  start(): void {
    if (this.timer) return;
    const s = this.o.screen;
    const on = <K extends keyof HTMLElementEventMap>(
      target: HTMLElement | Window,
      type: K,
      fn: (e: HTMLElementEventMap[K]) => void,
      opts?: AddEventListenerOptions,
    ) => {
      target.addEventListener(type, fn as EventListener, opts);
      this.off.push(() => target.removeEventListener(type, fn as EventListener, opts));
    };
    on(s, 'keydown', (e) => this.onKey(e, true));
    on(s, 'keyup', (e) => this.onKey(e, false));
    on(s, 'focus', () => this.o.onCapture?.(true));
    on(s, 'blur', () => this.release());
    on(s, 'pointerdown', (e) => this.onPointerDown(e));
    on(s, 'pointermove', (e) => this.onPointerMove(e));
    on(s, 'pointerup', (e) => this.onPointerUp(e));
    on(s, 'pointercancel', (e) => this.onPointerUp(e));
    on(s, 'contextmenu', (e) => e.preventDefault());
    on(s, 'wheel', (e) => this.onWheel(e), { passive: false });
    on(window, 'blur', () => this.release());
    const onHidden = () => {
      if (document.hidden) this.release();
    };
    document.addEventListener('visibilitychange', onHidden);
    this.off.push(() => document.removeEventListener('visibilitychange', onHidden));
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
  }

  stop(): void {
    this.release();
    for (const f of this.off.splice(0)) f();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  setMode(mode: MouseMode): void {
    this.mode = mode;
    this.o.screen.dataset.mouse = mode;
    if (mode !== 'rel' && this.locked()) document.exitPointerLock();
  }

  /**
   * The screen holds the pointer lock. Asked of the screen's own root: in the card's shadow root,
   * `document.pointerLockElement` is the card element (retargeted), never the screen inside it.
   */
  private locked(): boolean {
    return (this.o.screen.getRootNode() as Document | ShadowRoot).pointerLockElement === this.o.screen;
  }

  /** Sends what is pending, in order: the absolute position, the relative motion, the wheel. */
  flush(): void {
    if (!this.o.enabled()) {
      this.pendingAbs = null;
      this.rel = { dx: 0, dy: 0 };
      this.wheelAcc = { v: 0, h: 0 };
      return;
    }
    if (this.pendingAbs) this.o.sink.moveAbs(this.pendingAbs.x, this.pendingAbs.y);
    this.pendingAbs = null;
    const dx = clamp(Math.round(this.rel.dx), -MAX_REL, MAX_REL);
    const dy = clamp(Math.round(this.rel.dy), -MAX_REL, MAX_REL);
    if (dx || dy) this.o.sink.moveRel(dx, dy);
    this.rel.dx -= dx;
    this.rel.dy -= dy;
    const v = clamp(Math.trunc(this.wheelAcc.v), -MAX_WHEEL, MAX_WHEEL);
    const h = clamp(Math.trunc(this.wheelAcc.h), -MAX_WHEEL, MAX_WHEEL);
    if (v || h) this.o.sink.wheel(v, h);
    this.wheelAcc.v -= v;
    this.wheelAcc.h -= h;
  }

  /** Taps a key (toolbar buttons, the soft keyboard), after any pending move. */
  tap(code: string): void {
    if (!this.o.enabled()) return;
    this.flush();
    this.o.sink.key(code, true);
    this.o.sink.key(code, false);
  }

  /** Lets go of every key and button this page holds (focus lost, page hidden, detached). */
  release(): void {
    this.o.onCapture?.(false);
    if (!this.o.enabled()) {
      this.held.clear();
      this.sentButtons = 0;
      return;
    }
    this.flush();
    for (const code of this.held) this.o.sink.key(code, false);
    this.held.clear();
    if (this.sentButtons) this.o.sink.buttons({ left: false, right: false, middle: false });
    this.sentButtons = 0;
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (down && e.code === 'Escape') {
      // Esc twice within half a second hands the keyboard back to the browser; once goes to the target.
      if (e.timeStamp - this.lastEsc < 500) {
        e.preventDefault();
        if (document.pointerLockElement) document.exitPointerLock();
        this.o.screen.blur();
        return;
      }
      this.lastEsc = e.timeStamp;
    }
    e.preventDefault();
    if (!this.o.enabled() || !e.code) return;
    if (down && this.held.has(e.code)) return; // the target repeats held keys itself
    if (!down && !this.held.has(e.code)) return;
    if (down) this.held.add(e.code);
    else this.held.delete(e.code);
    this.flush();
    this.o.sink.key(e.code, down);
  }

  private position(e: MouseEvent): { x: number; y: number } {
    const r = this.o.picture.getBoundingClientRect();
    return {
      x: clamp((e.clientX - r.left) / Math.max(1, r.width), 0, 1),
      y: clamp((e.clientY - r.top) / Math.max(1, r.height), 0, 1),
    };
  }

  /** Target pixels per CSS pixel of the picture, so a finger across the picture crosses the screen. */
  private scale(): number {
    const r = this.o.picture.getBoundingClientRect();
    return r.width > 0 && this.o.picture.naturalWidth > 0 ? this.o.picture.naturalWidth / r.width : 1;
  }

  private setButtons(mask: number): void {
    if (!this.o.enabled() || mask === this.sentButtons) return;
    this.flush();
    this.sentButtons = mask;
    this.o.sink.buttons({ left: (mask & 1) !== 0, right: (mask & 2) !== 0, middle: (mask & 4) !== 0 });
  }

  private onPointerDown(e: PointerEvent): void {
    this.o.screen.focus({ preventScroll: true });
    if (e.pointerType === 'touch') {
      this.touchDown(e);
      return;
    }
    e.preventDefault();
    if (this.mode === 'rel' && !this.locked()) {
      // The first click captures the pointer (Esc releases it, the browser's rule); moves are
      // read from movementX/Y either way, so the same path works where the lock is refused.
      void Promise.resolve(this.o.screen.requestPointerLock?.()).catch(() => undefined);
    }
    if (this.mode === 'abs') this.pendingAbs = this.position(e);
    this.setButtons(e.buttons & 7);
  }

  private onPointerMove(e: PointerEvent): void {
    if (e.pointerType === 'touch') {
      this.touchMove(e);
      return;
    }
    if (this.mode === 'abs') this.pendingAbs = this.position(e);
    else {
      this.rel.dx += e.movementX;
      this.rel.dy += e.movementY;
    }
    // A second button pressed while one is held comes as a move with new `buttons` (chorded).
    if ((e.buttons & 7) !== this.sentButtons) this.setButtons(e.buttons & 7);
  }

  private onPointerUp(e: PointerEvent): void {
    if (e.pointerType === 'touch') {
      this.touchUp(e);
      return;
    }
    if (this.mode === 'abs' && e.type === 'pointerup') this.pendingAbs = this.position(e);
    this.setButtons(e.buttons & 7);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    if (this.mode === 'abs') this.pendingAbs = this.position(e);
    const per = e.deltaMode === 1 ? LINES_PER_STEP : e.deltaMode === 2 ? 1 : PX_PER_STEP;
    // Scaled by distance: a trackpad's many small deltas add up to the steps one notch would give.
    // Positive deltaY scrolls down, the HID wheel's positive is up.
    this.addWheel(-e.deltaY / per, e.deltaX / per);
  }

  private addWheel(v: number, h: number): void {
    if (Math.sign(v) !== Math.sign(this.wheelAcc.v)) this.wheelAcc.v = 0;
    if (Math.sign(h) !== Math.sign(this.wheelAcc.h)) this.wheelAcc.h = 0;
    this.wheelAcc.v += v;
    this.wheelAcc.h += h;
  }

  // Touch: in touch-pad mode one finger moves the pointer relatively and taps click, two fingers
  // scroll and a two-finger tap is a right click; in the other modes a tap clicks where it lands.
  private touchDown(e: PointerEvent): void {
    e.preventDefault();
    this.o.screen.setPointerCapture?.(e.pointerId);
    const t = { x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY, at: e.timeStamp };
    this.touches.set(e.pointerId, t);
    this.maxTouches = Math.max(this.maxTouches, this.touches.size);
    if (this.mode !== 'touchpad') this.pendingAbs = this.position(e);
  }

  private touchMove(e: PointerEvent): void {
    const t = this.touches.get(e.pointerId);
    if (!t) return;
    const dx = e.clientX - t.x;
    const dy = e.clientY - t.y;
    t.x = e.clientX;
    t.y = e.clientY;
    if (this.mode !== 'touchpad') {
      this.pendingAbs = this.position(e);
      return;
    }
    if (this.touches.size === 1) {
      const k = this.scale();
      this.rel.dx += dx * k;
      this.rel.dy += dy * k;
    } else if (this.touches.size === 2) {
      // Both fingers report; halve so the pair scrolls by the distance one travels (natural direction).
      this.addWheel(dy / TOUCH_PX_PER_STEP / 2, -dx / TOUCH_PX_PER_STEP / 2);
    }
  }

  private touchUp(e: PointerEvent): void {
    const t = this.touches.get(e.pointerId);
    if (!t) return;
    this.touches.delete(e.pointerId);
    const tap =
      e.type === 'pointerup' &&
      e.timeStamp - t.at < TAP_MS &&
      Math.hypot(e.clientX - t.startX, e.clientY - t.startY) < TAP_SLOP_PX;
    if (this.touches.size > 0) return;
    const fingers = this.maxTouches;
    this.maxTouches = 0;
    if (!tap) return;
    if (this.mode !== 'touchpad') this.pendingAbs = this.position(e);
    const mask = fingers >= 2 && this.mode === 'touchpad' ? 2 : 1;
    this.setButtons(mask);
    this.setButtons(0);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
