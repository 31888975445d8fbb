// Builds the native socket transport (native/transport.cc) with node-gyp,
// against the headers installed with this Node (nothing is downloaded).
// Run by `npm install` / `npm ci` (the package's install script) and by
// `npm run build:native`. A failure is not fatal: the server then uses
// Node's own sockets (listen.transport: auto), and says so when it starts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function skip(why) {
  console.warn(`obrol: native transport not built: ${why}; the server will use Node's sockets`);
  process.exit(0);
}

if (process.env.OBROL_NO_NATIVE) skip('OBROL_NO_NATIVE is set');
if (process.platform !== 'linux') skip('it needs Linux (epoll)');

// npm passes its node-gyp and nodedir to install scripts; when run by hand, use
// npm's bundled node-gyp and the headers next to this node binary.
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : '');
const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : '');
if (!gyp) skip('node-gyp not found (it comes with npm)');
if (!nodedir) skip(`no Node headers in ${join(prefix, 'include', 'node')} (and npm_config_nodedir is not set)`);

const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { stdio: 'inherit' });
if (result.status !== 0) skip(`node-gyp failed (exit ${result.status ?? result.signal}); it needs python3, make and g++`);
console.log('obrol: native transport built (build/Release/obrol_transport.node)');
