/**
 * Structured logs (pino): JSON lines in production, pretty and readable in a terminal.
 * `MESHGATE_LOG_FORMAT=json|pretty` overrides the TTY guess; `MESHGATE_LOG_LEVEL` sets the level.
 */
import { pino } from 'pino';
import type { Logger } from '@meshgate/core';

export function createLogger(options: { level?: string; pretty?: boolean; name?: string } = {}): pino.Logger {
  const format = process.env.MESHGATE_LOG_FORMAT;
  const pretty = options.pretty ?? (format ? format === 'pretty' : Boolean(process.stdout.isTTY));
  const level = options.level ?? process.env.MESHGATE_LOG_LEVEL ?? 'info';
  return pino({
    name: options.name ?? 'meshgate',
    level,
    // Never log credentials that slip into a logged object.
    redact: {
      paths: ['*.password', '*.token', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}

/** pino's Logger satisfies core's Logger; this keeps the cast in one place. */
export function asCoreLogger(logger: pino.Logger): Logger {
  return logger as unknown as Logger;
}
