// What the interface calls a conversation, and who the other person of a direct chat is.

export function directPeer(conversation, meId) {
  if (!conversation || conversation.isGroup) return null;
  const participants = conversation.participants || [];
  return participants.find((p) => p.id !== meId) || participants[0] || null;
}

// Display name of a conversation: the group's name, or the other person in a direct chat.
export function conversationTitle(conversation, meId) {
  if (!conversation) return '';
  if (conversation.isGroup) return conversation.name || 'Group';
  const other = directPeer(conversation, meId);
  return other ? other.displayName || other.username : conversation.name || 'Chat';
}
