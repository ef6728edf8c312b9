// The rules of our own sends: what a pending message looks like before the server stores it,
// which server answers are final (the send is marked failed) and which are worth another try.

// The longest message content the server takes, in bytes (the input allows twice as many
// characters and the server's error says when the bytes are too many).
export const MAX_CONTENT = 65536;

// Error codes a retry can't fix, as the socket's ack carries them: HTTP statuses, SQLSTATEs and
// the bridge's names for them.
const FINAL_ERROR_CODES = new Set(['400', '403', '404', '413', '22023', '22001', '23514', '22P02', '42501', 'P0002', '54000', 'bad_request', 'forbidden', 'not_found', 'payload_too_large']);

// HTTP statuses of a REST answer a retry can't fix (bad input, not allowed, gone, too large).
const FINAL_STATUSES = new Set([400, 403, 404, 413]);

// A message typed here, shown at once with a clock until its ack: its clientId makes a resend
// stored once however often it is sent.
export function pendingMessage({ clientId, conversationId, senderId, content, replyTo, attachments, now }) {
  const at = new Date(now).toISOString();
  const files = attachments && attachments.length ? { attachments } : {};
  return {
    ...files,
    id: `local-${clientId}`,
    clientId,
    conversationId,
    sender_id: senderId,
    content,
    replyTo: replyTo || null,
    seq: null,
    isEdited: false,
    isDeleted: false,
    created_at: at,
    updatedAt: at,
    localTime: now,
    failed: false,
  };
}

// The error object of a socket ack ({error: {code, message}}), or null when it answered a result.
export function ackError(ack) {
  return ack && typeof ack === 'object' && ack.error ? ack.error : null;
}

// Whether an ack's error is final: the send is marked failed instead of waiting for a reconnect.
export function isFinalAckError(error) {
  return Boolean(error) && FINAL_ERROR_CODES.has(String(error.code));
}

// Whether a REST ApiError is final, as isFinalAckError for the socket.
export function isFinalRestError(error) {
  return Boolean(error) && FINAL_STATUSES.has(error.status);
}

// Every send still waiting for the server (not stored, not given up), in every conversation.
export function pendingSends(messagesByConversation) {
  const sends = [];
  for (const list of Object.values(messagesByConversation)) {
    for (const m of list) if (m.seq == null && !m.failed) sends.push(m);
  }
  return sends;
}

// A list without a pending send that is given up (its stored copy, if any, stays).
export function withoutPending(list, clientId) {
  return list.filter((m) => m.clientId !== clientId || m.seq != null);
}
