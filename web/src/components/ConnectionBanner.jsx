// Says when the live connection is down; sends queue up and go out on reconnect.
import { useChatStore } from '../stores/chatStore.js';

export default function ConnectionBanner() {
  const connection = useChatStore((s) => s.connection);
  const everConnected = useChatStore((s) => s.everConnected);
  if (connection === 'connected') return null;
  const text = connection === 'offline'
    ? 'You are offline. Messages you send will go out when you are back online.'
    : everConnected ? 'Reconnecting…' : 'Connecting…';
  return (
    <div className={`connection-banner ${connection}`} role="status" aria-live="polite" data-testid="connection-banner">
      {text}
    </div>
  );
}
