import { defineRouteFuzz } from '../support/route-fuzz-suite.ts';

// Issue 11: every registered route fuzzed (test/support/route-fuzz-suite.ts says how), split across files.
defineRouteFuzz({ name: 'pages-1', areas: ['pages'], shard: [0, 2], checks: true });
