// The attachments slice: our uploads in progress (one entry per file, with its progress for the
// bar under the chat) and sending files: each is checked, given a thumbnail when it is a picture,
// uploaded, then sent as a message of its own carrying it (a picture, a document or a voice note
// each makes one message, as on WhatsApp). A failed upload stays listed with its error until
// dismissed.
import { uploadFile } from '../../api/attachments.js';
import { makeThumbnail } from '../../lib/thumbnail.js';
import { uuid } from '../../lib/uuid.js';
import { defaultCaption, fileProblem, kindOf, percent } from '../../logic/attachments.js';

export function createAttachmentsSlice(set, get) {
  const update = (key, change) => set((s) => ({ uploads: s.uploads.map((u) => (u.key === key ? { ...u, ...change } : u)) }));

  async function sendOne(conversationId, file, { caption, replyTo } = {}) {
    const key = uuid();
    set((s) => ({ uploads: [...s.uploads, { key, conversationId, name: file.name || 'file', percent: 0, error: null }] }));
    const problem = fileProblem(file);
    if (problem) {
      update(key, { error: problem });
      return null;
    }
    try {
      const thumbnail = await makeThumbnail(file);
      const stored = await uploadFile(file, thumbnail, (loaded, total) => update(key, { percent: percent(loaded, total) }));
      set((s) => ({ uploads: s.uploads.filter((u) => u.key !== key) }));
      const content = caption && caption.trim() ? caption : defaultCaption(kindOf(stored.type), stored.name);
      return get().sendMessage(conversationId, content, replyTo || null, [stored]);
    } catch (error) {
      update(key, { error: error.message });
      return null;
    }
  }

  return {
    uploads: [],

    // Sends each file as a message; resolves when every one is sent or has failed.
    async sendFiles(conversationId, files, options = {}) {
      const list = Array.from(files || []);
      return Promise.all(list.map((file, i) => sendOne(conversationId, file, i === 0 ? options : {})));
    },

    dismissUpload(key) {
      set((s) => ({ uploads: s.uploads.filter((u) => u.key !== key) }));
    },

    resetAttachments() {
      set({ uploads: [] });
    },
  };
}
