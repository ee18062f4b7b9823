import { simulationSuite } from '../support/lifecycle-simulation.ts';

/** Issue 10's three simulated years (test/support/lifecycle-simulation.ts) on the default policy. */
simulationSuite('the default policy (15, 16, 17 / 18 months)', {}, { warningMonths: [15, 16, 17], archiveMonths: 18 });
