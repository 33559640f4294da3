import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './core/paths.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
