import fc from 'fast-check';

/** One seed for every generated case, so any failure reproduces: KVMR0CK_FUZZ_SEED=n. */
export const SEED = Number(process.env.KVMR0CK_FUZZ_SEED ?? 20261125);

/** A JSON value nested `depth` levels deep: parsers and validators must not recurse without bound. */
export function deeplyNested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Plausible command-like JSON objects with wrong types, unknown keys and odd strings mixed in. */
export function commandish(): fc.Arbitrary<Record<string, unknown>> {
  const oddString = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.constantFrom(
      '\u0000',
      '\uD800',
      '\u202E',
      '🙂',
      'ß',
      'é',
      '\r\n',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: template syntax is what the fuzzer sends
      '${x}',
      '{{p}}',
      '!secret x',
      'a'.repeat(70_000),
    ),
  );
  const value = fc.oneof(
    oddString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(oddString, { maxLength: 10 }),
  );
  return fc.record(
    {
      action: fc.oneof(
        fc.constantFrom('press', 'type', 'macro', 'mouse', 'release_all', 'snapshot', 'cancel', 'down', 'up'),
        oddString,
      ),
      keys: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom('ctrl', 'alt', 'delete', 'a', 'f24', 'nokey', ''), oddString), {
          maxLength: 12,
        }),
        value,
      ),
      text: value,
      name: value,
      layout: fc.oneof(fc.constantFrom('us', 'de', 'xx'), value),
      x: value,
      y: value,
      id: value,
      ts: value,
      params: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 4 }), value),
      extra: value,
    },
    { requiredKeys: [] },
  );
}

/** Request bodies: random bytes, truncated JSON, deep nesting, huge strings, command-like objects. */
export function jsonishBody(): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    commandish().map((o) => JSON.stringify(o)),
    commandish().chain((o) => {
      const s = JSON.stringify(o);
      return fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n));
    }),
    fc.integer({ min: 100, max: 100_000 }).map(deeplyNested),
    fc.constantFrom(
      '',
      'null',
      '[]',
      '"x"',
      '1e999',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{}}}',
    ),
    fc.integer({ min: 300_000, max: 600_000 }).map((n) => JSON.stringify({ text: 'x'.repeat(n) })),
  );
}
