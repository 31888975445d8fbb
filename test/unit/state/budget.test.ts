import { describe, expect, it } from 'vitest';
import { own, StateBudget, stringCost } from '../../../src/state/budget.js';

const limits = { user_state_bytes: 100, server_state_bytes: 150 };

describe('StateBudget', () => {
  it('charges within the per-user limit and says which limit refuses', () => {
    const budget = new StateBudget();
    expect(budget.tryCharge('a', 60, limits)).toBeNull();
    expect(budget.tryCharge('a', 41, limits)).toBe('user');
    expect(budget.tryCharge('a', 40, limits)).toBeNull();
    expect(budget.tryCharge('b', 60, limits)).toBe('server');
    expect(budget.tryCharge('b', 50, limits)).toBeNull();
    expect([budget.charged('a'), budget.charged('b'), budget.total]).toEqual([100, 50, 150]);
  });

  it('forgets an owner whose charges are all credited', () => {
    const budget = new StateBudget();
    budget.charge('a', 30);
    budget.charge('a', 20);
    budget.credit('a', 30);
    expect(budget.ownerCount).toBe(1);
    budget.credit('a', 20);
    expect([budget.ownerCount, budget.total, budget.charged('a')]).toEqual([0, 0, 0]);
  });

  it("never charges the owner '' (nobody)", () => {
    const budget = new StateBudget();
    budget.charge('', 10);
    budget.credit('', 10);
    expect([budget.ownerCount, budget.total]).toEqual([0, 0]);
  });
});

describe('stringCost and own', () => {
  it('prices Latin-1 strings at a byte a character and others at two', () => {
    expect(stringCost('abc')).toBe(19);
    expect(stringCost('ééé')).toBe(19);
    expect(stringCost('abΩ')).toBe(22);
  });

  it('copies a string without changing it', () => {
    const line = `PRIVMSG #c :${'x'.repeat(100)}`;
    const param = line.slice(12);
    expect(own(param)).toBe(param);
    expect(own('short')).toBe('short');
  });
});
