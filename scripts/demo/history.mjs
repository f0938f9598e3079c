// The demo workspace's git history: real commits with fixed authors and dates (so their SHAs are
// the same on every machine), deployments as annotated tags, and one commit that is the regression.
// Earlier versions of files live beside this script (*.v1.*); the last commit equals demo/.

export const authors = {
  priya: { name: 'Priya Natarajan', email: 'priya@checkout.example' },
  sam: { name: 'Sam Rivera', email: 'sam@checkout.example' },
  jo: { name: 'Jo Becker', email: 'jo@checkout.example' },
};

/**
 * Each commit lists the files it writes: `demo` takes the file from demo/, `v1` from
 * scripts/demo/<name>.v1.<ext>. `deploy` tags the commit as deployed to production at that time.
 */
export const commits = [
  {
    date: '2026-11-12T09:12:00Z',
    author: 'priya',
    message: 'Checkout service: cart, catalogue and pricing\n\nPrices a cart with one catalogue round trip for all its items.',
    files: {
      'package.json': 'demo',
      '.gitignore': 'demo',
      'README.md': 'v1:README.v1.md',
      'services/checkout/src/catalog.js': 'demo',
      'services/checkout/src/cart.js': 'v1:cart.v1.js',
      'services/checkout/src/pricing.js': 'v1:pricing.v1.js',
      'services/checkout/src/server.js': 'v1:server.v1.js',
      'services/checkout/test/cart.test.js': 'demo',
    },
  },
  {
    date: '2026-11-12T11:40:00Z',
    author: 'jo',
    message: 'CI: build, test and deploy pipelines for GitLab and GitHub',
    files: { '.gitlab-ci.yml': 'demo', '.github/workflows/ci.yml': 'demo', 'scripts/build.js': 'demo', 'scripts/lint.js': 'demo', 'scripts/deploy.js': 'demo' },
    deploy: { tag: 'deploy-20261112-1200', date: '2026-11-12T12:00:00Z' },
  },
  {
    date: '2026-11-16T10:05:00Z',
    author: 'priya',
    message: 'Pricing: round discounts to whole cents\n\nA 5% discount on 50.01 is 2.5005: refunds disagreed with receipts by fractions of a cent.',
    files: { 'services/checkout/src/pricing.js': 'demo' },
    deploy: { tag: 'deploy-20261116-1100', date: '2026-11-16T11:00:00Z' },
  },
  {
    date: '2026-11-17T09:30:00Z',
    author: 'jo',
    message: 'Docs: explain the demo workspace',
    files: { 'README.md': 'demo' },
  },
  {
    date: '2026-11-18T13:20:00Z',
    author: 'sam',
    message: 'Cart: look up each item\'s price on its own\n\nSimpler than matching prices back to items by index.',
    files: { 'services/checkout/src/cart.js': 'demo' },
    regression: true,
  },
  {
    date: '2026-11-18T13:45:00Z',
    author: 'sam',
    message: 'Checkout: log the size of each cart',
    files: { 'services/checkout/src/server.js': 'demo' },
    deploy: { tag: 'deploy-20261118-1400', date: '2026-11-18T14:00:00Z' },
  },
  {
    date: '2026-11-18T16:10:00Z',
    author: 'jo',
    message: 'Record production telemetry and the Opsloop configuration',
    files: { '.opsloop.yml': 'demo', 'telemetry/checkout.om': 'demo', 'telemetry/checkout.log.jsonl': 'demo' },
  },
];
