/**
 * The IRCv3 capabilities this server offers, each with a bit in the session's
 * capability mask. https://ircv3.net/specs/extensions/capability-negotiation
 *
 * Handlers test bits (`session.hasCap(CAP.ECHO_MESSAGE)`); the serializer
 * uses the RENDER bits to decide which tags a line carries, so recipients
 * with the same RENDER bits share one serialized Buffer.
 */
export const CAP = {
  MULTI_PREFIX: 1 << 0,
  USERHOST_IN_NAMES: 1 << 1,
  MESSAGE_TAGS: 1 << 2,
  SERVER_TIME: 1 << 3,
  ECHO_MESSAGE: 1 << 4,
  AWAY_NOTIFY: 1 << 5,
  EXTENDED_JOIN: 1 << 6,
  ACCOUNT_NOTIFY: 1 << 7,
  ACCOUNT_TAG: 1 << 8,
  CHGHOST: 1 << 9,
  SETNAME: 1 << 10,
  INVITE_NOTIFY: 1 << 11,
  BATCH: 1 << 12,
  LABELED_RESPONSE: 1 << 13,
  STANDARD_REPLIES: 1 << 14,
  CAP_NOTIFY: 1 << 15,
  EXTENDED_MONITOR: 1 << 16,
  STS: 1 << 17,
  METADATA: 1 << 18,
  READ_MARKER: 1 << 19,
  SASL: 1 << 20,
  ACCOUNT_REGISTRATION: 1 << 21,
  CHATHISTORY: 1 << 22,
  EVENT_PLAYBACK: 1 << 23,
  MULTILINE: 1 << 24,
  MESSAGE_REDACTION: 1 << 25,
} as const;

/** Capabilities that change the tags of a line, and so its bytes. */
export const RENDER_CAPS = CAP.MESSAGE_TAGS | CAP.SERVER_TIME | CAP.ACCOUNT_TAG;

export interface Capability {
  name: string;
  bit: number;
  /** Clients may not REQ it (sts is a policy, not a feature). */
  advertiseOnly?: boolean;
}

export const CAPABILITIES: readonly Capability[] = [
  { name: 'account-notify', bit: CAP.ACCOUNT_NOTIFY },
  { name: 'account-tag', bit: CAP.ACCOUNT_TAG },
  { name: 'away-notify', bit: CAP.AWAY_NOTIFY },
  { name: 'batch', bit: CAP.BATCH },
  { name: 'cap-notify', bit: CAP.CAP_NOTIFY },
  // Work-in-progress specifications, under their draft names as Ergo offers them.
  { name: 'draft/account-registration', bit: CAP.ACCOUNT_REGISTRATION },
  { name: 'draft/chathistory', bit: CAP.CHATHISTORY },
  { name: 'draft/event-playback', bit: CAP.EVENT_PLAYBACK },
  { name: 'draft/message-redaction', bit: CAP.MESSAGE_REDACTION },
  { name: 'draft/metadata-3', bit: CAP.METADATA },
  { name: 'draft/multiline', bit: CAP.MULTILINE },
  { name: 'draft/read-marker', bit: CAP.READ_MARKER },
  { name: 'chghost', bit: CAP.CHGHOST },
  { name: 'echo-message', bit: CAP.ECHO_MESSAGE },
  { name: 'extended-join', bit: CAP.EXTENDED_JOIN },
  { name: 'extended-monitor', bit: CAP.EXTENDED_MONITOR },
  { name: 'invite-notify', bit: CAP.INVITE_NOTIFY },
  { name: 'labeled-response', bit: CAP.LABELED_RESPONSE },
  { name: 'message-tags', bit: CAP.MESSAGE_TAGS },
  { name: 'multi-prefix', bit: CAP.MULTI_PREFIX },
  { name: 'sasl', bit: CAP.SASL },
  { name: 'server-time', bit: CAP.SERVER_TIME },
  { name: 'setname', bit: CAP.SETNAME },
  { name: 'standard-replies', bit: CAP.STANDARD_REPLIES },
  { name: 'sts', bit: CAP.STS, advertiseOnly: true },
  { name: 'userhost-in-names', bit: CAP.USERHOST_IN_NAMES },
];

const byName = new Map(CAPABILITIES.map((cap) => [cap.name, cap]));

export function findCapability(name: string): Capability | undefined {
  return byName.get(name);
}

/** Names of the capabilities set in `mask`, in table order. */
export function capNames(mask: number): string[] {
  return CAPABILITIES.filter((cap) => (mask & cap.bit) !== 0).map((cap) => cap.name);
}
