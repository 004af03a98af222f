// The screens, in menu order, and who may open each. What a caller may do comes from
// /api/auth/me: their role and the bot commands it allows (the same list as the bot's menu).
// Screens load on first use, so the first paint fetches only the one on show.

/** Whether /api/auth/me allows a bot command ("buy", "estoque", …). */
export function can(me, command) {
  return Boolean(me?.commands?.includes(command));
}

const roleRank = { user: 1, admin: 2, owner: 3 };

/** Whether the caller's role is at least `role` (roles nest: owner ⊃ admin ⊃ user). */
export function atLeast(me, role) {
  return (roleRank[me?.role] ?? 0) >= roleRank[role];
}

/**
 * id: the route (#/id) and the i18n key screen.<id>; topics: live topics it follows;
 * allowed: who sees it in the menu and may open it.
 */
export const screens = [
  { id: 'dashboard', icon: '📊', topics: ['inventory', 'sales', 'presence'], allowed: (me) => can(me, 'relatorios'), load: () => import('./dashboard.js') },
  { id: 'products', icon: '📦', topics: ['inventory', 'presence'], allowed: (me) => can(me, 'lista_produtos'), load: () => import('./products.js') },
  { id: 'purchase', icon: '🛒', topics: ['inventory', 'sales'], allowed: (me) => can(me, 'buy'), load: () => import('./purchase.js') },
  { id: 'sales', icon: '🧾', topics: ['sales'], allowed: (me) => can(me, 'dividas'), load: () => import('./sales.js') },
  { id: 'debts', icon: '💰', topics: ['sales'], allowed: (me) => can(me, 'dividas'), load: () => import('./debts.js') },
  { id: 'orders', icon: '📮', topics: ['orders', 'inventory'], allowed: (me) => can(me, 'pedido') || can(me, 'pedidos'), load: () => import('./orders.js') },
  { id: 'contracts', icon: '🤝', topics: ['contracts'], allowed: (me) => atLeast(me, 'user'), load: () => import('./contracts.js') },
  { id: 'users', icon: '👥', topics: ['presence'], allowed: (me) => can(me, 'user'), load: () => import('./users.js') },
  { id: 'notifications', icon: '🔔', topics: ['notifications'], allowed: (me) => atLeast(me, 'user'), load: () => import('./notifications.js') },
  { id: 'sessions', icon: '🔐', topics: [], allowed: (me) => atLeast(me, 'user'), load: () => import('./sessions.js') },
  { id: 'reports', icon: '📈', topics: ['sales'], allowed: (me) => can(me, 'relatorios'), load: () => import('./reports.js') },
  { id: 'audit', icon: '🛡️', topics: ['activity'], allowed: (me) => atLeast(me, 'owner'), load: () => import('./audit.js') },
  { id: 'console', icon: '⌨️', topics: [], allowed: (me) => atLeast(me, 'user'), load: () => import('./console.js') },
];

/** The screens the caller may open, in menu order. */
export function visibleScreens(me) {
  return screens.filter((screen) => screen.allowed(me));
}

/** The screen with this id when the caller may open it; undefined otherwise. */
export function screenFor(id, me) {
  return visibleScreens(me).find((screen) => screen.id === id);
}
