import { badUserInput, FieldError, type InvalidField } from './errors.ts';

/**
 * A text's length in characters (code points, as PostgreSQL counts them), not UTF-16 units. Texts no
 * longer than `limit` units are short enough either way, so they are not walked.
 */
export function codePointLength(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Small collectors for field rules outside payment runs; all violations are reported at once. */
export class FieldRules {
  readonly violations: InvalidField[] = [];

  text(fieldName: string, value: string | null | undefined, min: number, max: number, pattern?: RegExp) {
    if (value == null) {
      if (min > 0) this.violations.push({ fieldName, error: FieldError.REQUIRED });
      return;
    }
    const length = codePointLength(value, max);
    if (length < min || length > max) this.violations.push({ fieldName, error: FieldError.SIZE, params: { min, max } });
    else if (pattern && !pattern.test(value)) this.violations.push({ fieldName, error: FieldError.REGEX, params: { pattern: pattern.source } });
  }

  add(...violations: InvalidField[]) {
    this.violations.push(...violations);
  }

  throwIfAny(message = 'Invalid input') {
    if (this.violations.length) throw badUserInput(this.violations, message);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface NewUserInput {
  email: string;
  name: string;
  password: string;
  roles?: readonly string[] | null;
}

/** Rules for a new user's fields, under `path` (e.g. `admin.`). Emails are compared lower-cased. */
export function checkNewUser(rules: FieldRules, input: NewUserInput, path = '') {
  rules.text(`${path}email`, input.email, 3, 254, EMAIL);
  rules.text(`${path}name`, input.name, 1, 140);
  rules.text(`${path}password`, input.password, 12, 128);
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
