#!/usr/bin/env node
/**
 * The `obrol` command. Parses arguments and calls the server; nothing else.
 *
 *   obrol [--config FILE] [--host H] [--port P] [--log-level L]   run the server
 *         [--redis URL] [--workers N|auto]
 *   obrol check-config [--config FILE]                            validate, start nothing
 *   obrol print-config [--config FILE]                            the effective config as YAML
 *   obrol hash-password [PASSWORD]                                a hash for oper blocks
 *   obrol default-config                                          the commented default YAML
 *   obrol mkcerts [--dir D] [--name N...]                         a self-signed certificate for TLS
 *   obrol admin-token NAME                                        a token for the admin HTTP API
 *   obrol backup FILE [--config FILE]                             an online copy of the data file
 *   obrol account-add NAME [--email ADDRESS] < password            create an account in the data file
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, type LoadOptions } from '../config/load.js';
import { hashPassword } from '../config/password.js';
import { loadTlsMaterial, TlsFileError } from '../net/tlsfiles.js';
import { chatCommand } from './chat.js';
import { createLogger } from './logger.js';
import { adminTokenCommand } from './admintoken.js';
import { runPrimary, tellPrimary, workerCount } from './workers.js';
import { VERSION } from '../server/version.js';

/** Exit status for an unusable configuration (sysexits EX_CONFIG). */
const EXIT_CONFIG = 78;
/** Exit status after an internal error nothing caught (sysexits EX_SOFTWARE). */
const EXIT_SOFTWARE = 70;

interface ConfigArgs {
  config?: string;
  host?: string;
  port?: number;
  'log-level'?: string;
  redis?: string;
  workers?: string;
}

function loadOptions(args: ConfigArgs): LoadOptions {
  return {
    path: args.config ?? process.env.OBROL_CONFIG ?? null,
    env: process.env,
    overrides: {
      'listen.host': args.host,
      'listen.port': args.port,
      'log.level': args['log-level'],
      'cluster.redis': args.redis,
      'cluster.workers': workersFlag(args.workers),
    },
  };
}

/** --workers takes a number or "auto"; anything else goes to the schema as text, which names the key in its error. */
function workersFlag(value: string | undefined): number | string | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : value;
}

