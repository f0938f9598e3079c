'use strict';
const catalog = require('./catalog');
const pricing = require('./pricing');

/** Totals a cart: [{ sku, quantity }] -> { lines, subtotal, discount, total } in cents. */
function priceCart(items) {
  const unitPrices = catalog.lookupPrices(items.map((item) => item.sku));
  const lines = items.map((item, i) => ({ sku: item.sku, quantity: item.quantity, amount: unitPrices[i] * item.quantity }));
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);
  return pricing.applyDiscounts(lines, subtotal);
}

module.exports = { priceCart };
