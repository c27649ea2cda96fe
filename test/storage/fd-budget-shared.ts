/** What fd-budget.test.ts and its child agree on. */
export const T0 = 1_700_000_000_000;
