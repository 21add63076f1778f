import { html } from '../html-template';
import { layout } from './layout';

export function loginPage(next: string, error?: string): string {
  const body = html`<h1>Sign in</h1>
    <p>
      The console takes the same API keys as the domain services (<code>API_KEYS</code>). The key is
      kept in an HttpOnly, SameSite=Strict cookie for this site; scripts may send
      <code>X-API-Key</code> instead.
    </p>
    ${error ? html`<p class="notice bad">${error}</p>` : ''}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="${next}" />
      <input
        type="password"
        name="apiKey"
        aria-label="API key"
        placeholder="API key"
        autocomplete="current-password"
        style="padding:6px 8px;width:320px"
      />
      <button type="submit">Sign in</button>
    </form>`;
  return layout('Sign in', body);
}
