/**
 * Preloaded into the real server measured by `npm run bench:lifecycle`
 * (`node --import bench/support/clock-shift.mjs bin/nexus-accounts.js serve`): the process's wall
 * clock starts at BENCH_CLOCK_START (an ISO instant) and runs on at the real pace from there, so
 * that the server's own scheduler (croner, on `new Date()`) fires the nightly 02:00 run of the
 * bench's date a few seconds after the server has started, as it would on that night. Only `Date`
 * is shifted (no timers, no monotonic clock); dates given explicitly are untouched.
 *
 * Plain JavaScript: it runs before anything is compiled, like bin/nexus-accounts.js.
 */
const start = process.env.BENCH_CLOCK_START;
if (start) {
  const RealDate = Date;
  const target = RealDate.parse(start);
  if (Number.isNaN(target)) throw new Error(`BENCH_CLOCK_START is not an instant: ${start}`);
  const offset = target - RealDate.now();
  // A function, not a subclass: `Date()` called without `new` still gives a string, and every date
  // (made here, before the shift or by Node's internals) shares the one prototype.
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(RealDate.now() + offset).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [RealDate.now() + offset] : args, new.target);
  }
  ShiftedDate.prototype = RealDate.prototype;
  ShiftedDate.now = () => RealDate.now() + offset;
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;
  globalThis.Date = ShiftedDate;
}
