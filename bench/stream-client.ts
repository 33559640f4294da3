import http from 'node:http';

/**
 * The stream bench's clients, in their own process as a viewer's browser would be: reading from
 * the daemon's main thread would otherwise be counted in the latency it measures. Opens N clients
 * on the /stream URL and prints, per JPEG part fully received, `client frameId monotonicMs` (the
 * arrival of its last byte on CLOCK_MONOTONIC, which every process on the machine shares).
 * Usage: node stream-client.js <url> <clients>
 */
const [url, n] = [process.argv[2]!, Number(process.argv[3] ?? 1)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const lines: string[] = [];
const flush = setInterval(() => {
  if (lines.length) process.stdout.write(lines.splice(0).join(''));
}, 100);

for (let client = 0; client < n; client++) {
  http.get(url, (res) => {
    // Headers are gathered; a body is only counted down, never copied.
    let head: Buffer = Buffer.alloc(0);
    let bodyLeft = 0;
    let id = 0;
    res.on('data', (chunk: Buffer) => {
      let c: Buffer = chunk;
      while (c.length > 0) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, c.length);
          bodyLeft -= take;
          c = c.subarray(take);
          if (bodyLeft === 0) lines.push(`${client} ${id} ${now().toFixed(3)}\n`);
          continue;
        }
        head = head.length ? Buffer.concat([head, c]) : c;
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = head.subarray(0, end).toString('latin1');
        bodyLeft = Number(/Content-Length: (\d+)/.exec(text)?.[1]);
        id = Number(/X-Frame-Id: (\d+)/.exec(text)?.[1]);
        c = head.subarray(end + 4);
        head = Buffer.alloc(0);
      }
    });
  });
}

process.on('SIGTERM', () => {
  clearInterval(flush);
  process.stdout.write(lines.join(''), () => process.exit(0));
});
