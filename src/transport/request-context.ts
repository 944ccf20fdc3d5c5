import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The request each piece of work belongs to. Every HTTP request runs inside one, so every log line
 * written while serving it — by resolvers, the domain, the error masker — names its request id
 * (the logger reads it, see src/logger.ts) without anyone passing it along.
 */
export interface RequestScope {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const currentRequest = (): RequestScope | undefined => storage.getStore();

export const runInRequest = <T>(scope: RequestScope, work: () => T): T => storage.run(scope, work);

/** A client's id is kept when it is a sane token (no spaces or control characters, at most 128). */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}
