// Names for user ids ("u7" → "Diego Ferreira"): the owner lists everyone; an admin reads
// people one by one (GET /api/users/{id}); a user knows only themself and sees ids otherwise.

export class UserDirectory {
  constructor(api) {
    this.api = api;
    this.known = new Map();
    this.canList = false;
    this.listed = null;
    this.pending = new Map();
  }

  remember(user) {
    if (user?.id) this.known.set(user.id, user);
  }

  /** The name to show for an id (the id itself until the name is known). */
  name(id) {
    return this.known.get(id)?.name ?? id ?? '';
  }

  /** Every user (owner), as far as the server lets this caller list them. */
  async all() {
    if (!this.canList) return [...this.known.values()];
    if (!this.listed) {
      this.listed = this.api.all('/api/users').then((users) => {
        users.forEach((user) => this.remember(user));
        return [...this.known.values()];
      }).catch((error) => {
        this.listed = null;
        throw error;
      });
    }
    return this.listed;
  }

  /** Loads the names of `ids` not known yet; ids this caller may not read stay ids. */
  async load(ids) {
    if (this.canList) {
      await this.all().catch(() => {});
      return;
    }
    const missing = [...new Set(ids)].filter((id) => id && !this.known.has(id));
    await Promise.all(missing.map((id) => {
      if (!this.pending.has(id)) {
        this.pending.set(id, this.api.get(`/api/users/${encodeURIComponent(id)}`).then((user) => this.remember(user)).catch(() => {}));
      }
      return this.pending.get(id);
    }));
  }
}
