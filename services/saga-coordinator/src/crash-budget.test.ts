import { describe, expect, it } from 'vitest';
import { CrashBudget } from './crash-budget';

describe('CrashBudget', () => {
  it('allows max rebuilds within the window and refuses the next one', () => {
    let now = 0;
    const budget = new CrashBudget(2, 1_000, () => now);
    expect(budget.allowRestart()).toBe(true);
    now = 100;
    expect(budget.allowRestart()).toBe(true);
    now = 200;
    expect(budget.allowRestart()).toBe(false);
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const budget = new CrashBudget(1, 1_000, () => now);
    expect(budget.allowRestart()).toBe(true);
    now = 1_500;
    expect(budget.allowRestart()).toBe(true);
    expect(budget.recent).toBe(1);
  });
});
