/**
 * `driftless demo`: the offline end-to-end demonstration run by `npm run demo`.
 * It grows with the project: today it exercises the version logic on rpm's own vectors;
 * the RPM writer, repository and composer stages are added as they land.
 */
import type { Command } from 'commander';
import { rpmvercmp } from '../../rpm/vercmp.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the offline end-to-end demo (writes only under out/demo/)')
    .action(async () => {
      const pairs: Array<[string, string]> = [
        ['1.0~rc1', '1.0'],
        ['1.0^git1', '1.0'],
        ['2:1.0', '1:9.9'],
      ];
      for (const [a, b] of pairs) process.stdout.write(`vercmp ${a} ${b} = ${rpmvercmp(a, b)}\n`);
    });
}
