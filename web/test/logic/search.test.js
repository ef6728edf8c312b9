import { describe, expect, it } from 'vitest';
import { searchable } from '../../src/logic/search.js';

describe('searchable', () => {
  it('asks for two letters or digits of a spaced script', () => {
    expect(searchable('he')).toBe(true);
    expect(searchable('h')).toBe(false);
    expect(searchable('  ')).toBe(false);
    expect(searchable('?!')).toBe(false);
  });
  it('asks for one character of another script', () => {
    expect(searchable('京')).toBe(true);
    expect(searchable('αθ')).toBe(true);
  });
  it('never for more than the server takes', () => {
    expect(searchable('a'.repeat(201))).toBe(false);
  });
});
