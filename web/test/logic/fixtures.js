// Messages and people shared by the tests of logic/: stored messages by seq, and pending sends.
export const ME = 'me';
export const BOB = 'bob';
export const CAROL = 'carol';

export function msg(seq, fields = {}) {
  return {
    id: `m${seq}`,
    seq,
    conversationId: 'c1',
    sender_id: BOB,
    content: `message ${seq}`,
    clientId: null,
    isEdited: false,
    isDeleted: false,
    created_at: `2024-05-01T10:00:${String(seq).padStart(2, '0')}Z`,
    updatedAt: `2024-05-01T10:00:${String(seq).padStart(2, '0')}Z`,
    ...fields,
  };
}

export function pending(clientId, localTime, fields = {}) {
  return { id: `local-${clientId}`, seq: null, clientId, localTime, conversationId: 'c1', sender_id: ME, content: 'hi', ...fields };
}
