'use strict';
// The price catalogue. In production this is a database; every call is one round trip.

const prices = new Map([
  ['sku-espresso', 1299],
  ['sku-grinder', 8900],
  ['sku-filter', 499],
  ['sku-mug', 1450],
  ['sku-beans', 1875],
]);

let roundTrips = 0;

/** Prices of several SKUs in one round trip. */
function lookupPrices(skus) {
  roundTrips++;
  return skus.map((sku) => {
    const price = prices.get(sku);
    if (price === undefined) throw new Error(`unknown SKU ${sku}`);
    return price;
  });
}

/** The price of one SKU: one round trip each. */
function lookupPrice(sku) {
  return lookupPrices([sku])[0];
}

function roundTripCount() {
  return roundTrips;
}

module.exports = { lookupPrices, lookupPrice, roundTripCount };
