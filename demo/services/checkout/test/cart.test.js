'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { priceCart } = require('../src/cart');

test('prices a cart line by line', () => {
  const result = priceCart([{ sku: 'sku-filter', quantity: 2 }, { sku: 'sku-mug', quantity: 1 }]);
  assert.equal(result.subtotal, 2 * 499 + 1450);
  assert.equal(result.total, result.subtotal);
});

test('gives 10% off carts over 100.00, in whole cents', () => {
  const result = priceCart([{ sku: 'sku-grinder', quantity: 1 }, { sku: 'sku-beans', quantity: 2 }]);
  assert.equal(result.subtotal, 8900 + 2 * 1875);
  assert.equal(result.discount, Math.round(result.subtotal * 0.1));
  assert.ok(Number.isInteger(result.total));
});

test('refuses unknown SKUs', () => {
  assert.throws(() => priceCart([{ sku: 'sku-unknown', quantity: 1 }]), /unknown SKU/);
});
