import type { ComponentChildren } from 'preact';
import type { Page } from '../api';
import { Loading } from './states';
import { useApi } from './use-api';

/** A titled list of one API page, with its empty and error states. */
export function ListPage<T>(props: {
  title: string;
  path: string;
  emptyText: ComponentChildren;
  children: (rows: T[]) => ComponentChildren;
}) {
  const state = useApi<Page<T>>(props.path);
  const id = props.title.toLowerCase().replace(/\W+/g, '-');
  return (
    <section aria-labelledby={id}>
      <h1 id={id}>{props.title}</h1>
      <Loading state={state} empty={(page) => page.data.length === 0} emptyText={props.emptyText}>
        {(page) => props.children(page.data)}
      </Loading>
    </section>
  );
}
