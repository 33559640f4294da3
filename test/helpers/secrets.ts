import { readFileSync } from 'node:fs';

/**
 * Canary secrets (secrets.json): tests that need a password, token or secret text use these, so
 * one scan can prove none of them ever reaches a log, an MQTT message, an API answer or the test
 * output (scripts/scan-secrets.mjs reads the same file; test/reliability/secrets.test.ts checks
 * every channel). Each is distinctive enough never to appear by chance.
 */
export const TEST_SECRETS = JSON.parse(readFileSync(new URL('./secrets.json', import.meta.url), 'utf8')) as {
  token: string;
  mqttPassword: string;
  macroSecret: string;
  typed: string;
  wrongGuess: string;
};
