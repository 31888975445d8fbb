/**
 * The IRCv3 capabilities this server offers, each with a bit for the
 * session's capability mask. https://ircv3.net/specs/extensions/capability-negotiation
 *
 * Capabilities are added here as they are implemented; the handlers that
 * honour one check the session's capability set.
 */
export interface Capability {
  name: string;
  /** Shown as name=value to clients that asked for CAP LS 302. */
  value?: string;
  /** Set in the session's capability mask when enabled. */
  bit: number;
}

export const CAPABILITIES: readonly Capability[] = [
  // All of a member's prefixes (@+nick) in NAMES, WHO and WHOIS, not only the highest.
  { name: 'multi-prefix', bit: 1 << 0 },
  // nick!user@host instead of nick in NAMES replies.
  { name: 'userhost-in-names', bit: 1 << 1 },
];

const byName = new Map(CAPABILITIES.map((cap) => [cap.name, cap]));

export function findCapability(name: string): Capability | undefined {
  return byName.get(name);
}
