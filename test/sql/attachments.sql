-- Attachments (1.7): uploads in chunks, the type sniffed from the first bytes against an
-- allow-list, the size and quota limits, reads for the uploader before sending and for members
-- after, the message carrying its files, expiry of unsent uploads, delete for everyone.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(56);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ada_f', 'bob_f', 'out_f']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE TEMP TABLE c AS SELECT ((chat.create_conversation(pg_temp.tok('ada_f'), ARRAY[pg_temp.uid('bob_f')]))->>'id')::uuid AS id;
CREATE FUNCTION pg_temp.c() RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM c $$;
-- a whole upload of `data` by `who` named `name`: its id
CREATE FUNCTION pg_temp.upload(who text, name text, data bytea) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  id uuid := (chat.begin_attachment(pg_temp.tok(who), name, octet_length(data)))->>'id';
  n int := 0;
BEGIN
  WHILE n * 262144 < octet_length(data) LOOP
    PERFORM chat.append_attachment(pg_temp.tok(who), id, n, substring(data FROM n * 262144 + 1 FOR 262144));
    n := n + 1;
  END LOOP;
  PERFORM chat.finish_attachment(pg_temp.tok(who), id);
  RETURN id;
END $$;
CREATE TEMP TABLE png AS SELECT '\x89504e470d0a1a0a'::bytea || '\x0000000d49484452'::bytea AS b;
CREATE FUNCTION pg_temp.png() RETURNS bytea LANGUAGE sql AS $$ SELECT b FROM png $$;
-- 600 KiB of a "PDF": three chunks, the last short
CREATE TEMP TABLE big AS SELECT convert_to(E'%PDF-1.7\n', 'UTF8') || decode(repeat('41', 600 * 1024 - 9), 'hex') AS b;

