/**
 * A 32-bit string hash (FNV-1a over UTF-16 code units, then a final mix) shared by the solver
 * pool's string index and the metadata cache, which stores it per string so that a warm load
 * can intern a repository's strings into the pool without hashing them again.
 *
 *   strHash('bash') === strHash(String.fromCharCode(98, 97, 115, 104))  // true
 *
 * Changing it changes the cache format (bump METACACHE_VERSION).
 */
export function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h | 0;
}
