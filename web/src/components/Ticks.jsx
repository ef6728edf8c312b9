// The state of one of our messages: a clock until acked, one tick sent, two delivered, two blue read.
import Icon from './Icon.jsx';

const LABELS = { pending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not sent' };
const ICONS = { pending: 'clock', sent: 'check', delivered: 'checks', read: 'checks', failed: 'warn' };

export default function Ticks({ status }) {
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={LABELS[status]} title={LABELS[status]} data-status={status}>
      <Icon name={ICONS[status]} size={status === 'pending' ? 13 : 16} />
    </span>
  );
}
