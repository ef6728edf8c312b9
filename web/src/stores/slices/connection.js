// The connection slice: the banner's state (connecting, connected, offline) and the transport, the
// live Socket.IO connection that api/socket.js hands in and takes back. The other slices send
// through the helpers below, which read the transport from the state they are given.

export const ACK_TIMEOUT_MS = 10000;

const initial = {
  connection: 'connecting',
  everConnected: false,
};

export function createConnectionSlice(set) {
  return {
    ...initial,
    // {connected(): bool, emit(event, payload, timeoutMs): Promise<ack>}, or null. Not part of
    // reset: it lives as long as the socket does, which api/socket.js owns.
    transport: null,

    setTransport(transport) {
      set({ transport });
    },

    setConnection(connection) {
      set((s) => ({ connection, everConnected: s.everConnected || connection === 'connected' }));
    },

    resetConnection() {
      set({ ...initial });
    },
  };
}

export function socketUp(state) {
  return Boolean(state.transport && state.transport.connected());
}

// An event the server answers (a send, an edit): rejects on a timeout or a lost connection.
export function emitWithAck(state, event, payload) {
  return state.transport.emit(event, payload, ACK_TIMEOUT_MS);
}

// Fire-and-forget socket events (receipts, typing, joins): lost ones are made good by the next one.
export function notify(state, event, payload) {
  if (socketUp(state)) emitWithAck(state, event, payload).catch(() => {});
}
