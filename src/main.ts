import { ConfigError, loadConfig, type Config } from './config.js';
import { SchemaTooNewError } from './db/migrate.js';
import { main as devnetMain } from './devnet/cli.js';
import { applyHeapGrowth } from './heap-growth.js';
import { createJoule } from './joule.js';
import { createLogger } from './observability/logger.js';

/**
 * One binary, roles chosen at start (argument or JOULE_ROLE): `all`, `api`,
 * `worker` (built by createJoule in joule.ts), `devnet`, the node
 * simulator on its own, and `bot`, the Telegram bot (a client of some
 * Joule's HTTP API, nothing more). This file only turns the process's environment into
 * a configuration, starts the role, and stops it on a signal.
 */

async function run(config: Config): Promise<void> {
  const joule = await createJoule(config);
  // Before "joule started" is logged: whoever reads that line may signal at once.
  stopOnSignal(joule.log, () => joule.close(), 'finishing in-flight requests and order steps');
  await joule.listen();
}

async function runBot(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  // Only the bot role loads the Telegram client.
  const { startBot } = await import('./bot/start-bot.js');
  const bot = await startBot(config.bot!, log);
  stopOnSignal(log, () => bot.close(), 'finishing the updates in hand');
}

function stopOnSignal(log: ReturnType<typeof createLogger>, close: () => Promise<void>, finishing: string): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `shutting down: ${finishing}`);
    try {
      await close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// Whatever this process creates (database, devnet state, token) is its owner's alone.
process.umask(0o077);
// Garbage is collected at 1.5 times the live heap, not V8's up to 4 (heap-growth.ts), unless node was told otherwise.
applyHeapGrowth();

function fail(message: string): never {
  process.stderr.write(`joule: ${message}\n`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
  throw err;
}

const started =
  config.role === 'devnet'
    ? devnetMain(process.argv.slice(2).filter((a) => a !== 'devnet'), config.chain.devnet).then(() => undefined)
    : config.role === 'bot'
      ? runBot(config)
      : run(config);
started.catch((err: unknown) => {
  if (err instanceof SchemaTooNewError) fail(err.message);
  // Settings that can only be checked against the pools (FLASH_RENT_ADDRESS).
  if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') fail(`cannot listen on ${config.host}:${config.port}: address in use (set PORT)`);
  if (code === 'ECONNREFUSED') fail(`cannot reach the database (DATABASE_URL): ${(err as Error).message}`);
  process.stderr.write(`joule: start-up failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
