// The form rules mirror the extension's, so a person sees what to fix before a round trip.
import { describe, expect, it } from 'vitest';
import {
  formErrors, validateDisplayName, validateEmail, validateMessage, validatePassword, validatePhotoUrl, validateUsername,
} from '../src/lib/validate.js';
import { dayLabel, initials, listTime } from '../src/lib/format.js';

describe('account rules', () => {
  it('takes 3 to 32 letters, digits, dots and underscores as a username', () => {
    expect(validateUsername('alice_01')).toBe('');
    expect(validateUsername('Al.ice')).toBe('');
    expect(validateUsername('al')).toMatch(/3 to 32/);
    expect(validateUsername('a'.repeat(33))).toMatch(/3 to 32/);
    expect(validateUsername('al ice')).toMatch(/letters, digits/);
    expect(validateUsername('')).toMatch(/Enter/);
  });

  it('counts password bytes, not characters', () => {
    expect(validatePassword('1234567')).toMatch(/at least 8/);
    expect(validatePassword('ééééé')).toBe(''); // 10 bytes
    expect(validatePassword('x'.repeat(1025))).toMatch(/at most 1024/);
  });

  it('wants a plausible email and a short display name', () => {
    expect(validateEmail('a@b.co')).toBe('');
    expect(validateEmail('nope')).toMatch(/valid/);
    expect(validateEmail(`${'a'.repeat(250)}@b.co`)).toMatch(/valid/);
    expect(validateDisplayName('x'.repeat(65))).toMatch(/64/);
  });

  it('takes only http(s) photo URLs without spaces', () => {
    expect(validatePhotoUrl('')).toBe('');
    expect(validatePhotoUrl('https://example.com/a.png')).toBe('');
    expect(validatePhotoUrl('javascript:alert(1)')).toMatch(/http/);
    expect(validatePhotoUrl('https://exa mple.com')).toMatch(/http/);
  });

  it('refuses empty, oversized and NUL-carrying messages', () => {
    expect(validateMessage('   \n')).toBe('empty');
    expect(validateMessage('hi')).toBe('');
    expect(validateMessage('x'.repeat(65537))).toMatch(/65,536/);
    expect(validateMessage('a\u0000b')).toMatch(/NUL/);
  });
});

describe('display of times and names', () => {
  const now = new Date(2024, 4, 10, 15, 0);
  it('labels days as a messenger does', () => {
    expect(dayLabel(new Date(2024, 4, 10, 9, 0), now)).toBe('Today');
    expect(dayLabel(new Date(2024, 4, 9, 23, 0), now)).toBe('Yesterday');
    expect(listTime(new Date(2024, 4, 9, 23, 0), now)).toBe('Yesterday');
    expect(dayLabel('not a date', now)).toBe('');
  });

  it('makes initials from up to two words', () => {
    expect(initials('Alice Liddell Smith')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('')).toBe('?');
  });
});

describe('message length', () => {
  it('counts characters as the server does, so emoji are one each', () => {
    expect(validateMessage('😀'.repeat(65536))).toBe('');
    expect(validateMessage('😀'.repeat(65537))).toMatch(/65,536/);
  });
});

describe('formErrors', () => {
  it('answers the message of each failing rule by field, and nothing when all pass', () => {
    const rules = { username: validateUsername, email: validateEmail };
    expect(formErrors(rules, { username: 'al', email: 'a@b.co' })).toEqual({ username: expect.stringMatching(/3 to 32/) });
    expect(formErrors(rules, { username: 'alice', email: 'a@b.co' })).toEqual({});
  });
});
