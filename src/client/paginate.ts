/**
 * Pagination over page/per_page endpoints. Stops on a short page — which also handles the
 * server silently capping `per_page` at 200 (ask for ≤ 200 and compare with what you asked).
 * @module
 */

/**
 * Yield every item of a paged endpoint.
 *
 * @example
 * ```ts
 * for await (const u of iteratePages(page => mm.users.list({ page, perPage: 200 }), 200)) console.log(u.username)
 * ```
 */
export async function* iteratePages<T>(
  fetchPage: (page: number) => Promise<T[]>,
  perPage: number,
): AsyncGenerator<T> {
  const size = Math.min(200, perPage)
  for (let page = 0; ; page++) {
    const items = await fetchPage(page)
    for (const item of items) yield item
    if (items.length < size) return
  }
}
