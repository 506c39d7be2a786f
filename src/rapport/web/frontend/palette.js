// The one palette (static/web/palette.json), shared with the CSS classes build.mjs
// generates and with rapport.web.palette on the server.
import palette from '../static/web/palette.json';

export { palette };

export const ATTITUDES = ['hostile', 'sceptical', 'neutral', 'supportive', 'advocate'];

/** Attitude -2..2 to its name (hostile..advocate); anything else is neutral. */
export function attitudeName(value) {
  const index = Number(value) + 2;
  return ATTITUDES[index] ?? 'neutral';
}

export function roleColor(role) {
  return palette.roles[role] ?? palette.roles.end_user;
}

/** `hex` mixed with white; share is how much of `hex` remains (0..1). */
export function tint(hex, share) {
  const value = /^#?([0-9a-f]{6})$/i.exec(hex || '');
  if (!value) return '#f8fafc';
  const n = parseInt(value[1], 16);
  const channel = (shift) => Math.round(((n >> shift) & 255) * share + 255 * (1 - share));
  return `rgb(${channel(16)}, ${channel(8)}, ${channel(0)})`;
}
