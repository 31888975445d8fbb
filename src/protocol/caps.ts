/**
 * The IRCv3 capabilities this server offers, each with a bit for the
 * session's capability mask. https://ircv3.net/specs/extensions/capability-negotiation
 *
 * The list is empty in the core server: CAP negotiation works (clients that
 * send CAP LS/REQ/END are served and never blocked), and capabilities are
 * added here as they are implemented.
 */
export interface Capability {
  name: string;
  /** Shown as name=value to clients that asked for CAP LS 302. */
  value?: string;
  /** Set in the session's capability mask when enabled. */
  bit: number;
}

export const CAPABILITIES: readonly Capability[] = [];

const byName = new Map(CAPABILITIES.map((cap) => [cap.name, cap]));

export function findCapability(name: string): Capability | undefined {
  return byName.get(name);
}