-- ---- uploads: the good path ----
CREATE TEMP TABLE f AS SELECT 'photo' AS k, pg_temp.upload('ada_f', 'photo.png', pg_temp.png()) AS id;
INSERT INTO f SELECT 'pdf', pg_temp.upload('ada_f', 'report.pdf', (SELECT b FROM big));
INSERT INTO f SELECT 'text', pg_temp.upload('ada_f', 'a.txt', 'x'::bytea);
CREATE FUNCTION pg_temp.f(k text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM f WHERE f.k = $1 $$;

SELECT is(chat.attachment(pg_temp.tok('ada_f'), pg_temp.f('photo')) - 'createdAt',
  jsonb_build_object('id', pg_temp.f('photo'), 'name', 'photo.png', 'type', 'image/png', 'size', 16, 'hasThumbnail', false),
  'a finished upload: its name, sniffed type and size');
SELECT is(chat.attachment(pg_temp.tok('ada_f'), pg_temp.f('pdf'))->>'type', 'application/pdf', 'a PDF is sniffed as one');
SELECT is(chat.attachment(pg_temp.tok('ada_f'), pg_temp.f('text'))->>'type', 'text/plain', 'one byte of text is a text file');
SELECT is((SELECT count(*) FROM chat.attachment_chunks WHERE attachment_id = pg_temp.f('pdf'))::int, 3, 'stored in chunks of 256 KiB');
SELECT is(chat.read_attachment(pg_temp.tok('ada_f'), pg_temp.f('pdf'), 0, 1048576), (SELECT b FROM big), 'read whole, byte for byte');
SELECT is(chat.read_attachment(pg_temp.tok('ada_f'), pg_temp.f('pdf'), 262140, 10), substring((SELECT b FROM big) FROM 262141 FOR 10), 'a range across two chunks');
SELECT is(octet_length(chat.read_attachment(pg_temp.tok('ada_f'), pg_temp.f('pdf'), 614000, 1000)), 600 * 1024 - 614000, 'a range is cut at the end of the file');
SELECT is(chat.read_attachment(pg_temp.tok('ada_f'), pg_temp.f('text'), 0, 10), 'x'::bytea, 'one byte comes back');

-- names
SELECT is(chat.begin_attachment(pg_temp.tok('ada_f'), '../../etc/pass"wd<>|?*:.', 3)->>'name', 'passwd', 'a name loses its path and special characters');
SELECT is(chat.begin_attachment(pg_temp.tok('ada_f'), ' ... ', 3)->>'name', 'file', 'a name with nothing left is "file"');
SELECT is(octet_length(chat.begin_attachment(pg_temp.tok('ada_f'), repeat('é', 200), 3)->>'name'), 254, 'a long name is cut at a character''s end within 255 bytes');
SELECT is(chat.begin_attachment(pg_temp.tok('ada_f'), E'a\tb\nc.txt', 3)->>'name', 'abc.txt', 'control characters go');

-- types: sniffed, never the client's word
CREATE FUNCTION pg_temp.type_of(data bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE id uuid := pg_temp.upload('ada_f', 'x.bin', data);
BEGIN
  RETURN chat.attachment(pg_temp.tok('ada_f'), id)->>'type';
END $$;
SELECT is(pg_temp.type_of('\xffd8ffe000104a464946'::bytea), 'image/jpeg', 'JPEG');
SELECT is(pg_temp.type_of('GIF89a0000'::bytea), 'image/gif', 'GIF');
SELECT is(pg_temp.type_of('RIFF0000WEBPVP8 '::bytea), 'image/webp', 'WebP');
SELECT is(pg_temp.type_of('OggS'::bytea || decode(repeat('00', 24), 'hex') || 'OpusHead'::bytea), 'audio/ogg', 'Ogg Opus');
SELECT is(pg_temp.type_of('\x1a45dfa3'::bytea || 'xxxxwebmxxxxA_OPUS'::bytea), 'audio/webm', 'WebM with sound only');
SELECT is(pg_temp.type_of('\x1a45dfa3'::bytea || 'xxxxwebmxxxxV_VP8xxA_OPUS'::bytea), 'video/webm', 'WebM with video');
SELECT is(pg_temp.type_of('\x00000018'::bytea || 'ftypM4A 0000isom'::bytea), 'audio/mp4', 'M4A (AAC)');
SELECT is(pg_temp.type_of('\x00000018'::bytea || 'ftypisom0000isom'::bytea), 'video/mp4', 'MP4 video');
SELECT throws_ok($$SELECT pg_temp.upload('ada_f', 'x.zip', '\x504b0304140000000800'::bytea)$$, '22023',
  'this type of file is not accepted', 'a ZIP is refused, whatever its name');
SELECT throws_ok($$SELECT pg_temp.upload('ada_f', 'x.png', '\x7f454c46020101000000'::bytea)$$, '22023',
  'this type of file is not accepted', 'an executable named .png is refused');
SELECT throws_ok($$SELECT pg_temp.upload('ada_f', 'x.txt', '\xc3'::bytea)$$, '22023',
  'this type of file is not accepted', 'text that is not UTF-8 is refused');

-- ---- bad input and limits ----
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 16777217)$$, '54000',
  'a file may be at most 16777216 bytes', 'one byte over the limit is refused at begin');
