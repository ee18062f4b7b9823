/* global document, self */
// Passkeys (R65): My account's "Add a passkey" and the sign-in page's "Use a passkey". The server
// puts the WebAuthn options (with its challenge) on the block as data-options; this asks the
// browser's authenticator, writes its answer into the form's hidden "response" field and submits
// the form, so the server answers with an ordinary page or redirect. Without JavaScript, or in a
// browser without WebAuthn, the form stays hidden and the page's own sentence says what to do.
// CSP-safe: files from 'self', no inline code. @simplewebauthn/browser ships a UMD bundle; imported
// as a module it puts its API on `self`.
import '/assets/simplewebauthn-browser.min.js';

const api = self.SimpleWebAuthnBrowser;

for (const block of document.querySelectorAll('[data-module="app-passkey"]')) {
  const form = block.querySelector('form');
  const noScript = block.querySelector('.app-passkey__no-js');
  const problem = block.querySelector('.app-passkey__problem');
  if (!form || !api || !api.browserSupportsWebAuthn()) {
    if (noScript)
      noScript.textContent =
        block.dataset.mode === 'sign-in'
          ? 'This browser cannot use passkeys. Sign in with your username and password.'
          : 'This browser cannot use passkeys. Use another browser, or your authenticator app.';
    continue;
  }
  const options = JSON.parse(block.dataset.options);
  const register = block.dataset.mode === 'register';
  form.hidden = false;
  if (noScript) noScript.hidden = true;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = form.elements.namedItem('name');
    // No name: the server says so, without asking the authenticator for nothing.
    if (register && name && !name.value.trim()) {
      form.submit();
      return;
    }
    problem.hidden = true;
    try {
      const answer = register
        ? await api.startRegistration({ optionsJSON: options })
        : await api.startAuthentication({ optionsJSON: options });
      form.elements.namedItem('response').value = JSON.stringify(answer);
      form.submit();
    } catch (error) {
      // Cancelled, timed out, or an authenticator already registered: nothing was sent.
      problem.textContent =
        error && error.name === 'InvalidStateError'
          ? 'This passkey is already added.'
          : register
            ? 'The passkey was not added. Try again, and confirm with your fingerprint, face or PIN when asked.'
            : block.dataset.mode === 'sign-in'
              ? 'The passkey was not used. Try again, or sign in with your username and password.'
              : 'The passkey was not used. Try again, or enter the code from your authenticator app.';
      problem.hidden = false;
    }
  });
}
