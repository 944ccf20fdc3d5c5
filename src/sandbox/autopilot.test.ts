import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../domain/shared/ids.ts';
import { autopilotDraw, autopilotFails, autopilotReturns } from './autopilot.ts';

describe('autopilot draws', () => {
  const ids = Array.from({ length: 4000 }, () => uuidv7());

  it('are fixed by the payable id and lie in [0, 1)', () => {
    for (const id of ids.slice(0, 100)) {
      const draw = autopilotDraw(id, 'fail');
      expect(draw).toBe(autopilotDraw(id, 'fail'));
      expect(draw).toBeGreaterThanOrEqual(0);
      expect(draw).toBeLessThan(1);
    }
    expect(autopilotDraw('0190f5b2-7c4e-7a3b-9c2d-1e2f3a4b5c6d', 'fail')).toBeCloseTo(0.9773164549842477, 12);
  });

  it('never pick at rate 0, always at rate 1, and about the rate in between', () => {
    expect(ids.some((id) => autopilotFails(id, 0) || autopilotReturns(id, 0))).toBe(false);
    expect(ids.every((id) => autopilotFails(id, 1) && autopilotReturns(id, 1))).toBe(true);
    const share = ids.filter((id) => autopilotFails(id, 0.05)).length / ids.length;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.07);
  });

  it('decide failures and returns independently', () => {
    const failing = new Set(ids.filter((id) => autopilotFails(id, 0.5)));
    const returning = ids.filter((id) => autopilotReturns(id, 0.5));
    const both = returning.filter((id) => failing.has(id)).length / ids.length;
    expect(both).toBeGreaterThan(0.2);
    expect(both).toBeLessThan(0.3);
  });
});
