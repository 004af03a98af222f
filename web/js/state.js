// The live state the screens show, and the pure reducer that applies the server's frames to
// it in place of a reload. Frames are CONTRACT.md's: {"type":"event","seq","topic","event",
// "data","at"} and {"type":"resync"}. No DOM here, so node --test checks it.

/** The state before anything is loaded. */
export function initialState() {
  return {
    seq: 0,            // the last change-feed event applied; a resume asks for what follows it
    stale: false,      // a resync arrived: reload from REST before trusting the rest
    products: {},      // id → product
    sales: [],         // newest first, as far as loaded
    dashboard: null,   // /api/dashboard, kept current by sales and stock events
    debts: {},         // userId → {userId, amount, currency}
    notifications: { items: [], unread: 0 },
    orders: {},        // id → order
    contracts: {},     // id → contract
    online: [],        // presence: [{userId, role, connections, views}]
  };
}

/** How many recent sales the state keeps. */
export const salesKept = 200;

/**
 * The state after one frame. Feed events at or before `state.seq` were applied already
 * (a replay after a resume overlaps) and change nothing; presence carries no feed position.
 */
export function applyFrame(state, frame) {
  if (frame?.type === 'resync') return { ...state, stale: true };
  if (frame?.type !== 'event') return state;
  if (frame.topic !== 'presence') {
    if (typeof frame.seq === 'number' && frame.seq <= state.seq) return state;
  }
  const next = applyEvent(state, frame.event, frame.data ?? {});
  if (frame.topic === 'presence' || typeof frame.seq !== 'number') return next;
  return { ...next, seq: frame.seq };
}

function applyEvent(state, event, data) {
  switch (event) {
    case 'inventory_update': {
      const product = state.products[data.productId];
      const products = product ? { ...state.products, [data.productId]: { ...product, stock: data.stock } } : state.products;
      return { ...state, products, dashboard: recountLowStock(state.dashboard, products) };
    }
    case 'product_update': {
      if (data.deleted) {
        const { [data.productId]: _gone, ...products } = state.products;
        return { ...state, products };
      }
      if (!data.product) return state;
      const products = { ...state.products, [data.product.id]: data.product };
      return { ...state, products, dashboard: recountLowStock(state.dashboard, products) };
    }
    case 'new_sale': {
      const sale = data.sale;
      if (!sale || state.sales.some((known) => known.id === sale.id)) return state;
      return { ...state, sales: [sale, ...state.sales].slice(0, salesKept), dashboard: addSale(state.dashboard, sale) };
    }
    case 'sale_refunded': {
      // The sale changes in place: its refundedQuantities grow.
      const sale = data.sale;
      if (!sale || !state.sales.some((known) => known.id === sale.id)) return state;
      return { ...state, sales: state.sales.map((known) => (known.id === sale.id ? sale : known)) };
    }
    case 'payment_recorded': {
      if (!state.dashboard || !data.payment) return state;
      const dashboard = { ...state.dashboard, todayReceived: (state.dashboard.todayReceived ?? 0) + data.payment.amount };
      return { ...state, dashboard };
    }
    case 'debt_update': {
      const known = state.debts[data.userId] ?? { userId: data.userId, amount: 0, currency: data.currency };
      const debts = { ...state.debts, [data.userId]: { ...known, amount: known.amount + data.change } };
      const dashboard = state.dashboard
        ? { ...state.dashboard, outstandingDebt: Object.values(debts).reduce((sum, debt) => sum + Math.max(debt.amount, 0), 0) }
        : state.dashboard;
      return { ...state, debts, dashboard };
    }
    case 'notification': {
      const notice = data.notification;
      if (!notice || state.notifications.items.some((known) => known.id === notice.id)) return state;
      return {
        ...state,
        notifications: { items: [notice, ...state.notifications.items], unread: state.notifications.unread + (notice.read ? 0 : 1) },
      };
    }
    case 'order_update':
      return data.order ? { ...state, orders: { ...state.orders, [data.order.id]: data.order } } : state;
    case 'contract_update':
      return data.contract ? { ...state, contracts: { ...state.contracts, [data.contract.id]: data.contract } } : state;
    case 'presence':
      return { ...state, online: data.online ?? [] };
    default:
      return state;
  }
}

/** Today's figures and the daily series take a new sale when it falls on the dashboard's last day. */
function addSale(dashboard, sale) {
  if (!dashboard) return dashboard;
  const day = String(sale.at ?? '').slice(0, 10);
  const daily = dashboard.daily ?? [];
  const last = daily[daily.length - 1];
  if (!last || last.key !== day) return dashboard;
  const units = sale.lines.reduce((sum, line) => sum + line.quantity, 0);
  return {
    ...dashboard,
    todaySales: dashboard.todaySales + 1,
    todayRevenue: dashboard.todayRevenue + sale.total,
    daily: [...daily.slice(0, -1), { ...last, sales: last.sales + 1, units: last.units + units, revenue: last.revenue + sale.total }],
  };
}

/** The low-stock count follows the products when they are all loaded (the dashboard's own count otherwise). */
function recountLowStock(dashboard, products) {
  if (!dashboard) return dashboard;
  const list = Object.values(products);
  if (list.length === 0) return dashboard;
  const lowStockCount = list.filter((product) => product.active !== false && product.stock <= product.lowStockThreshold).length;
  return { ...dashboard, lowStockCount };
}

/** Products keyed by id, from a list answer. */
export function byId(items) {
  return Object.fromEntries(items.map((item) => [item.id, item]));
}

/** What a presence board says about one view ("products/p3"): the users on it, except `me`. */
export function viewersOf(online, view, me) {
  return online.filter((entry) => entry.userId !== me && entry.views.includes(view)).map((entry) => entry.userId);
}
