import { execFileSync } from 'node:child_process';
import { attackTable, resetAttacks } from './table.js';

/** Builds the daemon once (the tests start dist/, the bundle as shipped), and prints the attack table when all is done. */
export default function setup(): () => void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  resetAttacks();
  return () => {
    process.stdout.write(`\n== security: each attack, before the fix and now\n${attackTable()}\n\n`);
  };
}
