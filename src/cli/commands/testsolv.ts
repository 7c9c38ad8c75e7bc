/**
 * `driftless testsolv FILE.t…`: run libsolv testcases like libsolv's `testsolv`.
 * One file: silent and exit 0 when the result matches, otherwise the difference and exit 1.
 * Several files: one line per failing file and a final `N passed, M failed`.
 * `-r` prints our result for the file(s) instead of comparing.
 */
import type { Command } from 'commander';
import { runTestcase } from '../../solver/runner.js';
import { DriftlessError } from '../../core/errors.js';

export function registerTestsolv(program: Command): void {
  program
    .command('testsolv')
    .description('run libsolv testcases (.t) and compare with their expected results')
    .argument('<files...>', 'testcase files')
    .option('-r, --result', 'print the computed result instead of comparing')
    .action(async (files: string[], opts: { result?: boolean }) => {
      if (!files.length) throw new DriftlessError('CLI_USAGE', 'testsolv needs at least one testcase file');
      if (opts.result) {
        for (const f of files) {
          const r = await runTestcase(f, { write: true });
          process.stdout.write(r.output ?? '');
        }
        return;
      }
      if (files.length === 1) {
        const r = await runTestcase(files[0]!);
        if (!r.ok) {
          process.stdout.write(r.diff);
          process.exitCode = 1;
        }
        return;
      }
      let pass = 0;
      let fail = 0;
      for (const f of files) {
        let r;
        try {
          r = await runTestcase(f);
        } catch (e) {
          fail++;
          process.stdout.write(`${f}: error: ${(e as Error).message}\n`);
          continue;
        }
        if (r.ok) pass++;
        else {
          fail++;
          process.stdout.write(`${f}: results differ\n`);
        }
      }
      process.stdout.write(`${pass} passed, ${fail} failed\n`);
      if (fail) process.exitCode = 1;
    });
}
