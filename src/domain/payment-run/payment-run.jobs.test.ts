import { describe, expect, it } from 'vitest';
import { invalidRunReason } from './payment-run.jobs.ts';

describe('invalidRunReason', () => {
  it('names the positions of payables whose account does not exist', () => {
    expect(invalidRunReason([3])).toBe('Account does not exist (AC01) for payable at position 3');
    expect(invalidRunReason([3, 17])).toBe('Account does not exist (AC01) for payables at positions 3, 17');
  });

  it('caps the list so the reason stays readable for a run of 10,000', () => {
    const reason = invalidRunReason(Array.from({ length: 500 }, (_, i) => i * 2));
    expect(reason).toMatch(/positions 0, 2, 4, .*, 38 and 480 more$/);
  });
});
