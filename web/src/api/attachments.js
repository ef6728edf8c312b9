// Attachments over HTTP: the upload (XMLHttpRequest, for its upload progress events) whose body
// is the thumbnail then the file, and downloads as Blobs (fetch with the token: an <img> or
// <audio> can't send an Authorization header, and tokens never go in URLs).
import { ApiError, currentToken } from './rest.js';

export function uploadFile(file, thumbnail, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = new URLSearchParams({ name: file.name || 'file' });
    if (thumbnail) query.set('thumbnail', String(thumbnail.size));
    xhr.open('POST', `/api/attachments?${query}`);
    const token = currentToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded, event.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status === 201 && data) resolve(data);
      else {
        const error = (data && data.error) || {};
        reject(new ApiError(xhr.status, error.code || String(xhr.status), error.message || `Upload failed (${xhr.status})`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'Cannot reach the server. Check your connection.'));
    xhr.send(thumbnail ? new Blob([thumbnail, file]) : file);
  });
}

export async function fetchAttachment(id, { thumbnail = false } = {}) {
  const token = currentToken();
  const response = await fetch(`/api/attachments/${encodeURIComponent(id)}${thumbnail ? '/thumbnail' : ''}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) throw new ApiError(response.status, String(response.status), `Download failed (${response.status})`);
  return response.blob();
}
