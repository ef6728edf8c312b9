// Create an account; each field says what is wrong as soon as it is left, and the server's
// answer (say, a taken username) is shown above the form.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAuthStore } from '../stores/authStore.js';
import Field from '../components/Field.jsx';
import AuthLayout from './AuthLayout.jsx';
import { useSessionSubmit } from './useSessionSubmit.js';
import { validateDisplayName, validateEmail, validatePassword, validateUsername, formErrors } from '../lib/validate.js';

const RULES = {
  username: validateUsername,
  email: validateEmail,
  password: validatePassword,
  displayName: validateDisplayName,
};

export default function RegisterPage() {
  const register = useAuthStore((s) => s.register);
  const [values, setValues] = useState({ username: '', email: '', password: '', displayName: '' });
  const [errors, setErrors] = useState({});
  const { busy, serverError, submit: startSession } = useSessionSubmit();

  const change = (key) => (event) => {
    setValues({ ...values, [key]: event.target.value });
    if (errors[key]) setErrors({ ...errors, [key]: RULES[key](event.target.value) });
  };
  const leave = (key) => () => setErrors({ ...errors, [key]: RULES[key](values[key]) });

  async function submit(event) {
    event.preventDefault();
    const found = formErrors(RULES, values);
    setErrors(found);
    const fields = { username: values.username.trim(), email: values.email.trim(), password: values.password };
    if (values.displayName.trim()) fields.displayName = values.displayName.trim();
    await startSession(found, () => register(fields));
  }

  return (
    <AuthLayout title="Create your account">
      <form onSubmit={submit} noValidate aria-label="Create account">
        {serverError && <div className="form-error" role="alert">{serverError}</div>}
        <Field label="Username" name="username" autoComplete="username" autoFocus value={values.username}
          onChange={change('username')} onBlur={leave('username')} error={errors.username}
          hint="3 to 32 letters, digits, dots or underscores" />
        <Field label="Email" name="email" type="email" autoComplete="email" value={values.email}
          onChange={change('email')} onBlur={leave('email')} error={errors.email} />
        <Field label="Display name (optional)" name="displayName" autoComplete="name" value={values.displayName}
          onChange={change('displayName')} onBlur={leave('displayName')} error={errors.displayName} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" value={values.password}
          onChange={change('password')} onBlur={leave('password')} error={errors.password}
          hint="At least 8 characters" />
        <button type="submit" className="primary wide" disabled={busy}>{busy ? 'Creating…' : 'Create account'}</button>
      </form>
      <p className="auth-switch">Have an account? <Link to="/login">Sign in</Link></p>
    </AuthLayout>
  );
}
