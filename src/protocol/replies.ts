/**
 * One typed builder per numeric: a missing argument fails to compile.
 * A builder returns the parameters after the target; the reply buffer adds the
 * server name as source and the client's nick (or `*`) as the first parameter.
 * Texts follow https://modern.ircdocs.horse/#numerics.
 */
import { N, type NumericCode } from './numerics.js';

export interface Reply {
  code: NumericCode;
  params: string[];
}

const r = (code: NumericCode, ...params: string[]): Reply => ({ code, params });
const s = String;

// Registration and server information
export const RPL_WELCOME = (network: string, mask: string) => r(N.RPL_WELCOME, `Welcome to the ${network} IRC Network ${mask}`);
export const RPL_YOURHOST = (server: string, version: string) => r(N.RPL_YOURHOST, `Your host is ${server}, running version ${version}`);
export const RPL_CREATED = (date: string) => r(N.RPL_CREATED, `This server was created ${date}`);
export const RPL_MYINFO = (server: string, version: string, userModes: string, channelModes: string, channelModesWithParam: string) =>
  r(N.RPL_MYINFO, server, version, userModes, channelModes, channelModesWithParam);
export const RPL_ISUPPORT = (tokens: string[]) => r(N.RPL_ISUPPORT, ...tokens, 'are supported by this server');
export const RPL_UMODEIS = (modes: string) => r(N.RPL_UMODEIS, modes);

// STATS
export const RPL_STATSCOMMANDS = (command: string, count: number) => r(N.RPL_STATSCOMMANDS, command, s(count), '0', '0');
export const RPL_STATSUPTIME = (seconds: number) => {
  const days = Math.floor(seconds / 86400);
  const clock = new Date((seconds % 86400) * 1000).toISOString().slice(11, 19);
  return r(N.RPL_STATSUPTIME, `Server Up ${days} days ${clock}`);
};
export const RPL_STATSDEBUG = (query: string, text: string) => r(N.RPL_STATSDEBUG, query, text);
export const RPL_ENDOFSTATS = (query: string) => r(N.RPL_ENDOFSTATS, query, 'End of /STATS report');

// LUSERS
export const RPL_STATSCONN = (max: number, clients: number) =>
  r(N.RPL_STATSCONN, `Highest connection count: ${max} (${clients} clients)`);
export const RPL_LUSERCLIENT = (users: number, invisible: number, servers: number) =>
  r(N.RPL_LUSERCLIENT, `There are ${users} users and ${invisible} invisible on ${servers} servers`);
export const RPL_LUSEROP = (count: number) => r(N.RPL_LUSEROP, s(count), 'operator(s) online');
export const RPL_LUSERUNKNOWN = (count: number) => r(N.RPL_LUSERUNKNOWN, s(count), 'unknown connection(s)');
export const RPL_LUSERCHANNELS = (count: number) => r(N.RPL_LUSERCHANNELS, s(count), 'channels formed');
export const RPL_LUSERME = (clients: number, servers: number) => r(N.RPL_LUSERME, `I have ${clients} clients and ${servers} servers`);
// The two numeric parameters of 265/266 are optional (Modern); like InspIRCd
// we give the figures in the text only.
export const RPL_LOCALUSERS = (current: number, max: number) => r(N.RPL_LOCALUSERS, `Current local users ${current}, max ${max}`);
export const RPL_GLOBALUSERS = (current: number, max: number) => r(N.RPL_GLOBALUSERS, `Current global users ${current}, max ${max}`);

