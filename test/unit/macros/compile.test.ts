import { describe, expect, it } from 'vitest';
import { makeMacros } from './helpers.js';

/** Every load problem names its file and line and the reason; the other macros still load. */
describe('macro validation at load', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown step', 'm:\n  steps:\n    - jump: 3\n', /m\.yaml:3: m: unknown step 'jump'/],
    ['bad key name', 'm:\n  steps:\n    - press: [ctrl, altt]\n', /m\.yaml:3: m: unknown key 'altt'/],
    [
      'bad duration',
      'm:\n  steps:\n    - wait: soon\n',
      /m\.yaml:3: m: wait must be a duration such as 500ms or 2s, got "soon"/,
    ],
    [
      'missing secret',
      'm:\n  steps:\n    - type: !secret luks\n',
      /m\.yaml:3: m: secret 'luks' is not defined/,
    ],
    [
      'over the step limit',
      'm:\n  steps:\n    - tap: a\n      repeat: 600\n',
      /m\.yaml:\d+: m: too many steps: 600 \(limit 500\)/,
    ],
    [
      'over the duration limit',
      'm:\n  steps:\n    - wait: 11m\n',
      /m: may run 660 s, over the limit of 600 s/,
    ],
    [
      'text over the limit',
      `m:\n  steps:\n    - type: "${'x'.repeat(5000)}"\n`,
      /m\.yaml:3: m: type: is 5000 characters, over the limit of 4096/,
    ],
    ['unknown parameter', 'm:\n  steps:\n    - type: "{{who}}"\n', /m\.yaml:3: m: unknown parameter 'who'/],
    [
      'unknown typing profile',
      'm:\n  steps:\n    - type: hi\n      typing: turbo\n',
      /m\.yaml:\d+: m: typing: must be one of fast, safe, bios/,
    ],
    ['YAML syntax', 'm:\n  steps: [\n', /m\.yaml:\d+: /],
    ['empty steps', 'm:\n  steps: []\n', /m\.yaml:2: m: a macro needs a non-empty list of steps/],
    ['unknown macro key', 'm:\n  stepz: []\n', /m\.yaml:2: m: unknown key 'stepz'/],
    [
      'dangerous not a boolean',
      'm:\n  dangerous: yes please\n  steps:\n    - tap: a\n',
      /m: dangerous must be true or false/,
    ],
  ];
  for (const [what, yaml, message] of cases) {
    it(what, async () => {
      const t = await makeMacros({ 'm.yaml': yaml, 'ok.yaml': 'fine:\n  steps:\n    - tap: a\n' });
      const problems = t.macros
        .loadProblems()
        .map((p) => `${p.where}: ${p.macro ? `${p.macro}: ` : ''}${p.message}`);
      expect(problems.join('\n')).toMatch(message);
      expect(t.macros.list().map((m) => m.name)).toEqual(['fine']);
    });
  }

  it('refuses run cycles and runs of missing macros, naming the path', async () => {
    const t = await makeMacros({
      'r.yaml':
        'a:\n  steps:\n    - run: b\nb:\n  steps:\n    - run: a\nc:\n  steps:\n    - run: nope\nd:\n  steps:\n    - run: e\ne:\n  steps:\n    - tap: a\n',
    });
    const msgs = t.macros.loadProblems().map((p) => p.message);
    expect(msgs.some((m) => /run goes round in a circle: a → b → a/.test(m))).toBe(true);
    expect(msgs.some((m) => /run: no macro named 'nope'/.test(m))).toBe(true);
    expect(
      t.macros
        .list()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['d', 'e']);
  });

  it('lists a macro marked dangerous as such, so the panel and the card ask before running it', async () => {
    const t = await makeMacros({
      'r.yaml': 'risky:\n  dangerous: true\n  steps:\n    - tap: a\nsafe:\n  steps:\n    - tap: a\n',
    });
    expect(Object.fromEntries(t.macros.list().map((m) => [m.name, m.dangerous]))).toEqual({
      risky: true,
      safe: false,
    });
  });
});
