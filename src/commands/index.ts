/**
 * The command table: every verb Obrol understands, from the family files.
 * To add a command, write its handler and spec row in the family it belongs
 * to (or a new family file) and make sure the family's list is included here.
 */
import { accountCommands } from './account.js';
import { capCommands } from './cap.js';
import { channelCommands } from './channel.js';
import { chathistoryCommands } from './chathistory.js';
import { infoCommands } from './info.js';
import { messagingCommands } from './messaging.js';
import { modeCommands } from './mode.js';
import { metadataCommands } from './metadata.js';
import { monitorCommands } from './monitor.js';
import { multilineCommands } from './multiline.js';
import { operCommands } from './oper.js';
import { readMarkerCommands } from './readmarker.js';
import { redactCommands } from './redact.js';
import { registrationCommands } from './registration.js';
import { saslCommands } from './sasl.js';
import type { CommandSpec } from './spec.js';
import { serviceCommands } from '../services/index.js';
import { userCommands } from './users.js';

const families: CommandSpec[][] = [
  registrationCommands,
  capCommands,
  channelCommands,
  messagingCommands,
  multilineCommands,
  redactCommands,
  modeCommands,
  monitorCommands,
  metadataCommands,
  readMarkerCommands,
  chathistoryCommands,
  userCommands,
  infoCommands,
  operCommands,
  serviceCommands,
  saslCommands,
  accountCommands,
];

function buildTable(): ReadonlyMap<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const spec of families.flat()) {
    if (table.has(spec.verb)) throw new Error(`command ${spec.verb} is defined twice`);
    table.set(spec.verb, Object.freeze(spec));
  }
  return table;
}

export const COMMANDS: ReadonlyMap<string, CommandSpec> = buildTable();