SELECT lives_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 16777216)$$, 'exactly the limit begins');
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 0)$$, '22023', 'size must be at least 1 byte', 'an empty file is refused');
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), NULL, 3)$$, '22023', 'name is required', 'a name is required');
SELECT throws_ok($$SELECT chat.begin_attachment('not a token', 'a.png', 3)$$, '28000', NULL, 'a bad token is refused');
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 3, 'GIF89a'::bytea)$$, '22023', NULL, 'a thumbnail must be JPEG, PNG or WebP');
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 3, '\xffd8ff'::bytea || decode(repeat('00', 65536), 'hex'))$$, '22023', NULL, 'a thumbnail over 64 KiB is refused');
CREATE TEMP TABLE u AS SELECT ((chat.begin_attachment(pg_temp.tok('ada_f'), 'p.pdf', 262145))->>'id')::uuid AS id;
SELECT throws_ok($$SELECT chat.append_attachment(pg_temp.tok('ada_f'), (SELECT id FROM u), 1, '%PDF-'::bytea)$$, '22023', 'chunk 0 was expected, not 1', 'chunks come in order');
SELECT throws_ok($$SELECT chat.append_attachment(pg_temp.tok('ada_f'), (SELECT id FROM u), 0, '%PDF-'::bytea)$$, '22023', 'every chunk but the last must hold 262144 bytes', 'a short chunk that is not the last is refused');
SELECT throws_ok($$SELECT chat.append_attachment(pg_temp.tok('bob_f'), (SELECT id FROM u), 0, '%PDF-'::bytea)$$, 'P0002', 'upload not found', 'no one appends to another''s upload');
SELECT throws_ok($$SELECT chat.finish_attachment(pg_temp.tok('ada_f'), (SELECT id FROM u))$$, '22023', 'the upload is incomplete: 0 of 262145 bytes arrived', 'an incomplete upload can''t finish');
SELECT throws_ok($$SELECT chat.attachment(pg_temp.tok('ada_f'), (SELECT id FROM u))$$, 'P0002', 'attachment not found', 'an unfinished upload can''t be read');
SELECT throws_ok($$SELECT chat.append_attachment(pg_temp.tok('ada_f'), pg_temp.f('text'), 1, 'y'::bytea)$$, '22023', 'the upload is finished already', 'nothing is added to a finished upload');
SET LOCAL chat.attachment_quota = '1MB';
SELECT throws_ok($$SELECT chat.begin_attachment(pg_temp.tok('ada_f'), 'a.png', 500000)$$, '54000', 'this file would go over your storage quota', 'the quota counts what the user stores');
RESET chat.attachment_quota;

-- ---- who reads ----
SELECT throws_ok($$SELECT chat.attachment(pg_temp.tok('bob_f'), pg_temp.f('photo'))$$, 'P0002', 'attachment not found', 'before it is sent, only its uploader reads it');
SELECT throws_ok($$SELECT chat.send_message(pg_temp.tok('bob_f'), pg_temp.c(), 'mine', NULL, NULL, ARRAY[pg_temp.f('photo')])$$, '22023',
  'attachments must be your own finished uploads, not sent before', 'no one sends another''s upload');
SELECT is(jsonb_array_length(chat.send_message(pg_temp.tok('ada_f'), pg_temp.c(), 'look', 'with-files', NULL, ARRAY[pg_temp.f('photo'), pg_temp.f('pdf')])->'attachments'), 2,
  'the message carries its files');
SELECT is((SELECT m->'attachments'->1->>'name' FROM jsonb_array_elements(chat.messages(pg_temp.tok('bob_f'), pg_temp.c())) m WHERE m->>'content' = 'look'), 'report.pdf',
  'the other member sees them in the page, in order');
SELECT is(chat.read_attachment(pg_temp.tok('bob_f'), pg_temp.f('photo'), 0, 100), pg_temp.png(), 'a member reads a sent file');
SELECT throws_ok($$SELECT chat.read_attachment(pg_temp.tok('out_f'), pg_temp.f('photo'), 0, 100)$$, 'P0002', 'attachment not found', 'a non-member can''t');
SELECT throws_ok($$SELECT chat.attachment_thumbnail(pg_temp.tok('out_f'), pg_temp.f('photo'))$$, 'P0002', 'attachment not found', 'nor its thumbnail');
SELECT throws_ok($$SELECT chat.send_message(pg_temp.tok('ada_f'), pg_temp.c(), 'again', NULL, NULL, ARRAY[pg_temp.f('photo')])$$, '22023',
  'attachments must be your own finished uploads, not sent before', 'a file is sent once');
