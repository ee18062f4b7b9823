import { defineRouteFuzz } from '../support/route-fuzz-suite.ts';

// Issue 11: every registered route fuzzed (test/support/route-fuzz-suite.ts says how), split across files.
defineRouteFuzz({ name: 'machines', areas: ['api', 'scim'], shard: [0, 1], checks: false });
