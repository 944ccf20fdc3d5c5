/**
 * Expected failures carry a stable code from the contract (CONTRACT.md §4, §6). The GraphQL layer
 * maps them to `extensions.code`; anything that is not a DomainError is masked.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INSUFFICIENT_PERMISSIONS: 'INSUFFICIENT_PERMISSIONS',
  INVALID_STATE: 'INVALID_STATE',
  SANDBOX_DISABLED: 'SANDBOX_DISABLED',
  SCA_NOT_ENROLLED: 'SCA_NOT_ENROLLED',
  SCA_CHALLENGE_INVALID: 'SCA_CHALLENGE_INVALID',
  SELF_APPROVAL_NOT_ALLOWED: 'SELF_APPROVAL_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_CURRENCY: 'UNSUPPORTED_CURRENCY',
  INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS: 'INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS',
  MISSING_SUPPLIER_TYPE: 'MISSING_SUPPLIER_TYPE',
  DUPLICATE_PAYMENT_RUN_REF: 'DUPLICATE_PAYMENT_RUN_REF',
  PAYMENT_RUN_ALREADY_CONFIRMED: 'PAYMENT_RUN_ALREADY_CONFIRMED',
  LINKED_ACCOUNT_INVALID_STATE: 'LINKED_ACCOUNT_INVALID_STATE',
  LINKED_ACCOUNT_NOT_FOUND: 'LINKED_ACCOUNT_NOT_FOUND',
  TOO_MANY_LINKED_ACCOUNT_PER_CURRENCY: 'TOO_MANY_LINKED_ACCOUNT_PER_CURRENCY',
  FUNDING_LIMIT_EXCEEDED: 'FUNDING_LIMIT_EXCEEDED',
  IDEMPOTENCY_REF_REUSED: 'IDEMPOTENCY_REF_REUSED',
  IDEMPOTENT_REQUEST_IN_PROGRESS: 'IDEMPOTENT_REQUEST_IN_PROGRESS',
  /** CONTRACT §7: restartPaymentRun used up (3 per run); the run can only be cancelled. */
  SCA_ATTEMPTS_EXHAUSTED: 'SCA_ATTEMPTS_EXHAUSTED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One rejected input field: `fieldName` is a path such as `payables[3].supplier.name`. */
export const FieldError = {
  REQUIRED: 'REQUIRED',
  SIZE: 'SIZE',
  RANGE: 'RANGE',
  REGEX: 'REGEX',
  IN: 'IN',
  CHECKSUM: 'CHECKSUM',
} as const;
export type FieldError = (typeof FieldError)[keyof typeof FieldError];

export interface InvalidField {
  fieldName: string;
  error: FieldError;
  params?: Record<string, unknown>;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly extensions: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.extensions = extensions;
  }
}

export const notFound = (what = 'Object') => new DomainError(ErrorCode.NOT_FOUND, `${what} not found`);

export const badUserInput = (invalidFields: InvalidField[], message = 'Invalid input') =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, { invalidFields });

export const invalidState = (currentStatus: string, action: string) =>
  new DomainError(ErrorCode.INVALID_STATE, `Cannot ${action} while ${currentStatus}`, { currentStatus });

export const insufficientPermissions = (action: string) =>
  new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, `Not allowed to ${action}`);
