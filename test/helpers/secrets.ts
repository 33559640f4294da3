/**
 * Canary secrets: tests that need a password, token or secret text use these, so one scan can
 * prove none of them ever reaches a log, an MQTT message, an API answer or the test output
 * (`scripts/test.sh` scans the whole run; test/reliability/secrets.test.ts every channel).
 * Each is distinctive enough never to appear by chance.
 */
export const TEST_SECRETS = {
  token: 'canaryTokenQ7wJ2xW9mZp4',
  mqttPassword: 'canaryMqttPw4Rk8sLq',
  macroSecret: 'canaryLuksPz3mVt6',
  typed: 'canarytypedhvnwq',
  wrongGuess: 'canaryGuessLd1cYh',
} as const;
