// The left pane: header, search, the chat list (or the archived chats) and, while searching,
// people to start a chat with or add as contacts, and the messages found in our chats.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import SidebarHeader from './SidebarHeader.jsx';
import SearchBar from './SearchBar.jsx';
import ConversationList from './ConversationList.jsx';
import PeopleResults from './PeopleResults.jsx';
import MessageResults from './MessageResults.jsx';
import ConnectionBanner from './ConnectionBanner.jsx';
import Icon from './Icon.jsx';

const NEAR_END_PX = 300;

export default function Sidebar({ meId, onOpen, onProfile, onNewGroup, onContacts }) {
  const [query, setQuery] = useState('');
  const [error, setError] = useState('');
  const scroller = useRef(null);
  const held = useChatStore((s) => Object.keys(s.conversations).length);
  const more = useChatStore((s) => Boolean(s.listCursor));
  const showArchived = useChatStore((s) => s.showArchived);
  const archivedCount = useChatStore((s) => Object.values(s.conversations).filter((c) => c.archived).length);

  // The list comes a page at a time: the next one when the end is near, and at once while the
  // pages held don't fill the pane (nothing to scroll yet).
  function loadMoreIfNearEnd() {
    const el = scroller.current;
    if (el && el.scrollTop + el.clientHeight >= el.scrollHeight - NEAR_END_PX) {
      useChatStore.getState().loadMoreConversations();
    }
  }
  useEffect(loadMoreIfNearEnd, [held, more]);

  async function addContact(user) {
    setError('');
    try {
      await useChatStore.getState().addContact(user);
    } catch (e) {
      setError(e.message);
    }
  }

  function toggleArchived() {
    useChatStore.getState().showArchivedList(!showArchived).catch((e) => setError(e.message));
  }

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
      <SidebarHeader onProfile={onProfile} onNewGroup={onNewGroup} onContacts={onContacts} />
      <ConnectionBanner />
      <SearchBar value={query} onChange={setQuery} />
      {error && <p className="list-note error" role="alert">{error}</p>}
      <div className="sidebar-scroll" ref={scroller} onScroll={loadMoreIfNearEnd}>
        {!query.trim() && (
          <button type="button" className="archived-toggle" onClick={toggleArchived} aria-pressed={showArchived}>
            <Icon name={showArchived ? 'back' : 'archive'} size={18} />
            {showArchived ? 'Back to chats' : `Archived${archivedCount ? ` (${archivedCount})` : ''}`}
          </button>
        )}
        {query.trim() && <h3 className="list-heading">Chats</h3>}
        <ConversationList meId={meId} filter={query} onOpen={onOpen} archived={showArchived && !query.trim()} />
        <PeopleResults query={query} meId={meId} onChoose={startChat} onAddContact={addContact} />
        <MessageResults query={query} meId={meId} onChoose={showMessage} />
      </div>
    </aside>
  );
}
