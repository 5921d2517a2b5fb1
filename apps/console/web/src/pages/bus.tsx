import { ApiProblem } from '../api';
import { Loading, ProblemMessage } from '../components/states';
import { useApi } from '../components/use-api';
import type { BusOverview } from '../types';

/** The bus as the projector sees it: topics and their end offsets, and each consumer group's lag. */
export function Bus() {
  const state = useApi<BusOverview>('/v1/bus');
  const unavailable = state.error instanceof ApiProblem && [404, 405, 501].includes(state.error.status);
  return (
    <section aria-labelledby="bus">
      <h1 id="bus">Bus</h1>
      <p>
        <button type="button" class="secondary" onClick={state.reload} disabled={state.loading}>
          Refresh
        </button>
      </p>
      {unavailable ? (
        <div class="notice" role="alert">
          <p>
            <strong>The bus overview is not available.</strong> This installation's projector does not answer{' '}
            <code>GET /v1/bus</code> (it is older than the console, or the route is turned off).
          </p>
        </div>
      ) : state.error instanceof ApiProblem && state.error.status === 503 ? (
        <>
          <p class="notice">The bus did not answer in time: the broker or the database may be down.</p>
          <ProblemMessage error={state.error} />
        </>
      ) : (
        <Loading state={state}>{(bus) => <BusTables bus={bus} />}</Loading>
      )}
    </section>
  );
}

function BusTables({ bus }: { bus: BusOverview }) {
  return (
    <>
      <p>
        Transport: <strong>{bus.transport}</strong>
      </p>
      <h2 id="groups">Consumer groups</h2>
      {bus.groups.length === 0 ? <p class="empty">No consumer group has committed yet.</p> : null}
      {bus.groups.map((group) => {
        const id = `group-${group.group_id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        return (
          <section key={group.group_id} aria-labelledby={id} class="group">
            <h3 id={id}>
              Group <code>{group.group_id}</code>: total lag {group.lag}
              {group.lag === 0 ? ' (caught up)' : ''}
            </h3>
            <div class="table-wrap">
              <table aria-labelledby={id}>
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col">Lag</th>
                    <th scope="col">Partitions behind</th>
                    <th scope="col">Committed offsets (partition: offset)</th>
                  </tr>
                </thead>
                <tbody>
                  {group.topics.map((topic) => {
                    const lag = topic.partitions.reduce((sum, p) => sum + p.lag, 0);
                    const behind = topic.partitions.filter((p) => p.lag > 0).length;
                    const committed = topic.partitions.filter((p) => p.committed_offset !== null);
                    return (
                      <tr key={topic.topic}>
                        <th scope="row" class="wrap">
                          {topic.topic}
                        </th>
                        <td>{lag}</td>
                        <td>
                          {behind} of {topic.partitions.length}
                        </td>
                        <td class="wrap">
                          {committed.length
                            ? committed.map((p) => `${p.partition}: ${p.committed_offset}`).join(', ')
                            : 'none yet'}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
      <h2 id="topics">Topics</h2>
      {bus.topics.length === 0 ? (
        <p class="empty">No topics.</p>
      ) : (
        <div class="table-wrap">
          <table aria-labelledby="topics">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Partitions</th>
                <th scope="col">End offsets of partitions holding messages (partition: offset)</th>
              </tr>
            </thead>
            <tbody>
              {bus.topics.map((topic) => (
                <tr key={topic.name}>
                  <th scope="row" class="wrap">
                    {topic.name}
                  </th>
                  <td>{topic.partitions.length}</td>
                  <td class="wrap">{endOffsets(topic.partitions)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function endOffsets(partitions: { partition: number; end_offset: string }[]): string {
  const used = partitions.filter((p) => p.end_offset !== '0');
  return used.length ? used.map((p) => `${p.partition}: ${p.end_offset}`).join(', ') : 'empty';
}
