import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Settings of the graphql-ws endpoint that belong with the event streams rather than the app. */

/** Ping interval; a socket that misses a pong for as long is dropped, so dead peers free their streams. */
export const WS_KEEP_ALIVE_MS = 12_000;

/**
 * An error thrown while a stream runs reaches graphql-ws as is (yoga masks execution results, not
 * the source iterator's own failure): pass it through the app's masker like any other, so no SQL or
 * stack trace leaves the process.
 */
export function maskStreamErrors(maskError: (error: unknown) => Error) {
  return (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const masked = maskError(error);
      return masked instanceof GraphQLError ? masked.toJSON() : { message: masked.message };
    });
}

/**
 * A failure while setting a subscription up (a syntax error, RATE_LIMITED or UNAUTHENTICATED from
 * the context factory) must answer that one operation with an error message. Thrown from
 * onSubscribe it would close the whole socket with 4500 and every other subscription on it.
 */
export function refuseOperation(maskError: (error: unknown) => Error) {
  return (error: unknown): readonly GraphQLError[] => {
    const masked = maskError(error);
    return [masked instanceof GraphQLError ? masked : new GraphQLError(masked.message)];
  };
}