SELECT is(chat.send_message(pg_temp.tok('ada_f'), pg_temp.c(), 'look', 'with-files', NULL, ARRAY[pg_temp.f('photo'), pg_temp.f('pdf')])->>'seq',
  (SELECT m->>'seq' FROM jsonb_array_elements(chat.messages(pg_temp.tok('ada_f'), pg_temp.c())) m WHERE m->>'content' = 'look'), 'a resend answers the first message');

-- ---- expiry and deletion ----
UPDATE chat.attachments SET expires_at = now() - interval '1 second' WHERE id = pg_temp.f('text');
SELECT ok(chat.expire_attachments() >= 1, 'expired unsent uploads are deleted');
SELECT is((SELECT count(*) FROM chat.attachment_chunks WHERE attachment_id = pg_temp.f('text'))::int, 0, 'with their bytes');
SELECT lives_ok($$SELECT chat.delete_message(pg_temp.tok('ada_f'), (SELECT id FROM chat.messages WHERE client_id = 'with-files'))$$, 'the message is deleted for everyone');
SELECT is((SELECT count(*) FROM chat.attachments WHERE id IN (pg_temp.f('photo'), pg_temp.f('pdf'))) + (SELECT count(*) FROM chat.attachment_chunks WHERE attachment_id IN (pg_temp.f('photo'), pg_temp.f('pdf'))), 0::bigint,
  'and its files and their bytes are gone');

-- ---- a forward carries copies of the files ----
CREATE TEMP TABLE fw AS SELECT ((chat.create_conversation(pg_temp.tok('bob_f'), ARRAY[pg_temp.uid('out_f')]))->>'id')::uuid AS chat,
  (chat.send_message(pg_temp.tok('ada_f'), pg_temp.c(), 'Document', NULL, NULL,
     ARRAY[pg_temp.upload('ada_f', 'forward.pdf', (SELECT b FROM big))])) AS original;
CREATE TEMP TABLE fwd AS SELECT chat.forward_message(pg_temp.tok('bob_f'), ((SELECT original FROM fw)->>'id')::uuid,
  ARRAY[(SELECT chat FROM fw)]) AS r;
CREATE FUNCTION pg_temp.copy_id() RETURNS uuid LANGUAGE sql AS
  $$ SELECT (r->'results'->0->'message'->'attachments'->0->>'id')::uuid FROM fwd $$;
CREATE FUNCTION pg_temp.original_id() RETURNS uuid LANGUAGE sql AS
  $$ SELECT ((original->'attachments'->0)->>'id')::uuid FROM fw $$;
SELECT is((SELECT (r->'results'->0->'message'->'attachments'->0) - 'id' FROM fwd),
  (SELECT (original->'attachments'->0) - 'id' FROM fw), 'the forward carries the file: same name, type and size');
SELECT isnt(pg_temp.copy_id(), pg_temp.original_id(), 'as a copy of its own');
SELECT is(chat.read_attachment(pg_temp.tok('out_f'), pg_temp.copy_id(), 0, 1048576), (SELECT b FROM big),
  'a member of the chat it went to reads the copy, byte for byte');
SELECT throws_ok(format('SELECT chat.read_attachment(%L, %L, 0, 10)', pg_temp.tok('out_f'), pg_temp.original_id()),
  'P0002', NULL, 'but not the original, in a chat they are not in');
SELECT chat.delete_message(pg_temp.tok('ada_f'), ((SELECT original FROM fw)->>'id')::uuid);
SELECT is(octet_length(chat.read_attachment(pg_temp.tok('out_f'), pg_temp.copy_id(), 0, 1048576)), 600 * 1024,
  'deleting the original for everyone leaves the forward''s file');
SET LOCAL chat.attachment_quota = '1MB';
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[%L, %L]::uuid[])', pg_temp.tok('out_f'),
    (SELECT r->'results'->0->'message'->>'id' FROM fwd), (SELECT chat FROM fw), pg_temp.c()),
  '54000', 'forwarding these files would go over your storage quota',
  'a forward whose copies would pass the quota is refused, nothing stored');
RESET chat.attachment_quota;

SELECT * FROM finish();
ROLLBACK;
