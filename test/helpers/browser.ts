import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContextOptions, chromium, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type Daemon, type StartOptions, startDaemon } from './daemon.js';

/**
 * Debian's Chromium, headless, with the background services off: this machine's closed network
 * refuses their connections, and they would only slow the tests down.
 */
export function launchChromium(opts: { args?: string[] } = {}): Promise<Browser> {
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
      ...(opts.args ?? []),
    ],
  });
}

/**
 * A page that records every console error, uncaught page error, failed request and HTTP error
 * answer. `close()` fails the test if any was seen that the test did not announce with `expect()`:
 * a user sees these as a broken panel even when the assertions pass.
 */
export interface WatchedPage {
  page: Page;
  /** Everything that went wrong so far, unexpected or not, one line each. */
  readonly problems: readonly string[];
  /**
   * Announces problems the test causes on purpose (the daemon stopped: refused connections;
   * a wrong token: 401s). Until the returned function is called, problems matching `pattern`
   * are counted there instead; it returns those seen, so the test can assert they happened.
   */
  expect(pattern: RegExp): () => string[];
  /** Throws listing every unexpected problem. */
  assertClean(): void;
  /** assertClean(), then closes the page's own context (its cookies go with it). */
  close(): Promise<void>;
}

export async function watchedPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  const unexpected: string[] = [];
  const windows: { pattern: RegExp; seen: string[] }[] = [];
  const record = (line: string) => {
    problems.push(line);
    const w = windows.find((x) => x.pattern.test(line));
    if (w) w.seen.push(line);
    else unexpected.push(line);
  };
  page.on('console', (m) => {
    if (m.type() === 'error') record(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => record(`page error: ${e.message}`));
  const answered = new WeakSet<Request>();
  page.on('response', (r) => {
    if (r.status() >= 400) record(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    else answered.add(r.request());
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // A request that got its answer and was then dropped by the page (a stream replaced by a new
    // <img> src, a body left unread when the page navigates) did not fail for the user. Nor did an
    // aborted blob: load: a blob URL is the page's own memory, never the network, and only the page
    // replacing the picture or navigating away aborts it (a reload while a frame was decoding).
    // A blob load that fails for real (revoked too early: ERR_FILE_NOT_FOUND) still counts.
    if (why === 'net::ERR_ABORTED' && (answered.has(r) || r.url().startsWith('blob:'))) return;
    record(`request failed: ${r.method()} ${r.url()} ${why}`);
  });
  const watched: WatchedPage = {
    page,
    problems,
    expect(pattern) {
      const w = { pattern, seen: [] as string[] };
      windows.push(w);
      return () => {
        windows.splice(windows.indexOf(w), 1);
        return w.seen;
      };
    },
    assertClean() {
      if (unexpected.length > 0) {
        throw new Error(
          `the page had ${unexpected.length} problem(s):\n${unexpected.slice(0, 20).join('\n')}`,
        );
      }
    },
    async close() {
      watched.assertClean();
      await context.close();
    },
  };
  return watched;
}

/**
 * One demo daemon and one Chromium for a describe block: started before its tests, killed after.
 * The getters are valid inside the tests.
 */
export function daemonAndBrowser(opts: StartOptions = {}): { daemon(): Daemon; browser(): Browser } {
  let d: Daemon | undefined;
  let b: Browser | undefined;
  beforeAll(async () => {
    d = await startDaemon({ command: 'demo', timeoutMs: 30_000, ...opts });
    b = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await b?.close();
    await d?.stop('SIGKILL');
  });
  return { daemon: () => d!, browser: () => b! };
}

/**
 * Where a test saves a screenshot: docs/ (the README shows them) when KVMR0CK_UPDATE_SCREENSHOTS=1,
 * else the temp directory, so an ordinary test run leaves the tree clean.
 */
export function screenshotPath(name: string): string {
  const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');
  return path.join(process.env.KVMR0CK_UPDATE_SCREENSHOTS === '1' ? docs : tmpdir(), name);
}
