// The messenger features of issue 18 in a real browser: ann keeps ben as a contact and starts a
// chat from the address book; a reaction shows live for the other member; pinning and archiving
// on one device of ann reorder the list on her second device; ann blocks ben and his send is
// refused. Steps run in order and build on each other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, bubble, chatRow, launchBrowser, newPerson, register, screenshot, send } from './browser.mjs';

let browser;
let ann;
let annLaptop; // ann's second device: a browser context of its own, signed in with her password
let ben;
let cal;

async function signIn(device, person) {
  const { page } = device;
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(person.username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: `Your profile: ${person.displayName}` }).waitFor();
}

async function chatMenu(page, item) {
  await page.getByRole('button', { name: 'Chat settings' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

async function openChat(person, other) {
  await chatRow(person.page, other.displayName).click();
  await person.page.locator('.chat-title', { hasText: other.displayName }).waitFor();
}

// The titles of the list's rows, top to bottom.
async function listOrder(page) {
  return page.locator('.conversation-item .conversation-name').allInnerTexts();
}

async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`messenger features at ${BASE_URL}`, () => {
  before(async () => {
    browser = await launchBrowser();
    ann = await newPerson(browser, 'ann');
    ben = await newPerson(browser, 'ben');
    cal = await newPerson(browser, 'cal');
    annLaptop = await newPerson(browser, 'annlaptop');
  });

  after(async () => {
    for (const person of [ann, annLaptop, ben, cal]) {
      if (person && person.errors.length) console.log(`# ${person.name}'s page errors: ${person.errors.join(' | ')}`);
    }
    if (browser) await browser.close();
  });

  it('registers ann, ben and cal; ann signs in on a second device', async () => {
    await Promise.all([register(ann), register(ben), register(cal)]);
    await signIn(annLaptop, ann);
  });

  it('ann adds ben to her contacts from the search and starts a chat from the address book', async () => {
    const { page } = ann;
    await page.getByLabel('Search chats or people').fill(ben.username);
    await page.getByRole('button', { name: `Add ${ben.displayName} to contacts` }).click();
    await page.getByRole('button', { name: `Add ${ben.displayName} to contacts` }).waitFor({ state: 'detached' });
    await page.getByLabel('Search chats or people').fill('');
    await page.getByRole('button', { name: 'Contacts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Contacts' });
    await dialog.getByRole('button', { name: `Chat with ${ben.displayName}` }).click();
    await page.locator('.chat-title', { hasText: ben.displayName }).waitFor();
    await send(page, 'Hi Ben, from my contacts');
    await bubble(page, 'Hi Ben, from my contacts').locator('.ticks:not([data-status="pending"])').waitFor();
  });

  it('ben reacts to ann\'s message and ann sees the reaction appear live', async () => {
    await openChat(ben, ann);
    const row = bubble(ben.page, 'Hi Ben, from my contacts');
    await row.hover();
    await row.getByRole('button', { name: 'React', exact: true }).click();
    await ben.page.getByRole('button', { name: 'React 👍' }).click();
    const live = bubble(ann.page, 'Hi Ben, from my contacts').getByTestId('reactions');
    await live.filter({ hasText: '👍' }).waitFor();
    assert.match(await live.innerText(), /👍\s*1/);
    await screenshot(ann.page, 'reaction-live.png');
  });

  it('pinning and archiving on ann\'s phone reorder the list on her laptop', async () => {
    // a second chat, newer than the one with ben: it heads the list until ben's is pinned
    await ann.page.getByLabel('Search chats or people').fill(cal.username);
    await ann.page.getByRole('button', { name: new RegExp(`Chat with .*@${cal.username}`) }).click();
    await ann.page.locator('.chat-title', { hasText: cal.displayName }).waitFor();
    await send(ann.page, 'Hi Cal');
    const laptop = annLaptop.page;
    await until('both chats on the laptop', async () => (await listOrder(laptop)).length === 2);
    await until('cal on top', async () => (await listOrder(laptop))[0] === cal.displayName);

    await openChat(ann, ben);
    await chatMenu(ann.page, 'Pin chat');
    await until('ben pinned on top of the laptop\'s list', async () => (await listOrder(laptop))[0] === ben.displayName);
    await chatRow(laptop, ben.displayName).getByTestId('pinned-mark').waitFor();

    await chatMenu(ann.page, 'Archive chat');
    await until('ben archived on the laptop', async () => !(await listOrder(laptop)).includes(ben.displayName));
    await laptop.getByRole('button', { name: /Archived \(1\)/ }).click();
    await chatRow(laptop, ben.displayName).waitFor();
    await screenshot(laptop, 'archived-on-second-device.png');
    await laptop.getByRole('button', { name: 'Back to chats' }).click();

    await chatMenu(ann.page, 'Unarchive chat');
    await until('ben back on the laptop', async () => (await listOrder(laptop)).includes(ben.displayName));
  });

  it('ann mutes the chat: the muted mark shows on both devices', async () => {
    await chatMenu(ann.page, 'Mute for 8 hours');
    await chatRow(ann.page, ben.displayName).getByTestId('muted-mark').waitFor();
    await chatRow(annLaptop.page, ben.displayName).getByTestId('muted-mark').waitFor();
  });

  it('ann blocks ben: his message is refused with the server\'s reason and never reaches her', async () => {
    await chatMenu(ann.page, `Block ${ben.displayName}`);
    await ann.page.getByRole('button', { name: 'Chat settings' }).click();
    await ann.page.getByRole('menuitem', { name: `Unblock ${ben.displayName}` }).waitFor();
    await ann.page.getByRole('button', { name: 'Chat settings' }).click();

    await send(ben.page, 'Are you there?');
    const refused = bubble(ben.page, 'Are you there?').locator('.bubble-failed');
    await refused.waitFor();
    assert.match(await refused.innerText(), /can't message this user/);
    await screenshot(ben.page, 'blocked-send.png');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await bubble(ann.page, 'Are you there?').count(), 0, 'nothing reached ann');
  });

  it('ann deletes a message for herself; ben still has it', async () => {
    const row = bubble(ann.page, 'Hi Ben, from my contacts');
    await row.hover();
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.getByRole('button', { name: 'Delete for me' }).click();
    await row.waitFor({ state: 'detached' });
    await bubble(annLaptop.page, 'Hi Ben, from my contacts').waitFor({ state: 'detached' }).catch(() => {});
    assert.equal(await bubble(ben.page, 'Hi Ben, from my contacts').count(), 1);
  });
});
