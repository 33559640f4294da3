import { execFileSync } from 'node:child_process';

/** Integration tests run the built daemon (`dist/`), exactly as users do: build it once first. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
