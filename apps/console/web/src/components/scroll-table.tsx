import type { ComponentChildren } from 'preact';

/**
 * A table that may scroll sideways on a narrow screen: a labelled region in the tab order, so a
 * keyboard can scroll it too (WCAG 2.1.1).
 */
export function ScrollTable({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
