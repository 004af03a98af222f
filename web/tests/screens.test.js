import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atLeast, can, screenFor, visibleScreens } from '../js/screens/index.js';

// What /api/auth/me answers for each role (CONTRACT.md, "Bot commands").
const user = { role: 'user', commands: ['start', 'commands', 'login', 'lista_produtos', 'dividas', 'pedido'] };
const admin = { role: 'admin', commands: [...user.commands, 'buy', 'estornar', 'estoque', 'pagar', 'relatorios', 'pedidos', 'verificar', 'rejeitar'] };
const owner = { role: 'owner', commands: [...admin.commands, 'user', 'product', 'smartcontract', 'transactions', 'backup'] };

const ids = (me) => visibleScreens(me).map((screen) => screen.id);

test('a user’s menu has no admin screens', () => {
  assert.deepEqual(ids(user), ['products', 'sales', 'debts', 'orders', 'contracts', 'notifications', 'sessions', 'console']);
  assert.equal(screenFor('dashboard', user), undefined);
  assert.equal(screenFor('audit', user), undefined);
});

test('an admin gets the shop’s screens; only the owner gets users and audit', () => {
  assert.deepEqual(ids(admin), ['dashboard', 'products', 'purchase', 'sales', 'debts', 'orders', 'contracts', 'notifications', 'sessions', 'reports', 'console']);
  assert.deepEqual(ids(owner), ['dashboard', 'products', 'purchase', 'sales', 'debts', 'orders', 'contracts', 'users', 'notifications', 'sessions', 'reports', 'audit', 'console']);
});

test('permissions come from the role and the allowed commands', () => {
  assert.equal(can(admin, 'buy'), true);
  assert.equal(can(user, 'buy'), false);
  assert.equal(can(null, 'buy'), false);
  assert.equal(atLeast(owner, 'admin'), true);
  assert.equal(atLeast(admin, 'owner'), false);
  assert.equal(atLeast({}, 'user'), false);
});
