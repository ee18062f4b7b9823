import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';
import { schoolMoveText } from '../domain/school-moves.ts';
import { SYSTEM, withRuntime } from './database.ts';
import { importProgress, plural } from './output.ts';

/** `schools import`: LAs and schools from the GIAS extract (R58a). */
export function addSchoolsCommands(program: Command): void {
  program
    .command('schools')
    .description('schools and Local Authorities from Get Information about Schools (R58a)')
    .command('import')
    .argument('<file>', 'the GIAS establishment extract: the .zip as downloaded, or the .csv inside it')
    .description(
      'create or update LAs and schools from the GIAS establishment extract; importing the same file again changes nothing',
    )
    .action(async (file: string) => {
      const config = loadConfig();
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ValidationError({
          file:
            code === 'ENOENT' ? `There is no file "${file}".` : `Cannot read "${file}" (${code ?? 'unknown error'}).`,
        });
      }
      const { SYSTEM_CONTEXT } = await import('../services/request-context.ts');
      await withRuntime(config, async (runtime) => {
        // On a terminal only (standard error): the extract is some 50,000 rows.
        const progress = importProgress('Importing schools');
        const r = await runtime.services.schoolImports
          .importFile(SYSTEM, { name: file, bytes }, SYSTEM_CONTEXT, progress.report)
          .finally(progress.done);
        console.log(`Imported ${r.fileName} (${plural(r.rowsRead, 'row')}, SHA-256 ${r.fileSha256}).`);
        console.log(`Local Authorities: ${r.organisationsCreated} created, ${r.organisationsUpdated} renamed.`);
        console.log(
          `Schools: ${r.schools.created} created, ${r.schools.updated} updated, ${r.schools.closed} closed, ${r.schools.unchanged} unchanged.`,
        );
        if (r.moves.length > 0) {
          console.log(
            `${plural(r.moves.length, 'school')} moved to another Local Authority; the assignments of the old LA's accounts to them are kept:`,
          );
          for (const m of r.moves) console.log(`  ${schoolMoveText(m, Number.MAX_SAFE_INTEGER)}`);
        }
        if (r.rowsSkipped > 0) {
          console.log(`${plural(r.rowsSkipped, 'row')} skipped:`);
          for (const p of r.problems) console.log(`  ${p.line === undefined ? '' : `Line ${p.line}: `}${p.message}`);
        }
      });
    });
}
