import { simulationSuite } from '../support/lifecycle-simulation.ts';

/** Issue 10's three simulated years (test/support/lifecycle-simulation.ts) on a short policy. */
simulationSuite(
  'LIFECYCLE_WARNING_MONTHS=6,7,8 and LIFECYCLE_ARCHIVE_MONTHS=9',
  { LIFECYCLE_WARNING_MONTHS: '6,7,8', LIFECYCLE_ARCHIVE_MONTHS: '9' },
  { warningMonths: [6, 7, 8], archiveMonths: 9 },
);
