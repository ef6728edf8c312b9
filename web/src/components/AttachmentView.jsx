// What a message carries, in its bubble: a picture from its thumbnail (opened full size on a
// click), a voice note or sound with a player, a video, or any other file as a card with its
// name, type and size that saves it.
import { useState } from 'react';
import { fetchAttachment } from '../api/attachments.js';
import { formatSize, kindOf, typeName } from '../logic/attachments.js';
import { useAttachmentUrl } from './useAttachmentUrl.js';
import Dialog from './Dialog.jsx';
import Icon from './Icon.jsx';

function FullImage({ file, onClose }) {
  const url = useAttachmentUrl(file.id);
  return (
    <Dialog title={file.name} onClose={onClose} wide>
      <div className="attachment-full">
        {url ? <img src={url} alt={file.name} data-testid="full-image" /> : <p className="muted">Loading…</p>}
      </div>
    </Dialog>
  );
}

function Picture({ file, stored }) {
  const [open, setOpen] = useState(false);
  const thumbnail = useAttachmentUrl(file.id, { thumbnail: true, enabled: stored && file.hasThumbnail });
  const full = useAttachmentUrl(file.id, { enabled: stored && !file.hasThumbnail });
  const src = thumbnail || full;
  return (
    <>
      <button type="button" className="attachment-picture" onClick={() => setOpen(true)} disabled={!stored}
        aria-label={`Open photo ${file.name}`}>
        {src ? <img src={src} alt={file.name} data-testid="thumbnail" /> : <span className="attachment-placeholder">Photo</span>}
      </button>
      {open && <FullImage file={file} onClose={() => setOpen(false)} />}
    </>
  );
}

function Sound({ file, stored }) {
  const url = useAttachmentUrl(file.id, { enabled: stored });
  return (
    <div className="attachment-audio">
      <Icon name="mic" size={18} />
      {url ? <audio controls src={url} preload="metadata" aria-label={`Voice message ${file.name}`} /> : <span className="muted">Voice message</span>}
    </div>
  );
}

function Video({ file, stored }) {
  const url = useAttachmentUrl(file.id, { enabled: stored });
  return url ? <video className="attachment-video" controls src={url} aria-label={`Video ${file.name}`} /> : <span className="muted">Video</span>;
}

function FileCard({ file, stored }) {
  const [error, setError] = useState('');
  async function save() {
    setError('');
    try {
      const blob = await fetchAttachment(file.id);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = file.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      setError(e.message);
    }
  }
  return (
    <button type="button" className="attachment-card" onClick={save} disabled={!stored} aria-label={`Download ${file.name}`}>
      <span className="attachment-card-icon"><Icon name="file" size={26} /></span>
      <span className="attachment-card-text">
        <span className="attachment-card-name">{file.name}</span>
        <span className="attachment-card-meta">{typeName(file.type)} · {formatSize(file.size)}</span>
        {error && <span className="attachment-card-error" role="alert">{error}</span>}
      </span>
    </button>
  );
}

export default function AttachmentView({ message }) {
  const stored = message.seq != null;
  return (
    <div className="attachments" data-testid="attachments">
      {message.attachments.map((file) => {
        const kind = kindOf(file.type);
        if (kind === 'image') return <Picture key={file.id} file={file} stored={stored} />;
        if (kind === 'audio') return <Sound key={file.id} file={file} stored={stored} />;
        if (kind === 'video') return <Video key={file.id} file={file} stored={stored} />;
        return <FileCard key={file.id} file={file} stored={stored} />;
      })}
    </div>
  );
}
