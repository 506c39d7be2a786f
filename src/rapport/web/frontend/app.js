// Entry point of the web UI bundle (built by build.mjs into static/web/dist/app.js).
//
// Everything here works under the site's Content-Security-Policy (script-src 'self'):
// no inline scripts, no eval, no on* attributes. Pages opt into behaviour with data-*
// attributes and <script type="application/json"> payloads.
import htmx from 'htmx.org';
import * as bootstrap from 'bootstrap';

import { chartOf, disposeDetachedCharts, renderCharts } from './charts.js';
import { palette } from './palette.js';

window.htmx = htmx;
window.bootstrap = bootstrap;

// --- htmx ------------------------------------------------------------------------------

Object.assign(htmx.config, {
  // The indicator styles htmx would inject are an inline <style>; ours live in app.css.
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  // Views answer htmx requests with partials; a history miss must fetch the full page.
  historyRestoreAsHxRequest: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    // 422: a form re-rendered with its errors, swapped like a success.
    { code: '422', swap: true },
    { code: '[45]..', swap: false, error: true },
    { code: '...', swap: false },
  ],
});

function csrfToken() {
  const cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (cookie) return decodeURIComponent(cookie[1]);
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

document.addEventListener('htmx:configRequest', (event) => {
  const token = csrfToken();
  if (token) event.detail.headers['X-CSRFToken'] = token;
});

// --- error toasts for failed htmx requests --------------------------------------------

const FALLBACK_MESSAGES = {
  400: 'That request was not valid.',
  403: 'You do not have permission to do that.',
  404: 'That item no longer exists or is not visible to you.',
  409: 'That clashes with a change made meanwhile. Reload and try again.',
  429: 'Too many attempts. Wait a moment and try again.',
};

function errorMessage(xhr) {
  // The error page marks its message with data-error-message; read it without running it.
  try {
    const doc = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
    const marked = doc.querySelector('[data-error-message]');
    if (marked && marked.textContent.trim()) return marked.textContent.trim();
  } catch {
    // fall through to the generic message
  }
  return FALLBACK_MESSAGES[xhr.status] || 'Something went wrong on our side. Please try again.';
}

function toastStack() {
  let stack = document.querySelector('.toast-stack');
  if (!stack) {
    stack = document.createElement('div');
    stack.className = 'toast-stack';
    stack.setAttribute('aria-live', 'polite');
    document.body.appendChild(stack);
  }
  return stack;
}

export function showToast(message, variant = 'danger') {
  const alert = document.createElement('div');
  alert.className = `alert alert-${variant} alert-dismissible fade show shadow-sm`;
  alert.setAttribute('role', 'alert');
  const text = document.createElement('span');
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn-close';
  close.setAttribute('data-bs-dismiss', 'alert');
  close.setAttribute('aria-label', 'Close');
  alert.append(text, close);
  toastStack().appendChild(alert);
  window.setTimeout(() => bootstrap.Alert.getOrCreateInstance(alert).close(), 7000);
}

document.addEventListener('htmx:responseError', (event) => showToast(errorMessage(event.detail.xhr)));
document.addEventListener('htmx:sendError', () =>
  showToast('Could not reach the server. Check your connection and try again.'),
);

// --- small behaviours pages opt into with data attributes ------------------------------

// <form data-confirm="Delete this contact?">: ask before submitting (no onclick allowed).
document.addEventListener(
  'submit',
  (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

// <form data-autosubmit>: filter forms submit themselves when a select or checkbox changes.
document.addEventListener('change', (event) => {
  const field = event.target;
  const form = field.form;
  if (form && form.hasAttribute('data-autosubmit') && field.matches('select, input[type=checkbox], input[type=radio], input[type=date]')) {
    form.requestSubmit();
  }
});

// <tr data-href="/accounts/7/">: the whole row opens the record, links inside still win.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  const row = event.target.closest('[data-href]');
  if (!row || event.target.closest('a, button, input, select, textarea, label, [data-bs-toggle]')) return;
  const href = row.getAttribute('data-href');
  if (!href) return;
  if (event.ctrlKey || event.metaKey) window.open(href, '_blank', 'noopener');
  else window.location.assign(href);
});

// <button data-history-back>: the error page's "Go back".
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-history-back]')) {
    event.preventDefault();
    if (window.history.length > 1) window.history.back();
    else window.location.assign('/');
  }
});

// <button data-demo-login data-email data-password>: fill the sign-in form with the demo account.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-demo-login]');
  if (!button) return;
  const form = document.querySelector('form input[name="password"]')?.form;
  if (!form) return;
  form.elements.username.value = button.getAttribute('data-email') || '';
  form.elements.password.value = button.getAttribute('data-password') || '';
  form.querySelector('[type="submit"]')?.focus();
});

// "/" focuses the global search box, as in most SaaS tools.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
  const search = document.querySelector('[data-global-search]');
  if (search) {
    event.preventDefault();
    search.focus();
    search.select();
  }
});

// --- per-fragment initialisation --------------------------------------------------------

function initTooltips(root) {
  root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((el) => {
    bootstrap.Tooltip.getOrCreateInstance(el);
  });
}

export function initialise(root = document) {
  initTooltips(root);
  renderCharts(root);
}

document.addEventListener('DOMContentLoaded', () => initialise(document));
document.addEventListener('htmx:afterSwap', () => {
  // The swap target may itself have been replaced (hx-swap="outerHTML"), so look again
  // over the whole page: rendering is idempotent per element.
  disposeDetachedCharts();
  initialise(document);
});
document.addEventListener('htmx:historyRestore', () => {
  disposeDetachedCharts();
  initialise(document);
});

window.Rapport = { initialise, renderCharts, chartOf, showToast, palette };
