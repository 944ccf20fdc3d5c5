import { GraphQLError } from 'graphql';
import { DomainError } from '../domain/shared/errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Expected failures (DomainError) become GraphQL errors with the contract's `extensions.code` and
 * their details; GraphQL's own request errors pass through; anything else is logged and masked, so
 * no stack trace or SQL ever leaves the process.
 */
export function createErrorMasker(logger: Logger) {
  return (error: unknown): Error => {
    let cause: unknown = error;
    while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
    const located = error instanceof GraphQLError ? error : undefined;
    if (cause instanceof DomainError) {
      return new GraphQLError(cause.message, {
        nodes: located?.nodes,
        path: located?.path,
        extensions: { ...cause.extensions, code: cause.code },
      });
    }
    if (cause instanceof GraphQLError) return cause;
    logger.error({ err: cause, path: located?.path }, 'unexpected error');
    return new GraphQLError('Unexpected error.', {
      nodes: located?.nodes,
      path: located?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
