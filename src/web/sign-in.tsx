import { useState } from 'preact/hooks';
import { ApiError, request, session } from './api.ts';
import { graphql } from './generated/index.ts';

const Login = graphql(`
  mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { token } }
`);

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const { login } = await request(Login, { email: String(form.get('email')), password: String(form.get('password')) });
      session.token = login.token;
      onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'RATE_LIMITED' ? 'Too many attempts: try again later.' : 'Email or password is not right.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>Payment runs</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <label>Email<input name="email" type="email" autocomplete="username" required /></label>
        <label>Password<input name="password" type="password" autocomplete="current-password" required /></label>
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
