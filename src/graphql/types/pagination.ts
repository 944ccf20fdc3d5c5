import { decodeBase64, decodeCursorChunk } from '@pothos/core';
import { DomainError, ErrorCode, FieldError } from '../../domain/shared/errors.ts';
import { isUuid } from '../../domain/shared/ids.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

const outOfRange = (fieldName: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, `${fieldName} must be between 0 and ${MAX_PAGE_SIZE}`, {
    invalidFields: [{ fieldName, error: FieldError.RANGE, params: { min: 0, max: MAX_PAGE_SIZE } }],
  });

/** `first` (or `last`) for every connection: default 50, at most 500, never negative. */
export function pageSize(first: number | null | undefined, fieldName = 'first'): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw outOfRange(fieldName);
  return first;
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/**
 * Which page a connection's arguments ask for. `first` reads forward from `after`; `last` (or a
 * `before` alone) reads backward from `before` — the newest entries when no `before` is given — and
 * the page is still returned in ascending order, as Relay specifies. Asking for both `first` and
 * `last` is refused rather than guessed at.
 */
export function pageWindow(args: PageArgs): { size: number; backward: boolean } {
  if (args.first != null && args.last != null) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'Give first or last, not both', {
      invalidFields: [{ fieldName: 'last', error: FieldError.IN, params: { reason: 'FIRST_AND_LAST' } }],
    });
  }
  const backward = args.last != null || (args.first == null && args.before != null);
  return { size: backward ? pageSize(args.last, 'last') : pageSize(args.first), backward };
}

/** Relay's pageInfo for a page read in either direction; `more` says whether rows lay beyond it. */
export function pageInfo<T>(rows: readonly T[], cursorOf: (row: T) => string, args: PageArgs, backward: boolean, more: boolean) {
  return {
    hasNextPage: backward ? args.before != null : more,
    hasPreviousPage: backward ? more : args.after != null,
    startCursor: rows[0] ? cursorOf(rows[0]) : null,
    endCursor: rows.length ? cursorOf(rows[rows.length - 1]!) : null,
  };
}

/**
 * For connections the Prisma plugin pages by row id (`cursor: 'id'`): the plugin refuses a cursor it
 * cannot decode, but hands one that decodes to anything else (a text, a number) to SQL as a uuid,
 * which fails there. Such a cursor is refused here as bad input instead.
 */
export function checkIdCursors(args: PageArgs): void {
  for (const fieldName of ['after', 'before'] as const) {
    const cursor = args[fieldName];
    if (cursor == null) continue;
    let id: unknown = null;
    try {
      const decoded = decodeBase64(cursor);
      if (decoded.startsWith('GPC:')) id = decodeCursorChunk(decoded.slice(4));
    } catch {
      // not a cursor at all: refused below
    }
    if (!isUuid(id)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'Unknown cursor', {
        invalidFields: [{ fieldName, error: FieldError.REGEX, params: { reason: 'NOT_A_CURSOR' } }],
      });
    }
  }
}