function exitInvalid(problems: string[]): never {
  process.stderr.write(`obrol: invalid configuration\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(EXIT_CONFIG);
}

function loadOrExit(options: LoadOptions) {
  try {
    return loadConfig(options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    exitInvalid(err.problems);
  }
}

/** The TLS key and certificate must be readable and match: a bad file is a config error naming it. */
function checkTlsFilesOrExit(loaded: ReturnType<typeof loadConfig>): void {
  if (!loaded.tlsPaths) return;
  try {
    loadTlsMaterial(loaded.tlsPaths.cert, loaded.tlsPaths.key);
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err;
    exitInvalid([err.message]);
  }
}

/**
 * Open the configured store, or stop: an unusable data file (folder,
 * read-only, locked, corrupt, newer schema) is a setup problem, told in one
 * line naming the file, with the config exit status.
 */
async function openStoreOrExit(loaded: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>) {
  const { openStore } = await import('../store/open.js');
  const { StoreOpenError } = await import('../store/types.js');
  try {
    return openStore(loaded.config.store, loaded.path);
  } catch (err) {
    if (!(err instanceof StoreOpenError)) throw err;
    exitStore(err, logger);
  }
}

function exitStore(err: { file: string; message: string }, logger: ReturnType<typeof createLogger>): never {
  logger.fatal({ event: 'start-failed', file: err.file }, err.message);
  process.stderr.write(`obrol: ${err.message}\n`);
  process.exit(EXIT_CONFIG);
}

async function run(args: ConfigArgs): Promise<void> {
  const options = loadOptions(args);
  const loaded = loadOrExit(options);
  // Checked before anything is logged or started; start() reads them again.
  checkTlsFilesOrExit(loaded);
  const logger = createLogger(loaded.config.log);
  // Every connection's work runs under the server's guard, so reaching here is
  // a bug outside any one connection: state may be broken for everyone. Log it
  // and exit non-zero; a supervisor (systemd, Docker's restart policy) restarts.
  process.on('uncaughtException', (err) => {
    logger.fatal({ event: 'crash', err }, 'uncaught exception: exiting');
    process.exit(EXIT_SOFTWARE);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ event: 'crash', err: reason }, 'unhandled promise rejection: exiting');
    process.exit(EXIT_SOFTWARE);
  });
  // --workers N: this process only runs the workers (src/cli/workers.ts), each of which comes back here as a node.
  const workers = workerCount(loaded.config.cluster.workers);
  const worker = cluster.isWorker;
  if (workers > 1 && !worker) {
    if (loaded.config.cluster.redis === null) {
      exitInvalid([`cluster.workers: ${workers} workers need cluster.redis (--redis URL): the workers form one network through Redis`]);
    }
    // An unusable data file stops the primary here, rather than every worker at start again and again.
    await openStoreOrExit(loaded, logger).then((store) => store.close());
    // Hosts are cloaked alike on every worker: a random secret for this run, unless one is configured.
    const shared: Record<string, string> = {};
    if (loaded.config.cloak.enabled && loaded.config.cloak.secret === null) shared.OBROL_CLOAK__SECRET = randomBytes(32).toString('hex');
    runPrimary(workers, logger, shared);
    return;
  }
  // Loaded here, not at the top: the other verbs (obrol chat above all) need none of it.
  const { ObrolServer } = await import('../server/server.js');
  const { StoreOpenError } = await import('../store/types.js');
  const serverOptions = {
    loaded,
    loadOptions: options,
    logger: worker ? logger.child({ worker: Number(process.env.OBROL_WORKER) }) : logger,
    // A worker's operator REHASH and DIE reach the other workers through the primary.
    onDie: () => {
      if (worker) tellPrimary({ type: 'die' });
      process.exit(0);
    },
    ...(worker ? { onRehash: () => tellPrimary({ type: 'rehash' }) } : {}),
  };
  let server: InstanceType<typeof ObrolServer>;
  try {
    server = new ObrolServer(serverOptions);
  } catch (err) {
    if (!(err instanceof StoreOpenError)) throw err;
    exitStore(err, logger);
  }
  logger.info({ event: 'config', file: loaded.path ?? '(embedded defaults)' }, `obrol ${VERSION} starting`);
  try {
    await server.start();
  } catch (err) {
    logger.fatal({ event: 'start-failed' }, (err as Error).message);
    // A TLS file that went bad since the check above is still a config error.
    if (err instanceof TlsFileError) exitInvalid([err.message]);
    process.stderr.write(`obrol: ${(err as Error).message}\n`);
    process.exit(1);
  }

  const stop = (signal: string) => {
    logger.info({ event: 'signal', signal }, `${signal}: shutting down`);
    server.close('Server shutting down').then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info({ event: 'signal', signal: 'SIGHUP' }, 'SIGHUP: reloading the configuration');
    server.rehash(true).catch((err: unknown) => logger.error({ event: 'rehash-failed', err }, 'SIGHUP: the reload failed; the previous configuration stays in force'));
  });
}

const configOption = {
  config: { alias: 'c', type: 'string', description: 'YAML config file (default: $OBROL_CONFIG, else the embedded defaults)' },
} as const;

await yargs(hideBin(process.argv))
  .scriptName('obrol')
  .usage('$0 [command] [options]\n\nObrol, an IRC server. With no command, runs the server.')
  .command(
    '$0',
    'run the server',
    (y) =>
      y.options({
        ...configOption,
        host: { type: 'string', description: 'listen address (overrides listen.host)' },
        port: { alias: 'p', type: 'number', description: 'listen port (overrides listen.port)' },
        'log-level': {
          type: 'string',
          choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          description: 'log level (overrides log.level)',
        },
        redis: { type: 'string', description: 'Redis URL shared by the nodes of one network, redis://HOST:PORT (overrides cluster.redis)' },
        workers: { type: 'string', description: 'worker processes: a number from 1 to 256, or auto (overrides cluster.workers)' },
      }),
    (args) => run(args),
  )
  .command(
    'check-config',
    'validate the configuration and exit',
    (y) => y.options(configOption),
    (args) => {
      const loaded = loadOrExit(loadOptions(args));
      checkTlsFilesOrExit(loaded);
      process.stdout.write(`configuration ok: ${loaded.path ?? '(embedded defaults)'}\n`);
    },
  )
  .command(
    'print-config',
    'print the effective configuration (file, environment and defaults) as YAML',
    (y) => y.options(configOption),
    (args) => {
      process.stdout.write(stringify(loadOrExit(loadOptions(args)).config));
    },
  )
  .command(
    'hash-password [password]',
    'print a password hash for an oper block or server.password (reads stdin if no argument)',
    (y) => y.positional('password', { type: 'string', description: 'the password; prefer stdin to keep it out of shell history' }),
    async (args) => {
      const password = args.password ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      if (password.length === 0) {
        process.stderr.write('obrol: empty password\n');
        process.exit(2);
      }
      process.stdout.write(`${await hashPassword(password)}\n`);
    },
  )
  .command(
    'default-config',
    'print the default configuration, every key commented (a starting point for your own file)',
    (y) => y,
    async () => {
      // setup.js brings selfsigned and its ASN.1 libraries (about 15 MB): loaded by the two verbs that use it.
      const { defaultConfigText } = await import('./setup.js');
      process.stdout.write(defaultConfigText());
    },
  )
  .command(
    'mkcerts',
    'make a self-signed certificate and key to try TLS and wss:// with (clients must be told to accept it)',
    (y) =>
      y.options({
        dir: { type: 'string', default: 'tls', description: 'folder for cert.pem and key.pem' },
        name: { type: 'array', string: true, default: ['localhost', '127.0.0.1', '::1'], description: 'host names and addresses the certificate is for (repeat the flag)' },
        days: { type: 'number', default: 365, description: 'days the certificate is valid' },
        force: { type: 'boolean', default: false, description: 'replace existing files' },
      }),
    async (args) => {
      const { makeSelfSigned, SetupError } = await import('./setup.js');
      try {
        const made = await makeSelfSigned({ dir: args.dir, names: args.name, days: args.days, force: args.force });
        process.stdout.write(
          `wrote ${made.cert}\nwrote ${made.key} (private: keep it to yourself)\nSHA-256 fingerprint: ${made.fingerprint}\n\n` +
            `Add this to your config file (paths relative to the file's folder also work):\n\ntls:\n  host: 127.0.0.1\n  port: 6697\n  cert: ${made.cert}\n  key: ${made.key}\n`,
        );
      } catch (err) {
        if (!(err instanceof SetupError)) throw err;
        process.stderr.write(`obrol mkcerts: ${err.message}\n`);
        process.exit(2);
      }
    },
  )
  .command(
    'backup <file>',
    'write an online copy of the data file (store.path) to FILE; safe while the server runs',
    (y) => y.positional('file', { type: 'string', demandOption: true, description: 'where to write the copy' }).options(configOption),
    async (args) => {
      const loaded = loadOrExit(loadOptions(args));
      const { storePath } = await import('../store/open.js');
      const { backupDataFile, BackupError } = await import('../store/backup.js');
      if (loaded.config.store.backend !== 'sqlite') {
        process.stderr.write(`obrol backup: store.backend is ${loaded.config.store.backend}: there is no data file to copy\n`);
        process.exit(1);
      }
      try {
        const made = await backupDataFile(storePath(loaded.config.store, loaded.path), args.file);
        process.stdout.write(`wrote ${made.file} (${made.bytes} bytes)\n`);
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        process.stderr.write(`obrol backup: ${err.message}\n`);
        process.exit(1);
      }
    },
  )
  .command(
    'account-add <name>',
    'create an account in the data file, the password read from standard input; safe while the server runs',
    (y) =>
      y
        .positional('name', { type: 'string', demandOption: true, description: 'the account name (a valid nick)' })
        .options({ ...configOption, email: { type: 'string', description: 'its e-mail address' } }),
    async (args) => {
      const loaded = loadOrExit(loadOptions(args));
      const { addAccount, AccountAddError } = await import('./account.js');
      try {
        process.stdout.write(`${await addAccount(loaded.config, loaded.path, args.name, args.email ?? null, true)}\n`);
      } catch (err) {
        if (!(err instanceof AccountAddError)) throw err;
        process.stderr.write(`obrol account-add: ${err.message}\n`);
        process.exit(err.status);
      }
    },
  )
  .command(chatCommand)
  .command(adminTokenCommand)
  .strict()
  .version(VERSION)
  .help()
  .alias('h', 'help')
  .alias('v', 'version')
  .parseAsync();
