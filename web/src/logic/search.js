// When the search box's text is worth asking the server for messages: a letter or digit of a
// spaced script twice, or one character of any other script (a Chinese or Japanese word may be
// one character). Anything else would only be refused ("query must hold a word").
export function searchable(query) {
  const q = query.trim();
  if (!q || q.length > 200) return false;
  if (/[^\u0000-\u024f\s]/.test(q) && /[\p{L}\p{N}]/u.test(q)) return true;
  return (q.match(/[\p{L}\p{N}]/gu) || []).length >= 2;
}
