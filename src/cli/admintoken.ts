/**
 * `obrol admin-token NAME`: a fresh random bearer token for the admin HTTP
 * API, and the config entry that admits it (its SHA-256, never the token).
 * The token is printed once; only the entry goes in the config.
 */
import type { CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { newToken, tokenDigest } from '../admin/tokens.js';

export const adminTokenCommand: CommandModule<object, { name: string; scopes: string }> = {
  command: 'admin-token <name>',
  describe: 'print a new admin API token and the admin_http.tokens entry (its SHA-256) for the config',
  builder: (a) =>
    a
      .positional('name', { type: 'string', demandOption: true, description: 'the name logged with every call made with it' })
      .option('scopes', { type: 'string', default: 'read,write', description: 'comma-separated: read (GET, /metrics), write (POST actions)' }),
  handler: (args) => {
    const name = String(args.name);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      process.stderr.write('obrol: the name must be 1 to 64 letters, digits, dots, dashes or underscores\n');
      process.exit(2);
    }
    const scopes = String(args.scopes).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (scopes.length === 0 || scopes.some((s) => s !== 'read' && s !== 'write')) {
      process.stderr.write('obrol: --scopes takes read, write or read,write\n');
      process.exit(2);
    }
    const token = newToken();
    const entry = stringify([{ name, sha256: tokenDigest(token), scopes }]).trimEnd().replace(/^/gm, '    ');
    process.stdout.write(
      `token: ${token}\n\n` +
        '# Give the token to the client (Authorization: Bearer <token>); it is not stored anywhere.\n' +
        '# Add this entry to admin_http.tokens in the config, then REHASH:\n' +
        `admin_http:\n  tokens:\n${entry}\n`,
    );
  },
};
