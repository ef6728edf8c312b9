// Our conversations, pinned first then newest activity first, optionally filtered by the search
// text; archived chats show only in the archive's view. The list is held a page at a time
// (Sidebar asks for the next one as it is scrolled).
import { useMemo } from 'react';
import { useChatStore } from '../stores/chatStore.js';
import { listedConversations, sortConversations } from '../logic/conversations.js';
import { conversationTitle, directPeer } from '../logic/display.js';
import ConversationItem from './ConversationItem.jsx';

const NO_TYPING = {};
const NO_NAMES = [];

export default function ConversationList({ meId, filter, onOpen, archived = false }) {
  const conversations = useChatStore((s) => s.conversations);
  const activeId = useChatStore((s) => s.activeId);
  const online = useChatStore((s) => s.online);
  const typing = useChatStore((s) => s.typing);
  const listLoaded = useChatStore((s) => s.listLoaded);
  const loadingMore = useChatStore((s) => s.listLoadingMore);

  const visible = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const all = Object.values(conversations);
    // a search finds archived chats too; otherwise the list shows one side of the archive
    const sorted = sortConversations(needle ? all : listedConversations(all, archived));
    if (!needle) return sorted;
    return sorted.filter((c) => conversationTitle(c, meId).toLowerCase().includes(needle));
  }, [conversations, filter, meId, archived]);

  if (!listLoaded) return <p className="list-note">Loading chats…</p>;
  if (visible.length === 0) {
    if (archived && !filter) return <p className="list-note">No archived chats.</p>;
    return <p className="list-note">{filter ? 'No chats match.' : 'No chats yet. Search for someone to start one.'}</p>;
  }
  return (
    <ul className="conversation-list" aria-label="Chats">
      {visible.map((c) => {
        const peer = directPeer(c, meId);
        const typers = typing[c.id] || NO_TYPING;
        const names = Object.keys(typers).length === 0 ? NO_NAMES : Object.entries(typers).map(([id, username]) => {
          const p = (c.participants || []).find((x) => x.id === id);
          return (p && (p.displayName || p.username)) || username || 'someone';
        });
        return (
          <ConversationItem key={c.id} conversation={c} meId={meId} active={c.id === activeId}
            online={Boolean(peer && online[peer.id])} typingNames={names} onOpen={onOpen} />
        );
      })}
      {loadingMore && <li className="list-note" aria-live="polite">Loading more chats…</li>}
    </ul>
  );
}
