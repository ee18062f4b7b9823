import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order test files start in: the longest first, whatever their project, so that the run does
 * not end with one worker on a long browser journey while the other core idles. vitest's own
 * order runs the projects one after another (every database file, then every journey) and, on a
 * fresh clone, which has no timings of its own, each project in name order.
 *
 * The lengths are those of a whole run on this 2-core machine (file-durations.json: seconds, files
 * of 5 s or more); a file missing from it is short and fills the gaps at the end. vitest's timing
 * cache, where a machine has one, is preferred.
 */
const recorded = JSON.parse(readFileSync(path.join(import.meta.dirname, 'file-durations.json'), 'utf8')) as Record<
  string,
  number
>;

export class LongestFirstSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const seconds = (file: TestSpecification) => {
      const relative = path.relative(root, file.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${file.project.name}:${relative}`)?.duration;
      return cached !== undefined ? cached / 1000 : (recorded[relative] ?? 0);
    };
    return Promise.resolve([...files].sort((a, b) => seconds(b) - seconds(a)));
  }
}
