import { describe, expect, it } from 'vitest';
import { AUTHORISATION_ACTIONS, AUTHORISATION_OUTCOMES, BATCH_ACTIONS, FUNDING_GROUP_ACTIONS, authorisationStates, batchStates, fundingGroupStates } from '../funding/funding.states.ts';
import { PAYABLE_ACTIONS, PAYABLE_OUTCOMES, payableStates } from '../payment-run/payable.states.ts';
import { PAYMENT_RUN_ACTIONS, paymentRunStates } from '../payment-run/payment-run.states.ts';
import { openActions, type ActionTable, type StateMachine } from './state-machine.ts';
import { Role } from './statuses.ts';

const tables: [string, ActionTable<string>, StateMachine<string>][] = [
  ['PAYMENT_RUN_ACTIONS', PAYMENT_RUN_ACTIONS, paymentRunStates as StateMachine<string>],
  ['PAYABLE_ACTIONS', PAYABLE_ACTIONS, payableStates as StateMachine<string>],
  ['PAYABLE_OUTCOMES', PAYABLE_OUTCOMES, payableStates as StateMachine<string>],
  ['FUNDING_GROUP_ACTIONS', FUNDING_GROUP_ACTIONS, fundingGroupStates as StateMachine<string>],
  ['BATCH_ACTIONS', BATCH_ACTIONS, batchStates as StateMachine<string>],
  ['AUTHORISATION_ACTIONS', AUTHORISATION_ACTIONS, authorisationStates as StateMachine<string>],
];

describe('action tables', () => {
  it.each(tables)('%s: every row leads along its machine, and starts from a state that exists', (_, table, machine) => {
    for (const rule of Object.values(table)) {
      for (const from of rule.from) {
        expect(Object.keys(machine.transitions)).toContain(from);
        if (rule.to !== null && rule.to !== from) expect(machine.canTransition(from, rule.to), `${from} → ${rule.to}`).toBe(true);
      }
    }
  });

  it('mirror the contract: who may cancel a run, and when', () => {
    expect(PAYMENT_RUN_ACTIONS.cancel).toMatchObject({ roles: ['CREATOR', 'CONTROLLER'], to: 'CANCELLED', mutation: 'cancelPaymentRun' });
    expect([...PAYMENT_RUN_ACTIONS.cancel.from].sort()).toEqual(['PENDING_CHALLENGE', 'PENDING_CONFIRMATION', 'PENDING_FUNDING', 'QUEUED', 'SCA_FAILED']);
    expect(PAYMENT_RUN_ACTIONS.confirm).toMatchObject({ roles: ['CONTROLLER'], sca: true, from: ['PENDING_CONFIRMATION'], to: 'PENDING_CHALLENGE' });
  });

  it('ask for SCA only of controllers', () => {
    for (const [, table] of tables) {
      for (const rule of Object.values(table)) if (rule.sca) expect(rule.roles).toEqual(['CONTROLLER']);
    }
  });

  it('every outcome path walks the authorisation machine', () => {
    for (const rule of Object.values(AUTHORISATION_OUTCOMES)) {
      for (const paths of [rule.paths, rule.multiAuthPaths ?? {}]) {
        for (const [from, path] of Object.entries(paths)) {
          let at = from;
          for (const to of path!) {
            expect(authorisationStates.canTransition(at as never, to), `${at} → ${to}`).toBe(true);
            at = to;
          }
        }
      }
    }
  });

  it('list the actions open to an actor on an entity in a state', () => {
    const controller = { roles: new Set([Role.CONTROLLER]), scaEnrolled: true };
    const creator = { roles: new Set([Role.CREATOR]), scaEnrolled: false };
    expect(openActions(PAYMENT_RUN_ACTIONS, controller, 'PENDING_CONFIRMATION').sort()).toEqual(['cancel', 'cancelPayables', 'confirm']);
    expect(openActions(PAYMENT_RUN_ACTIONS, creator, 'PENDING_CONFIRMATION').sort()).toEqual(['cancel', 'cancelPayables', 'updatePayables']);
    expect(openActions(PAYMENT_RUN_ACTIONS, { ...controller, scaEnrolled: false }, 'SCA_FAILED')).toEqual(['cancel']);
    expect(openActions(PAYMENT_RUN_ACTIONS, controller, 'COMPLETED')).toEqual([]);
  });
});
