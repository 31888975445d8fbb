/** irc-framework ships no types; the core reaches it through IrcClientLike (irc.ts). */
declare module 'irc-framework' {
  const IRC: { Client: new (options?: Record<string, unknown>) => unknown };
  export default IRC;
}
