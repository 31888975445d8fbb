/**
 * ChanServ: channel registration (REGISTER, OP, DEOP, VOICE, AMODE, DROP, INFO).
 */
import type { Service } from './service.js';

export const chanServ: Service = {
  nick: 'ChanServ',
  aliases: ['CS'],
  description: 'registers channels and keeps their modes, topic and operators',
  commands: [],
};