// ADMIN, VERSION, TIME, INFO, MOTD, HELP
export const RPL_ADMINME = (server: string) => r(N.RPL_ADMINME, server, 'Administrative info');
export const RPL_ADMINLOC1 = (text: string) => r(N.RPL_ADMINLOC1, text);
export const RPL_ADMINLOC2 = (text: string) => r(N.RPL_ADMINLOC2, text);
export const RPL_ADMINEMAIL = (text: string) => r(N.RPL_ADMINEMAIL, text);
export const RPL_VERSION = (version: string, server: string, comments: string) => r(N.RPL_VERSION, version, server, comments);
export const RPL_LINKS = (mask: string, server: string, hopcount: number, info: string) => r(N.RPL_LINKS, mask, server, `${hopcount} ${info}`);
export const RPL_ENDOFLINKS = (mask: string) => r(N.RPL_ENDOFLINKS, mask, 'End of /LINKS list');
export const RPL_TIME = (server: string, unixSeconds: number, text: string) => r(N.RPL_TIME, server, s(unixSeconds), '0', text);
export const RPL_INFO = (text: string) => r(N.RPL_INFO, text);
export const RPL_ENDOFINFO = () => r(N.RPL_ENDOFINFO, 'End of INFO list');
export const RPL_MOTDSTART = (server: string) => r(N.RPL_MOTDSTART, `- ${server} Message of the day - `);
export const RPL_MOTD = (line: string) => r(N.RPL_MOTD, `- ${line}`);
export const RPL_ENDOFMOTD = () => r(N.RPL_ENDOFMOTD, 'End of /MOTD command.');
export const ERR_NOMOTD = () => r(N.ERR_NOMOTD, 'MOTD File is missing');
export const RPL_HELPSTART = (subject: string, line: string) => r(N.RPL_HELPSTART, subject, line);
export const RPL_HELPTXT = (subject: string, line: string) => r(N.RPL_HELPTXT, subject, line);
export const RPL_ENDOFHELP = (subject: string, line: string) => r(N.RPL_ENDOFHELP, subject, line);
export const ERR_HELPNOTFOUND = (subject: string) => r(N.ERR_HELPNOTFOUND, subject, 'No help available on this topic');

// Users: AWAY, ISON, USERHOST, WHOIS, WHOWAS, WHO
export const RPL_AWAY = (nick: string, message: string) => r(N.RPL_AWAY, nick, message);
export const RPL_UNAWAY = () => r(N.RPL_UNAWAY, 'You are no longer marked as being away');
export const RPL_NOWAWAY = () => r(N.RPL_NOWAWAY, 'You have been marked as being away');
export const RPL_USERHOST = (entries: string[]) => r(N.RPL_USERHOST, entries.join(' '));
export const RPL_ISON = (nicks: string[]) => r(N.RPL_ISON, nicks.join(' '));
export const RPL_WHOISUSER = (nick: string, user: string, host: string, realname: string) =>
  r(N.RPL_WHOISUSER, nick, user, host, '*', realname);
export const RPL_WHOISSERVER = (nick: string, server: string, info: string) => r(N.RPL_WHOISSERVER, nick, server, info);
export const RPL_WHOISOPERATOR = (nick: string) => r(N.RPL_WHOISOPERATOR, nick, 'is an IRC operator');
export const RPL_WHOISIDLE = (nick: string, idleSeconds: number, signon: number) =>
  r(N.RPL_WHOISIDLE, nick, s(idleSeconds), s(signon), 'seconds idle, signon time');
export const RPL_WHOISCHANNELS = (nick: string, channels: string) => r(N.RPL_WHOISCHANNELS, nick, channels);
export const RPL_WHOISHOST = (nick: string, user: string, host: string, ip: string) =>
  r(N.RPL_WHOISHOST, nick, `is connecting from ${user}@${host} ${ip}`);
export const RPL_WHOISMODES = (nick: string, modes: string) => r(N.RPL_WHOISMODES, nick, `is using modes ${modes}`);
export const RPL_ENDOFWHOIS = (nick: string) => r(N.RPL_ENDOFWHOIS, nick, 'End of /WHOIS list');
export const RPL_WHOWASUSER = (nick: string, user: string, host: string, realname: string) =>
  r(N.RPL_WHOWASUSER, nick, user, host, '*', realname);
export const RPL_ENDOFWHOWAS = (nick: string) => r(N.RPL_ENDOFWHOWAS, nick, 'End of WHOWAS');
export const RPL_WHOREPLY = (channel: string, user: string, host: string, server: string, nick: string, flags: string, realname: string) =>
  r(N.RPL_WHOREPLY, channel, user, host, server, nick, flags, `0 ${realname}`);
export const RPL_ENDOFWHO = (mask: string) => r(N.RPL_ENDOFWHO, mask, 'End of WHO list');

