import type { Kysely } from 'kysely';

/** `db` with `hook` called before each statement it sends (to count them, or to refuse them by throwing). */
export function withQueryHook<T>(db: Kysely<T>, hook: () => void): Kysely<T> {
  return db.withPlugin({
    transformQuery: (args) => {
      hook();
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  });
}
