import type sharpType from 'sharp';

export type Sharp = typeof sharpType;

let loading: Promise<Sharp> | null = null;

/**
 * sharp (libvips) on first use only: it adds 7-10 MiB resident (issue 19) and the daemon needs it
 * only for the fallback encoder, macro screen matching and thumbnails of
 * JPEGs libturbojpeg cannot scale.
 */
export function loadSharp(): Promise<Sharp> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
