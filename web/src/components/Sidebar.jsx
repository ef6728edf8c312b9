// The left pane: header, search, the chat list and, while searching, people to start a chat with
// and the messages found in our chats.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import SidebarHeader from './SidebarHeader.jsx';
import SearchBar from './SearchBar.jsx';
import ConversationList from './ConversationList.jsx';
import PeopleResults from './PeopleResults.jsx';
import MessageResults from './MessageResults.jsx';
import ConnectionBanner from './ConnectionBanner.jsx';

const NEAR_END_PX = 300;

export default function Sidebar({ meId, onOpen, onProfile, onNewGroup }) {
  const [query, setQuery] = useState('');
  const [error, setError] = useState('');
  const scroller = useRef(null);
  const held = useChatStore((s) => Object.keys(s.conversations).length);
  const more = useChatStore((s) => Boolean(s.listCursor));

  // The list comes a page at a time: the next one when the end is near, and at once while the
  // pages held don't fill the pane (nothing to scroll yet).
  function loadMoreIfNearEnd() {
    const el = scroller.current;
    if (el && el.scrollTop + el.clientHeight >= el.scrollHeight - NEAR_END_PX) {
      useChatStore.getState().loadMoreConversations();
    }
  }
  useEffect(loadMoreIfNearEnd, [held, more]);

  async function startChat(user) {
    setError('');
    try {
      const conversation = await api.createConversation([user.id], false);
      useChatStore.getState().upsertConversation(conversation);
      setQuery('');
      onOpen(conversation.id);
    } catch (e) {
      setError(e.message);
    }
  }

  function showMessage(conversationId, seq) {
    useChatStore.getState().showMessage(conversationId, seq);
    onOpen(conversationId);
  }

  return (
    <aside className="sidebar" aria-label="Chats and people">
      <SidebarHeader onProfile={onProfile} onNewGroup={onNewGroup} />
      <ConnectionBanner />
      <SearchBar value={query} onChange={setQuery} />
      {error && <p className="list-note error" role="alert">{error}</p>}
      <div className="sidebar-scroll" ref={scroller} onScroll={loadMoreIfNearEnd}>
        {query.trim() && <h3 className="list-heading">Chats</h3>}
        <ConversationList meId={meId} filter={query} onOpen={onOpen} />
        <PeopleResults query={query} meId={meId} onChoose={startChat} />
        <MessageResults query={query} meId={meId} onChoose={showMessage} />
      </div>
    </aside>
  );
}
