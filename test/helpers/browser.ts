import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, with the background services off: this machine's closed network
 * refuses their connections, and they would only slow the tests down.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
