import { describe, expect, it } from 'vitest';
import { disconnectReason } from '../../../src/server/stats.js';

describe('disconnect reasons as metric labels', () => {
  it.each([
    ['Quit: bye', 'quit'],
    ['Client Quit', 'quit'],
    ['Quit: Killed (x (y))', 'quit'],
    ['Killed (alice (spam))', 'kill'],
    ['Ping timeout: 180 seconds', 'ping_timeout'],
    ['Registration timed out', 'registration_timeout'],
    ['SendQ exceeded', 'sendq_exceeded'],
    ['Excess Flood', 'excess_flood'],
    ['Too many lines before registration', 'unregistered_lines'],
    ['Bad password', 'bad_password'],
    ['Connection closed', 'connection_closed'],
    ['Connection reset by peer', 'connection_error'],
    ['Read error: EHOSTUNREACH', 'connection_error'],
    ['WebSocket error: bad frame', 'connection_error'],
    ['Internal error', 'internal_error'],
    ['Server busy: too many logins at once, try again', 'other'],
  ])('%s -> %s', (reason, label) => {
    expect(disconnectReason(reason)).toBe(label);
  });
});
