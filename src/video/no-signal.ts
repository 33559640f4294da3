import { loadSharp } from './lazy-sharp.js';

/**
 * The picture shown instead of video when there is none: dark, with the reason in large text, so
 * a user looking at the stream knows whether to check the cable, the source or the resolution.
 */
export async function renderNoSignal(
  width: number,
  height: number,
  reason: string,
  quality: number,
): Promise<Buffer> {
  const w = Math.max(320, width || 1280);
  const h = Math.max(180, height || 720);
  const big = Math.round(h / 9);
  const small = Math.round(h / 24);
  const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <rect width="100%" height="100%" fill="#101418"/>
  <text x="50%" y="45%" fill="#e8e8e8" font-family="DejaVu Sans, sans-serif" font-size="${big}" text-anchor="middle">NO SIGNAL</text>
  <text x="50%" y="60%" fill="#9aa4ad" font-family="DejaVu Sans, sans-serif" font-size="${small}" text-anchor="middle">${esc(reason)}</text>
  <text x="50%" y="92%" fill="#5c6670" font-family="DejaVu Sans, sans-serif" font-size="${Math.round(small * 0.7)}" text-anchor="middle">kvmr0ck · ${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC</text>
</svg>`;
  const sharp = await loadSharp();
  return sharp(Buffer.from(svg)).jpeg({ quality }).toBuffer();
}
