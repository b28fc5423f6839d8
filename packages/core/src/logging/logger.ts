// Structured logs go to stderr as JSON (one object per line), so that stdout stays free for command
// output (`egress-proxier render` prints rules there).
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { prettyLogStream } from './pretty-log-stream.js';

export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  level: LogLevel;
  /** One readable line per record instead of JSON, for terminals. */
  pretty?: boolean;
  /** Where records go; stderr by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  // Synchronous: the last records before a crash or `process.exit` are the ones that matter most.
  const target = options.destination ?? pino.destination({ fd: 2, sync: true });
  const stream = options.pretty === true ? prettyLogStream(target) : target;
  return pino({ level: options.level, base: { pid: process.pid } }, stream);
}

/** A logger that drops everything, for tests and embedding callers that bring no logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
