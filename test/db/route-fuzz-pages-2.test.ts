import { defineRouteFuzz } from '../support/route-fuzz-suite.ts';

// Issue 11: every registered route fuzzed (test/support/route-fuzz-suite.ts says how), split across files.
defineRouteFuzz({ name: 'pages-2', areas: ['pages'], shard: [1, 2], checks: false });
