// The rules of attachments in the client: what kind a file is (by the type the server sniffed),
// what a chat list preview says for it, the caption a file-only message carries, sizes for
// people, and which files are refused before any byte is sent.

// The server's default limit (chat.attachment_max_size); a deployment that raises it still gets
// the server's own 413 for anything the server refuses.
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
// The longest edge of the thumbnail the client makes for a picture.
export const THUMBNAIL_EDGE = 320;

export function kindOf(type) {
  if (!type) return 'document';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  return 'document';
}

// The kind of a message's first attachment, or null for a message without files.
export function messageKind(message) {
  const first = message && Array.isArray(message.attachments) ? message.attachments[0] : null;
  return first ? kindOf(first.type) : null;
}

const LABELS = { image: 'Photo', audio: 'Voice message', video: 'Video', document: 'Document' };

// What the chat list says for a message with files: "Photo", "Voice message", "Document".
export function previewLabel(message) {
  const kind = messageKind(message);
  return kind ? LABELS[kind] : null;
}

// The text a message carrying only a file is sent with (a message always has text): its label,
// or a document's name. The bubble hides it, since the file says as much.
export function defaultCaption(kind, name) {
  return kind === 'document' && name ? name : LABELS[kind] || 'Document';
}

// Whether the message's text says more than its file.
export function showsCaption(message) {
  const kind = messageKind(message);
  if (!kind) return true;
  return message.content !== defaultCaption(kind, message.attachments[0].name);
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const TYPE_NAMES = {
  'application/pdf': 'PDF', 'text/plain': 'Text', 'image/jpeg': 'JPEG', 'image/png': 'PNG',
  'image/webp': 'WebP', 'image/gif': 'GIF', 'audio/ogg': 'Ogg audio', 'audio/webm': 'WebM audio',
  'audio/mp4': 'M4A audio', 'video/mp4': 'MP4 video', 'video/webm': 'WebM video',
};

export function typeName(type) {
  return TYPE_NAMES[type] || type || 'File';
}

// Why a file can't be sent, or null: the server would refuse it anyway, but this way no byte goes.
export function fileProblem(file) {
  if (!file || file.size === 0) return 'This file is empty.';
  if (file.size > MAX_FILE_BYTES) return `This file is larger than ${formatSize(MAX_FILE_BYTES)}.`;
  return null;
}

// The size of a thumbnail of a width x height picture: its longest edge at most `edge`.
export function thumbnailSize(width, height, edge = THUMBNAIL_EDGE) {
  if (!(width > 0 && height > 0)) return null;
  const scale = Math.min(1, edge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

// An upload's progress in whole percent.
export function percent(loaded, total) {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((loaded / total) * 100)));
}
