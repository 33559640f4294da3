import { describe, expect, it } from 'vitest';
import { boundaryOf, type MjpegPart, readParts } from '../../../src/web/client/mjpeg-reader.js';

/** A multipart body as the daemon writes it, with JPEG-like bodies that contain the boundary text. */
function body(parts: { jpeg: Buffer; ts: string }[]): Buffer {
  return Buffer.concat(
    parts.flatMap((p) => [
      Buffer.from(
        `--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${p.jpeg.length}\r\nX-Timestamp: ${p.ts}\r\n\r\n`,
      ),
      p.jpeg,
      Buffer.from('\r\n'),
    ]),
  );
}

/** The bytes arrive in chunks of `size`, cut anywhere (inside headers, bodies, the blank line). */
function chunked(bytes: Buffer, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(new Uint8Array(bytes.subarray(at, at + size)));
      at += size;
    },
  });
}

describe('MJPEG reader', () => {
  const frames = [
    { jpeg: Buffer.from('\xff\xd8 one --b\r\n\r\n inside \xff\xd9', 'latin1'), ts: '1765100000.1234' },
    { jpeg: Buffer.alloc(300_000, 7), ts: '1765100000.2000' },
    { jpeg: Buffer.from('three'), ts: '1765100000.3000' },
  ];

  for (const size of [1, 7, 4096, 1 << 20]) {
    it(`cuts parts by Content-Length whatever the chunk size (${size} bytes)`, async () => {
      const got: MjpegPart[] = [];
      await readParts(chunked(body(frames), size), 'b', (p) => got.push(p));
      expect(got.map((p) => p.headers.get('x-timestamp'))).toEqual(frames.map((f) => f.ts));
      for (const [i, p] of got.entries())
        expect(Buffer.from(await p.jpeg.arrayBuffer()).equals(frames[i]!.jpeg)).toBe(true);
    });
  }

  it('says what is wrong with a stream it cannot read', async () => {
    expect(() => boundaryOf('image/jpeg')).toThrow(/not multipart MJPEG \(Content-Type: image\/jpeg\)/);
    expect(boundaryOf('multipart/x-mixed-replace; boundary="kvm"')).toBe('kvm');
    const noLength = Buffer.from('--b\r\nContent-Type: image/jpeg\r\n\r\nxyz');
    await expect(readParts(chunked(noLength, 64), 'b', () => {})).rejects.toThrow(/no Content-Length/);
    const wrong = Buffer.from('--other\r\nContent-Length: 3\r\n\r\nxyz');
    await expect(readParts(chunked(wrong, 64), 'b', () => {})).rejects.toThrow(/boundary --b/);
  });
});
