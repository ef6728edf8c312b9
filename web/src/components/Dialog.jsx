// A modal dialog: labelled, focus moved inside on open and back on close, Escape closes.
import { useEffect, useId, useRef } from 'react';
import Icon from './Icon.jsx';

export default function Dialog({ title, onClose, children, wide = false }) {
  const titleId = useId();
  const panel = useRef(null);
  useEffect(() => {
    const before = document.activeElement;
    const first = panel.current && panel.current.querySelector('input, textarea, select, button:not(.dialog-close)');
    (first || panel.current)?.focus();
    const onKey = (event) => {
      if (event.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (before && before.focus) before.focus();
    };
  }, [onClose]);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog${wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={panel} tabIndex={-1}>
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button dialog-close" aria-label="Close" onClick={onClose}><Icon name="close" /></button>
        </header>
        <div className="dialog-body">{children}</div>
      </div>
    </div>
  );
}
