/**
 * The stored records services hand to the interfaces (pages, API, SCIM). Routes name them from
 * here, never from src/data, so that the layering (routes → services → data) holds for types too.
 */
export type { Account, Organisation } from '../data/database.ts';