// IRCv3 and common extensions
export const RPL_WHOISCERTFP = (nick: string, fingerprint: string) => r(N.RPL_WHOISCERTFP, nick, `has client certificate fingerprint ${fingerprint}`);
export const RPL_WHOISBOT = (nick: string, network: string) => r(N.RPL_WHOISBOT, nick, `is a bot on ${network}`);
export const RPL_WHOISSECURE = (nick: string) => r(N.RPL_WHOISSECURE, nick, 'is using a secure connection');
/** WHOX: the fields the client asked for, in the standard order; the realname, if asked, last. */
export const RPL_WHOSPCRPL = (fields: string[]) => r(N.RPL_WHOSPCRPL, ...fields);
export const RPL_MONONLINE = (targets: string[]) => r(N.RPL_MONONLINE, targets.join(','));
export const RPL_MONOFFLINE = (targets: string[]) => r(N.RPL_MONOFFLINE, targets.join(','));
export const RPL_MONLIST = (targets: string[]) => r(N.RPL_MONLIST, targets.join(','));
export const RPL_ENDOFMONLIST = () => r(N.RPL_ENDOFMONLIST, 'End of MONITOR list');
export const ERR_MONLISTFULL = (limit: number, targets: string, text = 'Monitor list is full') => r(N.ERR_MONLISTFULL, s(limit), targets, text);

// draft/metadata-3: the keys of SUB, UNSUB and SUBS replies are separate parameters.
export const RPL_WHOISKEYVALUE = (target: string, key: string, visibility: string, value: string) => r(N.RPL_WHOISKEYVALUE, target, key, visibility, value);
export const RPL_KEYVALUE = (target: string, key: string, visibility: string, value: string) => r(N.RPL_KEYVALUE, target, key, visibility, value);
export const RPL_KEYNOTSET = (target: string, key: string) => r(N.RPL_KEYNOTSET, target, key, 'Key not set');
export const RPL_METADATASUBOK = (keys: string[]) => r(N.RPL_METADATASUBOK, ...keys);
export const RPL_METADATAUNSUBOK = (keys: string[]) => r(N.RPL_METADATAUNSUBOK, ...keys);
export const RPL_METADATASUBS = (keys: string[]) => r(N.RPL_METADATASUBS, ...keys);

// Channels
export const RPL_LISTSTART = () => r(N.RPL_LISTSTART, 'Channel', 'Users  Name');
export const RPL_LIST = (channel: string, visible: number, topic: string) => r(N.RPL_LIST, channel, s(visible), topic);
export const RPL_LISTEND = () => r(N.RPL_LISTEND, 'End of /LIST');
export const RPL_CHANNELMODEIS = (channel: string, modes: string, params: string[]) => r(N.RPL_CHANNELMODEIS, channel, modes, ...params);
export const RPL_CREATIONTIME = (channel: string, created: number) => r(N.RPL_CREATIONTIME, channel, s(created));
export const RPL_NOTOPIC = (channel: string) => r(N.RPL_NOTOPIC, channel, 'No topic is set');
export const RPL_TOPIC = (channel: string, topic: string) => r(N.RPL_TOPIC, channel, topic);
export const RPL_TOPICWHOTIME = (channel: string, setter: string, setAt: number) => r(N.RPL_TOPICWHOTIME, channel, setter, s(setAt));
export const RPL_INVITING = (nick: string, channel: string) => r(N.RPL_INVITING, nick, channel);
export const RPL_INVITELIST = (channel: string) => r(N.RPL_INVITELIST, channel);
export const RPL_ENDOFINVITELIST = () => r(N.RPL_ENDOFINVITELIST, 'End of /INVITE list');
export const RPL_NAMREPLY = (symbol: string, channel: string, names: string) => r(N.RPL_NAMREPLY, symbol, channel, names);
export const RPL_ENDOFNAMES = (channel: string) => r(N.RPL_ENDOFNAMES, channel, 'End of /NAMES list');
export const RPL_BANLIST = (channel: string, mask: string, setter: string, setAt: number) => r(N.RPL_BANLIST, channel, mask, setter, s(setAt));
export const RPL_ENDOFBANLIST = (channel: string) => r(N.RPL_ENDOFBANLIST, channel, 'End of channel ban list');
export const RPL_EXCEPTLIST = (channel: string, mask: string, setter: string, setAt: number) => r(N.RPL_EXCEPTLIST, channel, mask, setter, s(setAt));
export const RPL_ENDOFEXCEPTLIST = (channel: string) => r(N.RPL_ENDOFEXCEPTLIST, channel, 'End of channel exception list');
export const RPL_INVEXLIST = (channel: string, mask: string, setter: string, setAt: number) => r(N.RPL_INVEXLIST, channel, mask, setter, s(setAt));
export const RPL_ENDOFINVEXLIST = (channel: string) => r(N.RPL_ENDOFINVEXLIST, channel, 'End of channel invite exception list');

