import { describe, expect, it } from 'vitest';
import { defaultCaption, fileProblem, formatSize, kindOf, MAX_FILE_BYTES, percent, previewLabel, showsCaption, thumbnailSize, typeName } from '../../src/logic/attachments.js';

const message = (type, name, content) => ({ content, attachments: [{ id: 'a', name, type, size: 10, hasThumbnail: false }] });

describe('attachments', () => {
  it('sorts types into kinds', () => {
    expect(kindOf('image/png')).toBe('image');
    expect(kindOf('audio/webm')).toBe('audio');
    expect(kindOf('video/mp4')).toBe('video');
    expect(kindOf('application/pdf')).toBe('document');
    expect(kindOf(undefined)).toBe('document');
  });
  it('says what the chat list shows', () => {
    expect(previewLabel(message('image/jpeg', 'a.jpg', 'Photo'))).toBe('Photo');
    expect(previewLabel(message('audio/webm', 'v.webm', 'Voice message'))).toBe('Voice message');
    expect(previewLabel(message('application/pdf', 'r.pdf', 'r.pdf'))).toBe('Document');
    expect(previewLabel({ content: 'hi' })).toBe(null);
  });
  it('hides the default caption, shows a real one', () => {
    expect(showsCaption(message('image/png', 'a.png', defaultCaption('image', 'a.png')))).toBe(false);
    expect(showsCaption(message('application/pdf', 'r.pdf', 'r.pdf'))).toBe(false);
    expect(showsCaption(message('image/png', 'a.png', 'look at this'))).toBe(true);
    expect(showsCaption({ content: 'plain' })).toBe(true);
  });
  it('formats sizes and types for people', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(typeName('application/pdf')).toBe('PDF');
  });
  it('refuses empty and too large files before any byte is sent', () => {
    expect(fileProblem({ size: 0 })).toMatch(/empty/);
    expect(fileProblem({ size: MAX_FILE_BYTES + 1 })).toMatch(/larger/);
    expect(fileProblem({ size: MAX_FILE_BYTES })).toBe(null);
  });
  it('fits thumbnails in their edge, keeping the shape', () => {
    expect(thumbnailSize(1600, 1200)).toEqual({ width: 320, height: 240 });
    expect(thumbnailSize(100, 50)).toEqual({ width: 100, height: 50 });
    expect(thumbnailSize(0, 10)).toBe(null);
    expect(percent(50, 200)).toBe(25);
    expect(percent(1, 0)).toBe(0);
  });
});
