// Reactions and delete for me in a message list (logic/messages.js): reactions arrive without a
// newer updatedAt and still win; a send's ack without them keeps them; a hidden message leaves.
import { describe, expect, it } from 'vitest';
import { mergeMessages, reactionOf, withoutSeq } from '../../src/logic/messages.js';
import { BOB, ME, msg } from './fixtures.js';

describe('reactions', () => {
  const base = msg(1);
  const thumbs = [{ emoji: '👍', count: 1, userIds: [BOB] }];

  it('a reaction event replaces the reactions held, with the same updatedAt', () => {
    const [merged] = mergeMessages([base], [{ ...base, reactions: thumbs }]);
    expect(merged.reactions).toEqual(thumbs);
  });

  it('a copy without reactions keeps those held', () => {
    const [merged] = mergeMessages([{ ...base, reactions: thumbs }], [{ ...base }]);
    expect(merged.reactions).toEqual(thumbs);
  });

  it('an edit keeps its new content and the newest reactions', () => {
    const edited = { ...base, content: 'edited', updatedAt: '2099-01-01T00:00:00Z', reactions: [] };
    const [merged] = mergeMessages([{ ...base, reactions: thumbs }], [edited]);
    expect(merged.content).toBe('edited');
    expect(merged.reactions).toEqual([]);
  });

  it('says which emoji a user gave', () => {
    expect(reactionOf({ reactions: thumbs }, BOB)).toBe('👍');
    expect(reactionOf({ reactions: thumbs }, ME)).toBe(null);
  });
});

describe('delete for me', () => {
  it('drops the message of that seq', () => {
    const list = [msg(1), msg(2), msg(3)];
    expect(withoutSeq(list, 2).map((m) => m.seq)).toEqual([1, 3]);
  });

  it('answers the same list when it is not held', () => {
    const list = [msg(1)];
    expect(withoutSeq(list, 9)).toBe(list);
  });
});
