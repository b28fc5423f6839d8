// `--log-pretty` for people at a terminal: one short line per record instead of JSON, without pulling in
// pino-pretty and its transport thread. Machines should keep reading the JSON.
import type { DestinationStream } from 'pino';

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every record has, or that the line shows in its own place. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** `12:34:56.789 WARN  exec failed command=ip durationMs=3 err="…"` */
export function formatLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json; // not JSON: pass through untouched rather than lose it
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[Number(record.level)] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_ELSEWHERE.has(key))
    .map(([key, value]) => `${key}=${formatValue(key, value)}`);
  return [time, level, String(record.msg ?? ''), ...fields].filter((part) => part !== '').join(' ') + '\n';
}

function formatValue(key: string, value: unknown): string {
  // pino serializes errors as {type, message, stack}; the message is what a reader needs on one line.
  if (key === 'err' && typeof value === 'object' && value !== null && 'message' in value) {
    return JSON.stringify(String((value as { message: unknown }).message));
  }
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** A pino destination that writes formatted lines to `target` (stderr by default). */
export function prettyLogStream(
  target: { write(text: string): unknown } = process.stderr,
): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') target.write(formatLogLine(line));
    },
  };
}
