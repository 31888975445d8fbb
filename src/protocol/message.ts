/**
 * The IRC message as Obrol handles it, after parsing and before serializing.
 * https://modern.ircdocs.horse/#message-format and
 * https://ircv3.net/specs/extensions/message-tags
 */

/** Tag values are unescaped; a tag sent without a value maps to the empty string. */
export type Tags = Map<string, string>;

export interface IrcMessage {
  /** null when the line had no tag section (the common case, so no empty Map is allocated). */
  tags: Tags | null;
  /** The source (prefix) without its leading ':'; null when absent. */
  source: string | null;
  /** Upper-cased verb or three-digit numeric. */
  command: string;
  params: string[];
}

export function message(command: string, params: string[], source: string | null = null, tags: Tags | null = null): IrcMessage {
  return { tags, source, command, params };
}
