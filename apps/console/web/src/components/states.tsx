import type { ComponentChildren } from 'preact';
import { ApiProblem } from '../api';

/** A problem the API answered, with its detail; announced to screen readers. */
export function ProblemMessage({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const status = error instanceof ApiProblem && error.status > 0 ? ` (${error.status})` : '';
  return (
    <div class="problem" role="alert">
      <strong>
        {error instanceof ApiProblem ? error.title : 'Something went wrong'}
        {status}
      </strong>
      {error instanceof ApiProblem && error.detail ? <p>{error.detail}</p> : null}
      {!(error instanceof ApiProblem) ? <p>{error.message}</p> : null}
    </div>
  );
}

/** Loading, failed, empty or the content, from one loaded value. */
export function Loading<T>(props: {
  state: { data?: T | undefined; error?: Error | undefined; loading: boolean };
  empty?: (data: T) => boolean;
  emptyText?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { data, error, loading } = props.state;
  if (error) return <ProblemMessage error={error} />;
  if (data === undefined)
    return loading ? (
      <p class="muted" role="status">
        Loading…
      </p>
    ) : null;
  if (props.empty?.(data)) return <p class="empty">{props.emptyText ?? 'Nothing here yet.'}</p>;
  return <>{props.children(data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
