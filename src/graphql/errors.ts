import { GraphQLError } from 'graphql';
import { DomainError, ErrorCode } from '../domain/shared/errors.ts';
import type { Logger } from '../logger.ts';

/**
 * GraphQLError by its tag, not `instanceof`: errors made by a second copy of graphql (tests load
 * graphql through an alias, dependencies load their own) must be recognised too.
 */
export const isGraphQLError = (value: unknown): value is GraphQLError =>
  value instanceof GraphQLError || Object.prototype.toString.call(value) === '[object GraphQLError]';

const CONTRACT_CODES: ReadonlySet<unknown> = new Set(Object.values(ErrorCode));

/** Over HTTP, RATE_LIMITED is 429 with Retry-After (yoga reads `extensions.http`, never sends it). */
function httpExtensions(code: string, extensions: Record<string, unknown>) {
  if (code !== ErrorCode.RATE_LIMITED) return {};
  const seconds = Math.max(1, Math.ceil(Number(extensions.retryAfterMs ?? 1000) / 1000));
  return { http: { status: 429, headers: { 'Retry-After': String(seconds) } } };
}

/**
 * Every error leaves with a contract code, decided here once:
 * - expected failures (DomainError) carry their code and details;
 * - errors about the request itself — syntax, validation, variables of the wrong type, a @oneOf
 *   with two members, limits — raised before any resolver ran (no `path`), and Pothos's input
 *   checks (a malformed cursor): their own contract code when they have one (QUERY_TOO_COMPLEX,
 *   BAD_USER_INPUT with invalidFields), else BAD_USER_INPUT;
 * - anything else is logged and masked as INTERNAL_SERVER_ERROR, so no stack trace or SQL leaves.
 */
export function createErrorMasker(logger: Logger) {
  return (error: unknown): Error => {
    let cause: unknown = error;
    while (isGraphQLError(cause) && cause.originalError) cause = cause.originalError;
    const located = isGraphQLError(error) ? error : undefined;
    const where = { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path };
    if (cause instanceof DomainError) {
      return new GraphQLError(cause.message, {
        ...where,
        extensions: { ...cause.extensions, code: cause.code, ...httpExtensions(cause.code, cause.extensions) },
      });
    }
    const code = located?.extensions?.code ?? (isGraphQLError(cause) ? cause.extensions?.code : undefined);
    if (located && CONTRACT_CODES.has(code)) {
      return new GraphQLError(located.message, { ...where, extensions: { ...located.extensions, code } });
    }
    // Pothos's own input checks (a malformed connection cursor, a bad global id) are about the input.
    const pothosInputError = cause instanceof Error && cause.name === 'PothosValidationError';
    if (located && (pothosInputError || (!located.path && (isGraphQLError(cause) || located.locations?.length)))) {
      return new GraphQLError(located.message, { ...where, extensions: { ...located.extensions, code: ErrorCode.BAD_USER_INPUT } });
    }
    logger.error({ err: cause, path: located?.path }, 'unexpected error');
    return new GraphQLError('Unexpected error.', {
      ...where,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
