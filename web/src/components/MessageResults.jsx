// Messages found by the search box (the server searches every chat we are in); choosing one opens
// its chat at that message. The snippet's parts mark what matched; they are rendered as text.
import { useEffect, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import { conversationTitle } from '../logic/display.js';
import { searchable } from '../logic/search.js';
import { listTime } from '../lib/format.js';

export function useMessageSearch(query, delayMs = 300) {
  const [state, setState] = useState({ results: [], cursor: null, error: '', loading: false });
  useEffect(() => {
    const q = query.trim();
    if (!searchable(q)) {
      setState({ results: [], cursor: null, error: '', loading: false });
      return undefined;
    }
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(async () => {
      try {
        const page = await api.searchMessages(q);
        if (!cancelled) setState({ results: page.results, cursor: page.nextCursor, error: '', loading: false });
      } catch (error) {
        if (!cancelled) setState({ results: [], cursor: null, error: error.message, loading: false });
      }
    }, delayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [query, delayMs]);

  async function more() {
    if (!state.cursor || state.loading) return;
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await api.searchMessages(query.trim(), { cursor: state.cursor });
      setState((s) => ({ results: [...s.results, ...page.results], cursor: page.nextCursor, error: '', loading: false }));
    } catch (error) {
      setState((s) => ({ ...s, error: error.message, loading: false }));
    }
  }
  return { ...state, more };
}

function Snippet({ parts }) {
  return (
    <span className="result-snippet">
      {parts.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
    </span>
  );
}

export default function MessageResults({ query, meId, onChoose }) {
  const { results, cursor, error, loading, more } = useMessageSearch(query);
  const conversations = useChatStore((s) => s.conversations);
  if (!searchable(query.trim())) return null;
  return (
    <section className="message-results" aria-label="Messages">
      <h3 className="list-heading">Messages</h3>
      {error && <p className="list-note error" role="alert">{error}</p>}
      {!error && !loading && results.length === 0 && <p className="list-note">No messages found.</p>}
      <ul>
        {results.map(({ message, conversation, snippet }) => {
          const known = conversations[conversation.id];
          const title = known ? conversationTitle(known, meId) : conversation.name || 'Chat';
          return (
            <li key={message.id}>
              <button type="button" className="result-item" data-message-id={message.id}
                onClick={() => onChoose(conversation.id, message.seq)}>
                <span className="result-top">
                  <span className="result-title">{title}</span>
                  <span className="result-time">{listTime(message.created_at)}</span>
                </span>
                <Snippet parts={snippet} />
              </button>
            </li>
          );
        })}
      </ul>
      {cursor && (
        <button type="button" className="link-button result-more" onClick={more} disabled={loading}>
          More messages
        </button>
      )}
    </section>
  );
}
