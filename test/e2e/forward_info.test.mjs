// Forward and message info (1.7) in a real browser: ann forwards ben's message from their chat
// to a group and to her chat with cal; cal sees it marked "Forwarded" without ben's name. In the
// group, ann opens the info of her message and sees cal among its readers once cal opens the chat
// (the panel follows the receipt live).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, bubble, chatRow, launchBrowser, newPerson, register, screenshot, send, startDirectChat } from './browser.mjs';

let browser;
let ann;
let ben;
let cal;
let groupName;

describe(`forward and message info at ${BASE_URL}`, () => {
  before(async () => {
    browser = await launchBrowser();
    ann = await newPerson(browser, 'ann');
    ben = await newPerson(browser, 'ben');
    cal = await newPerson(browser, 'cal');
  });

  after(async () => {
    for (const person of [ann, ben, cal]) {
      if (person && person.errors.length) console.log(`# ${person.name}'s page errors: ${person.errors.join(' | ')}`);
    }
    if (browser) await browser.close();
  });

  it('registers ann, ben and cal; ann chats with ben and cal, and makes a group of the three', async () => {
    await Promise.all([register(ann), register(ben), register(cal)]);
    await startDirectChat(ann, cal);
    await send(ann.page, 'Hi Cal');
    await bubble(ann.page, 'Hi Cal').locator('.ticks').waitFor();
    const { page } = ann;
    groupName = `Fwd ${ann.username.slice(-6)}`;
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill(groupName);
    for (const person of [ben, cal]) {
      await dialog.getByLabel('Search people to add').fill(person.username);
      await dialog.locator('.picker-row', { hasText: person.username }).locator('input[type=checkbox]').check();
    }
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.chat-title', { hasText: groupName }).waitFor();
    await startDirectChat(ben, ann);
    await send(ben.page, 'The meeting moved to 3pm');
    await chatRow(ann.page, ben.displayName).click();
    await bubble(ann.page, 'The meeting moved to 3pm').waitFor();
  });

  it('ann forwards ben\'s message to cal and to the group; cal sees it marked Forwarded, ben not named', async () => {
    const { page } = ann;
    const row = bubble(page, 'The meeting moved to 3pm');
    await row.hover();
    await row.getByRole('button', { name: 'Forward', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Forward message to' });
    await dialog.getByLabel(`Forward to ${cal.displayName}`).check();
    await dialog.getByLabel(`Forward to ${groupName}`).check();
    await dialog.getByRole('button', { name: 'Forward', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    await chatRow(cal.page, ann.displayName).click();
    const got = bubble(cal.page, 'The meeting moved to 3pm');
    await got.waitFor();
    await got.getByTestId('forwarded-label').waitFor();
    assert.equal((await got.getByTestId('forwarded-label').innerText()).trim(), 'Forwarded');
    assert.ok(!(await got.innerText()).includes(ben.displayName), 'the original sender is not shown');
    await screenshot(cal.page, 'forwarded.png');
    // ann's own copy in the group is marked too
    await chatRow(page, groupName).click();
    await bubble(page, 'The meeting moved to 3pm').getByTestId('forwarded-label').waitFor();
  });

  it('in the group, ann opens message info and sees cal read it once cal opens the chat', async () => {
    const { page } = ann;
    await send(page, 'Who has seen this?');
    const mine = bubble(page, 'Who has seen this?');
    await mine.locator('.ticks').waitFor();
    await mine.hover();
    await mine.getByRole('button', { name: 'Message info' }).click();
    const panel = page.getByRole('dialog', { name: 'Message info' });
    await panel.getByTestId('info-read').waitFor();
    assert.equal(await panel.getByTestId('info-read').locator('.member-row').count(), 0, 'no reader yet');

    await chatRow(cal.page, groupName).click();
    await bubble(cal.page, 'Who has seen this?').waitFor();
    await panel.getByTestId('info-read').locator('.member-row', { hasText: cal.displayName }).waitFor();
    const readers = await panel.getByTestId('info-read').locator('.member-row').allInnerTexts();
    assert.equal(readers.length, 1);
    assert.ok(!readers[0].includes(ben.displayName));
    await screenshot(page, 'message-info.png');
    await panel.getByRole('button', { name: 'Close' }).click();
    assert.deepEqual([...ann.errors, ...ben.errors, ...cal.errors], []);
  });
});
