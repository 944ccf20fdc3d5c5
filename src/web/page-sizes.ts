/**
 * How many items each of the dashboard's pages asks for. The gateway scores a read's worst case by
 * its page sizes (the cost limit): src/graphql/dashboard-cost.test.ts scores the documents with these.
 */
export const RUNS_PAGE_SIZE = 20;
export const PAYABLES_PAGE_SIZE = 50;
export const TRANSFERS_PAGE_SIZE = 50;
