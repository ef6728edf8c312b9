// Photos, documents and voice notes in Chromium: ann sends a photo (thumbnail made by her
// browser) and a PDF; ben sees the thumbnail, opens the full picture and sees the file card;
// ann records a voice note with the fake microphone and ben plays it. The chat list says
// "Photo", "Document", "Voice message". A screenshot of the chat lands in the artifacts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { deflateSync, crc32 } from 'node:zlib';
import { BASE_URL, chatRow, newPerson, register, screenshot, send, startDirectChat } from './browser.mjs';

// A real 640 x 480 PNG (stripes), so the browser can decode it and draw a thumbnail.
function png(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 255) / width, (y * 255) / height, ((x + y) % 64) * 4], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

let browser;
let ann;
let ben;

describe(`attachments in the web client at ${BASE_URL}`, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: process.env.PGCHAT_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
    });
    ann = await newPerson(browser, 'ann');
    ben = await newPerson(browser, 'ben');
    await ann.context.grantPermissions(['microphone']);
    await Promise.all([register(ann), register(ben)]);
    await startDirectChat(ann, ben);
    await send(ann.page, 'Pictures from the trip');
    await chatRow(ben.page, ann.displayName).click();
  });

  after(async () => {
    for (const person of [ann, ben]) {
      if (person && person.errors.length) console.log(`# ${person.name}'s page errors: ${person.errors.join(' | ')}`);
    }
    if (browser) await browser.close();
  });

  it('sends a photo and a PDF; the other user sees the thumbnail and the file card', async () => {
    await ann.page.getByTestId('attach-input').setInputFiles([{ name: 'harbour.png', mimeType: 'image/png', buffer: png(640, 480) }]);
    const thumbnail = ben.page.getByTestId('thumbnail');
    await thumbnail.waitFor();
    const size = await thumbnail.evaluate((img) => new Promise((resolve) => {
      const done = () => resolve([img.naturalWidth, img.naturalHeight]);
      if (img.complete) done(); else img.onload = done;
    }));
    assert.deepEqual(size, [320, 240], 'the thumbnail the sender\'s browser made');
    await chatRow(ben.page, ann.displayName).locator('.conversation-preview', { hasText: 'Photo' }).waitFor();
    await ann.page.getByTestId('attach-input').setInputFiles([{ name: 'tickets.pdf', mimeType: 'application/pdf', buffer: pdf }]);
    const card = ben.page.getByRole('button', { name: 'Download tickets.pdf' });
    await card.waitFor();
    assert.match(await card.innerText(), /tickets\.pdf[\s\S]*PDF/);
    await chatRow(ben.page, ann.displayName).locator('.conversation-preview', { hasText: 'Document' }).waitFor();
    await ann.page.locator('.uploads').waitFor({ state: 'detached' });
  });

  it('opens the full image', async () => {
    await ben.page.getByRole('button', { name: 'Open photo harbour.png' }).click();
    const full = ben.page.getByTestId('full-image');
    await full.waitFor();
    const width = await full.evaluate((img) => new Promise((resolve) => {
      if (img.complete) resolve(img.naturalWidth); else img.onload = () => resolve(img.naturalWidth);
    }));
    assert.equal(width, 640, 'the picture itself, not its thumbnail');
    await ben.page.keyboard.press('Escape');
    await full.waitFor({ state: 'detached' });
    const path = await screenshot(ben.page, 'screenshot-photo.png');
    console.log(`# screenshot: ${path}`);
  });

  it('records a voice note that the other user plays in the bubble', async () => {
    await ann.page.getByRole('button', { name: 'Record voice message' }).click();
    await ann.page.getByRole('status').waitFor();
    await ann.page.waitForTimeout(1500);
    await ann.page.getByRole('button', { name: 'Send voice message' }).click();
    const player = ben.page.locator('.attachment-audio audio');
    await player.waitFor();
    await chatRow(ben.page, ann.displayName).locator('.conversation-preview', { hasText: 'Voice message' }).waitFor();
    const played = await player.evaluate(async (audio) => {
      await audio.play();
      await new Promise((resolve) => setTimeout(resolve, 600));
      return audio.currentTime;
    });
    assert.ok(played > 0, `the voice note plays (at ${played} s)`);
  });
});
