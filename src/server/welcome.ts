/**
 * The registration burst, rendered cheaply. Of 001-005, LUSERS and the MOTD only
 * the target nick, 001's mask and the LUSERS figures differ from one client
 * to the next; the rest follows the configuration. So those lines are
 * rendered once, by the same reply builders and serializer as any reply (the
 * same bytes), and kept as the text either side of the nick. A registration
 * splices its nick in, renders the eight LUSERS lines and 001, and encodes
 * the whole burst at once: no Outgoing or reply-buffer entry per line, and
 * the lines are views of one Buffer.
 *
 * The rendering follows the server's config, MOTD and ISUPPORT, which a
 * REHASH replaces with new objects (ObrolServer.applyConfig): the template
 * is rebuilt when any of them is not the one it was made from.
 */
import type { ServerApi } from '../commands/context.js';
import { isupportReplies, motdReplies } from '../commands/info.js';
import { Outgoing } from '../protocol/outgoing.js';
import { MAX_BODY_BYTES, middle, serializeBody } from '../protocol/serialize.js';
import { RPL_CREATED, RPL_MYINFO, RPL_YOURHOST, type Reply } from '../protocol/replies.js';
import { FLAG_MODES, LIST_MODES, STATUS_MODES } from '../state/channel.js';
import { USER_MODES } from '../state/user.js';
import type { Session } from './session.js';

const CHANNEL_MODES = [...LIST_MODES, ...FLAG_MODES, 'k', 'l', ...STATUS_MODES.map((s) => s.mode)].sort().join('');
const CHANNEL_MODES_WITH_PARAM = [...LIST_MODES, 'k', 'l', ...STATUS_MODES.map((s) => s.mode)].sort().join('');

/** 002-004 (001's text holds the user's mask: it is rendered per user). */
function welcomeStaticReplies(server: ServerApi): Reply[] {
  const { info } = server;
  return [
    RPL_YOURHOST(info.name, info.version),
    RPL_CREATED(info.createdAt.toUTCString()),
    RPL_MYINFO(info.name, info.version, USER_MODES, CHANNEL_MODES, CHANNEL_MODES_WITH_PARAM),
  ];
}

/** A numeric from the server to `target`, with CRLF, and `tag` (`@time=... ` or '') before it. */
export function renderReply(serverName: string, target: string, reply: Reply, tag: string): string {
  return `${tag}${serializeBody(serverName, reply.code, [target, ...reply.params])}\r\n`;
}

/** Write `text` (whole lines, each ending in CRLF) to the session: encoded once, each line a view of that Buffer (a link takes one line per Buffer). */
export function writeLines(session: Session, text: string): void {
  const bytes = Buffer.from(text);
  // As many bytes as characters: all ASCII, so the line ends are found in the string (faster than in the Buffer).
  const ascii = bytes.length === text.length;
  let start = 0;
  while (start < bytes.length) {
    const end = (ascii ? text.indexOf('\n', start) : bytes.indexOf(0x0a, start)) + 1 || bytes.length;
    session.conn.write(bytes.subarray(start, end));
    start = end;
  }
}

/**
 * Numerics to one target, pre-rendered: each line is `:server CODE `, the
 * target, then the rest (kept as `tails`, with CRLF).
 */
export class NickLines {
  private readonly heads: string[] = [];
  private readonly tails: string[] = [];
  /** The longest line's bytes without the target: a target that makes a line pass 510 bytes cuts its text, so those are rendered whole. */
  private readonly longest: number;

  constructor(
    private readonly serverName: string,
    private readonly replies: readonly Reply[],
  ) {
    let longest = 0;
    for (const reply of replies) {
      const head = `:${serverName} ${reply.code} `;
      // A one-byte target: lines long enough to be cut with it are never spliced (see render).
      const body = serializeBody(serverName, reply.code, ['N', ...reply.params]);
      // The target is a middle parameter (the replies have text after it); if not, nothing is spliced.
      if (!body.startsWith(`${head}N `)) longest = Infinity;
      this.heads.push(head);
      this.tails.push(`${body.slice(head.length + 1)}\r\n`);
      longest = Math.max(longest, Buffer.byteLength(body) - 1);
    }
    this.longest = longest;
  }

  /** The lines for `nick`, each with `tag` first. */
  render(nick: string, tag: string): string {
    const target = middle(nick);
    const { heads, tails } = this;
    if (this.longest + Buffer.byteLength(target) > MAX_BODY_BYTES) {
      return this.replies.map((reply) => renderReply(this.serverName, target, reply, tag)).join('');
    }
    let text = '';
    for (let k = 0; k < heads.length; k++) text += tag + heads[k] + target + tails[k];
    return text;
  }
}

/** The parts of the burst that follow the configuration: 002-005, and the MOTD (or 422). */
export class WelcomeTemplate {
  readonly serverName: string;
  readonly network: string;
  readonly static: NickLines;
  readonly motd: NickLines;

  constructor(
    server: ServerApi,
    readonly config: unknown,
    readonly motdLines: unknown,
    readonly isupportLines: unknown,
  ) {
    this.serverName = server.info.name;
    this.network = server.config.server.network;
    this.static = new NickLines(this.serverName, [...welcomeStaticReplies(server), ...isupportReplies(server)]);
    this.motd = new NickLines(this.serverName, motdReplies(server));
  }

  /** Made from what `server` serves now. */
  fits(server: ServerApi): boolean {
    return this.config === server.config && this.motdLines === server.motd() && this.isupportLines === server.isupportLines() && this.serverName === server.info.name;
  }
}

const templates = new WeakMap<ServerApi, WelcomeTemplate>();

/** The server's template, rebuilt when its configuration, MOTD or ISUPPORT changed. */
export function welcomeTemplate(server: ServerApi): WelcomeTemplate {
  let template = templates.get(server);
  if (template === undefined || !template.fits(server)) {
    template = new WelcomeTemplate(server, server.config, server.motd(), server.isupportLines());
    templates.set(server, template);
  }
  return template;
}

let lastGreeting: Outgoing | null = null;

/**
 * The NOTICE every connection gets first. A new connection has negotiated
 * nothing, so its bytes are the same for everyone: one Outgoing (which
 * keeps its rendered Buffer) serves them all while the server name stays.
 */
export function greeting(serverName: string): Outgoing {
  if (lastGreeting === null || lastGreeting.message.source !== serverName) {
    lastGreeting = new Outgoing({
      tags: null,
      source: serverName,
      command: 'NOTICE',
      params: ['*', '*** Welcome to Obrol. Register with NICK <nick> and USER <user> 0 * :<real name>; HELP lists the commands.'],
    });
  }
  return lastGreeting;
}
