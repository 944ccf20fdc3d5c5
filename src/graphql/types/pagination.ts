import { DomainError, ErrorCode, FieldError } from '../../domain/shared/errors.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** `first` for every connection: default 50, at most 500, never negative. */
export function pageSize(first: number | null | undefined, fieldName = 'first'): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `first must be between 0 and ${MAX_PAGE_SIZE}`, {
      invalidFields: [{ fieldName, error: FieldError.RANGE, params: { min: 0, max: MAX_PAGE_SIZE } }],
    });
  }
  return first;
}
