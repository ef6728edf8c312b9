// pgchat in a real browser against the real bridge and database: alice, bob and carol register
// in their own browser contexts and chat the way people do. Steps run in order and build on
// each other; screenshots land in $PGCHAT_TEST_ARTIFACTS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARTIFACTS, BASE_URL, bubble, chatRow, launchBrowser, messageTexts, newPerson, register, screenshot, send, startDirectChat,
} from './browser.mjs';

let browser;
let alice;
let bob;
let carol;

async function expectText(locator, text) {
  await locator.filter({ hasText: text }).first().waitFor();
}

describe(`pgchat web client at ${BASE_URL}`, () => {
  before(async () => {
    browser = await launchBrowser();
    alice = await newPerson(browser, 'alice');
    bob = await newPerson(browser, 'bob');
    carol = await newPerson(browser, 'carol');
  });

  after(async () => {
    for (const person of [alice, bob, carol]) {
      if (person && person.errors.length) console.log(`# ${person.name}'s page errors: ${person.errors.join(' | ')}`);
    }
    if (browser) await browser.close();
  });

  it('shows the login page and refuses a wrong password with the server\'s message', async () => {
    const { page } = alice;
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByLabel('Username or email').fill('nobody_here');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('.form-error');
    await error.waitFor();
    assert.notEqual((await error.innerText()).trim(), '');
    await screenshot(page, 'login-page.png');
  });

  it('validates the register form inline before asking the server', async () => {
    const { page } = alice;
    await page.goto('/register');
    await page.getByLabel('Username').fill('a!');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectText(page.locator('.field-error'), 'A username has 3 to 32 characters.');
    await expectText(page.locator('.field-error'), 'A password has at least 8 characters.');
    assert.match(page.url(), /\/register$/);
  });

  it('registers alice, bob and carol', async () => {
    await Promise.all([register(alice), register(bob), register(carol)]);
  });

  it('refuses a taken username with the server\'s error', async () => {
    const extra = await browser.newContext({ baseURL: BASE_URL });
    const page = await extra.newPage();
    await page.goto('/register');
    await page.getByLabel('Username').fill(bob.username);
    await page.getByLabel('Email').fill(`other_${bob.email}`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('.form-error').waitFor();
    await extra.close();
  });

  it('alice finds bob and sends; bob sees it live with an unread badge', async () => {
    await startDirectChat(alice, bob);
    await send(alice.page, 'Hello Bob, this is Alice');
    const mine = bubble(alice.page, 'Hello Bob, this is Alice');
    await mine.locator('.ticks:not([data-status="pending"])').waitFor();

    const row = chatRow(bob.page, alice.displayName);
    await row.waitFor();
    await expectText(row.locator('.conversation-preview'), 'Hello Bob, this is Alice');
    assert.equal((await row.getByTestId('unread-badge').innerText()).trim(), '1');
  });

  it('bob opens the chat: the badge clears and alice sees read ticks', async () => {
    const row = chatRow(bob.page, alice.displayName);
    await row.click();
    await bubble(bob.page, 'Hello Bob, this is Alice').waitFor();
    await row.getByTestId('unread-badge').waitFor({ state: 'detached' });
    await bubble(alice.page, 'Hello Bob, this is Alice').locator('.ticks[data-status="read"]').waitFor();
  });

  it('bob types and alice sees "typing…", then his reply', async () => {
    const box = bob.page.getByLabel('Message', { exact: true });
    await box.click();
    await box.pressSequentially('Hi Al', { delay: 30 });
    await expectText(alice.page.getByTestId('chat-subtitle'), 'typing…');
    await box.pressSequentially('ice!', { delay: 10 });
    await box.press('Enter');
    await bubble(alice.page, 'Hi Alice!').waitFor();
    await alice.page.getByTestId('chat-subtitle').filter({ hasText: 'typing…' }).waitFor({ state: 'detached' });
  });

  it('Shift+Enter writes a multi-line message', async () => {
    const box = alice.page.getByLabel('Message', { exact: true });
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    await box.press('Enter');
    await bubble(bob.page, 'line two').waitFor();
    const text = await bubble(bob.page, 'line two').locator('.bubble-text').innerText();
    assert.equal(text.trim(), 'line one\nline two');
  });

  it('bob replies to a message, alice sees the quote', async () => {
    const original = bubble(bob.page, 'Hello Bob, this is Alice');
    await original.hover();
    await original.getByRole('button', { name: 'Reply' }).click();
    await send(bob.page, 'Replying to your hello');
    const reply = bubble(alice.page, 'Replying to your hello');
    await expectText(reply.locator('.reply-quote'), 'Hello Bob, this is Alice');
  });

  it('alice edits and deletes her own messages, bob sees both', async () => {
    await send(alice.page, 'a typo heer');
    const typo = bubble(alice.page, 'a typo heer');
    await typo.locator('.ticks:not([data-status="pending"])').waitFor();
    await typo.hover();
    await typo.getByRole('button', { name: 'Edit' }).click();
    const box = alice.page.getByLabel('Message', { exact: true });
    await box.fill('a typo here');
    await box.press('Enter');
    const fixed = bubble(bob.page, 'a typo here');
    await fixed.locator('.edited-mark').waitFor();

    await send(alice.page, 'this will vanish');
    const doomed = bubble(alice.page, 'this will vanish');
    await bubble(bob.page, 'this will vanish').waitFor();
    await doomed.locator('.ticks:not([data-status="pending"])').waitFor();
    await doomed.hover();
    await doomed.getByRole('button', { name: 'Delete' }).click();
    await doomed.getByRole('button', { name: 'Delete for everyone' }).click();
    await bubble(bob.page, 'this will vanish').waitFor({ state: 'detached' });
    assert.ok(await bob.page.locator('.deleted-text').count() >= 1);
    await screenshot(alice.page, 'chat-direct.png');
  });

  it('a reload keeps the session and the open chat', async () => {
    await bob.page.reload();
    await bubble(bob.page, 'Hello Bob, this is Alice').waitFor();
    await bubble(bob.page, 'Hi Alice!').waitFor();
    assert.match(bob.page.url(), /\/c\//);
  });

  it('an offline/online flip of bob\'s context loses nothing, both ways', async () => {
    // bob shows his last seen to the contacts he keeps (the default setting): alice is one
    const session = (who) => who.page.evaluate(() => JSON.parse(localStorage.getItem('pgchat.session')));
    const [bobSession, aliceSession] = await Promise.all([session(bob), session(alice)]);
    const kept = await fetch(`${BASE_URL}/api/contacts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bobSession.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: aliceSession.user.id }),
    });
    assert.equal(kept.status, 201);
    const presence = alice.page.getByTestId('chat-subtitle');
    await presence.filter({ hasText: /^online$/ }).waitFor();
    await bob.context.setOffline(true);
    await bob.page.getByTestId('connection-banner').waitFor();
    await presence.filter({ hasText: /^last seen/ }).waitFor();
    const missed = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    for (const text of missed) {
      await send(alice.page, text);
      await bubble(alice.page, text).locator('.ticks:not([data-status="pending"])').waitFor();
    }
    await send(bob.page, 'sent while offline');
    await bubble(bob.page, 'sent while offline').locator('.ticks[data-status="pending"]').waitFor();
    // An edit is not in the seq stream: bob must still see it after the catch-up.
    const earlier = bubble(alice.page, 'line two');
    await earlier.hover();
    await earlier.getByRole('button', { name: 'Edit' }).click();
    const box = alice.page.getByLabel('Message', { exact: true });
    await box.fill('line one\nline two, edited while bob was away');
    await box.press('Enter');
    await bubble(alice.page, 'edited while bob was away').locator('.edited-mark').waitFor();

    await bob.context.setOffline(false);
    await bob.page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30000 });
    await presence.filter({ hasText: /^online$/ }).waitFor();
    for (const text of missed) await bubble(bob.page, text).waitFor();
    await bubble(bob.page, 'edited while bob was away').locator('.edited-mark').waitFor();
    await bubble(bob.page, 'sent while offline').locator('.ticks:not([data-status="pending"])').waitFor();
    await bubble(alice.page, 'sent while offline').waitFor();

    // Each message exactly once and in order, on both sides.
    for (const page of [alice.page, bob.page]) {
      const texts = await messageTexts(page);
      for (const text of [...missed, 'sent while offline']) {
        assert.equal(texts.filter((t) => t.trim() === text).length, 1, `${text} once`);
      }
      const at = missed.map((text) => texts.findIndex((t) => t.trim() === text));
      assert.deepEqual([...at].sort((a, b) => a - b), at);
    }
  });

  it('scrolls up through history, page by page, in order and without duplicates', async () => {
    // Seventy more messages over REST with alice's own session, then bob opens the chat afresh.
    const token = await alice.page.evaluate(() => JSON.parse(localStorage.getItem('pgchat.session')).token);
    const conversationId = alice.page.url().split('/c/')[1];
    for (let i = 1; i <= 70; i++) {
      const response = await fetch(`${BASE_URL}/api/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: `history ${i}`, clientId: crypto.randomUUID() }),
      });
      assert.equal(response.status, 201);
    }
    await bubble(alice.page, 'history 70').waitFor();
    await bob.page.reload();
    await bubble(bob.page, 'history 70').waitFor();
    const list = bob.page.getByTestId('message-list');
    const first = bubble(bob.page, 'Hello Bob, this is Alice');
    for (let i = 0; i < 20 && !(await first.count()); i++) {
      await list.evaluate((el) => { el.scrollTop = 0; });
      await bob.page.waitForTimeout(150);
    }
    await first.waitFor();
    const seqs = await bob.page.locator('.message-row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every seq from 1, once, in order');
  });

  it('search finds an old message and opens the chat at it', async () => {
    const { page } = bob;
    await page.goto('/');
    await page.getByLabel('Search chats or people').fill('this is alice');
    const result = page.locator('.result-item').filter({ hasText: 'Hello Bob, this is Alice' });
    await result.waitFor();
    assert.deepEqual(await result.locator('mark').allInnerTexts(), ['this', 'is', 'Alice'], 'the snippet marks the words found');
    await screenshot(page, 'search-results.png');
    await result.click();
    const old = bubble(page, 'Hello Bob, this is Alice');
    await old.waitFor();
    // opened at the message, in view, with the newest page not loaded until asked for
    const inView = await old.evaluate((row) => {
      const r = row.getBoundingClientRect();
      const list = row.closest('[data-testid="message-list"]').getBoundingClientRect();
      return r.top >= list.top && r.bottom <= list.bottom;
    });
    assert.ok(inView, 'the message found is in view');
    assert.equal(await bubble(page, 'history 70').count(), 0);
    await page.getByRole('button', { name: 'Latest messages' }).click();
    await bubble(page, 'history 70').waitFor();
    await page.getByLabel('Search chats or people').fill('');
  });

  it('a hidden tab raises a notification for a new message, asked for when bob chose; a click opens the chat', async () => {
    const { page, context } = bob;
    await page.goto('/');
    // not asked on load: the button waits for bob; the browser's prompt is answered "allow"
    const turnOn = page.getByRole('button', { name: 'Turn on notifications' });
    await turnOn.waitFor();
    await context.grantPermissions(['notifications'], { origin: BASE_URL });
    await turnOn.click();
    await page.getByRole('button', { name: 'Turn on notifications' }).waitFor({ state: 'detached' });
    // record each notification the page raises (the real one is raised too), then hide the tab
    await page.evaluate(() => {
      const Real = window.Notification;
      window.raised = [];
      window.Notification = class extends Real {
        constructor(title, options) {
          super(title, options);
          window.raised.push({ title, body: options.body, notification: this });
        }
      };
      Object.defineProperty(window.Notification, 'permission', { get: () => Real.permission });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await send(alice.page, 'are you there?');
    await page.waitForFunction(() => window.raised.length > 0);
    const raised = await page.evaluate(() => window.raised.map(({ title, body }) => ({ title, body })));
    assert.deepEqual(raised, [{ title: alice.displayName, body: 'are you there?' }]);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      window.raised[0].notification.onclick();
    });
    await page.locator('.chat-title', { hasText: alice.displayName }).waitFor();
    await bubble(page, 'are you there?').waitFor();
  });

  it('alice makes a group of three; bob and carol get it live and chat in it', async () => {
    const { page } = alice;
    const groupName = `Trio ${alice.username.slice(-6)}`;
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill(groupName);
    for (const person of [bob, carol]) {
      await dialog.getByLabel('Search people to add').fill(person.username);
      await dialog.locator('.picker-row', { hasText: person.username }).locator('input[type=checkbox]').check();
    }
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.locator('.chat-title', { hasText: groupName }).waitFor();
    await send(page, 'Welcome to the group');

    for (const person of [bob, carol]) {
      const row = chatRow(person.page, groupName);
      await expectText(row.locator('.conversation-preview'), 'Welcome to the group');
      await row.click();
      await bubble(person.page, 'Welcome to the group').waitFor();
    }
    await send(carol.page, 'Hi both, Carol here');
    await bubble(alice.page, 'Hi both, Carol here').waitFor();
    await bubble(bob.page, 'Hi both, Carol here').waitFor();
    await expectText(bubble(alice.page, 'Hi both, Carol here').locator('.bubble-sender'), carol.displayName);
    await bubble(alice.page, 'Welcome to the group').locator('.ticks[data-status="read"]').waitFor();
    await screenshot(alice.page, 'chat-group.png');
  });

  it('group info lists members; alice makes carol an admin', async () => {
    const { page } = alice;
    await page.locator('.chat-header-main').click();
    const dialog = page.getByRole('dialog');
    const members = dialog.getByRole('list', { name: 'Members' }).locator('.member-row');
    assert.equal(await members.count(), 3);
    const carolRow = members.filter({ hasText: carol.username });
    await carolRow.getByRole('button', { name: 'Make admin' }).click();
    await carolRow.locator('.role-badge').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('carol leaves the group: it goes from her list and alice sees two members', async () => {
    const groupTitle = await alice.page.locator('.chat-title').innerText();
    await carol.page.locator('.chat-header-main').click();
    const dialog = carol.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Leave group' }).click();
    await chatRow(carol.page, groupTitle).waitFor({ state: 'detached' });
    await alice.page.getByTestId('chat-subtitle').filter({ hasNotText: carol.displayName }).waitFor();
  });

  it('alice adds carol back from group info; the group reappears for carol live', async () => {
    const groupTitle = await alice.page.locator('.chat-title').innerText();
    await alice.page.locator('.chat-header-main').click();
    const dialog = alice.page.getByRole('dialog');
    await dialog.getByLabel('Search people to add').fill(carol.username);
    await dialog.locator('.picker-row', { hasText: carol.username }).locator('input[type=checkbox]').check();
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.locator('.member-row', { hasText: carol.username }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await chatRow(carol.page, groupTitle).waitFor();
    await send(alice.page, 'Welcome back, Carol');
    await expectText(chatRow(carol.page, groupTitle).locator('.conversation-preview'), 'Welcome back, Carol');
  });

  it('bob edits his profile and it survives a reload', async () => {
    const { page } = bob;
    await page.getByRole('button', { name: /^Your profile/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Profile' });
    await dialog.getByLabel('Status').fill('At work');
    await dialog.getByLabel('Photo URL').fill('not a url');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expectText(dialog.locator('.field-error'), 'Enter an http or https URL without spaces.');
    await dialog.getByLabel('Photo URL').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.reload();
    await page.getByRole('button', { name: /^Your profile/ }).click();
    assert.equal(await page.getByRole('dialog', { name: 'Profile' }).getByLabel('Status').inputValue(), 'At work');
    // the last-seen setting applies at once and comes back from the server
    const lastSeen = page.getByRole('dialog', { name: 'Profile' }).getByLabel('Who sees my last seen');
    assert.equal(await lastSeen.inputValue(), 'contacts', 'my contacts by default');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/me/privacy') && r.status() === 200);
    await lastSeen.selectOption('nobody');
    await saved;
    const me = await page.evaluate(async () => {
      const { token } = JSON.parse(localStorage.getItem('pgchat.session'));
      return (await fetch('/api/me', { headers: { Authorization: `Bearer ${token}` } })).json();
    });
    assert.equal(me.privacy.lastSeen, 'nobody');
    await lastSeen.selectOption('contacts');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('works from the keyboard alone', async () => {
    const { page } = bob;
    await page.goto('/');
    await page.getByLabel('Search chats or people').focus();
    await page.keyboard.type(alice.displayName);
    await chatRow(page, alice.displayName).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('.chat-title', { hasText: alice.displayName }).waitFor();
    await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('aria-label') === 'Message');
    await page.keyboard.type('sent from the keyboard');
    await page.keyboard.press('Enter');
    await bubble(page, 'sent from the keyboard').locator('.ticks:not([data-status="pending"])').waitFor();
    await expectText(chatRow(alice.page, bob.displayName).locator('.conversation-preview'), 'sent from the keyboard');
  });

  it('collapses to one pane on a phone-width screen', async () => {
    const phone = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 390, height: 800 } });
    const page = await phone.newPage();
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(bob.username);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator('.conversation-item').first();
    await row.waitFor();
    assert.equal(await page.locator('.main-pane').isVisible(), false);
    await row.click();
    await page.locator('.chat-window').waitFor();
    assert.equal(await page.locator('.sidebar').isVisible(), false);
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await page.locator('.sidebar').waitFor();
    await screenshot(page, 'phone.png');
    await phone.close();
  });

  it('logout clears the session', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.reload();
    await page.waitForURL('**/login');
    assert.equal(await page.evaluate(() => localStorage.getItem('pgchat.session')), null);
  });

  it('had no uncaught errors in any page', () => {
    for (const person of [alice, bob, carol]) assert.deepEqual(person.errors, [], `${person.name}'s page`);
    console.log(`# screenshots in ${ARTIFACTS}`);
  });
});
