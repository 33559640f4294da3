// An MJPEG (multipart/x-mixed-replace) reader on fetch(): an <img> shows such a stream but hides
// each part's headers, and the daemon's parts say when their frame was captured (X-Timestamp).
// Parts are cut by their Content-Length (the daemon and ustreamer always send it), so JPEG bytes
// are never scanned for the boundary.

export interface MjpegPart {
  jpeg: Blob;
  /** Header names in lower case. */
  headers: Map<string, string>;
}

const CRLF2 = [13, 10, 13, 10];

/** A growable byte buffer that hands out what it holds and keeps the rest. */
class Bytes {
  private buf = new Uint8Array(256 * 1024);
  private len = 0;

  get length(): number {
    return this.len;
  }

  push(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** Index of the first blank line (CRLF CRLF), or -1. */
  headerEnd(): number {
    const b = this.buf;
    for (let i = 0; i + 3 < this.len; i++) {
      if (b[i] === CRLF2[0] && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
    }
    return -1;
  }

  text(end: number): string {
    return new TextDecoder('latin1').decode(this.buf.subarray(0, end));
  }

  /** A copy of bytes [start, end) as a Blob. */
  blob(start: number, end: number, type: string): Blob {
    return new Blob([this.buf.slice(start, end)], { type });
  }

  drop(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
}

/** Reads the boundary parameter of a multipart Content-Type, or throws naming what came instead. */
export function boundaryOf(contentType: string | null): string {
  const m = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!m || !/^multipart\//i.test(contentType ?? '')) {
    throw new Error(`the stream is not multipart MJPEG (Content-Type: ${contentType ?? 'none'})`);
  }
  return m[1]!;
}

/**
 * Reads `body` part by part until it ends (resolves) or breaks (rejects), calling `onPart` for each
 * JPEG. Only the newest part matters to a viewer: `onPart` is called for every one, and the caller
 * decides which to decode.
 */
export async function readParts(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  onPart: (p: MjpegPart) => void,
): Promise<void> {
  const reader = body.getReader();
  const bytes = new Bytes();
  const marker = `--${boundary}`;
  // Waiting for a part's headers, or for `need` bytes of its body.
  let part: { headers: Map<string, string>; start: number; need: number } | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    bytes.push(value);
    for (;;) {
      if (!part) {
        const end = bytes.headerEnd();
        if (end < 0) break;
        const lines = bytes.text(end).split('\r\n');
        const at = lines.findIndex((l) => l.trim() === marker);
        if (at < 0) throw new Error(`an MJPEG part does not start with its boundary ${marker}`);
        const headers = new Map<string, string>();
        for (const l of lines.slice(at + 1)) {
          const colon = l.indexOf(':');
          if (colon > 0) headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
        }
        const need = Number(headers.get('content-length'));
        if (!Number.isInteger(need) || need <= 0) {
          throw new Error('an MJPEG part has no Content-Length; this reader needs one');
        }
        part = { headers, start: end + 4, need };
      }
      if (bytes.length < part.start + part.need) break;
      const type = part.headers.get('content-type') ?? 'image/jpeg';
      onPart({ jpeg: bytes.blob(part.start, part.start + part.need, type), headers: part.headers });
      bytes.drop(part.start + part.need);
      part = null;
    }
  }
}
