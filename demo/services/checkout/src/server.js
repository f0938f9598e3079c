'use strict';
const http = require('node:http');
const { priceCart } = require('./cart');

const server = http.createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/cart/total') {
    response.writeHead(404).end();
    return;
  }
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    try {
      const items = JSON.parse(body).items;
      console.log(JSON.stringify({ msg: 'pricing cart', items: items.length }));
      const total = priceCart(items);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(total));
    } catch (error) {
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.message }));
    }
  });
});

if (require.main === module) server.listen(Number(process.env.PORT ?? 8080));
module.exports = { server };
