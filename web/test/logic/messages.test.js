// logic/messages.js: merge by id, order by seq, pending sends last, and the seqs history starts from.
import { describe, expect, it } from 'vitest';
import { compareMessages, countUnread, firstStoredSeq, lastStoredSeq, mergeMessages, olderExist } from '../../src/logic/messages.js';
import { ME, msg, pending } from './fixtures.js';

describe('mergeMessages', () => {
  it('orders by seq whatever the arrival order', () => {
    const list = mergeMessages([], [msg(3), msg(1), msg(2)]);
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('keeps one entry per id when a message arrives twice', () => {
    const list = mergeMessages(mergeMessages([], [msg(1), msg(2)]), [msg(2), msg(1), msg(3)]);
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('returns the same array when nothing changed', () => {
    const list = mergeMessages([], [msg(1), msg(2)]);
    expect(mergeMessages(list, [list[0]])).toBe(list);
    expect(mergeMessages(list, [])).toBe(list);
    expect(mergeMessages(list, null)).toBe(list);
  });

  it('puts pending sends after every stored message, in the order they were typed', () => {
    const list = mergeMessages([], [pending('b', 20), msg(2), pending('a', 10), msg(1)]);
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2', 'local-a', 'local-b']);
  });

  it('takes a new version of a pending send (marked failed, retried) in its place', () => {
    const list = mergeMessages([], [msg(1), pending('x', 5)]);
    const failed = mergeMessages(list, [pending('x', 5, { failed: true })]);
    expect(failed.map((m) => [m.id, Boolean(m.failed)])).toEqual([['m1', false], ['local-x', true]]);
  });

  it('replaces a pending send by its stored copy with the same clientId', () => {
    const before = mergeMessages([], [msg(1), pending('x', 5)]);
    const after = mergeMessages(before, [msg(2, { sender_id: ME, clientId: 'x', content: 'hi' })]);
    expect(after.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(after.some((m) => m.seq == null)).toBe(false);
  });

  it('does not bring a pending copy back once the stored one is held', () => {
    const stored = mergeMessages([], [msg(2, { sender_id: ME, clientId: 'x' })]);
    const again = mergeMessages(stored, [pending('x', 5)]);
    expect(again.map((m) => m.id)).toEqual(['m2']);
  });

  it('takes an edit and ignores an older version that arrives after it', () => {
    const edited = msg(1, { content: 'fixed', isEdited: true, updatedAt: '2024-05-01T11:00:00Z' });
    const list = mergeMessages(mergeMessages([], [msg(1)]), [edited]);
    expect(list[0].content).toBe('fixed');
    expect(mergeMessages(list, [msg(1)])[0].content).toBe('fixed');
  });

  it('keeps a delete even when an older edit arrives later', () => {
    const deleted = msg(1, { content: '', isDeleted: true, updatedAt: '2024-05-01T11:00:00Z' });
    const edited = msg(1, { content: 'late edit', isEdited: true, updatedAt: '2024-05-01T12:00:00Z' });
    const list = mergeMessages(mergeMessages([], [deleted]), [edited]);
    expect(list[0].isDeleted).toBe(true);
    expect(list[0].content).toBe('');
  });
});

describe('compareMessages', () => {
  it('puts stored before pending, stored by seq and pending by the time typed', () => {
    expect(compareMessages(msg(2), msg(1))).toBeGreaterThan(0);
    expect(compareMessages(pending('a', 1), msg(9))).toBeGreaterThan(0);
    expect(compareMessages(pending('a', 1), pending('b', 2))).toBeLessThan(0);
  });
});

describe('the seqs of a list', () => {
  const list = [msg(3), msg(4), pending('p', 1)];

  it('finds the newest and the oldest stored seq, pending sends aside', () => {
    expect(lastStoredSeq(list)).toBe(4);
    expect(firstStoredSeq(list)).toBe(3);
    expect(lastStoredSeq([pending('p', 1)])).toBe(0);
    expect(firstStoredSeq([])).toBe(null);
  });

  it('knows older history exists while the first seq held is above 1', () => {
    expect(olderExist([msg(3), msg(4)])).toBe(true);
    expect(olderExist([msg(1), msg(2)])).toBe(false);
    expect(olderExist([])).toBe(false);
  });

  it('counts the loaded messages of others after a read mark', () => {
    const loaded = [msg(1), msg(2, { sender_id: ME }), msg(3), msg(4), pending('p', 1, { sender_id: 'bob' })];
    expect(countUnread(loaded, 1, ME)).toBe(2);
  });
});
