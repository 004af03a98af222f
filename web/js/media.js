// Images from /media/{id}. The route wants the bearer token, which an <img src> cannot send,
// so the bytes are fetched with it and shown through an object URL. An id never changes its
// bytes, so each is fetched once per page.

import { h } from './dom.js';

const urls = new Map();

/** An <img> for a stored image; its source arrives once the bytes do. */
export function mediaImage(api, id, attributes = {}) {
  const image = h('img', { alt: '', ...attributes });
  if (!urls.has(id)) urls.set(id, api.request('GET', `/media/${encodeURIComponent(id)}`, { blob: true }).then((blob) => URL.createObjectURL(blob)));
  urls.get(id).then((url) => { image.src = url; }).catch(() => { image.alt = attributes.alt || '⚠'; });
  return image;
}
