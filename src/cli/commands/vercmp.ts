/** `driftless vercmp A B` and `driftless vercmp --stdin`: rpm version comparison. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { rpmvercmp } from '../../rpm/vercmp.js';
import { DriftlessError } from '../../core/errors.js';

export function registerVercmp(program: Command): void {
  program
    .command('vercmp')
    .description('compare two versions as rpm does; prints -1, 0 or 1')
    .argument('[a]')
    .argument('[b]')
    .option('--stdin', 'read "A B" pairs, one per line, print one result per line')
    .action(async (a: string | undefined, b: string | undefined, opts: { stdin?: boolean }) => {
      if (opts.stdin) {
        const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
        const out: string[] = [];
        let n = 0;
        for await (const line of rl) {
          n++;
          if (line.trim() === '') continue;
          const parts = line.trim().split(/\s+/);
          if (parts.length !== 2) throw new DriftlessError('CLI_USAGE', `stdin line ${n}: expected "A B", got ${JSON.stringify(line)}`);
          out.push(String(rpmvercmp(parts[0]!, parts[1]!)));
          if (out.length >= 4096) process.stdout.write(out.splice(0).join('\n') + '\n');
        }
        if (out.length) process.stdout.write(out.join('\n') + '\n');
        return;
      }
      if (a === undefined || b === undefined) throw new DriftlessError('CLI_USAGE', 'vercmp needs two versions (or --stdin)');
      process.stdout.write(`${rpmvercmp(a, b)}\n`);
    });
}
