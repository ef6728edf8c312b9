// The bridge's REST API: one function per route, JSON in and out, errors as ApiError carrying the
// server's {error: {code, message}}. The token comes from a getter so this module holds no state.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let tokenGetter = () => null;
let unauthorizedHandler = () => {};

// The token of the session, for the other callers of the bridge (api/attachments.js).
export function currentToken() {
  return tokenGetter();
}

export function configureRest({ getToken, onUnauthorized }) {
  if (getToken) tokenGetter = getToken;
  if (onUnauthorized) unauthorizedHandler = onUnauthorized;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = tokenGetter();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401 && token) unauthorizedHandler();
    throw new ApiError(response.status, error.code || String(response.status), error.message || `Request failed (${response.status})`);
  }
  return data;
}

const id = (value) => encodeURIComponent(value);

// Ends the session of token on the server. Its own fetch: the token may already be refused, and
// that must not call the unauthorized handler (which logs out, which ends the session...).
async function endSession(token) {
  try {
    await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  } catch {
    // offline: the token stays valid until it expires; nothing else to do from here
  }
}

export const api = {
  endSession,
  register: (fields) => request('POST', '/api/auth/register', fields),
  login: (login, password) => request('POST', '/api/auth/login', { login, password }),
  me: () => request('GET', '/api/me'),
  updateMe: (changes) => request('PATCH', '/api/me', changes),
  setPrivacy: (settings) => request('PUT', '/api/me/privacy', settings),
  searchUsers: (q, limit = 20) => request('GET', `/api/users/search?q=${id(q)}&limit=${limit}`),
  searchMessages: (q, { conversationId, cursor, limit = 20 } = {}) =>
    request('GET', `/api/messages/search?${new URLSearchParams({ q, limit, ...(conversationId ? { conversationId } : {}), ...(cursor ? { cursor } : {}) })}`),
  contacts: () => request('GET', '/api/contacts'),
  addContact: (userId) => request('POST', '/api/contacts', { userId }),
  removeContact: (userId) => request('DELETE', `/api/contacts/${id(userId)}`),
  conversations: () => request('GET', '/api/conversations'),
  // {conversations, nextCursor}: the page after `before` (a previous nextCursor; null: the first)
  conversationPage: (before, limit) =>
    request('GET', `/api/conversations?${before ? `before=${id(before)}&` : ''}limit=${limit}`),
  conversation: (conversationId) => request('GET', `/api/conversations/${id(conversationId)}`),
  createConversation: (participantIds, isGroup = false, name) =>
    request('POST', '/api/conversations', name === undefined ? { participantIds, isGroup } : { participantIds, isGroup, name }),
  addParticipants: (conversationId, userIds) =>
    request('POST', `/api/conversations/${id(conversationId)}/participants`, { userIds }),
  removeParticipant: (conversationId, userId) =>
    request('DELETE', `/api/conversations/${id(conversationId)}/participants/${id(userId)}`),
  setRole: (conversationId, userId, role) =>
    request('PATCH', `/api/conversations/${id(conversationId)}/participants/${id(userId)}`, { role }),
  leave: (conversationId) => request('POST', `/api/conversations/${id(conversationId)}/leave`),
  messagesBefore: (conversationId, before, limit) =>
    request('GET', `/api/conversations/${id(conversationId)}/messages?${before ? `before=${before}&` : ''}limit=${limit}`),
  messagesAfter: (conversationId, after, limit) =>
    request('GET', `/api/conversations/${id(conversationId)}/messages?after=${after}&limit=${limit}`),
  sendMessage: (conversationId, content, clientId, replyTo, attachments) =>
    request('POST', `/api/conversations/${id(conversationId)}/messages`, { content, clientId, replyTo: replyTo || undefined, attachments: attachments && attachments.length ? attachments : undefined }),
  markRead: (conversationId, seq) => request('POST', `/api/conversations/${id(conversationId)}/read`, { seq }),
  editMessage: (messageId, content) => request('PATCH', `/api/messages/${id(messageId)}`, { content }),
  deleteMessage: (messageId) => request('DELETE', `/api/messages/${id(messageId)}`),
  // delete for me: {conversationId, messageId, seq, hidden}
  hideMessage: (messageId) => request('POST', `/api/messages/${id(messageId)}/hide`),
  // {messageId, results: [{conversationId, message} | {conversationId, error}]}, one per chat
  forwardMessage: (messageId, conversationIds) =>
    request('POST', `/api/messages/${id(messageId)}/forward`, { conversationIds }),
  // {readBy, deliveredTo, pending}: users; only for a message of ours
  messageInfo: (messageId) => request('GET', `/api/messages/${id(messageId)}/info`),
  // the message with its reactions; emoji null removes ours
  react: (messageId, emoji) => (emoji
    ? request('PUT', `/api/messages/${id(messageId)}/reaction`, { emoji })
    : request('DELETE', `/api/messages/${id(messageId)}/reaction`)),
  // {mute?: "8h" | "1w" | "always" | null, archived?, pinned?} -> the conversation
  setConversationState: (conversationId, changes) =>
    request('PATCH', `/api/conversations/${id(conversationId)}/state`, changes),
  archivedConversations: () => request('GET', '/api/conversations/archived'),
  blocked: () => request('GET', '/api/blocks'),
  block: (userId) => request('POST', '/api/blocks', { userId }),
  unblock: (userId) => request('DELETE', `/api/blocks/${id(userId)}`),
};
