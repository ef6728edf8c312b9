// The uploads of this chat under the messages: a bar per file while it goes up, or its error
// (dismissable) when it could not.
import { useChatStore } from '../stores/chatStore.js';
import Icon from './Icon.jsx';

export default function UploadProgress({ conversationId }) {
  const uploads = useChatStore((s) => s.uploads);
  const mine = uploads.filter((u) => u.conversationId === conversationId);
  if (mine.length === 0) return null;
  return (
    <ul className="uploads" aria-label="Uploads">
      {mine.map((u) => (
        <li key={u.key} className={`upload${u.error ? ' failed' : ''}`}>
          <span className="upload-name">{u.name}</span>
          {u.error ? (
            <>
              <span className="upload-error" role="alert">{u.error}</span>
              <button type="button" className="icon-button small" aria-label={`Dismiss ${u.name}`}
                onClick={() => useChatStore.getState().dismissUpload(u.key)}><Icon name="close" size={14} /></button>
            </>
          ) : (
            <progress max="100" value={u.percent} aria-label={`Uploading ${u.name}`}>{u.percent}%</progress>
          )}
        </li>
      ))}
    </ul>
  );
}
