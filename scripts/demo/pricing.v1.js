'use strict';

/** 10% off carts over 100.00, 5% off carts over 50.00. */
function applyDiscounts(lines, subtotal) {
  const rate = subtotal > 10000 ? 0.1 : subtotal > 5000 ? 0.05 : 0;
  const discount = subtotal * rate;
  return { lines, subtotal, discount, total: subtotal - discount };
}

module.exports = { applyDiscounts };
