#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { newToken, tokenFile, writeToken } from './auth/token-store.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { errorMessage, isKvmError } from './core/errors.js';
import { createLogger, type Logger } from './core/log.js';
import { packageRoot } from './core/paths.js';
import { runGadgetCommand } from './gadget/cli.js';
import { createApp } from './main.js';
import { packageVersion } from './version.js';

const HELP = `kvmr0ck — KVM over IP: HDMI capture, MJPEG stream, USB HID, macros, Home Assistant

Usage:
  kvmr0ck run [--config FILE]          run the daemon (the default command)
  kvmr0ck demo [--config FILE]         run on the built-in test pattern and recording HID sink
  kvmr0ck doctor [--config FILE]       check the board, devices, libraries and broker; explain fixes
  kvmr0ck passwd [--config FILE]       make a new access token (printed once; restart the daemon)
  kvmr0ck check-config [FILE]          validate a config file and print every problem
  kvmr0ck gadget up|down|status        build, remove or show the USB HID gadget (configfs; root)

Options:
  -c, --config FILE   config file (default: $KVMR0CK_CONFIG, /etc/kvmr0ck/kvmr0ck.yaml,
                      or config/kvmr0ck.yaml in the package)
  -p, --port N        override server.port
  -h, --help          show this help
  -V, --version       print the version

Environment: KVMR0CK_<SECTION>__<KEY>=value overrides any option, e.g. KVMR0CK_VIDEO__QUALITY=70.
`;

/** Grace period for a clean stop; after it the process exits anyway (a KVM must not hang on exit). */
const STOP_TIMEOUT_MS = 2000;

function defaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KVMR0CK_CONFIG) return env.KVMR0CK_CONFIG;
  for (const f of ['/etc/kvmr0ck/kvmr0ck.yaml', path.join(packageRoot(), 'config/kvmr0ck.yaml')]) {
    if (existsSync(f)) return f;
  }
  return undefined;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`kvmr0ck: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  switch (command) {
    case 'run':
    case 'demo':
      return runDaemon(command, values.config ?? defaultConfigFile(env), env, values.port);
    case 'gadget':
      return gadgetCommand(positionals[1], values.config ?? defaultConfigFile(env), env);
    case 'doctor':
      return doctor(values.config ?? defaultConfigFile(env), env);
    case 'passwd':
      return passwd(values.config ?? defaultConfigFile(env), env);
    case 'check-config':
      return checkConfig(positionals[1] ?? values.config ?? defaultConfigFile(env), env);
    default:
      process.stderr.write(`kvmr0ck: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}

function gadgetCommand(sub: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv): number {
  let config: Config;
  try {
    config = loadConfig({ file, env }).config;
  } catch (err) {
    process.stderr.write(`kvmr0ck: ${errorMessage(err)}\n`);
    return 1;
  }
  const log = createLogger({ level: config.log.level, format: config.log.format });
  return runGadgetCommand(sub, config, log, (line) => process.stdout.write(`${line}\n`));
}

async function doctor(file: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({ file, env }).config;
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return 1;
  }
  const { formatChecks, runChecks } = await import('./doctor/checks.js');
  const checks = await runChecks(config);
  process.stdout.write(`${formatChecks(checks)}\n`);
  const failed = checks.filter((c) => c.level === 'fail').length;
  process.stdout.write(failed ? `\n${failed} problem(s) to fix.\n` : '\nNothing broken.\n');
  return failed ? 1 : 0;
}

function passwd(file: string | undefined, env: NodeJS.ProcessEnv): number {
  try {
    const { config } = loadConfig({ file, env });
    if (config.auth.token) {
      process.stderr.write('kvmr0ck: auth.token is set in the config; change it there instead\n');
      return 1;
    }
    const token = newToken();
    writeToken(config.paths.state, token);
    process.stdout.write(
      `New access token (shown once, only its hash is stored in ${tokenFile(config.paths.state)}):\n\n  ${token}\n\nRestart the daemon to use it; the old token stops working then.\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`kvmr0ck: ${errorMessage(err)}\n`);
    return 1;
  }
}

function checkConfig(file: string | undefined, env: NodeJS.ProcessEnv): number {
  try {
    loadConfig({ file, env });
    process.stdout.write(`${file ?? 'defaults'}: ok\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return 1;
  }
}

async function runDaemon(
  mode: 'run' | 'demo',
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  port: string | undefined,
): Promise<number> {
  // The Restart button (Home Assistant) stops the app and builds it again from a fresh read of
  // the config and macros, in this process: it works the same under systemd, the Supervisor and
  // a terminal, with no supervisor needed to bring the daemon back.
  for (;;) {
    const outcome = await runOnce(mode, file, env, port);
    if (outcome !== 'restart') return outcome;
  }
}

async function runOnce(
  mode: 'run' | 'demo',
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  port: string | undefined,
): Promise<number | 'restart'> {
  const overrides: Record<string, unknown> = {};
  if (mode === 'demo') {
    overrides.video = { source: 'test-pattern' };
    overrides.hid = { sink: 'recording' };
  }
  if (port !== undefined) overrides.server = { port: Number(port) };
  let config: Config;
  try {
    config = loadConfig({ file, env, overrides }).config;
  } catch (err) {
    process.stderr.write(
      err instanceof ConfigError
        ? `kvmr0ck: invalid configuration\n${err.message}\n`
        : `kvmr0ck: ${errorMessage(err)}\n`,
    );
    return 1;
  }
  const log = createLogger({ level: config.log.level, format: config.log.format });
  const version = packageVersion();
  log.info(`kvmr0ck ${version} starting (${mode}), config: ${file ?? 'built-in defaults'}`);
  let app: Awaited<ReturnType<typeof createApp>>;
  let requestRestart: () => void = () => undefined;
  const restart = new Promise<'restart'>((resolve) => {
    requestRestart = () => resolve('restart');
  });
  try {
    app = await createApp({ config, log, version, onRestart: () => requestRestart() });
    await app.start();
  } catch (err) {
    log.fatal({ err: isKvmError(err) ? err.toJSON() : errorMessage(err) }, 'could not start');
    return 1;
  }
  const urls = app.urls();
  log.info(`serving the panel at ${urls.join(' , ')}`);
  const base = urls[0] ?? '';
  log.info(`  stream ${base}stream  snapshot ${base}snapshot.jpg  state ${base}api/state`);
  return waitForStop(app, log, restart);
}

function waitForStop(
  app: { stop(): Promise<void> },
  log: Logger,
  restart: Promise<'restart'>,
): Promise<number | 'restart'> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string, outcome: 0 | 'restart') => {
      if (stopping) {
        log.warn(`${why} again: exiting now`);
        resolve(1);
        return;
      }
      stopping = true;
      log.info(`${why}: stopping`);
      const timer = setTimeout(() => {
        log.error(`stop took over ${STOP_TIMEOUT_MS} ms: exiting anyway`);
        resolve(1);
      }, STOP_TIMEOUT_MS);
      app.stop().then(
        () => {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          log.info(outcome === 'restart' ? 'stopped: starting again' : 'stopped');
          resolve(outcome);
        },
        (err) => {
          clearTimeout(timer);
          log.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    const onSignal = (sig: NodeJS.Signals) => stop(sig, 0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void restart.then(() => stop('restart requested', 'restart'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Stragglers (sockets, timers) must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err) => {
    process.stderr.write(`kvmr0ck: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
