import { useState } from 'preact/hooks';

/**
 * Paging through a list by the API's `next_cursor`: the cursors of the pages before, so Previous
 * goes back. `cursor` is the one to ask for now (undefined: the first page).
 */
export function useCursors(): {
  cursor: string | undefined;
  pages: string[];
  next: (cursor: string) => void;
  previous: () => void;
  reset: () => void;
} {
  const [pages, setPages] = useState<string[]>([]);
  return {
    cursor: pages[pages.length - 1],
    pages,
    next: (cursor) => setPages([...pages, cursor]),
    previous: () => setPages(pages.slice(0, -1)),
    reset: () => {
      if (pages.length > 0) setPages([]);
    },
  };
}

/** Previous and Next buttons, each shown only when there is such a page. */
export function Pager(props: {
  label: string;
  cursors: ReturnType<typeof useCursors>;
  nextCursor: string | null;
}) {
  const { cursors, nextCursor } = props;
  if (cursors.pages.length === 0 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      {cursors.pages.length > 0 ? (
        <button type="button" class="secondary" onClick={cursors.previous}>
          Previous page
        </button>
      ) : null}
      {nextCursor ? (
        <button type="button" class="secondary" onClick={() => cursors.next(nextCursor)}>
          Next page
        </button>
      ) : null}
    </nav>
  );
}
