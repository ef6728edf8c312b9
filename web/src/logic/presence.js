// The rules of who is online and who is typing, as maps the interface reads: online[userId],
// lastSeen[userId], typing[conversationId][userId] = username.

// The online map from a users_online answer (the full list of those we may see).
export function onlineFrom(userIds) {
  const online = {};
  for (const id of userIds || []) online[id] = true;
  return online;
}

// Online and last-seen after one presence event; a last seen time is kept after going online.
export function presenceAfter({ online, lastSeen }, event) {
  const nextOnline = { ...online };
  if (event.online) nextOnline[event.userId] = true;
  else delete nextOnline[event.userId];
  return { online: nextOnline, lastSeen: event.lastSeen ? { ...lastSeen, [event.userId]: event.lastSeen } : lastSeen };
}

// The typing map with one more typer in a conversation.
export function typingWith(typing, conversationId, userId, username) {
  return { ...typing, [conversationId]: { ...(typing[conversationId] || {}), [userId]: username || '' } };
}

// The typing map without a typer; the same object when they weren't typing.
export function typingWithout(typing, conversationId, userId) {
  const current = typing[conversationId];
  if (!current || !(userId in current)) return typing;
  const next = { ...current };
  delete next[userId];
  return { ...typing, [conversationId]: next };
}
