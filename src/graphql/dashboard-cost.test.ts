import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { RunDetailDocument, RunsPageDocument } from '../web/generated/graphql.ts';
import { PAYABLES_PAGE_SIZE, RUNS_PAGE_SIZE, TRANSFERS_PAGE_SIZE } from '../web/page-sizes.ts';
import { queryCost } from './cost.ts';
import { encodeGlobalId } from './ids.ts';
import { schema } from './schema.ts';

/**
 * The dashboard's own reads, scored as the gateway scores them (CONTRACT §12: "the dashboard's
 * ordinary reads stay well inside" the cost limit) at the page sizes the page asks for. Well inside
 * means five of them would still pass. Scores when written: run page 8,675 (7,773 before it listed transfers), runs list 1,851.
 */
const cost = (document: { toString(): string }, variableValues: Record<string, unknown>) =>
  queryCost({ schema, document: parse(document.toString()), variableValues } as never);

describe('the dashboard\'s reads and the cost limit', () => {
  const limit = loadConfig({}).maxQueryCost;

  it('scores the run page (payables, transfers and their references) under a fifth of the limit', () => {
    const score = cost(RunDetailDocument, {
      id: encodeGlobalId('PaymentRun', randomUUID()), first: PAYABLES_PAGE_SIZE, transfersFirst: TRANSFERS_PAGE_SIZE,
    });
    expect(score).toBeGreaterThan(PAYABLES_PAGE_SIZE + TRANSFERS_PAGE_SIZE);
    expect(score).toBeLessThan(limit / 5);
  });

  it('scores the runs list under a fifth of the limit', () => {
    const score = cost(RunsPageDocument, { first: RUNS_PAGE_SIZE });
    expect(score).toBeGreaterThan(RUNS_PAGE_SIZE);
    expect(score).toBeLessThan(limit / 5);
  });
});
