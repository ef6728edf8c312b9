// The frame shared by the login and register pages.
export default function AuthLayout({ title, children }) {
  return (
    <div className="auth-page">
      <div className="auth-brand" aria-hidden="true">
        <span className="auth-logo">●</span> pgchat
      </div>
      <main className="auth-card">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
