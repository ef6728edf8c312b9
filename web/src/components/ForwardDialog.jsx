// Forward a message: pick up to 5 chats (the server's bound, as WhatsApp's), send, and see which
// chats refused it (a block, a chat left meanwhile); the others got it.
import { useMemo, useState } from 'react';
import { useChatStore } from '../stores/chatStore.js';
import { sortConversations } from '../logic/conversations.js';
import { conversationTitle } from '../logic/display.js';
import Dialog from './Dialog.jsx';

export const FORWARD_MAX = 5;

export default function ForwardDialog({ message, meId, onClose }) {
  const conversations = useChatStore((s) => s.conversations);
  const chats = useMemo(() => sortConversations(Object.values(conversations)), [conversations]);
  const [chosen, setChosen] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [refused, setRefused] = useState([]);

  const toggle = (id) => setChosen((list) => (list.includes(id) ? list.filter((x) => x !== id)
    : list.length < FORWARD_MAX ? [...list, id] : list));

  async function forward(event) {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const results = await useChatStore.getState().forwardMessage(message, chosen);
      const failed = results.filter((r) => r.error);
      if (failed.length === 0) onClose();
      else {
        setRefused(failed.map((r) => `${conversationTitle(conversations[r.conversationId], meId) || 'A chat'}: ${r.error.message}`));
        setChosen(failed.map((r) => r.conversationId));
      }
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Forward message to" onClose={onClose}>
      <form onSubmit={forward}>
        {error && <div className="form-error" role="alert">{error}</div>}
        {refused.length > 0 && (
          <div className="form-error" role="alert">Not forwarded to {refused.join('; ')}</div>
        )}
        <p className="forward-preview">{message.content.slice(0, 200)}</p>
        <p className="person-sub">{chosen.length} of at most {FORWARD_MAX} chats chosen</p>
        <ul className="forward-list" aria-label="Chats">
          {chats.map((c) => {
            const title = conversationTitle(c, meId);
            const checked = chosen.includes(c.id);
            return (
              <li key={c.id}>
                <label className="forward-choice">
                  <input type="checkbox" checked={checked} disabled={!checked && chosen.length >= FORWARD_MAX}
                    onChange={() => toggle(c.id)} aria-label={`Forward to ${title}`} />
                  <span>{title}</span>
                </label>
              </li>
            );
          })}
        </ul>
        <button type="submit" className="primary wide" disabled={busy || chosen.length === 0}>
          {busy ? 'Forwarding…' : 'Forward'}
        </button>
      </form>
    </Dialog>
  );
}
