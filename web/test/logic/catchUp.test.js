// logic/catchUp.js: where each conversation's catch-up starts, and paging through what was missed.
import { describe, expect, it } from 'vitest';
import { catchUpPlan, fetchAllAfter } from '../../src/logic/catchUp.js';
import { lastStoredSeq, mergeMessages } from '../../src/logic/messages.js';
import { msg, pending } from './fixtures.js';

describe('catch-up after a reconnect', () => {
  it('starts each loaded conversation after the newest message held, others at their lastSeq', () => {
    const plan = catchUpPlan(
      [{ id: 'c1', lastSeq: 9 }, { id: 'c2', lastSeq: 4 }, { id: 'c3' }],
      { c1: [msg(1), msg(2), pending('p', 1)], c2: [] },
    );
    expect(plan).toEqual({ c1: 2, c2: 4, c3: 0 });
  });

  it('pages until an empty page and returns every missed message once', async () => {
    const server = Array.from({ length: 250 }, (_, i) => msg(i + 1));
    const asked = [];
    const fetchAfter = async (after, limit) => {
      asked.push(after);
      return server.filter((m) => m.seq > after).slice(0, limit);
    };
    const missed = await fetchAllAfter(fetchAfter, 30, 100);
    expect(missed.map((m) => m.seq)).toEqual(server.slice(30).map((m) => m.seq));
    expect(asked).toEqual([30, 130, 230, 250]);
    expect(lastStoredSeq(mergeMessages(server.slice(0, 30), missed))).toBe(250);
  });

  it('goes on after a page the server cut short by size', async () => {
    const server = Array.from({ length: 40 }, (_, i) => msg(i + 1));
    const fetchAfter = async (after, limit) => server.filter((m) => m.seq > after).slice(0, Math.min(limit, 7));
    const missed = await fetchAllAfter(fetchAfter, 0, 100);
    expect(missed.map((m) => m.seq)).toEqual(server.map((m) => m.seq));
  });

  it('stops when a page does not move forward', async () => {
    const fetchAfter = async () => [msg(1), msg(2)];
    const missed = await fetchAllAfter(fetchAfter, 5, 2, 10);
    expect(missed).toHaveLength(2);
  });

  it('stops after maxPages however much the server still has', async () => {
    let asked = 0;
    const fetchAfter = async (after) => { asked += 1; return [msg(after + 1)]; };
    const missed = await fetchAllAfter(fetchAfter, 0, 1, 3);
    expect(asked).toBe(3);
    expect(missed.map((m) => m.seq)).toEqual([1, 2, 3]);
  });
});
