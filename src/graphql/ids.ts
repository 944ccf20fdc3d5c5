import { notFound } from '../domain/shared/errors.ts';

/**
 * Opaque global ids: base64url("<Type>:<uuid>"). Anything malformed, of another type, or not a UUID
 * answers NOT_FOUND, exactly like an id that never existed.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const encodeGlobalId = (typename: string, id: string | number | bigint) =>
  Buffer.from(`${typename}:${id}`).toString('base64url');

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const text = Buffer.from(String(globalId), 'base64url').toString();
  const separator = text.indexOf(':');
  const typename = text.slice(0, separator);
  const id = text.slice(separator + 1);
  if (separator < 1 || !UUID.test(id) || encodeGlobalId(typename, id) !== globalId) throw notFound();
  return { typename, id };
}

/** The database id behind a global id that must be of `typename`. */
export function idOf(typename: string, globalId: string): string {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename !== typename) throw notFound(typename);
  return decoded.id;
}
