import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskText, SecretMasker, secretForms } from '../../../../src/core/run/secretMasker';

const secret = 'hunter2-s3cr3t/value+x';

function streamAll(masker: SecretMasker, chunks: string[]): string {
  const stream = masker.stream();
  return chunks.map((c) => stream.push(c)).join('') + stream.flush();
}

describe('secret masking', () => {
  it('masks a value, its base64 forms and its URL-encoded forms', () => {
    const masker = new SecretMasker([secret]);
    const b64 = Buffer.from(secret).toString('base64');
    const b64url = Buffer.from(secret).toString('base64url');
    const basic = Buffer.from(`user:${secret}`).toString('base64');
    const text = [secret, b64, b64url, basic, encodeURIComponent(secret), encodeURIComponent(secret).toLowerCase().replace(/%2f/g, '%2f')].join('\n');
    const masked = masker.mask(text);
    assert.ok(!masked.includes(secret));
    assert.ok(!masked.includes(b64.replace(/=+$/, '')));
    assert.ok(!masked.includes(b64url));
    assert.ok(!masked.includes(encodeURIComponent(secret)));
    // Inside a longer base64 text (Basic auth), only a character or two at the edges may remain.
    const line = masked.split('\n')[3]!;
    assert.ok(line.includes(maskText) && line.replace(maskText, '').length <= 12, line);
  });

  it('masks a secret split across chunks at every possible split point', () => {
    const masker = new SecretMasker([secret]);
    const text = `before ${secret} middle ${Buffer.from(secret).toString('base64')} after`;
    const whole = masker.mask(text);
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i, Math.min(text.length, i + 3), Math.min(text.length, i + 11)]) {
        assert.equal(streamAll(masker, [text.slice(0, i), text.slice(i, j), text.slice(j)]), whole, `split at ${i}/${j}`);
      }
    }
    assert.ok(!whole.includes(secret));
  });

  it('holds back only what could start a secret', () => {
    const stream = new SecretMasker([secret]).stream();
    assert.equal(stream.push('plain text\n'), 'plain text\n');
    assert.equal(stream.push('x hun'), 'x ');
    assert.equal(stream.push('gry'), 'hungry');
    assert.equal(stream.push('hunter'), '');
    assert.equal(stream.flush(), 'hunter');
  });

  it('prefers the longest secret at a position and handles overlapping secrets', () => {
    const masker = new SecretMasker(['abcdef', 'abcdefghij', 'efghijkl']);
    assert.equal(masker.mask('xxabcdefghijkl'), `xx${maskText}kl`);
    assert.equal(masker.mask('abcdefX'), `${maskText}X`);
  });

  it('ignores values too short to mask safely', () => {
    assert.deepEqual(secretForms('abc'), []);
    assert.equal(new SecretMasker(['abc', '']).mask('abc abc'), 'abc abc');
    assert.equal(new SecretMasker(['abc']).active, false);
  });

  it('masks non-ASCII secrets and their UTF-8 base64', () => {
    const s = 'pässwörd-ünïcode';
    const masker = new SecretMasker([s]);
    const out = masker.mask(`${s} ${Buffer.from(s).toString('base64')}`);
    assert.equal(out, `${maskText} ${maskText}`);
  });

  it('never lets a secret through, whatever the text and chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 6, maxLength: 20 }).filter((s) => s.trim().length >= 6),
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 6 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 8 }),
        (value, fillers, cuts) => {
          const masker = new SecretMasker([value]);
          const text = fillers.join(value);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(text.slice(last, p));
            last = p;
          }
          chunks.push(text.slice(last));
          const out = streamAll(masker, chunks);
          assert.equal(out, masker.mask(text));
          if (fillers.length > 1) assert.ok(!out.includes(value) || value.includes(maskText));
        },
      ),
      { numRuns: 500 },
    );
  });
});
