// The chat list a page at a time: the first page, the next ones as the list is scrolled, and
// what live messages and reloads do to the pages held. The REST api is a fake server over a
// list kept newest first, paged by cursor as the bridge pages it.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const server = vi.hoisted(() => ({ list: [], calls: [], gate: null }));

vi.mock('../../src/api/rest.js', () => ({
  api: {
    async conversationPage(before, limit) {
      server.calls.push(before);
      if (server.gate) await server.gate;
      const start = before ? server.list.findIndex((c) => c.id === before) + 1 : 0;
      const conversations = server.list.slice(start, start + limit);
      const more = start + limit < server.list.length;
      return { conversations, nextCursor: more ? conversations[conversations.length - 1].id : null };
    },
    async conversation(id) {
      return server.list.find((c) => c.id === id);
    },
  },
}));

const { useChatStore } = await import('../../src/stores/chatStore.js');
const { LIST_PAGE_SIZE } = await import('../../src/stores/slices/conversations.js');
const { useAuthStore } = await import('../../src/stores/authStore.js');

const ME = 'me';

function jwt(payload) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

// chat n: older the larger n; one message from its peer
function chat(n, fields = {}) {
  const at = new Date(Date.UTC(2024, 0, 1) - n * 60000).toISOString();
  return {
    id: `c${n}`, name: null, isGroup: false, lastSeq: 1, unreadCount: 1, updatedAt: at,
    lastMessage: { id: `m${n}`, seq: 1, conversationId: `c${n}`, sender_id: `p${n}`, content: `hi ${n}`, created_at: at },
    participants: [{ id: ME, username: 'me', lastReadSeq: 0, lastDeliveredSeq: 1 }, { id: `p${n}`, username: `p${n}` }],
    ...fields,
  };
}

const held = () => Object.keys(useChatStore.getState().conversations).sort((a, b) => +a.slice(1) - +b.slice(1));
const ids = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `c${from + i}`);

beforeEach(() => {
  useChatStore.getState().setTransport(null);
  useAuthStore.getState().setSession(jwt({ sub: ME, exp: Math.floor(Date.now() / 1000) + 3600 }), { id: ME, username: 'me' });
  useChatStore.getState().reset();
  server.list = Array.from({ length: 120 }, (_, i) => chat(i));
  server.calls = [];
  server.gate = null;
});

describe('the chat list by pages', () => {
  it('loads the first page only, and remembers where the next starts', async () => {
    await useChatStore.getState().loadConversations();
    expect(held()).toEqual(ids(0, LIST_PAGE_SIZE - 1));
    expect(useChatStore.getState().listLoaded).toBe(true);
    expect(useChatStore.getState().listCursor).toBe(`c${LIST_PAGE_SIZE - 1}`);
  });

  it('adds the next pages as asked, and stops at the end', async () => {
    const store = useChatStore.getState();
    await store.loadConversations();
    await store.loadMoreConversations();
    await store.loadMoreConversations();
    expect(held()).toEqual(ids(0, 119));
    expect(useChatStore.getState().listCursor).toBe(null);
    await store.loadMoreConversations();
    expect(server.calls).toEqual([null, 'c49', 'c99']);
  });

  it('asks for one page at a time however often the list is scrolled', async () => {
    const store = useChatStore.getState();
    await store.loadConversations();
    await Promise.all([store.loadMoreConversations(), store.loadMoreConversations(), store.loadMoreConversations()]);
    expect(server.calls).toEqual([null, 'c49']);
    expect(held()).toEqual(ids(0, 99));
  });

  it('holds a chat moved to the top by a message once, even when its page comes later', async () => {
    const store = useChatStore.getState();
    await store.loadConversations();
    // c70 (not held yet) gets a message: the server moves it to the top; the client fetches it
    const at = '2024-01-02T00:00:00.000Z';
    const message = { id: 'm70b', seq: 2, conversationId: 'c70', sender_id: 'p70', content: 'again', created_at: at };
    const moved = chat(70, { lastSeq: 2, unreadCount: 2, updatedAt: at, lastMessage: message });
    server.list = [moved, ...server.list.filter((c) => c.id !== 'c70')];
    await store.receiveMessage(message);
    const live = useChatStore.getState().conversations.c70;
    expect(live.lastSeq).toBe(2);
    await store.loadMoreConversations();
    await store.loadMoreConversations();
    expect(held()).toEqual(ids(0, 119));
    expect(useChatStore.getState().conversations.c70).toBe(live);
  });

  it('drops a page that was asked for before the list was loaded afresh', async () => {
    const store = useChatStore.getState();
    await store.loadConversations();
    let open;
    server.gate = new Promise((resolve) => { open = resolve; });
    const late = store.loadMoreConversations();
    const reload = store.loadConversations();
    open();
    await Promise.all([late, reload]);
    expect(held()).toEqual(ids(0, 49));
    expect(useChatStore.getState().listCursor).toBe('c49');
    expect(useChatStore.getState().listLoadingMore).toBe(false);
  });

  it('keeps the open chat when a reconnect reloads the first page', async () => {
    const store = useChatStore.getState();
    await store.loadConversations();
    await store.loadMoreConversations();
    useChatStore.setState({ activeId: 'c80' });
    await store.loadConversations();
    expect(held()).toEqual([...ids(0, 49), 'c80']);
  });
});
