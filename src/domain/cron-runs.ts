import type { Cron } from 'croner';
import type { RunSchedule } from './lifecycle.ts';

/** How far a cached range of runs may grow (daily runs: eleven years); questions beyond it are answered without it. */
const MAX_CACHED_RUNS = 4000;

/**
 * The runs of a cron schedule, for the lifecycle schedule's "which run does it": croner takes about
 * 0.1 ms a question, and the job asks several times per account, so the runs already computed are
 * kept as one sorted, gap-free range and answered from it by binary search.
 */
export class CronRunSchedule implements RunSchedule {
  readonly #cron: Cron;
  /** Consecutive runs of the schedule (no run of the schedule falls between two neighbours), in ms. */
  #runs: number[] = [];

  constructor(cron: Cron) {
    this.#cron = cron;
  }

  /** croner's nextRun(t) is strictly after t and works in whole seconds. */
  #after(ms: number): number {
    const next = this.#cron.nextRun(new Date(ms));
    if (!next) throw new Error('The lifecycle schedule has no further runs');
    return next.getTime();
  }

  #direct(ms: number): number {
    return this.#after(ms - 1);
  }

  nextRunAtOrAfter(instant: Date): Date {
    const ms = instant.getTime();
    const runs = this.#runs;
    if (runs.length === 0) {
      runs.push(this.#direct(ms));
      return new Date(runs[0]!);
    }
    if (ms > runs[runs.length - 1]!) {
      // Grow forwards while the range stays bounded; beyond that, answer without caching.
      while (runs[runs.length - 1]! < ms && runs.length < MAX_CACHED_RUNS)
        runs.push(this.#after(runs[runs.length - 1]!));
      const last = runs[runs.length - 1]!;
      return new Date(last >= ms ? last : this.#direct(ms));
    }
    const first = runs[0]!;
    if (ms <= first) {
      const answer = this.#direct(ms);
      if (answer === first) return new Date(first);
      // Earlier than the range: prepend the runs from the answer up to it, if they fit.
      const chain = [answer];
      while (chain.length + runs.length < MAX_CACHED_RUNS) {
        const next = this.#after(chain[chain.length - 1]!);
        if (next >= first) {
          if (next === first) this.#runs = [...chain, ...runs];
          break;
        }
        chain.push(next);
      }
      return new Date(answer);
    }
    let lo = 0;
    let hi = runs.length - 1;
    // Invariant: runs[lo] < ms <= runs[hi].
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (runs[mid]! < ms) lo = mid;
      else hi = mid;
    }
    return new Date(runs[hi]!);
  }
}
