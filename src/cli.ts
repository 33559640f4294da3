#!/usr/bin/env node
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initialTokenFile, newToken, tokenFile, writeToken } from './auth/token-store.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { errnoCode, errorMessage, isKvmError } from './core/errors.js';
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
  kvmr0ck passwd [--viewer]            make a new admin (or viewer) access token; the daemon takes it at once
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

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The words people try first: `kvmr0ck help`, `kvmr0ck version`, `kvmr0ck -v`.
  let argv = args;
  if (argv[0] === 'help') argv = ['--help'];
  if (argv[0] === 'version' || argv[0] === '-v') argv = ['--version'];
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    // node:util's parser speaks of "positional arguments" and strictness: say it plainly.
    const m = /Unknown option '([^']+)'/.exec(errorMessage(err));
    process.stderr.write(
      `kvmr0ck: ${m ? `unknown option ${m[1]}` : errorMessage(err)} (see: kvmr0ck help)\n`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) {
    process.stderr.write(`kvmr0ck: --port needs a number from 0 to 65535, not '${values.port}'\n`);
    return 2;
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
      return passwd(values.config ?? defaultConfigFile(env), env, values.viewer === true);
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
      viewer: { type: 'boolean' },
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
  return runGadgetCommand(sub, { gadget: config.gadget, paths: config.paths }, log, (line) =>
    process.stdout.write(`${line}\n`),
  );
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

function passwd(file: string | undefined, env: NodeJS.ProcessEnv, viewer: boolean): number {
  try {
    const { config } = loadConfig({ file, env });
    const role = viewer ? 'viewer' : 'admin';
    if (viewer ? config.auth.viewer_token : config.auth.token) {
      process.stderr.write(
        `kvmr0ck: auth.${viewer ? 'viewer_token' : 'token'} is set in the config; change it there instead\n`,
      );
      return 1;
    }
    const dir = config.paths.state;
    const token = newToken();
    writeToken(dir, role, token);
    // The generated first token is no longer the one to use.
    if (!viewer) rmSync(initialTokenFile(dir), { force: true });
    process.stdout.write(
      `New ${role} access token (shown once; only its hash is kept in ${tokenFile(dir)}):\n\n  ${token}\n\n` +
        'A running daemon takes it within a few seconds: logins and connections made with the old tokens end then.\n' +
        (viewer ? 'A viewer sees the picture and state but cannot type, click or run macros.\n' : ''),
    );
    return 0;
  } catch (err) {
    const hint =
      errnoCode(err) === 'EACCES' ? ' (run it as root or as the kvmr0ck user: sudo kvmr0ck passwd)' : '';
    process.stderr.write(`kvmr0ck: ${errorMessage(err)}${hint}\n`);
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
    app = await createApp({
      config,
      log,
      version,
      onRestart: () => requestRestart(),
      // A generated token is shown to a person at a terminal, never written to the log (journald).
      announceToken: process.stdout.isTTY
        ? (token, file) =>
            process.stdout.write(
              `\n  Access token: ${token}\n  (also in ${file} until first used; a new one: kvmr0ck passwd)\n\n`,
            )
        : undefined,
    });
    await app.start();
  } catch (err) {
    log.fatal({ err: isKvmError(err) ? err.toJSON() : errorMessage(err) }, 'could not start');
    const hint = startHint(err, config);
    if (hint) process.stderr.write(`kvmr0ck: ${hint}\n`);
    return 1;
  }
  const urls = app.urls();
  log.info(`serving the panel at ${urls.join(' , ')}`);
  const base = urls[0] ?? '';
  log.info(`  stream ${base}stream  snapshot ${base}snapshot.jpg  state ${base}api/state`);
  // SIGHUP: re-read the tokens now (they are also picked up within a second or two on their own).
  const reload = () => app.auth.reload();
  process.on('SIGHUP', reload);
  return waitForStop(app, log, restart).finally(() => process.off('SIGHUP', reload));
}

/** What a person can do about a failed start, for the errors people meet first. */
function startHint(err: unknown, config: Config): string | null {
  const port = config.server.port;
  switch (errnoCode(err)) {
    case 'EADDRINUSE':
      return `port ${port} is already in use (another kvmr0ck?): stop that one, or pick another port with server.port in the config or --port N`;
    case 'EACCES':
      return port < 1024
        ? `port ${port} needs root: use a port from 1024 up (server.port or --port)`
        : `permission denied: ${errorMessage(err)}`;
    case 'EADDRNOTAVAIL':
      return `server.host ${config.server.host} is not an address of this machine (0.0.0.0 serves all)`;
    default:
      return null;
  }
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
