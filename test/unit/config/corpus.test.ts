import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

/**
 * A corpus of broken config files, each naming on its first line (`# expect: ...`) the message a user
 * must see: the file, the line (and column for syntax errors), the path and the reason.
 */
const DIR = path.resolve('test/fixtures/bad-config');

describe('broken config corpus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  it('has cases', () => expect(files.length).toBeGreaterThanOrEqual(15));
  for (const name of files) {
    it(name, () => {
      const file = path.join(DIR, name);
      const expected = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
      expect(expected, 'corpus file lacks an # expect: line').toBeTruthy();
      let message = '';
      try {
        loadConfig({ file });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message.startsWith(file), message).toBe(true);
      expect(message).toContain(expected!.startsWith(':') ? `${file}${expected}` : expected);
    });
  }
});
