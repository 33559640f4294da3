// The card's look, from Home Assistant's theme variables (with fallbacks for a page without HA),
// so it follows the user's light or dark theme like the built-in cards.
export const CARD_CSS = `
:host { display: block; }
ha-card { display: block; overflow: hidden; position: relative;
  background: var(--ha-card-background, var(--card-background-color, #fff));
  color: var(--primary-text-color, #212121);
  border-radius: var(--ha-card-border-radius, 12px);
  border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
  box-shadow: var(--ha-card-box-shadow, none);
  font-family: var(--ha-card-header-font-family, inherit); }
.card-header { padding: 12px 16px 4px; font-size: var(--ha-card-header-font-size, 20px); }
.card-header[hidden] { display: none; }
.screen { position: relative; display: block; outline: none; margin: 8px; border-radius: 6px; overflow: hidden;
  background: #000; aspect-ratio: 16 / 9; cursor: crosshair; touch-action: none; user-select: none; }
.screen.captured { box-shadow: 0 0 0 2px var(--primary-color, #03a9f4); }
.kvm-picture { display: block; width: 100%; height: 100%; object-fit: contain; }
.kvm-overlay { position: absolute; inset: 0; display: grid; place-items: center; text-align: center; padding: 12px;
  color: #fff; background: rgba(0, 0, 0, 0.65); font-size: 14px; line-height: 1.4; }
.kvm-overlay[hidden] { display: none; }
[data-trouble="nosignal"] > .kvm-overlay { inset: auto 0 0 0; padding: 6px; }
.bar { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; padding: 0 8px 8px; }
/* Wraps rather than squeezing: a narrow card (a phone, a sections column) clipped the Type button. */
.typer { display: flex; flex-wrap: wrap; gap: 6px; flex: 1 1 320px; }
.typer > :not(.text) { flex: none; }
button, input, select { font: inherit; font-size: 14px; border-radius: 6px; padding: 5px 10px;
  border: 1px solid var(--divider-color, #ccc);
  background: var(--secondary-background-color, #f5f5f5); color: var(--primary-text-color, #212121); }
button { cursor: pointer; }
button:hover { border-color: var(--primary-color, #03a9f4); }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--primary-color, #03a9f4); outline-offset: 1px; }
.text { flex: 1; min-width: 80px; }
.kvm-danger { background: var(--error-color, #db4437); border-color: var(--error-color, #db4437); color: #fff; }
.status:empty { display: none; }
.status { padding: 0 12px 8px; font-size: 12px; color: var(--secondary-text-color, #727272); min-height: 1em; }
.status button { margin-left: 6px; padding: 1px 8px; font-size: 12px; }
.kvm-macro-form { position: absolute; top: 8px; left: 50%; transform: translateX(-50%); z-index: 2;
  display: flex; flex-direction: column; gap: 8px; padding: 12px; border-radius: 8px; width: min(360px, calc(100% - 32px));
  box-sizing: border-box; background: var(--card-background-color, #fff); color: var(--primary-text-color, #212121);
  border: 1px solid var(--divider-color, #ccc); box-shadow: 0 2px 8px rgba(0, 0, 0, 0.3); }
.kvm-macro-form label { display: flex; flex-direction: column; gap: 3px; }
.kvm-macro-form p { margin: 0; color: var(--secondary-text-color, #727272); }
.kvm-macro-form .kvm-warn { color: var(--error-color, #db4437); }
.kvm-row { display: flex; gap: 6px; }
`;
