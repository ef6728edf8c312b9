// The people slice: our address book (contacts) and the users we blocked. The blocked list comes
// from the server on load and from blocks_updated, which every device of ours hears.
import { api } from '../../api/rest.js';

const initial = {
  contacts: [],
  contactsLoaded: false,
  blocked: [], // users we blocked, newest first
};

export function createPeopleSlice(set, get) {
  return {
    ...initial,

    resetPeople() {
      set({ ...initial });
    },

    async loadContacts() {
      const contacts = await api.contacts();
      set({ contacts, contactsLoaded: true });
      return contacts;
    },

    async addContact(user) {
      const added = await api.addContact(user.id);
      set((s) => ({ contacts: [...s.contacts.filter((u) => u.id !== added.id), added] }));
      return added;
    },

    async removeContact(userId) {
      await api.removeContact(userId);
      set((s) => ({ contacts: s.contacts.filter((u) => u.id !== userId) }));
    },

    async loadBlocked() {
      const blocked = await api.blocked();
      set({ blocked });
      return blocked;
    },

    // blocks_updated, or the answer of our own change
    setBlocked(blocked) {
      set({ blocked: Array.isArray(blocked) ? blocked : [] });
    },

    async block(userId) {
      await api.block(userId);
      await get().loadBlocked();
    },

    async unblock(userId) {
      await api.unblock(userId);
      await get().loadBlocked();
    },
  };
}

// Whether we blocked the user.
export function isBlocked(blocked, userId) {
  return blocked.some((u) => u.id === userId);
}
