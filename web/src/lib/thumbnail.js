// A small JPEG of a picture, made in the browser (the server never decodes images): drawn on a
// canvas at most THUMBNAIL_EDGE pixels on its longest side. null when the browser can't read it.
import { thumbnailSize } from '../logic/attachments.js';

export async function makeThumbnail(file) {
  if (!file.type.startsWith('image/')) return null;
  try {
    const bitmap = await createImageBitmap(file);
    const size = thumbnailSize(bitmap.width, bitmap.height);
    if (!size) return null;
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0, size.width, size.height);
    bitmap.close?.();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.72));
    return blob && blob.size <= 64 * 1024 ? blob : null;
  } catch {
    return null;
  }
}