// Operators
export const RPL_YOUREOPER = () => r(N.RPL_YOUREOPER, 'You are now an IRC operator');
export const RPL_REHASHING = (file: string) => r(N.RPL_REHASHING, file, 'Rehashing');

// Errors
export const ERR_UNKNOWNERROR = (command: string, info: string) => r(N.ERR_UNKNOWNERROR, command, info);
export const ERR_NOSUCHNICK = (nick: string) => r(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
export const ERR_NOSUCHSERVER = (server: string) => r(N.ERR_NOSUCHSERVER, server, 'No such server');
export const ERR_NOSUCHCHANNEL = (channel: string) => r(N.ERR_NOSUCHCHANNEL, channel, 'No such channel');
export const ERR_CANNOTSENDTOCHAN = (channel: string, why: string) => r(N.ERR_CANNOTSENDTOCHAN, channel, `Cannot send to channel (${why})`);
export const ERR_TOOMANYCHANNELS = (channel: string) => r(N.ERR_TOOMANYCHANNELS, channel, 'You have joined too many channels');
export const ERR_WASNOSUCHNICK = (nick: string) => r(N.ERR_WASNOSUCHNICK, nick, 'There was no such nickname');
export const ERR_TOOMANYTARGETS = (target: string, max: number) =>
  r(N.ERR_TOOMANYTARGETS, target, `Too many targets (at most ${max} per command)`);
export const ERR_NOORIGIN = () => r(N.ERR_NOORIGIN, 'No origin specified');
export const ERR_INVALIDCAPCMD = (subcommand: string) => r(N.ERR_INVALIDCAPCMD, subcommand, 'Invalid CAP command');
export const ERR_NORECIPIENT = (command: string) => r(N.ERR_NORECIPIENT, `No recipient given (${command})`);
export const ERR_NOTEXTTOSEND = () => r(N.ERR_NOTEXTTOSEND, 'No text to send');
export const ERR_TOOMANYMATCHES = (command: string, max: number) =>
  r(N.ERR_TOOMANYMATCHES, command, `Output too long: only the first ${max} results; ask for less`);
/** 416 for a search stopped after looking at `max` candidates rather than after `max` results. */
export const ERR_TOOMANYMATCHES_SCANNED = (command: string, max: number) =>
  r(N.ERR_TOOMANYMATCHES, command, `Search stopped after looking at ${max} users; use a narrower mask`);
export const ERR_INPUTTOOLONG = () => r(N.ERR_INPUTTOOLONG, 'Input line was too long');
export const ERR_UNKNOWNCOMMAND = (command: string) => r(N.ERR_UNKNOWNCOMMAND, command, 'Unknown command');
export const ERR_NONICKNAMEGIVEN = () => r(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
export const ERR_ERRONEUSNICKNAME = (nick: string) => r(N.ERR_ERRONEUSNICKNAME, nick, 'Erroneous nickname');
export const ERR_NICKNAMEINUSE = (nick: string, reason = 'Nickname is already in use') => r(N.ERR_NICKNAMEINUSE, nick, reason);
/** A nick or channel the network's directory could not be asked about (Redis down): try again later. */
export const ERR_UNAVAILRESOURCE = (name: string) =>
  r(N.ERR_UNAVAILRESOURCE, name, 'Nick/channel is temporarily unavailable: the network cannot check names right now, try again shortly');
export const ERR_NICKTOOFAST = (nick: string, seconds: number) =>
  r(N.ERR_NICKTOOFAST, nick, `Nick change too fast. Please wait ${seconds} seconds.`);
export const ERR_USERNOTINCHANNEL = (nick: string, channel: string) => r(N.ERR_USERNOTINCHANNEL, nick, channel, "They aren't on that channel");
export const ERR_NOTONCHANNEL = (channel: string) => r(N.ERR_NOTONCHANNEL, channel, "You're not on that channel");
export const ERR_USERONCHANNEL = (nick: string, channel: string) => r(N.ERR_USERONCHANNEL, nick, channel, 'is already on channel');
export const ERR_NOTREGISTERED = () => r(N.ERR_NOTREGISTERED, 'You have not registered');
export const ERR_NEEDMOREPARAMS = (command: string) => r(N.ERR_NEEDMOREPARAMS, command, 'Not enough parameters');
export const ERR_ALREADYREGISTERED = () => r(N.ERR_ALREADYREGISTERED, 'You may not reregister');
export const ERR_PASSWDMISMATCH = () => r(N.ERR_PASSWDMISMATCH, 'Password incorrect');
export const ERR_KEYSET = (channel: string) => r(N.ERR_KEYSET, channel, 'Channel key already set');
export const ERR_CHANNELISFULL = (channel: string) => r(N.ERR_CHANNELISFULL, channel, 'Cannot join channel (+l)');
export const ERR_UNKNOWNMODE = (mode: string) => r(N.ERR_UNKNOWNMODE, mode, 'is unknown mode char to me');
export const ERR_INVITEONLYCHAN = (channel: string) => r(N.ERR_INVITEONLYCHAN, channel, 'Cannot join channel (+i)');
export const ERR_BANNEDFROMCHAN = (channel: string) => r(N.ERR_BANNEDFROMCHAN, channel, 'Cannot join channel (+b)');
export const ERR_BADCHANNELKEY = (channel: string) => r(N.ERR_BADCHANNELKEY, channel, 'Cannot join channel (+k)');
export const ERR_BADCHANMASK = (channel: string) => r(N.ERR_BADCHANMASK, channel, 'Bad Channel Mask');
export const ERR_BANLISTFULL = (channel: string, mode: string, text = 'Channel list is full') => r(N.ERR_BANLISTFULL, channel, mode, text);
export const ERR_NOPRIVILEGES = () => r(N.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
export const ERR_CHANOPRIVSNEEDED = (channel: string) => r(N.ERR_CHANOPRIVSNEEDED, channel, "You're not channel operator");
export const ERR_CANTKILLSERVER = () => r(N.ERR_CANTKILLSERVER, "You can't kill a server!");
export const ERR_NOOPERHOST = () => r(N.ERR_NOOPERHOST, 'No O-lines for your host');
export const ERR_UMODEUNKNOWNFLAG = () => r(N.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
export const ERR_USERSDONTMATCH = () => r(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
export const ERR_INVALIDKEY = (channel: string) => r(N.ERR_INVALIDKEY, channel, 'Key is not well-formed');
export const ERR_INVALIDMODEPARAM = (target: string, mode: string, param: string, description: string) =>
  r(N.ERR_INVALIDMODEPARAM, target, mode, param === '' ? '*' : param, description);

// SASL and accounts (https://ircv3.net/specs/extensions/sasl-3.1)
export const RPL_WHOISACCOUNT = (nick: string, account: string) => r(N.RPL_WHOISACCOUNT, nick, account, 'is logged in as');
export const RPL_LOGGEDIN = (mask: string, account: string) => r(N.RPL_LOGGEDIN, mask, account, `You are now logged in as ${account}`);
export const RPL_LOGGEDOUT = (mask: string) => r(N.RPL_LOGGEDOUT, mask, 'You are now logged out');
export const ERR_NICKLOCKED = () => r(N.ERR_NICKLOCKED, 'You must use a nick assigned to you');
export const RPL_SASLSUCCESS = () => r(N.RPL_SASLSUCCESS, 'SASL authentication successful');
export const ERR_SASLFAIL = () => r(N.ERR_SASLFAIL, 'SASL authentication failed');
export const ERR_SASLTOOLONG = () => r(N.ERR_SASLTOOLONG, 'SASL message too long');
export const ERR_SASLABORTED = () => r(N.ERR_SASLABORTED, 'SASL authentication aborted');
export const ERR_SASLALREADY = () => r(N.ERR_SASLALREADY, 'You have already authenticated using SASL');
export const RPL_SASLMECHS = (mechanisms: string) => r(N.RPL_SASLMECHS, mechanisms, 'are available SASL mechanisms');
