import { describe, expect, it } from 'vitest';
import { html } from './html-template';

describe('html template', () => {
  it('escapes interpolated text and keeps nested templates', () => {
    const name = '<script>alert("x")</script>';
    const inner = html`<b>${'a&b'}</b>`;
    const items = [html`<i>1</i>`, '<2>'];
    // prettier-ignore
    const page = html`<p>${name}</p>${inner}${items}${null}`;
    expect(page.value).toBe(
      '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p><b>a&amp;b</b><i>1</i>&lt;2&gt;',
    );
  });
});
