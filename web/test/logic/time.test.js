// logic/time.js: server timestamps read for ordering.
import { describe, expect, it } from 'vitest';
import { timeOf } from '../../src/logic/time.js';

describe('timeOf', () => {
  it('reads an ISO timestamp as milliseconds', () => {
    expect(timeOf('2024-05-01T10:00:00Z')).toBe(Date.UTC(2024, 4, 1, 10));
  });

  it('reads an absent or unreadable one as the oldest time', () => {
    expect(timeOf(null)).toBe(0);
    expect(timeOf(undefined)).toBe(0);
    expect(timeOf('yesterday-ish')).toBe(0);
  });
});
