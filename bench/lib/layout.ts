/** Naming shared by the runner and its workers: nicks and loopback source addresses. */

/** A nick of at most 9 characters: two of the run's prefix, then the id in base 36. */
export function nickFor(prefix: string, gid: number): string {
  return `${prefix}${gid.toString(36)}`;
}

/**
 * The loopback source address of a client: 127.<octet>.<hi>.<lo>, `perAddress`
 * clients per address. Spreading clients over addresses keeps each address
 * well inside its ~28000 ephemeral ports (net.ipv4.ip_local_port_range), and
 * a fresh octet per run keeps ports in TIME_WAIT from an earlier run out of the way.
 */
export function sourceAddress(octet: number, index: number): string {
  const a = index % 62500;
  return `127.${octet}.${Math.floor(a / 250)}.${(a % 250) + 1}`;
}
