/* global document, window, fetch, FormData, URLSearchParams, setTimeout, clearTimeout, setInterval, clearInterval */
// The session timeout warning (GOV.UK pattern, as HMRC's timeout dialog): two minutes before the
// session ends, a modal dialog says when the person will be signed out, with "Stay signed in"
// (which records a use of the session on the server) and "Sign out". When the time runs out the
// page goes to sign in, which brings the person back here afterwards. Loaded by layout.njk for
// signed-in pages only; the dialog's markup is there, closed, so that this file holds no words.
const dialog = document.getElementById('app-timeout-warning');

if (dialog && typeof dialog.showModal === 'function') {
  const warnBeforeMs = Number(dialog.dataset.warnBefore) * 1000;
  const countdown = dialog.querySelector('.app-timeout-dialog__countdown');
  const live = dialog.querySelector('#app-timeout-live');
  const stay = dialog.querySelector('form.app-timeout-dialog__stay');
  let endsAt = Date.now() + Number(dialog.dataset.expiresIn) * 1000;
  let warnTimer;
  let ticker;
  let announced = '';

  const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  // Whole minutes while a minute or more is left, then seconds.
  const timeLeft = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return seconds >= 60 ? plural(Math.ceil(seconds / 60), 'minute') : plural(seconds, 'second');
  };

  const signedOut = () => window.location.assign(dialog.dataset.signedOutHref);

  const update = () => {
    const left = endsAt - Date.now();
    if (left <= 0) {
      clearInterval(ticker);
      signedOut();
      return;
    }
    const text = timeLeft(left);
    countdown.textContent = text;
    // A screen reader hears the time when the warning opens, at each new minute, and every 20
    // seconds in the last minute: not every second.
    const seconds = Math.ceil(left / 1000);
    const moment = seconds >= 60 ? text : seconds % 20 === 0 ? text : announced;
    if (moment !== announced) {
      announced = moment;
      live.textContent = `We will sign you out in ${moment}.`;
    }
  };

  const warn = () => {
    announced = '';
    update();
    if (!dialog.open) dialog.showModal();
    clearInterval(ticker);
    ticker = setInterval(update, 1000);
  };

  const schedule = () => {
    clearTimeout(warnTimer);
    clearInterval(ticker);
    warnTimer = setTimeout(warn, Math.max(0, endsAt - warnBeforeMs - Date.now()));
  };

  const keepAlive = async () => {
    try {
      const response = await fetch(stay.action, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams(new FormData(stay)),
        credentials: 'same-origin',
      });
      if (!response.ok) {
        signedOut();
        return;
      }
      const { expiresInSeconds } = await response.json();
      endsAt = Date.now() + expiresInSeconds * 1000;
      if (dialog.open) dialog.close();
      schedule();
    } catch {
      // No answer (offline): the warning stays, and the form can still be sent as a plain post.
      stay.submit();
    }
  };

  stay.addEventListener('submit', (event) => {
    event.preventDefault();
    void keepAlive();
  });
  // Escape closes a modal dialog: here it means "stay signed in", as in the GOV.UK pattern.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    void keepAlive();
  });
  schedule();
}
