// The state of one of our messages: a clock until acked, one tick sent, two delivered, two blue read.
const LABELS = { pending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not sent' };

export default function Ticks({ status }) {
  const glyph = status === 'pending' ? '🕓' : status === 'failed' ? '⚠' : status === 'sent' ? '✓' : '✓✓';
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={LABELS[status]} title={LABELS[status]} data-status={status}>
      {glyph}
    </span>
  );
}
