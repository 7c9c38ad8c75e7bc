/**
 * The `rpm` command group: `driftless rpm inspect|contents|verify|build …`. Each subcommand
 * registers itself on the group (created once, shared with rpm-build's `rpmGroup`).
 */
import type { Command } from 'commander';
import { registerRpmInspect, registerRpmContents } from './rpm-inspect.js';
import { registerRpmVerify } from './rpm-verify.js';

/** The `rpm` group, created on first use. */
export function rpmCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'rpm') ?? program.command('rpm').description('read, verify and write RPM packages');
}

export function registerRpm(program: Command): void {
  const rpm = rpmCommand(program);
  registerRpmInspect(rpm);
  registerRpmContents(rpm);
  registerRpmVerify(rpm);
}
