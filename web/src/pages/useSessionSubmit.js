// The submit of the login and register forms: nothing is sent while a field is wrong; then the
// session is started once at a time and the chats open, or the server's refusal is kept for the
// form to show.
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';

export function useSessionSubmit() {
  const navigate = useNavigate();
  const [serverError, setServerError] = useState('');
  const [busy, setBusy] = useState(false);

  // found: the form's own errors by field; start(): resolves once the session is there.
  async function submit(found, start) {
    setServerError('');
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await start();
      navigate('/', { replace: true });
    } catch (error) {
      setServerError(error.message);
    } finally {
      setBusy(false);
    }
  }

  return { busy, serverError, submit };
}
