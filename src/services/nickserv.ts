/**
 * NickServ: accounts for clients that expect a service
 * (REGISTER, IDENTIFY, GHOST, REGAIN, DROP, SET PASSWORD, INFO, CERT).
 */
import type { Service } from './service.js';

export const nickServ: Service = {
  nick: 'NickServ',
  aliases: ['NS'],
  description: 'registers and identifies accounts',
  commands: [],
};
