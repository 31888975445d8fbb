/** Obrol's version, from package.json: its own module so the CLI can name it without loading the server. */
import { readFileSync } from 'node:fs';

export const VERSION = readPackageVersion();

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
