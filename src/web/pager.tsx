/** Previous / Next over a connection: `pages` holds the `after` cursor of each page opened so far. */
export function Pager({ label, pages, setPages, pageInfo }: {
  label: string;
  pages: (string | null)[];
  setPages: (pages: (string | null)[]) => void;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>Previous</button>
      <span>Page {pages.length}</span>
      <button type="button" disabled={!pageInfo.hasNextPage}
        onClick={() => pageInfo.endCursor && setPages([...pages, pageInfo.endCursor])}>Next</button>
    </nav>
  );
}
