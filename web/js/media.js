// Images from /media/{id}. The route wants the bearer token, which an <img src> cannot send,
// so the bytes are fetched with it and shown through an object URL. An id never changes its
// bytes, so each is fetched once per page.

import { h } from './dom.js';

const urls = new Map();

/** An <img> for a stored image; its source arrives once the bytes do. */
export function mediaImage(api, id, attributes = {}, unavailable = id) {
  const image = h('img', { alt: '', ...attributes });
  if (!urls.has(id)) urls.set(id, api.request('GET', `/media/${encodeURIComponent(id)}`, { blob: true }).then((blob) => URL.createObjectURL(blob)));
  urls.get(id).then((url) => { image.src = url; }).catch(() => {
    // A missing image (an imported receipt that was never uploaded) says so in words, not a broken icon.
    image.replaceWith(h('p', { class: 'muted' }, unavailable));
  });
  return image;
}
