/**
 * The `meshgate` command: start a gateway, validate configuration, send an event, display events.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, MeshgateError } from '@meshgate/core';
import { startDisplay, stopServer } from './display.js';
import { createLogger } from './logger.js';
import { registerOpsCommands } from './ops/cli-commands.js';
import { sendEvent } from './send.js';
import { runStart } from './start.js';
import { validateFiles } from './validate.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildCli(): Command {
  const program = new Command('meshgate')
    .description(
      'meshgate: a federated CloudEvents mesh gateway (Knative Brokers and Triggers over Kafka, RabbitMQ, NATS, Pub/Sub)',
    )
    .version('0.1.0');

  program
    .command('start')
    .description(
      'run a gateway node with the given configuration files or directories (reloaded when they change)',
    )
    .requiredOption('-f, --file <path>', 'a YAML file or a directory of them (repeatable)', collect)
    .option('-p, --port <port>', 'HTTP port (overrides the Gateway resource)', port)
    .option('--host <host>', 'listen address (overrides the Gateway resource)')
    .option('--no-watch', 'do not reload the configuration when a file changes')
    .action(async (opts: { file: string[]; port?: number; host?: string; watch: boolean }) => {
      await runStart(opts);
    });

  program
    .command('validate')
    .description(
      'check configuration files; prints every problem with file, document and field, exits 1 when any',
    )
    .requiredOption('-f, --file <path>', 'a YAML file or a directory of them (repeatable)', collect)
    .action(async (opts: { file: string[] }) => {
      const ok = await validateFiles(opts.file, (line) => process.stdout.write(`${line}\n`));
      process.exitCode = ok ? 0 : 1;
    });

  program
    .command('send')
    .description('send one CloudEvent to a URL (a broker, a sink, any CloudEvents receiver)')
    .requiredOption('--to <url>', 'where to POST the event')
    .requiredOption('--type <type>', 'the event type')
    .requiredOption('--source <source>', 'the event source (URI-reference)')
    .option('--id <id>', 'the event id (default: a new UUID)')
    .option('--subject <subject>', 'the event subject')
    .option('--data <data>', 'the event data (JSON or text)')
    .option(
      '--content-type <type>',
      'datacontenttype (default: application/json when --data parses as JSON, else text/plain)',
    )
    .addOption(
      new Option('--mode <mode>', 'HTTP content mode').choices(['binary', 'structured']).default('binary'),
    )
    .option('-e, --extension <name=value>', 'an extension attribute (repeatable)', keyValue)
    .option('-H, --header <name=value>', 'an extra HTTP header (repeatable)', keyValue)
    .action(
      async (opts: {
        to: string;
        type: string;
        source: string;
        id?: string;
        subject?: string;
        data?: string;
        contentType?: string;
        mode: 'binary' | 'structured';
        extension?: Record<string, string>;
        header?: Record<string, string>;
      }) => {
        const { status, body } = await sendEvent({
          ...opts,
          extensions: opts.extension,
          headers: opts.header,
        });
        process.stdout.write(`${status}${body ? ` ${body}` : ''}\n`);
        process.exitCode = status >= 200 && status < 300 ? 0 : 1;
      },
    );

  program
    .command('display')
    .description(
      'an event-display sink: prints every CloudEvent it receives and answers 202 (like Knative event_display)',
    )
    .option('-p, --port <port>', 'HTTP port', port, 8080)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--json', 'print one JSON object per event and line', false)
    .action(async (opts: { port: number; host: string; json: boolean }) => {
      const { server, url } = await startDisplay(opts);
      process.stderr.write(`meshgate display listening on ${url}\n`);
      const stop = () => {
        stopServer(server).then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  registerOpsCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else if (err instanceof MeshgateError) {
      process.stderr.write(`meshgate: ${err.message}\n`);
    } else {
      createLogger().error({ err }, 'meshgate failed');
    }
    process.exitCode = 1;
  }
}
