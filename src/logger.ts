import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequest } from './transport/request-context.ts';

export type { Logger };
export type LogFormat = 'json' | 'pretty';

/**
 * pino: JSON lines in production (one object per line for the log shipper), readable lines on a
 * developer's terminal. Lines written while serving an HTTP request name it (x-request-id), and
 * lines written inside a trace carry its trace_id and span_id, so logs, requests and traces join up.
 * JSON lines go to stdout, or to `destination` (tests read them); `pretty` only on stdout.
 */
export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options = {
    level,
    base: undefined,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
    mixin() {
      const request = currentRequest();
      const span = trace.getActiveSpan()?.spanContext();
      return {
        ...(request ? { requestId: request.requestId } : {}),
        ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
      };
    },
  };
  if (format === 'pretty' && !destination && prettyAvailable()) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return destination ? pino(options, destination) : pino(options);
}

/** Pretty on a terminal outside production; JSON everywhere else (pipes, containers, CI). */
export function defaultLogFormat(env: Record<string, string | undefined> = process.env): LogFormat {
  return process.stdout.isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

/** pino-pretty is a dev dependency: a production install falls back to JSON instead of crashing. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
