// An object URL of an attachment (or its thumbnail) fetched with the session's token; revoked
// when the component goes or asks for another. null while loading or when it can't be read.
import { useEffect, useState } from 'react';
import { fetchAttachment } from '../api/attachments.js';

export function useAttachmentUrl(id, { thumbnail = false, enabled = true } = {}) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!id || !enabled) return undefined;
    let made = null;
    let live = true;
    fetchAttachment(id, { thumbnail })
      .then((blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => { if (live) setUrl(null); });
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [id, thumbnail, enabled]);
  return url;
}
