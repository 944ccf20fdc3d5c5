import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequest } from './transport/request-context.ts';

export type { Logger };

/** JSON lines to stdout, or to `destination` (tests read them). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: undefined,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
    // Lines written while serving an HTTP request name it (x-request-id).
    mixin: () => {
      const request = currentRequest();
      return request ? { requestId: request.requestId } : {};
    },
  }, destination);
}
