// HTTP requests sent at once from given source addresses, run inside a test network namespace:
//   node ns-request.mjs '[{"url": "...", "from": "172.30.32.2", "method": "GET", "headers": {}, "body": ""}]'
// Prints one {"status", "body", "ms"} per request, as a JSON array in the same order.
import http from 'node:http';

const specs = JSON.parse(process.argv[2] ?? '[]');

function one(spec) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const done = (status, body) => resolve({ status, body, ms: performance.now() - t0 });
    const req = http.request(
      spec.url,
      { method: spec.method ?? 'GET', headers: spec.headers ?? {}, localAddress: spec.from, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          if (body.length < 4096) body += c;
        });
        res.on('end', () => done(res.statusCode, body));
      },
    );
    req.on('error', (err) => done(0, String(err)));
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    if (spec.body) req.write(spec.body);
    req.end();
  });
}

process.stdout.write(JSON.stringify(await Promise.all(specs.map(one))));
