// ChatPage > Sidebar and ChatWindow. The open chat is in the URL (/c/:id), so a reload reopens it;
// on a phone-width screen only one pane shows at a time.
import { useCallback, useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { useAuthStore } from '../stores/authStore.js';
import { useChatStore } from '../stores/chatStore.js';
import Sidebar from '../components/Sidebar.jsx';
import ChatWindow from '../components/ChatWindow.jsx';
import NewGroupDialog from '../components/NewGroupDialog.jsx';
import GroupInfo from '../components/GroupInfo.jsx';
import ProfileDialog from '../components/ProfileDialog.jsx';
import ContactsDialog from '../components/ContactsDialog.jsx';

export default function ChatPage() {
  const { conversationId = null } = useParams();
  const navigate = useNavigate();
  const meId = useAuthStore((s) => (s.user ? s.user.id : null));
  const conversation = useChatStore((s) => (conversationId ? s.conversations[conversationId] : null));
  const activeId = useChatStore((s) => s.activeId);
  const listLoaded = useChatStore((s) => s.listLoaded);
  const [dialog, setDialog] = useState(null);
  const unread = useChatStore((s) => Object.values(s.conversations).reduce((n, c) => n + (c.unreadCount || 0), 0));

  useEffect(() => {
    document.title = unread ? `(${unread}) pgchat` : 'pgchat';
    return () => { document.title = 'pgchat'; };
  }, [unread]);

  useEffect(() => {
    useChatStore.getState().loadConversations().catch(() => {});
    useChatStore.getState().loadBlocked().catch(() => {});
    useChatStore.getState().loadContacts().catch(() => {});
    useAuthStore.getState().refreshMe().catch(() => {});
  }, []);

  useEffect(() => {
    useChatStore.getState().openConversation(conversationId);
  }, [conversationId]);

  // Reading again after the tab comes back: what arrived meanwhile is now read.
  useEffect(() => {
    const onVisible = () => {
      const active = useChatStore.getState().activeId;
      if (document.visibilityState === 'visible' && active) useChatStore.getState().markRead(active);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, []);

  // Removed from the chat that is open (or it doesn't exist): back to the list.
  useEffect(() => {
    if (conversationId && listLoaded && !conversation && activeId === null) navigate('/', { replace: true });
  }, [conversationId, listLoaded, conversation, activeId, navigate]);

  const open = useCallback((id) => navigate(`/c/${id}`), [navigate]);
  // a click on a notification opens its chat here
  useEffect(() => {
    useChatStore.getState().setChatOpener(open);
    return () => useChatStore.getState().setChatOpener(null);
  }, [open]);
  const close = useCallback(() => setDialog(null), []);

  return (
    <div className={`chat-page ${conversationId ? 'pane-chat' : 'pane-list'}`}>
      <Sidebar meId={meId} onOpen={open} onProfile={() => setDialog('profile')} onNewGroup={() => setDialog('group')}
        onContacts={() => setDialog('contacts')} />
      <main className="main-pane">
        {conversation ? (
          <ChatWindow conversation={conversation} meId={meId} onBack={() => navigate('/')} onInfo={() => setDialog('info')} />
        ) : (
          <div className="welcome">
            <h2>pgchat</h2>
            <p>{conversationId ? 'Opening chat…' : 'Choose a chat, or search for someone to start one.'}</p>
          </div>
        )}
      </main>
      {dialog === 'profile' && <ProfileDialog onClose={close} />}
      {dialog === 'contacts' && <ContactsDialog onClose={close} onOpen={open} />}
      {dialog === 'group' && (
        <NewGroupDialog meId={meId} onClose={close} onCreated={(id) => { close(); open(id); }} />
      )}
      {dialog === 'info' && conversation && conversation.isGroup && (
        <GroupInfo conversation={conversation} meId={meId} onClose={close} onLeft={() => { close(); navigate('/'); }} />
      )}
    </div>
  );
}
