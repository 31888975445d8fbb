/**
 * Admission keeps each address's class and network block while the address
 * is connected or in the last minute's rate records, and forgets it after.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { Admission } from '../../../src/server/admission.js';

const config = (classes: unknown[]) => loadConfig({ overrides: { classes } }).config;
const two = config([
  { name: 'local', hosts: ['127.0.0.0/8'] },
  { name: 'default', hosts: ['*'] },
]);

describe('Admission: class and block of an address', () => {
  it('the first matching class, the last one if none matches', () => {
    const admission = new Admission(two);
    expect(admission.classFor('127.0.0.5').name).toBe('local');
    expect(admission.classFor('192.0.2.1').name).toBe('default');
  });

  it('kept while connected or in the rate records, forgotten once neither', () => {
    const admission = new Admission(two);
    const klass = admission.classFor('127.0.0.5');
    expect(admission.check('127.0.0.5', klass, 0, 0)).toBeNull();
    const block = admission.opened('127.0.0.5');
    expect(block).toBe('127.0.0.0/24');
    expect(admission.sizes.known).toBe(1);
    admission.closed('127.0.0.5', block);
    // Still in the last minute's connection rate.
    expect(admission.sizes.known).toBe(1);
    admission.sweep(60_001);
    expect(admission.sizes).toMatchObject({ addresses: 0, recent: 0, known: 0 });

    // Connected past the minute: kept until it closes.
    admission.check('127.0.0.6', klass, 0, 0);
    const other = admission.opened('127.0.0.6');
    admission.sweep(60_001);
    expect(admission.sizes.known).toBe(1);
    admission.closed('127.0.0.6', other);
    expect(admission.sizes.known).toBe(0);
  });

  it('a new configuration (REHASH) classes addresses afresh', () => {
    const admission = new Admission(two);
    expect(admission.classFor('127.0.0.5').name).toBe('local');
    admission.configure(config([{ name: 'all', hosts: ['*'] }]));
    expect(admission.classFor('127.0.0.5').name).toBe('all');
  });
});
