// Sign in with a username or email and a password; the server's refusal is shown above the form.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAuthStore } from '../stores/authStore.js';
import Field from '../components/Field.jsx';
import AuthLayout from './AuthLayout.jsx';
import { useSessionSubmit } from './useSessionSubmit.js';

export default function LoginPage() {
  const login = useAuthStore((s) => s.login);
  const [values, setValues] = useState({ login: '', password: '' });
  const [errors, setErrors] = useState({});
  const { busy, serverError, submit: startSession } = useSessionSubmit();

  const change = (key) => (event) => setValues({ ...values, [key]: event.target.value });

  async function submit(event) {
    event.preventDefault();
    const found = {};
    if (!values.login.trim()) found.login = 'Enter your username or email.';
    if (!values.password) found.password = 'Enter your password.';
    setErrors(found);
    await startSession(found, () => login(values.login.trim(), values.password));
  }

  return (
    <AuthLayout title="Sign in">
      <form onSubmit={submit} noValidate aria-label="Sign in">
        {serverError && <div className="form-error" role="alert">{serverError}</div>}
        <Field label="Username or email" name="login" autoComplete="username" autoFocus
          value={values.login} onChange={change('login')} error={errors.login} />
        <Field label="Password" name="password" type="password" autoComplete="current-password"
          value={values.password} onChange={change('password')} error={errors.password} />
        <button type="submit" className="primary wide" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p className="auth-switch">New here? <Link to="/register">Create an account</Link></p>
    </AuthLayout>
  );
}
