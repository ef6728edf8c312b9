// Helpers of the end-to-end suite: Debian's Chromium under playwright-core (never a downloaded
// browser), one isolated context per person, and the app's pages driven as a person would.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const BASE_URL = (process.env.PGCHAT_URL || `http://127.0.0.1:${process.env.PGCHAT_PORT || 5000}`).replace(/\/$/, '');
export const ARTIFACTS = process.env.PGCHAT_TEST_ARTIFACTS || new URL('../artifacts', import.meta.url).pathname;
const CHROMIUM = process.env.PGCHAT_CHROMIUM || '/usr/bin/chromium';
export const TIMEOUT = 15000;

// launch() gives the browser a fresh temporary profile (user-data-dir) that it deletes on close;
// each person then gets an isolated context (own cookies and localStorage).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'], // containers often have a small /dev/shm
  });
}

export async function newPerson(browser, name, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Console errors are only reported: going offline makes the browser log failed requests.
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`# ${name} console ${m.type()}: ${m.text().slice(0, 300)}`);
  });
  const suffix = randomBytes(3).toString('hex');
  return { name, context, page, errors, username: `${name}_${suffix}`, email: `${name}_${suffix}@example.com`, displayName: `${name[0].toUpperCase()}${name.slice(1)} ${suffix}` };
}

export async function screenshot(page, file) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, file);
  await page.screenshot({ path });
  return path;
}

export async function register(person) {
  const { page } = person;
  await page.goto('/register');
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Display name (optional)').fill(person.displayName);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Your profile: ${person.displayName}` }).waitFor();
}

// The row of a conversation in the sidebar, found by its title.
export function chatRow(page, title) {
  return page.locator('.conversation-item').filter({ has: page.locator('.conversation-name', { hasText: title }) });
}

export async function startDirectChat(person, other) {
  const { page } = person;
  await page.getByLabel('Search chats or people').fill(other.username);
  await page.getByRole('button', { name: new RegExp(`Chat with .*@${other.username}`) }).click();
  await page.locator('.chat-title', { hasText: other.displayName }).waitFor();
}

export async function send(page, text) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

// A bubble in the open chat with exactly this text.
export function bubble(page, text) {
  return page.locator('.message-row').filter({ has: page.locator('.bubble-text', { hasText: text }) });
}

export async function messageTexts(page) {
  return page.locator('.message-row .bubble-text').allInnerTexts();
}
